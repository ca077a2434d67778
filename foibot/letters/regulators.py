"""The regulators a complaint goes to, and the correspondence they ask to see.

The ICO under FOIA 2000 s.50; the Scottish Information Commissioner under FOISA 2002 s.47.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from email.message import EmailMessage

from foibot.app import App
from foibot.errors import FoibotError
from foibot.model import Request
from foibot.timeutil import london_date


@dataclass(frozen=True)
class Regulator:
    key: str
    name: str
    address: str


# The addresses below are the regulators' published general addresses as foibot knows them;
# check them before sending: the ICO takes FOI complaints mostly through its online form
# (ico.org.uk/make-a-complaint), and the Scottish Information Commissioner's website has moved
# from itspublicknowledge.info to foi.scot. A draft can be edited before it is sent.
REGULATORS = {
    "ico": Regulator("ico", "Information Commissioner's Office", "casework@ico.org.uk"),
    "sic": Regulator("sic", "Scottish Information Commissioner",
                     "enquiries@itspublicknowledge.info"),
}


def attach_correspondence(app: App, request: Request, message: EmailMessage) -> None:
    """Attach our letters as sent and the force's replies, oldest first, as the regulators ask
    for copies of the whole correspondence."""
    sent_ids = {e.data.get("message_id") for e in request.events if e.type == "sent"}
    for event in request.events:
        raw: bytes | None = None
        if event.type == "sending" and event.data.get("message_id") in sent_ids:
            filename = f"{event.data.get('key')}-{london_date(event.at)}.eml"
            raw = app.campaigns.letter_bytes(request.campaign, event.data)
        elif event.type == "reply" and event.data.get("message") and \
                event.data.get("kind") not in ("auto_reply", "bounce"):
            filename = f"reply-{london_date(event.at)}-{event.seq}.eml"
            try:
                raw = app.store.mail.raw(event.data["message"])
            except FoibotError:
                raw = None
        if raw is None:
            continue  # a copy is a courtesy; the letter says what happened in any case
        part = email.message_from_bytes(raw, policy=email.policy.default)
        message.add_attachment(part, filename=filename)
