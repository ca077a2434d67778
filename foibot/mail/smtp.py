"""SMTP: building a letter's message, and sending it, phase by phase.

Only this module speaks SMTP. :class:`SmtpTransport` reuses one connection across a batch and
reports each transaction's outcome in a way that says whether the letter may have gone: a
failure before DATA is safe to retry; a connection lost during DATA is *uncertain*, because the
server may have accepted the message.
"""

from __future__ import annotations

import email.policy
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol, Sequence

from foibot.errors import MailError
from foibot.settings import Sender, Server
from foibot.timeutil import LONDON


def new_message_id(sender: Sender, reference: str, key: str) -> str:
    return f"<foibot.{reference}.{key}.{uuid.uuid4().hex[:12]}@{sender.domain}>"


def build_message(
    *,
    sender: Sender,
    to: str,
    subject: str,
    body: str,
    reference: str,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"{sender.name} <{sender.address}>"
    msg["To"] = to
    reply_to = sender.reply_address(reference)
    if reply_to:
        msg["Reply-To"] = f"{sender.name} <{reply_to}>"
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date.astimezone(LONDON))
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = " ".join(references)
    msg["X-Foibot-Reference"] = reference
    msg.set_content(body)
    return msg


def readable(msg: EmailMessage) -> str:
    """A letter as the force will read it: the headers a person sees, then the text decoded
    (not quoted-printable or base64), then the attachments by name.

    >>> m = EmailMessage()
    >>> m["To"] = "foi@kent.police.uk"
    >>> m.set_content("Caf\u00e9 au lait", cte="quoted-printable")
    >>> "=C3=A9" in m.as_string()
    True
    >>> print(readable(m), end="")
    To: foi@kent.police.uk
    <BLANKLINE>
    Café au lait
    """
    lines = [f"{name}: {value}" for name, value in msg.items()
             if not name.lower().startswith("content-") and name.lower() != "mime-version"]
    body = msg.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    lines += ["", text.rstrip("\n")]
    names = [part.get_filename() or part.get_content_type() for part in msg.iter_attachments()]
    if names:
        lines += ["", "attachments:"] + [f"  {name}" for name in names]
    return "\n".join(lines) + "\n"


def message_bytes(msg: EmailMessage) -> bytes:
    """The exact bytes that go on the wire (CRLF line endings, as SMTP requires)."""
    return msg.as_bytes(policy=email.policy.SMTP)


# --- the SMTP seam ----------------------------------------------------------------------------
@dataclass(frozen=True)
class SendResult:
    ok: bool
    permanent: bool = False
    uncertain: bool = False
    code: int | None = None
    response: str = ""


class Transport(Protocol):
    def send(self, from_addr: str, to_addr: str, raw: bytes) -> SendResult: ...
    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection reused across a batch, reopened when the server drops it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        if self._smtp is not None:
            return
        s = self.server
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout_seconds,
                    context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout_seconds)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo_or_helo_if_needed()
            password = s.password()
            if s.username and password is not None:
                smtp.login(s.username, password)
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(f"SMTP {s.host}:{s.port}: login refused ({exc.smtp_code})") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP {s.host}:{s.port}: cannot connect: {_reason(exc)}") from None
        self._smtp = smtp

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._smtp = None

    def _drop(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.close()
            except OSError:
                pass
        self._smtp = None

    def send(self, from_addr: str, to_addr: str, raw: bytes) -> SendResult:
        """One SMTP transaction, phase by phase, so a failure says whether mail may have gone."""
        self.connect()
        smtp = self._smtp
        assert smtp is not None
        try:
            code, resp = smtp.mail(from_addr)
            if code != 250:
                smtp.rset()
                if 500 <= code < 600:
                    # the sender is refused: no letter of this batch can go
                    raise MailError(f"SMTP {self.server.host}: sender {from_addr} refused: "
                                    f"{_text(code, resp)}")
                return _failure(code, resp)
            code, resp = smtp.rcpt(to_addr)
            if code not in (250, 251):
                smtp.rset()
                return _failure(code, resp)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            return SendResult(False, code=None, response=f"connection lost: {_reason(exc)}")
        try:
            code, resp = smtp.data(raw)
            if code != 250:
                return _failure(code, resp)
        except smtplib.SMTPDataError as exc:
            return _failure(exc.smtp_code, exc.smtp_error)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            return SendResult(False, uncertain=True,
                              response=f"connection lost during DATA: {_reason(exc)}")
        return SendResult(True, code=code, response=_text(code, resp))


def _text(code: int, resp: bytes | str) -> str:
    msg = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return f"{code} {msg}".strip()


def _failure(code: int, resp: bytes | str) -> SendResult:
    return SendResult(False, permanent=500 <= code < 600, code=code, response=_text(code, resp))


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
