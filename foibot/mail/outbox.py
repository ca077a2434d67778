"""The outbox: every letter foibot sends goes through here, exactly once.

Exactly once, in the face of crashes and concurrent processes, comes from the event log:

1. Under the state lock, check each letter's key (``request``, ``chaser-1``, ``review``, ...)
   has no ``sending`` event without a failure after it; write the exact message bytes to the
   campaign's letter pack and append ``sending`` (with the Message-ID) — durably, before any
   byte goes to the SMTP server.
2. Run the SMTP transaction.
3. Append ``sent`` (with the server's reply) or ``send_failed`` (permanent or temporary).

Letters are claimed and recorded in small groups (:data:`GROUP`): one fsync for a group's
bytes, one for its intents and one for its results, instead of three per letter. A crash
between 1 and 3 leaves at most one group's letters *uncertain*: reported, and sent again only
on request (``--resend-uncertain``) with the same bytes and Message-ID so the force's mail
system can recognise a duplicate; with a Sent folder configured, the next poll settles them by
finding their Message-IDs there. A disconnection before DATA is safe to retry; one during DATA
is uncertain, because the server may have accepted the message.

Ctrl-C (SIGINT) is honoured between SMTP transactions: what was sent is recorded, the letters
claimed but never handed to the server are released (recorded as not sent, so the next run
sends them), and :class:`Interrupted` carries the report.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from datetime import datetime
from email.message import EmailMessage
from types import FrameType
from typing import Any

from foibot.errors import FoibotError, MailError
from foibot.mail.smtp import (SendResult, Transport, message_bytes, new_message_id, parse_letter,
                              with_message_id)
from foibot.model import Request
from foibot.mail.inflight import HOSTNAME, alive
from foibot.rules.letter_state import LetterState, letter_state
from foibot.settings import Sender
from foibot.store import CampaignView, Store

GROUP = 16
"""Letters claimed (and results recorded) per group: the most a crash can leave uncertain."""
FLUSH_SECONDS = 1.0
"""Results are recorded at least this often, so a slow (rate-limited) group is not held."""

Guard = Callable[[Request, "Outgoing"], "str | None"]


# --- letters and reports ----------------------------------------------------------------------
@dataclass(frozen=True)
class Outgoing:
    """A letter ready to go: where it belongs and its exact bytes (the outbox gives it its
    Message-ID when it claims it). ``message`` is the same letter parsed, for previews."""

    request: Request
    key: str
    raw: bytes
    to: str
    subject: str

    @classmethod
    def of(cls, request: Request, key: str, message: EmailMessage) -> Outgoing:
        return cls(request, key, message_bytes(message), str(message["To"]),
                   str(message["Subject"]))

    @cached_property
    def message(self) -> EmailMessage:
        return parse_letter(self.raw)


@dataclass
class Report:
    sent: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)
    deferred: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)   # left for the next run (interrupted)

    def summary(self) -> str:
        line = f"sent {len(self.sent)}, failed {len(self.failed)}, skipped {len(self.skipped)}"
        if self.deferred:
            line += f", deferred {len(self.deferred)}"
        if self.uncertain:
            line += f", uncertain {len(self.uncertain)}"
        return line

    def merge(self, other: "Report") -> None:
        for name in ("sent", "failed", "deferred", "uncertain", "skipped", "not_sent"):
            getattr(self, name).extend(getattr(other, name))


class Interrupted(FoibotError):
    """Sending stopped on Ctrl-C; everything sent is recorded and nothing is lost."""

    exit_code = 130

    def __init__(self, report: Report) -> None:
        uncertain = len(report.uncertain)
        super().__init__(
            f"interrupted: {len(report.sent)} sent, {uncertain} uncertain, "
            f"{len(report.not_sent)} not sent"
            + ("; run foibot send again" if report.not_sent or uncertain else "")
            + (" (with --resend-uncertain once you have checked the uncertain ones)"
               if uncertain else ""))
        self.report = report


@contextmanager
def _patient_interrupt() -> Iterator[threading.Event]:
    """Turn the first Ctrl-C into a request to stop between two letters (main thread only;
    elsewhere the caller's own signal handling applies)."""
    asked = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield asked
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        if asked.is_set():
            raise KeyboardInterrupt        # asked twice: stop now
        asked.set()

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield asked
    finally:
        signal.signal(signal.SIGINT, previous)


@dataclass
class _Claim:
    out: Outgoing
    raw: bytes
    message_id: str


class Outbox:
    """Sends letters of one campaign through a transport, recording each step as events."""

    def __init__(
        self,
        store: Store,
        campaign: str,
        sender: Sender,
        transport: Transport,
        *,
        clock: Callable[[], datetime],
        retries: int = 3,
        backoff_seconds: float = 2.0,
        rate_per_minute: float = 0,
        sleep: Callable[[float], None] = time.sleep,
        guard: Guard | None = None,
        group: int = GROUP,
    ) -> None:
        """``guard(request, letter)``, if given, runs under the lock with the request as it is
        now and returns why the letter must not go after all (None: send it), so a decision
        taken before the lock (a chaser) is checked again where no other process can act."""
        self.store = store
        self.campaigns = store.campaigns
        self.campaign = campaign
        self.sender = sender
        self.transport = transport
        self.clock = clock
        self.retries = retries
        self.backoff = backoff_seconds
        self.interval = 60.0 / rate_per_minute if rate_per_minute else 0.0
        self.sleep = sleep
        self.guard = guard
        self.group = max(1, group)
        self._last_send = 0.0

    def send_all(self, letters: Iterable[Outgoing], *, resend_uncertain: bool = False,
                 progress: Callable[[Outgoing, str], None] | None = None) -> Report:
        """Send every letter that is due, in groups; raises :class:`Interrupted` on Ctrl-C
        after recording everything.

        The first Ctrl-C lets the SMTP transaction in progress finish, records it, releases
        the letters claimed but not yet tried, and stops; a second one stops at once (the
        letter in flight is then uncertain).
        """
        report = Report()
        letters = list(letters)
        with _patient_interrupt() as asked:
            for start in range(0, len(letters), self.group):
                chunk = letters[start:start + self.group]
                try:
                    self._send_group(chunk, resend_uncertain, report, progress, stop=asked)
                except KeyboardInterrupt:
                    report.not_sent += [o.request.reference for o in letters[start + self.group:]]
                    raise Interrupted(report) from None
            if asked.is_set():
                raise Interrupted(report)    # Ctrl-C during the last letter: still a stop
        return report

    def send_one(self, out: Outgoing, *, resend_uncertain: bool, report: Report) -> str:
        """Send one letter; returns what became of it (sent, failed, deferred, uncertain,
        skipped)."""
        outcome: list[str] = []
        self._send_group([out], resend_uncertain, report,
                         lambda _, result: outcome.append(result))
        return outcome[0] if outcome else "skipped"

    # --- one group: claim, deliver, record ----------------------------------------------
    def _send_group(self, letters: list[Outgoing], resend_uncertain: bool, report: Report,
                    progress: Callable[[Outgoing, str], None] | None,
                    stop: threading.Event | None = None) -> None:
        # The transport connects before any intent is recorded: a dead server changes nothing.
        connect = getattr(self.transport, "connect", None)
        if connect:
            connect()
        claims = self._claim(letters, resend_uncertain, report, progress)
        results: list[tuple[str, str, dict[str, Any]]] = []
        last_flush = time.monotonic()
        position = 0                       # the claim being sent, or the next to send
        try:
            for position, claim in enumerate(claims):
                if stop is not None and stop.is_set():
                    raise KeyboardInterrupt   # asked between two letters: nothing in flight
                result = self._deliver(claim.out.to, claim.raw)
                outcome = self._outcome(claim, result, results, report)
                if progress:
                    progress(claim.out, outcome)
                if results and time.monotonic() - last_flush > FLUSH_SECONDS:
                    self._record(results)
                    results, last_flush = [], time.monotonic()
            position = len(claims)
        except KeyboardInterrupt:
            # The letter in flight when Ctrl-C came may or may not have reached the server:
            # it stays pending (uncertain). Letters claimed but never tried are released.
            recorded = {(ref, data["key"]) for ref, _, data in results}
            between = stop is not None and stop.is_set()
            for index, claim in enumerate(claims[position:], start=position):
                ref = claim.out.request.reference
                if (ref, claim.out.key) in recorded or ref in report.sent:
                    continue
                if index == position and not between:
                    report.uncertain.append((ref, "interrupted during the SMTP transaction"))
                    continue
                results.append((ref, "send_failed",
                                {"key": claim.out.key, "message_id": claim.message_id,
                                 "to": claim.out.to, "permanent": False, "code": None,
                                 "response": "not sent: interrupted before its turn"}))
                report.not_sent.append(ref)
            self._record(results)
            raise
        self._record(results)

    def _outcome(self, claim: _Claim, result: SendResult,
                 results: list[tuple[str, str, dict[str, Any]]], report: Report) -> str:
        ref, key = claim.out.request.reference, claim.out.key
        if result.ok:
            results.append((ref, "sent", {"key": key, "message_id": claim.message_id,
                                          "response": result.response}))
            report.sent.append(ref)
            return "sent"
        if result.uncertain:
            report.uncertain.append((ref, result.response))
            return "uncertain"
        results.append((ref, "send_failed",
                        {"key": key, "message_id": claim.message_id, "to": claim.out.to,
                         "permanent": result.permanent, "code": result.code,
                         "response": result.response}))
        (report.failed if result.permanent else report.deferred).append((ref, result.response))
        return "failed" if result.permanent else "deferred"

    def _record(self, results: list[tuple[str, str, dict[str, Any]]]) -> None:
        if results:
            self.campaigns.append(self.campaign, results, now=self.clock())

    def _claim(self, letters: list[Outgoing], resend_uncertain: bool, report: Report,
               progress: Callable[[Outgoing, str], None] | None) -> list[_Claim]:
        """Record the intent to send each letter, under the lock, bytes first; the letters
        that must not go are reported as skipped (or uncertain) instead."""
        claims: list[_Claim] = []

        def decide(view: CampaignView) -> Iterator[tuple[str, str, dict[str, Any]]]:
            fresh: list[tuple[_Claim, int]] = []
            for out in letters:
                current = view.get(out.request.reference)
                st = letter_state(current, out.key)
                why = self._refusal(current, out, st, resend_uncertain)
                if why is not None:
                    bucket = report.uncertain if why.startswith("uncertain") else report.skipped
                    bucket.append((out.request.reference, why))
                    if progress:
                        progress(out, "skipped")
                    continue
                stored = None
                if st.state == "pending" and st.stored is not None:
                    stored = self.campaigns.letter_bytes(self.campaign, st.stored)
                if stored is not None:
                    claims.append(_Claim(out, stored, st.message_id or ""))
                    continue
                message_id = new_message_id(self.sender, out.request.reference, out.key)
                claims.append(_Claim(out, with_message_id(out.raw, message_id), message_id))
                fresh.append((claims[-1], st.attempts))
            # the exact bytes are durable before the intents that name them
            places = self.campaigns.store_letters(self.campaign, [c.raw for c, _ in fresh])
            where = {id(claim): place for (claim, _), place in zip(fresh, places)}
            for claim in claims:
                out = claim.out
                data: dict[str, Any] = {
                    "key": out.key, "message_id": claim.message_id, "to": out.to,
                    "subject": out.subject, "pid": os.getpid(),
                    "host": HOSTNAME, "resend": id(claim) not in where}
                if id(claim) in where:
                    data["letter"] = where[id(claim)]
                else:
                    earlier = letter_state(view.get(out.request.reference), out.key)
                    data.update({k: v for k, v in (earlier.stored or {}).items()
                                 if k in ("letter", "path")})
                yield (out.request.reference, "sending", data)

        self.campaigns.transact(self.campaign, lambda view: list(decide(view)), now=self.clock())
        return claims

    def _refusal(self, current: Request, out: Outgoing, st: LetterState,
                 resend_uncertain: bool) -> str | None:
        """Why this letter must not be sent now, or None."""
        if st.state == "sent":
            return "already sent"
        if st.state == "failed":
            return f"rejected earlier: {st.detail}"
        if st.state == "pending" and alive(st):
            return "being sent by another foibot process"
        why = self.guard(current, out) if self.guard is not None else None
        if why:
            return f"not sent: {why}"
        if st.state == "pending" and not resend_uncertain:
            return ("uncertain: a crash interrupted sending; check the force's mailbox or use "
                    "--resend-uncertain")
        return None

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
