"""The chase policy over a table of request histories, on chosen days.

Histories are built as event lists (the way foibot stores them) and derived with
``status.derive``; ``today`` is passed in. Dates are computed with the statutory clock where a
table would otherwise hide the rule: a request received on Mon 2 Mar 2026 is due Tue 31 Mar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

import pytest

from foibot.rules import clock
from foibot.model import Request
from foibot.rules.policy import Decision, decide, plan
from foibot.settings import ChaseSettings
from foibot.errors import ConfigError
from foibot.model import Event
from foibot.registry import Force
from foibot.rules.status import derive
from foibot.timeutil import LONDON

KENT = Force("kent", "Kent Police", "England", "foia", "foi@kent.police.uk", "test")
SCOTLAND = Force("police-scotland", "Police Scotland", "Scotland", "foisa",
                 "foi@scotland.police.uk", "test")
SENT = date(2026, 3, 2)                       # Mon 2 Mar 2026
DUE = date(2026, 3, 31)                       # Tue 31 Mar 2026, the 20th working day
POLICY = ChaseSettings()


def late(n: int, *, due: date = DUE, regime: str = "foia") -> date:
    """The day a request due on ``due`` is ``n`` working days late."""
    return clock.add_working_days(due, n, regime).due  # type: ignore[arg-type,return-value]


@dataclass
class History:
    """A request's events, written the way foibot writes them."""

    force: Force = KENT
    events: list[Event] = field(default_factory=list)

    def add(self, type_: str, day: date, **data: Any) -> History:
        at = datetime.combine(day, time(10), LONDON)
        self.events.append(Event(len(self.events) + 1, "FOI-TEST1", type_, at, data))
        return self

    def letter(self, key: str, day: date) -> History:
        self.add("sending", day, key=key, message_id=f"<{key}@x>")
        return self.add("sent", day, key=key, message_id=f"<{key}@x>", response="250 OK")

    def sent(self, day: date = SENT) -> History:
        return self.add("created", day, force=self.force.id).letter("request", day)

    def reply(self, kind: str, day: date, **data: Any) -> History:
        when = datetime.combine(day, time(11), LONDON).isoformat()
        return self.add("reply", day, kind=kind, date=when, **data)

    def request(self) -> Request:
        return Request("FOI-TEST1", "sm", self.force, tuple(self.events))


def chased(*days: date, history: History | None = None) -> History:
    """A request sent on SENT with chasers sent on ``days``."""
    h = history or History().sent()
    for n, day in enumerate(days, 1):
        h.letter(f"chaser-{n}", day)
    return h


def run(h: History, today: date, policy: ChaseSettings = POLICY) -> Decision:
    return decide(derive(h.request(), today), today, policy)


