"""The chase policy: whom to chase, when to ask for an internal review, when to complain.

Pure: a request's derived status, today's date and the ``[chase]`` settings in; one decision
with its reason out. No I/O, no clock. ``foibot/chasing.py`` carries the decisions out.

The ladder, with the default settings:

1. **Chasers** go to the force the working day after the deadline (``first_after_working_days``
   working days after it), then every ``interval_working_days`` (10) working days after the
   previous chaser, at most ``max_chasers`` (3). A chaser is never earlier than the first
   chaser day of the *current* deadline, so an extension or a restarted clock holds them back.
2. **An internal review request** is drafted once ``review_after_working_days`` (40) working
   days have passed since receipt without a substantive answer (on the next working day, when
   even the ICO's longest extension has run out), or at once when the user contests an answer
   (a ``contest`` event after it). A drafted review changes nothing for the force, so chasers
   go on until the review is actually sent (or recorded as requested).
3. **A complaint to the regulator** is drafted when the internal review is overdue: no
   ``review_outcome`` reply ``review_overdue_working_days`` (20) working days after it was
   requested, or when the user contests the review's outcome. The ICO under FOIA 2000 s.50;
   the Scottish Information Commissioner under FOISA 2002 s.47 for Police Scotland.

Every step fires the working day after its period ends, and only on a working day of the
request's regime: a chaser never goes out on a weekend or a bank holiday, even by hand.

Never twice: each step has a letter key (``chaser-1``, ``chaser-2``, ``review``, ``ico`` or
``sic``) that the exactly-once outbox sends at most once. A step whose letter is being sent,
or whose sending was interrupted, holds the ladder until it is resolved.

For example, a request received on Tue 1 Dec 2026 and not answered is due Thu 31 Dec; 1 and
4 Jan 2027 are bank holidays, so on Tue 5 Jan ``decide`` gives the action ``chaser`` (key
``chaser-1``) with the reason "due 2026-12-31, 1 working day late: first chaser", and on
Mon 4 Jan nothing, "due 2026-12-31, 0 working days late: first chaser on 2027-01-05".
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time
from typing import Any, Literal

from foibot.model import Event, Request
from foibot.rules import clock
from foibot.rules.letter_state import LetterState, replay
from foibot.rules.status import RequestStatus, derive, replies
from foibot.settings import ChaseSettings
from foibot.timeutil import LONDON, london_date

Action = Literal["none", "chaser", "review", "regulator"]
ACTIONS: tuple[Action, ...] = ("none", "chaser", "review", "regulator")
ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
            "ninth", "tenth")


@dataclass(frozen=True)
class Decision:
    """What to do about one request today, and why, in words a journalist understands."""

    reference: str
    force: str                      # force id
    action: Action
    step: int | None                # chaser number, for chasers
    key: str | None                 # letter key: chaser-N, review, ico, sic
    reason: str
    due_on: date | None             # when this step fell due, or when the next one will
    force_name: str = ""
    regime: str = "foia"
    state: str = ""

    @property
    def kind(self) -> str | None:
        """The letter template: chaser, review, ico or sic."""
        if self.action == "none":
            return None
        return self.key if self.action == "regulator" else self.action

    @property
    def acts(self) -> bool:
        return self.action != "none"

    def as_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference, "force": self.force, "force_name": self.force_name,
            "regime": self.regime, "state": self.state, "action": self.action,
            "step": self.step, "key": self.key, "kind": self.kind, "reason": self.reason,
            "due_on": self.due_on.isoformat() if self.due_on else None,
        }


# --- what the events say about our own letters -------------------------------------------------
def _letter(events: tuple[Event, ...], key: str) -> LetterState:
    """Where a letter stands (:mod:`foibot.rules.letter_state`). ``pending`` is a ``sending``
    with no result yet: another process is sending it, or a crash interrupted it; either way
    it must not be decided on again."""
    return replay(events, key)


def _chasers(events: tuple[Event, ...]) -> list[LetterState]:
    """Chaser 1, 2, ... as attempted so far (a chaser never attempted ends the list)."""
    out: list[LetterState] = []
    while True:
        letter = _letter(events, f"chaser-{len(out) + 1}")
        if not letter.tried:
            return out
        out.append(letter)


def _draft(events: tuple[Event, ...], key: str) -> Event | None:
    return next((e for e in reversed(events) if e.type == "draft" and e.data.get("key") == key),
                None)


def _contest(events: tuple[Event, ...], after: int) -> Event | None:
    """The user's latest ``contest`` recorded after event ``after``."""
    return next((e for e in reversed(events) if e.type == "contest" and e.seq > after), None)


