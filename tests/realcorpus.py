"""The corpus of real police letters (``tests/corpus/real/``) as mail foibot can read.

Each record holds the force's words as published; :func:`to_eml` turns one into the message a
requester would have received (the force's FOI address as sender, the subject if the page
showed one, the letter as the body, each attachment the page showed as a text attachment), so
the classifier is judged through the same parser as live mail. Nothing is added to the words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from foibot.registry import shipped
from foibot.rules.classify import COARSE

CORPUS = Path(__file__).resolve().parent / "corpus" / "real"
PARTS = ("dev", "heldout")

@dataclass(frozen=True)
class Letter:
    id: str
    part: str
    force: str
    kind: str
    record: dict[str, Any]

    @property
    def coarse(self) -> str:
        return COARSE[self.kind]


def load(part: str) -> list[Letter]:
    """Every letter of one part, in id order."""
    letters = []
    for path in sorted((CORPUS / part).glob("*.json")):
        record = json.loads(path.read_text(encoding="utf-8"))
        letters.append(Letter(record["id"], part, record["force"], record["kind"], record))
    return letters


def to_eml(letter: Letter) -> bytes:
    record = letter.record
    forces = {f.id: f for f in shipped()}
    force = forces.get(letter.force)
    msg = EmailMessage()
    address = force.email if force and force.email else f"foi@{letter.force}.police.uk"
    msg["From"] = f"{force.name if force else letter.force} <{address}>"
    msg["To"] = "requester@example.org"
    msg["Subject"] = record.get("subject") or "Freedom of Information request"
    day = record.get("reply_date")
    when = datetime.fromisoformat(day + "T12:00:00+00:00") if day else \
        datetime(2024, 1, 15, 12, tzinfo=timezone.utc)
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = f"<{letter.id}@corpus.example>"
    msg.set_content(record["body"])
    for attachment in record.get("attachments") or []:
        name = attachment["filename"]
        if not name.lower().endswith(".txt"):
            name += ".txt"          # the page gave the document's text, not its file
        msg.add_attachment(attachment["text"], filename=name)
    return msg.as_bytes()
