"""The domain's records: campaigns, their requests, and each request's append-only events.

A request's state, deadline and next action are derived from its events at read time and never
stored. Events are only ever appended; corrections are new events (``marked`` overrides a
classification, ``address_changed`` supersedes an address).

Event types and the data they carry:

===================  =========================================================================
created              force, email
sending              key (letter key: request, chaser-1, review, clarify-N, ...), message_id,
                     to, subject, path (the .eml written before the SMTP transaction), pid
sent                 key, message_id, response (server reply)
send_failed          key, message_id, permanent (bool), code, response
reply                message (sha256), message_id, kind, sections, evidence, force_reference,
                     date (Date header, UTC), received (arrival, UTC), from, subject,
                     extension_until, stated_due, failed_recipient, bounce_reason
marked               kind (the user's word on the last reply), note
clarification_sent   note; restarts the clock (recorded by ``clarify`` or ``record``)
fee_paid             note
withdrawn            note
reply_by_post        kind, note
extension_agreed     until, note
review_requested     note (internal review asked for)
address_changed      email, note
force_reference      reference
answer               values {key: number}
draft                key, kind, path, subject, to (a letter written for the user to send)
contest              note (the user contests the latest answer or review outcome: escalate)
notified             ...
===================  =========================================================================
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Sequence

from foibot.registry import Force
from foibot.timeutil import from_iso, iso_utc


@dataclass(frozen=True)
class Event:
    seq: int
    request: str
    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)

    def to_doc(self) -> dict[str, Any]:
        return {"seq": self.seq, "request": self.request, "type": self.type,
                "at": iso_utc(self.at), "data": self.data}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Event":
        return cls(doc["seq"], doc["request"], doc["type"], from_iso(doc["at"]), doc.get("data", {}))


NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Crockford's base32: no I, L, O, U, so a reference survives being read aloud or retyped.
REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_PREFIX = "FOI-"
REF_LENGTH = 5


def new_reference(taken: set[str]) -> str:
    while True:
        ref = REF_PREFIX + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))
        if ref not in taken:
            return ref


@dataclass(frozen=True)
class Campaign:
    """One question sent to a group of forces."""

    name: str
    created: datetime
    group: str
    template: str | None          # a request template file chosen by the user; None = shipped
    variables: dict[str, str]

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "created": iso_utc(self.created), "group": self.group,
                "template": self.template, "variables": self.variables}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Campaign":
        return cls(doc["name"], from_iso(doc["created"]), doc["group"], doc.get("template"),
                   dict(doc.get("variables", {})))


@dataclass(frozen=True)
class Request:
    """One force's request of a campaign: the force as it was when the campaign was made,
    and the request's events in order."""

    reference: str
    campaign: str
    force: Force
    events: tuple[Event, ...] = field(default=(), compare=False)

    @property
    def email(self) -> str | None:
        """The address letters go to: the latest ``address_changed``, else the force's."""
        for event in reversed(self.events):
            if event.type == "address_changed":
                return event.data.get("email")
        return self.force.email

    def to_doc(self) -> dict[str, Any]:
        f = self.force
        return {"reference": self.reference, "campaign": self.campaign, "force": f.id,
                "name": f.name, "nation": f.nation, "regime": f.regime, "email": f.email,
                "email_source": f.email_source}

    @classmethod
    def from_doc(cls, doc: dict[str, Any], events: Sequence[Event] = ()) -> "Request":
        force = Force(doc["force"], doc["name"], doc.get("nation", ""), doc["regime"],
                      doc.get("email"), doc.get("email_source", ""))
        return cls(doc["reference"], doc["campaign"], force, tuple(events))