def regulator_key(regime: str) -> str:
    return "sic" if regime == "foisa" else "ico"


def regulator_name(regime: str) -> str:
    return "the Scottish Information Commissioner" if regime == "foisa" else "the ICO"


def ordinal(n: int) -> str:
    return ORDINALS[n - 1] if 0 < n <= len(ORDINALS) else f"number {n}"


def _days(n: int) -> str:
    return f"{n} working day" if n == 1 else f"{n} working days"


def _after(day: date, n: int, regime: str) -> date:
    """The ``n``-th working day after ``day``."""
    return clock.add_working_days(day, n, regime).due  # type: ignore[arg-type, return-value]


# --- the decision ----------------------------------------------------------------------------
class _Decider:
    """One request's decision; a class only to keep the shared facts in one place."""

    def __init__(self, status: RequestStatus, today: date, policy: ChaseSettings,
                 held: str | None = None) -> None:
        self.held = held
        self.status = status
        self.request = status.request
        self.events = status.request.events
        self.regime = status.request.force.regime
        self.today = today
        self.policy = policy

    def make(self, action: Action, reason: str, *, due_on: date | None = None,
             key: str | None = None, step: int | None = None) -> Decision:
        r = self.request
        return Decision(r.reference, r.force.id, action, step, key, reason, due_on,
                        force_name=r.force.name, regime=self.regime, state=self.status.state)

    def none(self, reason: str, due_on: date | None = None) -> Decision:
        return self.make("none", reason, due_on=due_on)

    def fire(self, action: Action, reason: str, due_on: date, *, key: str,
             step: int | None = None) -> Decision:
        """Act today, if today is a working day; otherwise say when."""
        why = clock.non_working_reason(self.today, self.regime)  # type: ignore[arg-type]
        if why is not None:
            next_day = _after(self.today, 1, self.regime)
            return self.none(f"{reason} — but not today: {self.today} is not a working day "
                             f"({why}); it goes on {next_day}", next_day)
        return self.make(action, reason, due_on=due_on, key=key, step=step)

    # -- the ladder --
    def decide(self) -> Decision:
        st, policy = self.status, self.policy
        if not policy.enabled:
            return self.none("chasing is turned off ([chase] enabled = false)")
        if st.unreviewed is not None and st.state != "withdrawn":
            # never act on a misreading: the force may have answered in words foibot missed
            day = st.unreviewed.day
            return self.none(f"reply of {day.day} {day:%b} not yet reviewed: check it with "
                             f"foibot review, then foibot mark {self.request.reference} KIND")
        if self.held is not None and st.state in ("awaiting", "overdue"):
            # nor chase a force whose answer may be the mail foibot could not file
            return self.none(f"{self.held} is in triage, filed under no request: file it "
                             f"(foibot assign) or set it aside (foibot dismiss)")
        handler = {
            "withdrawn": lambda: self.none("withdrawn"),
            "unsent": lambda: self.none("not sent yet"),
            "sending": lambda: self.none("the request letter is being sent"),
            "uncertain": lambda: self.none(
                "the request letter's sending was interrupted: check it first (foibot send)"),
            "failed": lambda: self.none(f"delivery failed ({st.failure or 'bounced'}): "
                                        "fix the address first"),
            "lapsed": lambda: self.none("lapsed: the fee was not paid in time"),
            "clarification": self.clarification,
            "fee": lambda: self.none(f"waiting on you: the fee notice of {self.paused_since()} "
                                     "is unpaid"),
            "review": self.review_pending,
            "responded": self.responded,
            "awaiting": self.awaiting,
            "overdue": self.overdue,
        }.get(st.state)
        if handler is None:
            return self.none(f"state {st.state}: nothing to chase")
        return handler()

    def paused_since(self) -> date | str:
        return self.status.last_reply.day if self.status.last_reply else "unknown date"

    def clarification(self) -> Decision:
        return self.none(f"waiting on your clarification (asked on {self.paused_since()})")

    def responded(self) -> Decision:
        st = self.status
        assert st.outcome is not None
        answered = f"answered ({st.outcome.kind.replace('_', ' ')}) on {st.outcome.day}"
        review = _letter(self.events, "review")
        review_outcome = next((r for r in reversed(_replies(st)) if r.kind == "review_outcome"),
                              None)
        if review_outcome is not None and st.review_requested is not None:
            contest = _contest(self.events, review_outcome.event.seq)
            if contest is None:
                return self.none(f"{answered}; internal review answered on {review_outcome.day}")
            return self.regulator(f"you contest the internal review's outcome of "
                                  f"{review_outcome.day}", self.today)
        contest = _contest(self.events, st.outcome.event.seq)
        if contest is None:
            return self.none(answered)
        if review.state != "unsent" or st.review_requested is not None:
            return self.none(f"{answered}; internal review already requested")
        drafted = _draft(self.events, "review")
        if drafted is not None:
            return self.none(f"{answered}, contested; internal review drafted on "
                             f"{london_date(drafted.at)}, not sent: foibot send-draft "
                             f"{self.request.reference} review")
        return self.review(f"you contest the answer ({st.outcome.kind.replace('_', ' ')}) of "
                           f"{st.outcome.day}: internal review request", self.today)

    def awaiting(self) -> Decision:
        st = self.status
        assert st.due is not None and st.standing is not None
        first = _after(st.due, self.policy.first_after_working_days, self.regime)
        if "s.10(3)" in (st.deadline.rule if st.deadline else ""):
            return self.none(f"extension to {st.due} not yet passed", first)
        left = st.standing.working_days_left
        if left == 0 or self.today == st.due:
            return self.none(f"due today ({st.due})", first)
        return self.none(f"due {st.due}, {_days(left)} left", first)

    def overdue(self) -> Decision:
        st, policy = self.status, self.policy
        assert st.due is not None and st.standing is not None and st.deadline is not None
        late = f"due {st.due}, {_days(st.standing.working_days_late)} late"
        if st.review_requested is not None:
            # the review was answered, yet no substantive answer: the user decides what next
            return self.none(f"{late}; the internal review was answered: to complain to "
                             f"{regulator_name(self.regime)}, contest it "
                             f"(foibot chase --contest {self.request.reference})")
        contest = _contest(self.events, 0)
        review_on = max(_after(st.deadline.start or st.due, policy.review_after_working_days + 1,
                               self.regime),
                        _after(st.due, policy.first_after_working_days, self.regime))
        review = _letter(self.events, "review")
        drafted = _draft(self.events, "review")
        if review.state in ("unsent", "deferred") and drafted is None:
            if contest is not None:
                return self.review(f"{late}; you asked to escalate: internal review request",
                                   self.today)
            if self.today >= review_on:
                return self.review(
                    f"{late}, no answer {policy.review_after_working_days} working days after "
                    f"receipt: internal review request", review_on)
        if review.state == "pending":
            return self.none(f"{late}; the internal review request is being sent, or its "
                             f"sending was interrupted: see foibot show {self.request.reference}")
        return self.chase(late, review_on, drafted)

    def chase(self, late: str, review_on: date, drafted: Event | None) -> Decision:
        st, policy = self.status, self.policy
        assert st.due is not None
        chasers = _chasers(self.events)
        first_day = _after(st.due, policy.first_after_working_days, self.regime)
        waiting = ""
        if drafted is not None:
            waiting = (f"; internal review drafted on {london_date(drafted.at)}, not sent: "
                       f"foibot send-draft {self.request.reference} review")
        last = chasers[-1] if chasers else None
        if last is not None and last.state == "pending":
            return self.none(f"{late}; chaser {len(chasers)} is being sent, or its sending was "
                             f"interrupted: see foibot show {self.request.reference}")
        if last is not None and last.state == "failed":
            return self.none(f"{late}; chaser {len(chasers)} was rejected ({last.detail}): "
                             "fix the address (foibot record REF address_changed)")
        if last is not None and last.state in ("deferred", "unsent"):
            step = len(chasers)
            again = (f"temporary failure: {last.detail}" if last.state == "deferred"
                     else "the address was changed")
            return self.fire("chaser", f"{late}: {ordinal(step)} chaser (again, after a "
                             f"{again})", last.day or first_day, key=f"chaser-{step}", step=step)
        sent = len(chasers)
        if sent >= policy.max_chasers:
            tail = waiting or f"; internal review due on {review_on}"
            return self.none(f"{late}; {_plural_chasers(sent)} sent, the most foibot sends{tail}",
                             None if waiting else review_on)
        step = sent + 1
        due_on = first_day
        if last is not None and last.day is not None:
            due_on = max(first_day, _after(last.day, policy.interval_working_days, self.regime))
        previous = (f", {ordinal(sent)} chaser sent {last.day}" if last is not None else "")
        if self.today < due_on:
            nxt = min(due_on, review_on) if drafted is None else due_on
            what = (f"{ordinal(step)} chaser on {due_on}" if nxt == due_on
                    else f"internal review due on {review_on}")
            return self.none(f"{late}{previous}: {what}{waiting}", nxt)
        return self.fire("chaser", f"{late}{previous}: {ordinal(step)} chaser{waiting}", due_on,
                         key=f"chaser-{step}", step=step)

    def review(self, reason: str, due_on: date) -> Decision:
        return self.fire("review", reason, due_on, key="review")

    def review_pending(self) -> Decision:
        st, policy = self.status, self.policy
        asked = st.review_requested
        assert asked is not None
        answer = st.outcome
        if answer is not None and answer.day >= asked:
            # an answer that came after the review request, whatever the force called it
            answered = f"answered ({answer.kind.replace('_', ' ')}) on {answer.day}, after the " \
                       f"internal review request of {asked}"
            if _contest(self.events, answer.event.seq) is None:
                return self.none(answered)
            return self.regulator(f"{answered}; you contest it", self.today)
        due = _after(asked, policy.review_overdue_working_days, self.regime)
        complain_on = _after(due, 1, self.regime)
        if self.today < complain_on:
            return self.none(f"internal review requested on {asked}: the force should answer "
                             f"by {due}", complain_on)
        return self.regulator(f"internal review requested on {asked}, no outcome after "
                              f"{_days(policy.review_overdue_working_days)}", complain_on)

    def regulator(self, why: str, due_on: date) -> Decision:
        key = regulator_key(self.regime)
        name = regulator_name(self.regime)
        letter = _letter(self.events, key)
        if letter.state == "sent":
            return self.none(f"{why}; complaint sent to {name} on {letter.day}")
        if letter.state in ("pending", "failed"):
            return self.none(f"{why}; the complaint to {name} is {letter.state}: see foibot show "
                             f"{self.request.reference}")
        drafted = _draft(self.events, key)
        if drafted is not None:
            return self.none(f"{why}; complaint to {name} drafted on {london_date(drafted.at)}, "
                             f"not sent: foibot send-draft {self.request.reference} {key}")
        what = ("application to the Scottish Information Commissioner (FOISA s.47)"
                if self.regime == "foisa" else "complaint to the ICO (FOIA s.50)")
        return self.fire("regulator", f"{why}: {what}", due_on, key=key)


