"""What a person records about a request: things that happened outside foibot, and figures.

The command line and the web view both call these, so a recorded event is checked the same way
wherever it comes from: known event, a day that has happened, an extension's new date after
it, a reply's kind; figures as forces write them.
"""

from __future__ import annotations

from datetime import date

from foibot import suggest
from foibot.app import App
from foibot.errors import UsageError
from foibot.model import Event, Request
from foibot.rules import answers
from foibot.rules.kinds import KINDS, RECORDABLE
from foibot.timeutil import london_date


def record(app: App, reference: str, event: str, *, on: date | None = None, note: str = "",
           until: date | None = None, kind: str | None = None) -> Event:
    """Append one event the user reports (``clarification_sent``, ``fee_paid``, ...)."""
    event = suggest.choose("event", event, RECORDABLE)
    if kind is not None:
        kind = suggest.choose("--kind", kind, KINDS)
    request = app.campaigns.find(reference)
    today = london_date(app.now())
    day = on or today
    if day > today:
        raise UsageError(f"--on {day}: that is in the future; record things once they happen")
    _check_not_withdrawn(request, event, day)
    data: dict[str, str] = {"note": note}
    if on:
        data["on"] = day.isoformat()
    if until:
        if event != "extension_agreed":
            raise UsageError("--until goes with extension_agreed")
        if until <= day:
            raise UsageError(f"--until {until}: the new date must be after {day}")
        data["until"] = until.isoformat()
    if kind and event != "reply_by_post":
        raise UsageError("--kind goes with reply_by_post")
    if event == "reply_by_post":
        data["kind"] = kind or "successful"
        if on:
            data["date"] = data["on"] + "T12:00:00+00:00"
    return app.campaigns.append_one(request.campaign, request.reference, event, data,
                                    now=app.now())


# What can still happen to a request once it is withdrawn: only the force answering anyway.
AFTER_WITHDRAWAL = frozenset({"reply_by_post"})


def _check_not_withdrawn(request: Request, event: str, day: date) -> None:
    """A withdrawn request has no clock, fee, extension or review: recording one after the
    withdrawal would make a story that cannot have happened (one before it still can)."""
    gone = next((e for e in request.events if e.type == "withdrawn"), None)
    if gone is None or event in AFTER_WITHDRAWAL:
        return
    when = date.fromisoformat(gone.data["on"]) if gone.data.get("on") else london_date(gone.at)
    if event == "withdrawn":
        raise UsageError(f"{request.reference} was already withdrawn on {when}")
    if day >= when:
        raise UsageError(
            f"{request.reference} was withdrawn on {when}: {event} cannot happen after that "
            f"(if it happened before, give --on with its day)")


def answer(app: App, reference: str,
           pairs: list[str]) -> tuple[Event, dict[str, answers.Figure]]:
    """Record the figures a force disclosed (``KEY=VALUE``, each as the force wrote it: 126,
    10-15, <5, redacted, not held); a later figure for a key replaces the earlier one."""
    figures = answers.parse_pairs(pairs)
    request = app.campaigns.find(reference)
    event = app.campaigns.append_one(request.campaign, request.reference, "answer",
                                     answers.stored(figures), now=app.now())
    return event, figures
