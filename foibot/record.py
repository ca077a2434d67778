"""What a person records about a request: things that happened outside foibot, and figures.

The command line and the web view both call these, so a recorded event is checked the same way
wherever it comes from: known event, a day that has happened, an extension's new date after
it, a reply's kind; figures as forces write them.
"""

from __future__ import annotations

from datetime import date

from foibot.app import App
from foibot.errors import UsageError
from foibot.model import RECORDABLE, Event
from foibot.rules import answers
from foibot.rules.classify import KINDS
from foibot.timeutil import london_date


def record(app: App, reference: str, event: str, *, on: date | None = None, note: str = "",
           until: date | None = None, kind: str | None = None) -> Event:
    """Append one event the user reports (``clarification_sent``, ``fee_paid``, ...)."""
    if event not in RECORDABLE:
        raise UsageError(f"event {event!r}: expected one of {', '.join(RECORDABLE)}")
    request = app.campaigns.find(reference)
    today = london_date(app.now())
    day = on or today
    if day > today:
        raise UsageError(f"--on {day}: that is in the future; record things once they happen")
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
        if (kind or "successful") not in KINDS:
            raise UsageError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
        data["kind"] = kind or "successful"
        if on:
            data["date"] = data["on"] + "T12:00:00+00:00"
    return app.campaigns.append_one(request.campaign, request.reference, event, data,
                                    now=app.now())


def answer(app: App, reference: str, pairs: list[str]) -> tuple[Event, dict[str, answers.Number]]:
    """Record the figures a force disclosed (``KEY=VALUE``); a later figure for a key replaces
    the earlier one."""
    values = answers.parse_pairs(pairs)
    request = app.campaigns.find(reference)
    event = app.campaigns.append_one(request.campaign, request.reference, "answer",
                                     {"values": values}, now=app.now())
    return event, values
