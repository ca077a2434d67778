"""Drafts: letters foibot writes for the user to read, edit and send (internal reviews,
complaints to the regulator). Editing from the web view replaces a draft's words in one
locked, atomic write, so a send that starts after the save sends exactly what was saved.

A draft is an ``.eml`` file in the state dir's ``drafts/`` folder with a ``draft`` event (once
per key), written in one locked step; ``foibot send-draft REF KEY`` sends the file as it is on
disk then, through the same exactly-once outbox as every letter.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from foibot.app import App
from foibot.errors import StateError, UsageError
from foibot.letters import followup
from foibot.mail.inflight import effective
from foibot.mail.outbox import Outgoing, Report
from foibot.model import Event, Request
from foibot.rules.letter_state import letter_state
from foibot.rules.status import answered_since, derive
from foibot.store import atomic_write_bytes
from foibot.timeutil import LONDON, london_date


def editable(message: EmailMessage) -> EmailMessage:
    """The letter's text as plain UTF-8 (not quoted-printable), so the draft reads and edits
    as text in any editor; :func:`send_draft` encodes it for the wire again."""
    part = message.get_body(("plain",))
    if isinstance(part, EmailMessage):
        text = part.get_content()
        if all(len(line.encode("utf-8")) <= 990 for line in text.splitlines()):
            part.set_content(text, cte="8bit")
    return message


def for_the_wire(message: EmailMessage) -> EmailMessage:
    part = message.get_body(("plain",))
    if isinstance(part, EmailMessage):
        part.set_content(part.get_content())  # 7bit or quoted-printable, as for every letter
    subject = " ".join(str(message["Subject"] or "").split())
    del message["Subject"]
    message["Subject"] = subject
    return message


def latest_draft(request: Request, key: str) -> Event | None:
    return next((e for e in reversed(request.events)
                 if e.type == "draft" and e.data.get("key") == key), None)


@dataclass(frozen=True)
class Draft:
    campaign: str
    reference: str
    force: str
    force_name: str
    key: str
    kind: str
    subject: str
    to: str
    path: str
    drafted: date
    letter: str          # the letter's state in the outbox: unsent, sending, uncertain, ...
    request_state: str   # where the request stands now (a review draft may be overtaken)
    stale: str | None = None   # why it no longer stands (answered or withdrawn since), if so

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "drafted": self.drafted.isoformat()}


def staleness(request: Request, draft: Event) -> str | None:
    """Why a draft no longer stands, or None: the force answered after it was written (a
    review of a silence that ended), or the request was withdrawn."""
    if any(e.type == "withdrawn" for e in request.events):
        return "the request was withdrawn"
    if answered_since(request.events, draft.seq):
        return "the force has answered since"
    return None


def list_drafts(app: App, *, include_sent: bool = False) -> list[Draft]:
    """Drafts not yet sent, oldest first; each says if it is stale (:func:`staleness`)."""
    today = london_date(app.now())
    found: list[Draft] = []
    for name in app.campaigns.names():
        for request in app.campaigns.requests(name):
            keys = dict.fromkeys(e.data.get("key") for e in request.events if e.type == "draft")
            if not keys:
                continue
            state = derive(request, today).state
            for key in keys:
                event = latest_draft(request, str(key))
                assert event is not None
                letter = effective(letter_state(request, str(key)))
                if letter == "sent" and not include_sent:
                    continue
                found.append(Draft(name, request.reference, request.force.id,
                                   request.force.name, str(key), event.data.get("kind", ""),
                                   event.data.get("subject", ""), event.data.get("to", ""),
                                   str(app.store.resolve(event.data.get("path", ""))),
                                   london_date(event.at), letter,
                                   state, staleness(request, event)))
    return sorted(found, key=lambda d: (d.drafted, d.campaign, d.reference))


def send_draft(app: App, reference: str, key: str, *, anyway: bool = False) -> Report:
    """Send a draft as it is on disk now (the user may have edited it), exactly once."""
    out = draft_letter(app, reference, key, anyway=anyway)
    return followup.send(app, out.request.campaign, [out])


def draft_letter(app: App, reference: str, key: str, *, anyway: bool = False) -> Outgoing:
    """The draft as it would go now. A draft the force has overtaken (it answered after the
    draft was written) is refused unless ``anyway``: a review of a silence that ended would
    only confuse."""
    request = app.campaigns.find(reference)
    draft = latest_draft(request, key)
    if draft is None:
        keys = sorted({str(e.data.get("key")) for e in request.events if e.type == "draft"})
        have = f"drafts: {', '.join(keys)}" if keys else "it has no drafts"
        raise UsageError(f"{request.reference}: no {key!r} draft ({have})")
    path = app.store.resolve(draft.data["path"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateError(f"{path}: cannot read the draft: {exc.strerror}") from None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    if not message["To"]:
        raise UsageError(f"{path}: the draft has no To: address")
    if not anyway and answered_since(request.events, draft.seq):
        raise UsageError(f"{request.reference}: the force has answered since this draft was "
                         f"written; check it, then send with --anyway if it still stands")
    del message["Date"]
    message["Date"] = format_datetime(app.now().astimezone(LONDON))
    return Outgoing.of(request, key, for_the_wire(message))


# --- reading and editing a draft from a front end that is not a text editor (the web view) --
@dataclass(frozen=True)
class DraftText:
    reference: str
    key: str
    kind: str
    to: str
    subject: str
    body: str
    letter: str          # the letter's state in the outbox: unsent, sending, sent, ...
    overtaken: bool      # the force answered after it was written (send-draft asks --anyway)


def _load(app: App, reference: str, key: str) -> tuple[str, str, str, EmailMessage]:
    request = app.campaigns.find(reference)
    draft = latest_draft(request, key)
    if draft is None:
        raise UsageError(f"{request.reference}: no {key!r} draft")
    path = app.store.resolve(draft.data["path"])
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise StateError(f"{path}: cannot read the draft: {exc.strerror}") from None
    message = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return request.reference, str(draft.data.get("kind", "")), str(draft.data["path"]), message


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


def read_draft(app: App, reference: str, key: str) -> DraftText:
    """A draft as it is on disk now, with where it stands."""
    ref, kind, _, message = _load(app, reference, key)
    request = app.campaigns.find(ref)
    draft = latest_draft(request, key)
    assert draft is not None
    return DraftText(ref, key, kind, str(message["To"] or ""), str(message["Subject"] or ""),
                     _body(message), effective(letter_state(request, key)),
                     answered_since(request.events, draft.seq))


def edit_draft(app: App, reference: str, key: str, body: str) -> DraftText:
    """Replace the draft's words (line endings as a browser sends them are normalised)."""
    text = body.replace("\r\n", "\n").replace("\r", "\n").strip("\n") + "\n"
    if not text.strip():
        raise UsageError("the letter is empty; write something or leave the draft as it is")
    with app.store.locked():
        ref, _, name, message = _load(app, reference, key)
        state = effective(letter_state(app.campaigns.find(ref), key))
        if state != "unsent":
            raise UsageError(f"{ref}: the {key} letter is {state}; it can no longer be edited")
        part = message.get_body(("plain",))
        if not isinstance(part, EmailMessage):
            raise UsageError(f"{name}: the draft has no plain-text part to edit")
        part.set_content(text)
        atomic_write_bytes(app.store.resolve(name), editable(message).as_bytes())
    return read_draft(app, ref, key)
