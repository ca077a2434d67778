"""Where one of our letters stands, from a request's events: the one rule for it.

Every letter has a key (``request``, ``chaser-1``, ``review``, ``clarify-1``, ``ico``, ...)
and its events say what happened to it:

- ``unsent``: never tried, or a rejected letter whose address has since been changed;
- ``pending``: a ``sending`` event (the intent, written before the SMTP transaction) with no
  result yet: either a process is sending it right now, or a crash interrupted it. Which of
  the two is a question about the process table, not about the events, so it is answered at
  the edge (:func:`foibot.mail.inflight.in_flight`), never here;
- ``sent``: the server accepted it (or it was found in the Sent folder);
- ``failed``: the server refused it for good, or (for the request letter) it bounced;
- ``deferred``: a temporary failure; it is tried again.

Status, chasing and the outbox all use :func:`letter_state`, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from foibot.model import Event, Request
from foibot.timeutil import london_date

State = Literal["unsent", "pending", "sent", "failed", "deferred"]


@dataclass(frozen=True)
class LetterState:
    state: State
    message_id: str | None = None
    stored: dict[str, Any] | None = None   # the ``sending`` event's data: where the bytes are
    detail: str | None = None              # the server's reply, or why it failed
    attempts: int = 0                      # ``sending`` events so far
    day: date | None = None                # the London day of the latest event about it
    pid: int | None = None                 # the process that wrote a pending intent ...
    host: str | None = None                # ... and its host

    @property
    def tried(self) -> bool:
        return self.attempts > 0


def letter_state(request: Request, key: str) -> LetterState:
    """Replay the events of one letter of ``request``."""
    return replay(request.events, key)


def replay(events: tuple[Event, ...], key: str) -> LetterState:
    found = LetterState("unsent")
    for event in events:
        if (event.type == "reply" and key == "request" and found.state == "sent"
                and event.data.get("kind") == "bounce"):
            found = _with(found, "failed", event, event.data.get("bounce_reason") or "bounced")
        elif event.type == "address_changed" and found.state == "failed":
            found = _with(found, "unsent", event, None)
        elif event.data.get("key") != key:
            continue
        elif event.type == "sending":
            found = LetterState("pending", event.data.get("message_id"), dict(event.data), None,
                                found.attempts + 1, london_date(event.at),
                                event.data.get("pid"), event.data.get("host"))
        elif event.type == "sent":
            found = _with(found, "sent", event, event.data.get("response"))
        elif event.type == "send_failed":
            state: State = "failed" if event.data.get("permanent") else "deferred"
            found = _with(found, state, event, event.data.get("response"))
    return found


def _with(found: LetterState, state: State, event: Event, detail: str | None) -> LetterState:
    return LetterState(state, found.message_id, found.stored, detail, found.attempts,
                       london_date(event.at))


def keys(request: Request, prefix: str = "") -> list[str]:
    """The letter keys a request's events mention, in the order first seen."""
    seen: dict[str, None] = {}
    for event in request.events:
        key = event.data.get("key")
        if event.type in ("sending", "sent", "send_failed") and isinstance(key, str) \
                and key.startswith(prefix):
            seen.setdefault(key, None)
    return list(seen)