CASES: list[tuple[str, Any, date, tuple[str, str | None, str, date | None]]] = [
    # name, history, today, (action, key, reason, due_on)
    ("unsent", lambda: History().add("created", SENT), SENT,
     ("none", None, "not sent yet", None)),
    ("awaiting", lambda: History().sent(), date(2026, 3, 10),
     ("none", None, "due 2026-03-31, 14 working days left", late(1))),
    ("overdue day 0 (due today)", lambda: History().sent(), DUE,
     ("none", None, "due today (2026-03-31)", late(1))),
    ("overdue day 1", lambda: History().sent(), late(1),
     ("chaser", "chaser-1", "due 2026-03-31, 1 working day late: first chaser", late(1))),
    ("overdue day 1, foibot was off: first chaser still first", lambda: History().sent(), late(7),
     ("chaser", "chaser-1", "due 2026-03-31, 7 working days late: first chaser", late(1))),
    ("overdue day 5, chaser 1 sent", lambda: chased(late(1)), late(5),
     ("none", None, ("due 2026-03-31, 5 working days late, first chaser sent 2026-04-01: "
      "second chaser on 2026-04-17"), late(11))),
    ("overdue day 11", lambda: chased(late(1)), late(11),
     ("chaser", "chaser-2", ("due 2026-03-31, 11 working days late, first chaser sent "
      "2026-04-01: second chaser"), late(11))),
    ("chaser interval counts from the chaser actually sent", lambda: chased(late(3)), late(12),
     ("none", None, ("due 2026-03-31, 12 working days late, first chaser sent 2026-04-07: "
      "second chaser on 2026-04-21"), late(13))),
    ("overdue day 21: the review is drafted first", lambda: chased(late(1), late(11)), late(21),
     ("review", "review", ("due 2026-03-31, 21 working days late, no answer 40 working days "
      "after receipt: internal review request"), late(21))),
    ("overdue day 21, review drafted: third chaser",
     lambda: chased(late(1), late(11)).add("draft", late(21), key="review", kind="review"),
     late(21),
     ("chaser", "chaser-3", ("due 2026-03-31, 21 working days late, second chaser sent "
      "2026-04-17: third chaser; internal review drafted on 2026-05-01, not sent: "
      "foibot send-draft FOI-TEST1 review"), late(21))),
    ("overdue day 31: max chasers reached",
     lambda: chased(late(1), late(11), late(21)).add("draft", late(21), key="review",
                                                      kind="review"), late(31),
     ("none", None, ("due 2026-03-31, 31 working days late; 3 chasers sent, the most foibot "
      "sends; internal review drafted on 2026-05-01, not sent: foibot send-draft FOI-TEST1 "
      "review"), None)),
    ("max chasers reached before the review is due",
     lambda: chased(late(1)), late(12),
     ("none", None, ("due 2026-03-31, 12 working days late; 1 chaser sent, the most foibot "
      "sends; internal review due on 2026-05-01"), late(21))),
    ("long overdue, never chased: review", lambda: History().sent(), late(30),
     ("review", "review", ("due 2026-03-31, 30 working days late, no answer 40 working days "
      "after receipt: internal review request"), late(21))),
    ("review requested, not yet overdue",
     lambda: chased(late(1), late(11)).letter("review", late(22)), late(30),
     ("none", None, ("internal review requested on 2026-05-05: the force should answer by "
      "2026-06-03"), late(43))),
    ("review overdue: ICO (FOIA)",
     lambda: chased(late(1), late(11)).letter("review", late(22)), late(43),
     ("regulator", "ico", ("internal review requested on 2026-05-05, no outcome after 20 working "
      "days: complaint to the ICO (FOIA s.50)"), late(43))),
    ("review overdue: SIC (FOISA)",
     lambda: History(SCOTLAND).sent().add("review_requested", late(22, regime="foisa")),
     late(43, regime="foisa"),
     ("regulator", "sic", ("no outcome after 20 working days: application to the Scottish "
      "Information Commissioner (FOISA s.47)"), late(43, regime="foisa"))),
    ("complaint drafted: nothing more",
     lambda: chased(late(1)).letter("review", late(22)).add("draft", late(43), key="ico",
                                                              kind="ico"), late(50),
     ("none", None, ("complaint to the ICO drafted on 2026-06-04, not sent: foibot send-draft "
      "FOI-TEST1 ico"), None)),
    ("review answered in time: no complaint",
     lambda: chased(late(1)).letter("review", late(22)).reply("successful", late(30))
     .reply("review_outcome", late(35)), late(50),
     ("none", None, ("answered (successful) on 2026-05-15; internal review answered on "
      "2026-05-22"), None)),
    ("answered after the review request: no complaint",
     lambda: chased(late(1)).letter("review", late(22)).reply("partially_successful", late(30)),
     late(50),
     ("none", None, ("answered (partially successful) on 2026-05-15, after the internal review "
      "request of 2026-05-05"), None)),
    ("that answer contested: complaint",
     lambda: chased(late(1)).letter("review", late(22)).reply("partially_successful", late(30))
     .add("contest", late(31)), late(31),
     ("regulator", "ico", "request of 2026-05-05; you contest it: complaint to the ICO",
      late(31))),
    ("clarification pending", lambda: History().sent().reply("clarification", date(2026, 3, 5)),
     late(5), ("none", None, "waiting on your clarification (asked on 2026-03-05)", None)),
    ("clarification answered: a new clock",
     lambda: History().sent().reply("clarification", date(2026, 3, 5))
     .add("clarification_sent", date(2026, 3, 9)), late(1),
     ("none", None, "due 2026-04-09, 4 working days left", date(2026, 4, 10))),
    ("fee pending", lambda: History().sent().reply("fee", date(2026, 3, 20)), late(5),
     ("none", None, "waiting on you: the fee notice of 2026-03-20 is unpaid", None)),
    ("extension not passed",
     lambda: History().sent().reply("extension", date(2026, 3, 25), extension_until="2026-04-28"),
     late(5), ("none", None, "extension to 2026-04-28 not yet passed", date(2026, 4, 29))),
    ("extension passed",
     lambda: History().sent().reply("extension", date(2026, 3, 25), extension_until="2026-04-28"),
     date(2026, 4, 29),
     ("chaser", "chaser-1", "due 2026-04-28, 1 working day late: first chaser",
      date(2026, 4, 29))),
    ("extension granted after a chaser holds the next one back",
     lambda: chased(late(1)).reply("extension", late(3), extension_until="2026-05-12"), late(11),
     ("none", None, "extension to 2026-05-12 not yet passed", date(2026, 5, 13))),
    ("bounced",
     lambda: History().sent().reply("bounce", date(2026, 3, 2), bounce_reason="550 user unknown"),
     late(1), ("none", None, "delivery failed (550 user unknown): fix the address first", None)),
    ("rejected by the server", lambda: History().add("created", SENT).add(
        "sending", SENT, key="request").add("send_failed", SENT, key="request", permanent=True,
                                            response="550 no such user"), late(1),
     ("none", None, "delivery failed (550 no such user): fix the address first", None)),
    ("withdrawn", lambda: History().sent().add("withdrawn", date(2026, 3, 20)), late(1),
     ("none", None, "withdrawn", None)),
    ("answered", lambda: History().sent().reply("successful", date(2026, 3, 20)), late(1),
     ("none", None, "answered (successful) on 2026-03-20", None)),
    ("answered late, after chasers", lambda: chased(late(1)).reply("not_held", late(4)), late(11),
     ("none", None, "answered (not held) on 2026-04-08", None)),
    ("an acknowledgement is not an answer",
     lambda: History().sent().reply("acknowledgement", date(2026, 3, 3)), late(1),
     ("chaser", "chaser-1", "due 2026-03-31, 1 working day late: first chaser", late(1))),
    ("refusal contested: review at once",
     lambda: History().sent().reply("rejected", date(2026, 3, 20), sections=["12"])
     .add("contest", date(2026, 3, 23), note="the cost estimate is wrong"), date(2026, 3, 23),
     ("review", "review", ("you contest the answer (rejected) of 2026-03-20: internal review "
      "request"), date(2026, 3, 23))),
    ("a contest before the latest answer does not count",
     lambda: History().sent().reply("rejected", date(2026, 3, 20)).add("contest", date(2026, 3, 23))
     .reply("successful", date(2026, 3, 25)), late(1),
     ("none", None, "answered (successful) on 2026-03-25", None)),
    ("review outcome contested: complaint",
     lambda: History().sent().reply("rejected", date(2026, 3, 20)).letter("review", late(1))
     .reply("review_outcome", late(10)).add("contest", late(11)), late(11),
     ("regulator", "ico", ("you contest the internal review's outcome of 2026-04-16: complaint "
      "to the ICO (FOIA s.50)"), late(11))),
    ("chaser being sent by another process: hold",
     lambda: History().sent().add("sending", late(1), key="chaser-1"), late(12),
     ("none", None, "chaser 1 is being sent, or its sending was interrupted", None)),
    ("chaser deferred by the server: try the same step again",
     lambda: History().sent().add("sending", late(1), key="chaser-1")
     .add("send_failed", late(1), key="chaser-1", permanent=False, response="451 try later"),
     late(2), ("chaser", "chaser-1", ("first chaser (again, after a temporary failure: "
                                     "451 try later)"), late(1))),
    # --- working days ---
    ("deadline Thu 24 Dec: not on Mon 28 Dec (Boxing Day substitute)",
     lambda: History().sent(date(2026, 11, 25)), date(2026, 12, 28),
     ("none", None, "due 2026-12-24, 0 working days late: first chaser on 2026-12-29",
      date(2026, 12, 29))),
    ("deadline Thu 24 Dec: first chaser Tue 29 Dec",
     lambda: History().sent(date(2026, 11, 25)), date(2026, 12, 29),
     ("chaser", "chaser-1", "due 2026-12-24, 1 working day late: first chaser",
      date(2026, 12, 29))),
    ("chaser due, but it is Saturday",
     lambda: chased(late(1)), date(2026, 4, 18),
     ("none", None, ("second chaser — but not today: 2026-04-18 is not a working day "
      "(Saturday); it goes on 2026-04-20"), date(2026, 4, 20))),
    ("chaser due, but it is Good Friday (FOIA: Easter Monday too)",
     lambda: History().sent(), date(2026, 4, 3),
     ("none", None, ("not today: 2026-04-03 is not a working day (Good Friday); it goes on "
      "2026-04-07"), date(2026, 4, 7))),
    ("FOISA: Easter Monday is a working day in Scotland (and St Patrick's Day is too)",
     lambda: History(SCOTLAND).sent(), date(2026, 4, 6),
     ("chaser", "chaser-1", "due 2026-03-30, 4 working days late: first chaser",
      date(2026, 3, 31))),
    ("chasing turned off", lambda: History().sent(), late(1),
     ("none", None, "chasing is turned off ([chase] enabled = false)", None)),
]


