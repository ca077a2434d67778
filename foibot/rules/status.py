"""Where each request stands, derived from its events at read time and never stored.

The state words follow the field (WhatDoTheyKnow's): a request is ``unsent``, ``sending``,
``uncertain``, ``failed`` (delivery failed), ``awaiting`` (sent, within its deadline),
``overdue``, ``clarification`` (the force asked us something), ``fee``, ``responded``
(a substantive answer: successful, partially successful, not held or refused), ``review``
(internal review asked for), ``withdrawn`` or ``lapsed``. Acknowledgements and auto-replies are
not answers.

A reply foibot did not understand (kind ``unknown``, or a reading below the classifier's
confidence threshold) *needs review* until a person marks it (``foibot mark``): until then it is
not counted as an answer, it does not move the clock, and nothing is done on it (no chaser, no
"deadline passed"); the request is counted under "need review" on the board.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Iterable

from foibot.model import Event, Request
from foibot.rules import clock
from foibot.rules.answers import Figure
from foibot.rules.answers import from_event as figures_of
from foibot.rules.kinds import SUBSTANTIVE
from foibot.rules.letter_state import letter_state
from foibot.timeutil import from_iso, london_date, london_midnight

CONTESTABLE = frozenset({"partially_successful", "rejected"})
SUMMARY_KEYS = ("total", "responded", "overdue", "awaiting", "clarification", "failed")


@dataclass(frozen=True)
class Reply:
    """A reply as the user sees it: a classified email, a reply by post, or a corrected kind."""

    event: Event
    kind: str
    needs_review: bool = False     # foibot's reading is uncertain and no one has checked it

    @property
    def day(self) -> date:
        raw = self.event.data.get("date") or self.event.data.get("received")
        return london_date(from_iso(raw)) if raw else london_date(self.event.at)


@dataclass(frozen=True)
class RequestStatus:
    request: Request
    state: str
    sent: date | None
    deadline: clock.Deadline | None
    standing: clock.Standing | None
    last_reply: Reply | None
    outcome: Reply | None               # the substantive answer, if any
    force_reference: str | None
    stated_due: date | None
    stated_note: str | None
    next_action: str
    warnings: tuple[str, ...] = ()
    chasers: tuple[Event, ...] = ()      # chasers sent
    review_requested: date | None = None
    review_deadline: clock.Deadline | None = None
    failure: str | None = None
    answers: dict[str, Figure] = field(default_factory=dict)   # as the force wrote them
    unreviewed: Reply | None = None      # the oldest reply that still needs a person's look

    @property
    def responded(self) -> bool:
        return self.outcome is not None

    @property
    def needs_review(self) -> bool:
        return self.unreviewed is not None

    @property
    def due(self) -> date | None:
        return self.deadline.due if self.deadline else None

    def as_dict(self) -> dict[str, Any]:
        """The JSON row of ``foibot status --json`` (other tools depend on these names)."""
        r, st = self.request, self.standing
        return {
            "force": r.force.id,
            "force_name": r.force.name,
            "regime": r.force.regime,
            "reference": r.reference,
            "campaign": r.campaign,
            "state": self.state,
            "sent": self.sent.isoformat() if self.sent else None,
            "due": self.due.isoformat() if self.due else None,
            "stated_due": self.stated_due.isoformat() if self.stated_due else None,
            "working_days_left": st.working_days_left if st and not st.overdue else None,
            "working_days_late": self.working_days_late,
            "long_overdue": bool(st and st.long_overdue),
            "last_reply_kind": self.last_reply.kind if self.last_reply else None,
            "last_reply_date": self.last_reply.day.isoformat() if self.last_reply else None,
            "outcome": self.outcome.kind if self.outcome else None,
            "sections": list(self.outcome.event.data.get("sections", [])) if self.outcome else [],
            "force_reference": self.force_reference,
            "chasers": len(self.chasers),
            "next_action": self.next_action,
            "failure": self.failure,
            "warnings": list(self.warnings),
            "answers": {k: f.counted for k, f in self.answers.items()},
            "answers_raw": {k: f.raw for k, f in self.answers.items()},
            "needs_review": self.needs_review,
        }

    @property
    def working_days_late(self) -> int:
        """How late the answer came (its day against the deadline), or how late it is today
        while there is none; 0 for an answer in time."""
        if self.deadline is None or self.deadline.due is None:
            return 0
        if self.outcome is not None:
            due = self.deadline.due
            if self.outcome.day <= due:
                return 0
            return clock.working_days_between(due, self.outcome.day, self.request.force.regime)  # type: ignore[arg-type]
        return self.standing.working_days_late if self.standing else 0


def is_open(request: Request) -> bool:
    """Could a new reply belong to this request? (Withdrawn and never-sent ones cannot.)"""
    types = {e.type for e in request.events}
    return "withdrawn" not in types and bool(types & {"sending", "sent"})


def replies(events: Iterable[Event]) -> list[Reply]:
    """Replies in order, with the user's word (``marked``) applied: it sets the latest reply's
    kind, and every reply up to it has then been reviewed."""
    found: list[Reply] = []
    for event in events:
        if event.type == "reply":
            kind = event.data.get("kind", "unknown")
            unsure = bool(event.data.get("needs_review", kind == "unknown"))
            found.append(Reply(event, kind, unsure and kind not in ("bounce", "auto_reply")))
        elif event.type == "reply_by_post":
            found.append(Reply(event, event.data.get("kind", "successful")))
        elif event.type == "marked" and found:
            found = [replace(r, needs_review=False) for r in found]
            found[-1] = Reply(found[-1].event, event.data["kind"])
        elif event.type == "marked":
            found.append(Reply(event, event.data["kind"]))
    return found


def understood(events: Iterable[Event]) -> list[Reply]:
    """The replies foibot may act on: read with confidence, or checked by a person."""
    return [r for r in replies(events) if not r.needs_review]


def _day(event: Event, key: str = "on") -> date:
    """The day an event happened: a recorded ``on`` date, else its time in London."""
    value = event.data.get(key)
    return date.fromisoformat(value) if value else london_date(event.at)


def clock_facts(request: Request, read: list[Reply] | None = None
                ) -> tuple[date | None, list[clock.ClockFact]]:
    """The receipt date and the clock-moving facts of a request, oldest first (``read``:
    its :func:`replies`, when the caller has them)."""
    sent: date | None = None
    facts: list[clock.ClockFact] = []
    read = replies(request.events) if read is None else read
    marked = {id(r.event): r.kind for r in read if not r.needs_review}
    for event in request.events:
        key = event.data.get("key")
        if event.type == "sent" and key == "request" and sent is None:
            sent = london_date(event.at)
            facts.append(clock.ClockFact("received", sent))
        elif event.type == "sent" and key and key.startswith("clarify"):
            facts.append(clock.ClockFact("clarification_received", london_date(event.at)))
        elif event.type == "clarification_sent":
            facts.append(clock.ClockFact("clarification_received", _day(event)))
        elif event.type == "fee_paid":
            facts.append(clock.ClockFact("fee_paid", _day(event)))
        elif event.type == "extension_agreed":
            until = event.data.get("until")
            facts.append(clock.ClockFact("extension", _day(event),
                                         date.fromisoformat(until) if until else None))
        elif event.type in ("reply", "reply_by_post"):
            if id(event) not in marked:
                continue        # not understood yet: it moves no clock until someone looks
            kind = marked[id(event)]
            day = Reply(event, kind).day
            if kind == "clarification":
                facts.append(clock.ClockFact("clarification_requested", day))
            elif kind == "fee":
                facts.append(clock.ClockFact("fee_notice", day))
            elif kind == "extension":
                until = event.data.get("extension_until")
                facts.append(clock.ClockFact("extension", day,
                                             date.fromisoformat(until) if until else None))
    facts.sort(key=lambda f: f.day)
    return sent, facts


def derive(request: Request, today: date, *,
           in_flight: frozenset[str] = frozenset()) -> RequestStatus:
    """Everything the board and the chaser need to know about one request.

    ``in_flight`` holds the Message-IDs of letters a live process is sending right now (the
    outbox knows, from the process table); a pending letter not among them was interrupted,
    and the request shows as ``uncertain``.
    """
    # "What is the state on day X?" sees only what had happened by then.
    cutoff = london_midnight(today + timedelta(days=1))
    if any(e.at >= cutoff for e in request.events):
        request = replace(request, events=tuple(e for e in request.events if e.at < cutoff))
    regime: clock.Regime = "foisa" if request.force.regime == "foisa" else "foia"
    events = request.events
    read = replies(events)
    every = [r for r in read if r.kind != "auto_reply"]
    last = every[-1] if every else None
    unreviewed = next((r for r in every if r.needs_review), None)
    all_replies = [r for r in every if not r.needs_review]
    outcome = next((r for r in reversed(all_replies) if r.kind in SUBSTANTIVE), None)
    force_ref = None
    stated = None
    for event in events:
        if event.type == "reply" and event.data.get("force_reference"):
            force_ref = event.data["force_reference"]
        if event.type == "force_reference":
            force_ref = event.data.get("reference")
        if event.type == "reply" and event.data.get("stated_due"):
            stated = date.fromisoformat(event.data["stated_due"])
        if event.type == "clarification_sent" or (
                event.type == "sent" and str(event.data.get("key", "")).startswith("clarify")):
            stated = None  # a date the force gave before the clock restarted no longer applies
        if event.type == "extension_agreed" or (
                event.type == "reply" and event.data.get("extension_until")):
            stated = None  # an extension's date replaces the one an acknowledgement gave
    chasers = tuple(e for e in events
                    if e.type == "sent" and str(e.data.get("key", "")).startswith("chaser"))
    answers: dict[str, Figure] = {}
    for event in events:
        if event.type == "answer":
            answers.update(figures_of(event.data))

    letter = letter_state(request, "request")
    sent, facts = clock_facts(request, read)
    deadline = clock.response_deadline(regime, facts, today=today) if sent else None
    stand = clock.standing(deadline, sent, today) if deadline and sent else None
    warnings = list(deadline.warnings) if deadline else []
    stated_note = clock.compare_stated(stated, deadline) if stated and deadline else None

    review_events = [e for e in events if e.type == "review_requested" or
                     (e.type == "sent" and e.data.get("key") == "review")]
    review_day = _day(review_events[-1]) if review_events else None
    review_done = review_day is not None and any(
        r.kind == "review_outcome" and r.day >= review_day for r in all_replies)
    review_dl = (clock.review_deadline(regime, review_day) if review_day and not review_done
                 else None)

    failure = None
    if any(e.type == "withdrawn" for e in events):
        state, action = "withdrawn", "none"
    elif letter.state == "unsent" and sent is None:
        state, action = "unsent", "send"
    elif letter.state == "pending" and sent is None:
        if letter.message_id in in_flight:
            state, action = "sending", "wait"
        else:
            state, action = "uncertain", "check uncertain send"
    elif letter.state == "failed":
        state, action = "failed", "fix address"
        failure = letter.detail
    elif review_dl is not None:
        state = "review"
        late = today > review_dl.due if review_dl.due else False
        action = ("complain to the Scottish Information Commissioner" if regime == "foisa"
                  else "complain to the ICO") if late else "wait for internal review"
    elif outcome is not None:
        state = "responded"
        if any(r.kind == "review_outcome" for r in all_replies):
            action = "none"
        elif outcome.kind in CONTESTABLE:
            action = "consider internal review"
        else:
            action = "record answers" if outcome.kind == "successful" and not answers else "none"
    elif deadline is not None and deadline.lapsed:
        state, action = "lapsed", "none"
    elif deadline is not None and deadline.paused == "clarification":
        state, action = "clarification", "reply to clarification"
    elif deadline is not None and deadline.paused == "fee":
        state, action = "fee", "pay fee or withdraw"
    elif stand is not None and stand.overdue:
        state = "overdue"
        action = "consider internal review" if stand.long_overdue else "chase"
    else:
        state, action = "awaiting", "wait"
    action = _after_escalation(events, action)
    if unreviewed is not None and state not in ("withdrawn",):
        action = f"review the reply of {unreviewed.day.day} {unreviewed.day:%b} (foibot review)"
    return RequestStatus(
        request=request, state=state, sent=sent, deadline=deadline, standing=stand,
        last_reply=last, outcome=outcome, force_reference=force_ref, stated_due=stated,
        stated_note=stated_note, next_action=action, warnings=tuple(warnings), chasers=chasers,
        review_requested=review_day, review_deadline=review_dl, failure=failure, answers=answers,
        unreviewed=unreviewed,
    )


def answered_since(events: Iterable[Event], seq: int) -> bool:
    """Has a substantive answer or a review outcome arrived after event ``seq``?"""
    return any(r.event.seq > seq and (r.kind in SUBSTANTIVE or r.kind == "review_outcome")
               for r in replies(events))


def _after_escalation(events: tuple[Event, ...], action: str) -> str:
    """Escalation letters change what the user should do next: send a draft that waits for
    them, or wait for the regulator once a complaint has gone."""
    sent = {e.data.get("key") for e in events if e.type == "sent"}
    if sent & {"ico", "sic"}:
        return "wait for the regulator" if action != "none" else action
    drafts = [e.data.get("key") for e in events
              if e.type == "draft" and e.data.get("key") not in sent
              and not answered_since(events, e.seq)]
    if drafts and action not in ("none", "wait", "fix address"):
        return f"send draft {drafts[-1]} (foibot send-draft)"
    return action


# The parts of the headline, in order; every request is counted in exactly one of them.
PARTS = (("needs_review", "need review"), ("responded", "responded"), ("overdue", "overdue"),
         ("awaiting", "waiting"), ("clarification", "clarification asked"), ("fee", "fee asked"),
         ("review", "internal review"), ("failed", "failed"), ("uncertain", "uncertain"),
         ("sending", "sending"), ("unsent", "not sent"), ("lapsed", "lapsed"),
         ("withdrawn", "withdrawn"))


@dataclass(frozen=True)
class Board:
    rows: list[RequestStatus]

    @staticmethod
    def part(row: RequestStatus) -> str:
        """The one headline part a request is counted in."""
        if row.needs_review:
            return "needs_review"
        return row.state

    @property
    def summary(self) -> dict[str, int]:
        """Counts for ``status --json``: ``total`` and one count per part; the parts add up to
        the total (a reply that needs review counts there, not as responded)."""
        counts = {key: 0 for key in SUMMARY_KEYS}
        counts["needs_review"] = 0
        counts["total"] = len(self.rows)
        for row in self.rows:
            part = self.part(row)
            counts[part] = counts.get(part, 0) + 1
        return counts

    def headline(self) -> str:
        """``responded 31 · need review 2 · overdue 9 · waiting 1 · withdrawn 1 = 44``: the
        answered first, then every other part that is not empty, then the total they make."""
        s = self.summary
        words = [f"responded {s['responded']}"]
        words += [f"{label} {s[key]}" for key, label in PARTS
                  if key != "responded" and s.get(key)]
        return " · ".join(words) + f" = {s['total']}"


def board(requests: Iterable[Request], today: date, *,
          in_flight: frozenset[str] = frozenset()) -> Board:
    return Board([derive(r, today, in_flight=in_flight) for r in requests])
