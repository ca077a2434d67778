"""Mail that a machine sent: delivery failures (bounces), delay warnings and auto-replies.

Judged before any reading of the words as a letter: a bounce quotes our own letter, and an
out-of-office reply may quote anything.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from foibot.mail.parse import ParsedEmail

# flufl.bounce logs a traceback whenever one of its detectors trips over odd mail; the
# classifier already treats that as "no bounce found", so keep it off the user's terminal.
logging.getLogger("flufl.bounce").addHandler(logging.NullHandler())
logging.getLogger("flufl.bounce").propagate = False


@dataclass(frozen=True)
class Returned:
    """What the delivery machinery says: a permanent failure, or a delay (not a failure)."""

    failed: bool
    recipient: str | None
    reason: str | None
    evidence: tuple[str, ...]


_AUTO_SUBJECT = re.compile(
    r"^\s*(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]?response|automatic response"
    r"|out of (?:the )?office)\b",
    re.I,
)
_BOUNCE_SUBJECT = re.compile(
    r"\b(?:undeliverable|undelivered mail|returned mail|failure notice|could not be delivered"
    r"|delivery (?:status notification \(failure\)|has failed|failure)"
    r"|mail delivery (?:failed|failure|system))\b",
    re.I,
)


def returned(msg: ParsedEmail) -> Returned | None:
    """A failed delivery (a DSN with ``Action: failed``, or what flufl.bounce recognises), a
    delay (a DSN whose recipients are all ``delayed``, ``delivered`` or ``relayed``), or None.
    """
    failed = [d for d in msg.delivery_status if d.action == "failed"
              or (d.action is None and (d.status or "").startswith("5"))]
    if failed:
        first = failed[0]
        reason = " ".join(part for part in (first.status, first.diagnostic) if part) or None
        evidence = [f"delivery-status: Action: failed for {first.recipient}"]
        if first.status:
            evidence.append(f"delivery-status: Status: {first.status}")
        return Returned(True, first.recipient, reason, tuple(evidence))
    if msg.delivery_status:  # delayed, delivered or relayed: nothing has failed (yet)
        actions = sorted({d.action or "no action" for d in msg.delivery_status})
        return Returned(False, None, None,
                        (f"delivery-status: Action: {', '.join(actions)} (not a failure)",))
    if not _looks_machine_returned(msg):
        return None
    permanent = _flufl_permanent(msg)
    if permanent:
        recipient = min(permanent)
        return Returned(True, recipient, _text_reason(msg),
                        (f"bounce detector: permanent failure for {recipient}",))
    failed_header = msg.headers.get("x-failed-recipients")
    if failed_header:
        recipient = failed_header.split(",")[0].strip()
        return Returned(True, recipient, _text_reason(msg),
                        (f"header X-Failed-Recipients: {failed_header}",))
    return None


def _flufl_permanent(msg: ParsedEmail) -> set[str]:
    if msg.message is None:
        return set()
    from flufl.bounce import all_failures  # heavy import, needed only for candidate bounces

    try:
        _temporary, permanent = all_failures(msg.message)
    except Exception:  # a detector choking on odd mail must not stop classification
        return set()
    found = set()
    for address in permanent:
        text = address.decode("utf-8", "replace") if isinstance(address, bytes) else str(address)
        text = text.strip().strip("<>")
        if "@" in text:
            found.add(text)
    return found


def _looks_machine_returned(msg: ParsedEmail) -> bool:
    """Sent by a mail system rather than a person: only then are bounce detectors consulted."""
    sender = msg.from_addr.split("@")[0]
    return (
        msg.is_dsn
        or sender in ("mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon")
        or msg.headers.get("return-path", "x").strip() == "<>"
        or "x-failed-recipients" in msg.headers
        or bool(_BOUNCE_SUBJECT.search(msg.subject))
    )


def _text_reason(msg: ParsedEmail) -> str | None:
    """The enhanced status code and the rest of its line, from a bounce without a DSN part."""
    found = re.search(r"\b[45]\.\d{1,3}\.\d{1,3}\b[^\n]{0,160}", msg.text) or re.search(
        r"\b5\d\d[ -][^\n]{0,160}", msg.text
    )
    return re.sub(r"\s+", " ", found.group(0)).strip(" <>") if found else None


def auto_headers(msg: ParsedEmail) -> list[str]:
    """Evidence that a machine sent the mail: RFC 3834 and vendor headers, or the subject."""
    evidence = []
    auto = msg.headers.get("auto-submitted", "").strip().lower()
    if auto and auto != "no":
        evidence.append(f"header Auto-Submitted: {msg.headers['auto-submitted']}")
    for name, label in (("x-autoreply", "X-Autoreply"), ("x-autorespond", "X-Autorespond")):
        if name in msg.headers:
            evidence.append(f"header {label}: {msg.headers[name]}")
    precedence = msg.headers.get("precedence", "").strip().lower()
    if precedence in ("auto_reply", "auto-reply"):  # "bulk" is a mailing list, not a reply
        evidence.append(f"header Precedence: {msg.headers['precedence']}")
    if _AUTO_SUBJECT.search(msg.subject):
        evidence.append(f'subject: "{msg.subject}"')
    return evidence


