"""The outbox: every letter foibot sends goes through here, exactly once.

Exactly once, in the face of crashes and concurrent processes, comes from the event log:

1. Under the state lock, check the letter's key (``request``, ``chaser-1``, ``review``, ...) has
   no ``sending`` event without a failure after it; write the exact message bytes to
   ``outbox/<campaign>/`` and append ``sending`` (with the Message-ID) — durably, before any
   byte goes to the SMTP server.
2. Run the SMTP transaction.
3. Append ``sent`` (with the server's reply) or ``send_failed`` (permanent or temporary).

A crash between 1 and 3 leaves the letter *uncertain*: it is reported and sent again only on
request (``--resend-uncertain``), with the same bytes and Message-ID so the force's mail system
can recognise a duplicate. A disconnection before the DATA command is safe to retry; one during
DATA is uncertain, because the server may have accepted the message.
"""

from __future__ import annotations

import email.policy
import os
import smtplib
import socket
import ssl
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Callable, Iterable, Protocol, Sequence

from foibot.campaign import Campaigns, Request
from foibot.settings import Sender, Server
from foibot.errors import MailError
from foibot.events import Event
from foibot.store import atomic_write_bytes
from foibot.timeutil import LONDON

HOSTNAME = socket.gethostname()


# --- what a letter's events say ---------------------------------------------------------------
@dataclass(frozen=True)
class LetterState:
    """Where one letter (a request's letter key) stands, from the events."""

    state: str                     # unsent | sending | uncertain | sent | failed | deferred
    message_id: str | None = None
    path: str | None = None
    detail: str | None = None
    attempts: int = 0


def letter_state(request: Request, key: str) -> LetterState:
    """Replay the events of one letter. A bounce of the request letter counts as a failure;
    an ``address_changed`` after a failure makes the letter sendable again."""
    state, message_id, path, detail, attempts = "unsent", None, None, None, 0
    sending: Event | None = None
    for event in request.events:
        bounced = (event.type == "reply" and event.data.get("kind") == "bounce"
                   and key == "request" and state == "sent")
        if bounced:
            state, detail = "failed", event.data.get("bounce_reason") or "bounced"
        elif event.type == "address_changed" and state == "failed":
            state = "unsent"
        elif event.data.get("key") != key:
            continue
        elif event.type == "sending":
            state, sending = "sending", event
            message_id, path = event.data.get("message_id"), event.data.get("path")
            attempts += 1
        elif event.type == "sent":
            state, detail = "sent", event.data.get("response")
        elif event.type == "send_failed":
            state = "failed" if event.data.get("permanent") else "deferred"
            detail = event.data.get("response")
    if state == "sending" and sending is not None:
        state = "sending" if _alive(sending) else "uncertain"
    return LetterState(state, message_id, path, detail, attempts)


def _alive(event: Event) -> bool:
    """Is the process that wrote this ``sending`` event still running on this host?"""
    pid = event.data.get("pid")
    if event.data.get("host") != HOSTNAME or not isinstance(pid, int) or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --- building messages ------------------------------------------------------------------------
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


# --- the outbox -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """A letter ready to go: where it belongs and its exact message."""

    request: Request
    key: str
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])


@dataclass
class Report:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)

    def summary(self) -> str:
        line = f"sent {len(self.sent)}, failed {len(self.failed)}, skipped {len(self.skipped)}"
        if self.deferred:
            line += f", deferred {len(self.deferred)}"
        if self.uncertain:
            line += f", uncertain {len(self.uncertain)}"
        return line