@pytest.mark.parametrize("name,history,today,expected", CASES, ids=[c[0] for c in CASES])
def test_policy_table(name, history, today, expected):
    policy = ChaseSettings(enabled=False) if name == "chasing turned off" else POLICY
    action, key, reason, due_on = expected
    if name == "max chasers reached before the review is due":
        policy = ChaseSettings(max_chasers=1)
    got = run(history(), today, policy)
    assert (got.action, got.key) == (action, key), got.reason
    assert reason in got.reason
    if due_on is not None or action == "none":
        assert got.due_on == due_on, got.reason
    assert got.reference == "FOI-TEST1"


def test_day_21_plan_drafts_the_review_and_sends_the_third_chaser():
    """One run on the day both fall due: the draft changes nothing for the force."""
    h = chased(late(1), late(11))
    steps = plan(h.request(), late(21), POLICY)
    assert [(d.action, d.key) for d in steps] == [("review", "review"), ("chaser", "chaser-3")]
    # with drafts sent at once, the review is the last word: no chaser after it
    auto = plan(h.request(), late(21), ChaseSettings(auto_send_drafts=True))
    assert [(d.action, d.key) for d in auto] == [("review", "review")]


def test_ladder_never_repeats_a_step_whatever_the_day():
    """Walk every day for five months, applying each decision: each step once, on its day."""
    h = History().sent()
    done: list[tuple[str, date]] = []
    send_review_on: date | None = None
    day = SENT
    while day < date(2026, 8, 1):
        if day == send_review_on:
            h.letter("review", day)  # the user sends the drafted review the next day
        for d in plan(h.request(), day, POLICY):
            if d.action == "none":
                continue
            assert d.key and d.key not in [k for k, _ in done], (day, d)
            done.append((d.key, day))
            if d.action == "chaser":
                h.letter(d.key, day)
            else:
                h.add("draft", day, key=d.key, kind=d.kind)
                send_review_on = date.fromordinal(day.toordinal() + 1)
        day = date.fromordinal(day.toordinal() + 1)
    # the review went on Sat 2 May; 20 working days on (Mon 4 May is a bank holiday) is
    # Tue 2 Jun, so the complaint is drafted on Wed 3 Jun
    assert done == [("chaser-1", late(1)), ("chaser-2", late(11)), ("review", late(21)),
                    ("chaser-3", late(21)), ("ico", date(2026, 6, 3))]


def test_policy_from_config_and_limits():
    p = ChaseSettings(**{"enabled": True, "max_chasers": 2, "interval_working_days": 5,
                         "first_after_working_days": 1, "review_after_working_days": 40,
                         "review_overdue_working_days": 20, "auto_send_drafts": False})
    assert (p.max_chasers, p.interval_working_days) == (2, 5)
    with pytest.raises(ConfigError, match="first_after_working_days"):
        ChaseSettings(first_after_working_days=0)


def test_decision_json_names():
    got = run(History().sent(), late(1)).as_dict()
    assert got == {"reference": "FOI-TEST1", "force": "kent", "force_name": "Kent Police",
                   "regime": "foia", "state": "overdue", "action": "chaser", "step": 1,
                   "key": "chaser-1", "kind": "chaser",
                   "reason": "due 2026-03-31, 1 working day late: first chaser",
                   "due_on": "2026-04-01"}