def _plural_chasers(n: int) -> str:
    return "1 chaser" if n == 1 else f"{n} chasers"


def _replies(status: RequestStatus) -> list[Any]:
    return [r for r in replies(status.request.events) if r.kind != "auto_reply"]


def decide(status: RequestStatus, today: date, policy: ChaseSettings, *,
           held: str | None = None) -> Decision:
    """What to do about one request on ``today``: nothing, a chaser, a review or a complaint.

    ``held``: mail from the request's force that sits in triage (``"mail from ... of 9 Dec"``):
    it may be the answer, so a force waiting for an answer is not chased until a person has
    filed or dismissed it."""
    return _Decider(status, today, policy, held).decide()


def plan(request: Request, today: date, policy: ChaseSettings, *,
         held: str | None = None) -> list[Decision]:
    """The decisions of one run, in order: usually one; two when an escalation is drafted on
    the day a chaser is also due (the draft changes nothing for the force, so the chaser still
    goes). An escalation sent at once (``auto_send_drafts``) ends chasing instead."""
    first = decide(derive(request, today), today, policy, held=held)
    if first.action not in ("review", "regulator") or policy.auto_send_drafts:
        return [first]
    assert first.key is not None
    drafted = _with_event(request, today, "draft", {"key": first.key, "kind": first.kind})
    second = decide(derive(drafted, today), today, policy, held=held)
    return [first, second] if second.action == "chaser" else [first]


def _with_event(request: Request, today: date, type_: str, data: dict[str, Any]) -> Request:
    """``request`` as it would be with one more event, today: to foresee a run's second step."""
    seq = request.events[-1].seq + 1 if request.events else 1
    at = datetime.combine(today, time(12), LONDON)
    return replace(request, events=(*request.events, Event(seq, request.reference, type_, at,
                                                           data)))