class Outbox:
    """Sends letters of one campaign through a transport, recording each step as events."""

    def __init__(
        self,
        campaigns: Campaigns,
        campaign: str,
        sender: Sender,
        transport: Transport,
        *,
        clock: Callable[[], datetime],
        retries: int = 3,
        backoff_seconds: float = 2.0,
        rate_per_minute: float = 0,
        sleep: Callable[[float], None] = time.sleep,
        guard: Callable[[Request, "Outgoing"], str | None] | None = None,
    ) -> None:
        """``guard(request, letter)``, if given, runs under the lock with the request as it is
        now and returns why the letter must not go after all (None: send it), so a decision
        taken before the lock (a chaser) is checked again where no other process can act."""
        self.campaigns = campaigns
        self.campaign = campaign
        self.sender = sender
        self.transport = transport
        self.clock = clock
        self.retries = retries
        self.backoff = backoff_seconds
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.sleep = sleep
        self.guard = guard
        self._last_send = 0.0

    def send_all(
        self,
        letters: Iterable[Outgoing],
        *,
        resend_uncertain: bool = False,
        progress: Callable[[Outgoing, str], None] | None = None,
    ) -> Report:
        report = Report()
        for out in letters:
            outcome = self.send_one(out, resend_uncertain=resend_uncertain, report=report)
            if progress:
                progress(out, outcome)
        return report

    def send_one(self, out: Outgoing, *, resend_uncertain: bool, report: Report) -> str:
        ref, key = out.request.reference, out.key
        claimed = self._claim(out, resend_uncertain)
        if isinstance(claimed, str):
            bucket = report.uncertain if claimed.startswith("uncertain") else report.skipped
            bucket.append((ref, claimed))
            return "skipped"
        raw, message_id, path = claimed
        result = self._deliver(out.to, raw)
        now = self.clock()
        if result.ok:
            self.campaigns.append_one(self.campaign, ref, "sent",
                                      {"key": key, "message_id": message_id,
                                       "response": result.response}, now=now)
            report.sent.append(ref)
            return "sent"
        if result.uncertain:
            report.uncertain.append((ref, result.response))
            return "uncertain"
        self.campaigns.append_one(self.campaign, ref, "send_failed",
                                  {"key": key, "message_id": message_id, "to": out.to,
                                   "permanent": result.permanent, "code": result.code,
                                   "response": result.response}, now=now)
        (report.failed if result.permanent else report.deferred).append((ref, result.response))
        return "failed" if result.permanent else "deferred"

    def _claim(self, out: Outgoing, resend_uncertain: bool) -> tuple[bytes, str, str] | str:
        """Record the intent to send, under the lock; or say why this letter is not sent."""
        ref, key = out.request.reference, out.key
        verdict: list[tuple[bytes, str, str] | str] = []

        def decide(requests: list[Request]) -> list[tuple[str, str, dict]]:
            current = next(r for r in requests if r.reference == ref)
            st = letter_state(current, key)
            if st.state == "sent":
                verdict.append("already sent")
                return []
            if st.state == "failed":
                verdict.append(f"rejected earlier: {st.detail}")
                return []
            if st.state == "sending":
                verdict.append("being sent by another foibot process")
                return []
            why = self.guard(current, out) if self.guard is not None else None
            if why:
                verdict.append(f"not sent: {why}")
                return []
            if st.state == "uncertain" and not resend_uncertain:
                verdict.append("uncertain: a crash interrupted sending; check the force's"
                               " mailbox or use --resend-uncertain")
                return []
            store = self.campaigns.store
            if st.state == "uncertain" and st.path and store.resolve(st.path).exists():
                raw, message_id, path = (store.resolve(st.path).read_bytes(),
                                         st.message_id or "", st.path)
            else:
                message_id = new_message_id(self.sender, ref, key)
                msg = out.message
                del msg["Message-ID"]
                msg["Message-ID"] = message_id
                raw = message_bytes(msg)
                dest = store.outbox_path(self.campaign, f"{ref}.{key}.{st.attempts + 1}")
                atomic_write_bytes(dest, raw)
                path = store.relative(dest)
            verdict.append((raw, message_id, path))
            return [(ref, "sending", {"key": key, "message_id": message_id, "to": out.to,
                                      "subject": str(out.message["Subject"]), "path": path,
                                      "pid": os.getpid(), "host": HOSTNAME,
                                      "resend": st.state == "uncertain"})]

        # The transport connects before any intent is recorded: a dead server changes nothing.
        connect = getattr(self.transport, "connect", None)
        if connect:
            connect()
        self.campaigns.transact(self.campaign, decide, now=self.clock())
        return verdict[0]

    def _deliver(self, to: str, raw: bytes) -> SendResult:
        attempt = 0
        while True:
            if self.interval:
                wait = self._last_send + self.interval - time.monotonic()
                if wait > 0:
                    self.sleep(wait)
            try:
                result = self.transport.send(self.sender.address, to, raw)
            except MailError as exc:
                result = SendResult(False, response=str(exc))
            self._last_send = time.monotonic()
            if result.ok or result.permanent or result.uncertain or attempt >= self.retries:
                return result
            attempt += 1
            self.sleep(self.backoff * (2 ** (attempt - 1)))
