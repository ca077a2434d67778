"""Reading stored messages in worker processes, so that one message can only fail alone.

Reading (parse, attachments, classify) is pure, and it runs on what strangers send: a PDF that
sends pypdf into a loop, a spreadsheet that exhausts memory, a crash in a C library. Read in the
poll's own process, such a message would stop the poll for good, and with it the filing of every
reply after it, while the chaser went on chasing forces whose answers sat unread behind it.

So every batch is read by worker processes, each message under a time limit
(``[imap] read_limit_seconds``): a worker arms an alarm before each message, and a message that
outlives it ends its worker (the kernel's default action, which no loop in Python or C can
delay). A worker that dies, by the alarm or by anything else (the out-of-memory killer, a
segfault), takes only the message it was reading with it: that message is recorded as unreadable,
with the reason, and a new worker reads the rest. The worker also stops by itself when its poll
has gone (it cannot send), so none is left behind.

Workers are forked from the poll when it runs no other thread (cheap, and they inherit the
loaded classifier); from a fork server otherwise (the service, the demo), since forking a process
with threads can deadlock the child.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from foibot.errors import MailError
from foibot.timeutil import iso_utc

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

    from foibot.rules import classify as classify_mod

log = logging.getLogger("foibot.readers")

READ_LIMIT_SECONDS = 120.0
"""How long one message may take to read, attachments included, by default."""

GRACE_SECONDS = 30.0
"""How long past the limit the poll waits for a worker that neither answers nor dies (its
alarm should have ended it) before it ends it itself."""


@dataclass(frozen=True)
class Read:
    """What one message says, read from its bytes alone (pure: it can run in another
    process): the classification and the facts matching needs. ``error`` if it could not be
    read; the message is then kept, and shown in triage as unreadable."""

    sha256: str
    error: str | None = None
    message_id: str | None = None
    date: str | None = None
    sender: str = ""
    subject: str = ""
    recipients: tuple[str, ...] = ()
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    new_text: str = ""
    quoted_ids: tuple[str, ...] = ()      # our Message-IDs quoted anywhere in the raw bytes
    attachments: tuple[str, ...] = ()
    result: classify_mod.Classification | None = None


_OUR_MSGID = re.compile(rb"<foibot\.FOI-[0-9A-Z]{5}\.[^>\s]+>")


def read(sha256: str, raw: bytes) -> Read:
    """Parse and classify one message; never raises."""
    from foibot.mail import parse as mailparse
    from foibot.rules import classify as classify_mod

    try:
        parsed = mailparse.parse(raw)
        result = classify_mod.classify(parsed)
        return Read(
            sha256, None, parsed.message_id, iso_utc(parsed.date) if parsed.date else None,
            parsed.from_addr, parsed.subject, (*parsed.to, *parsed.cc, *parsed.delivered_to),
            parsed.in_reply_to, parsed.references, parsed.new_text,
            tuple(m.decode("ascii", "replace") for m in _OUR_MSGID.findall(raw)),
            tuple(a.filename + (f" ({a.problem})" if a.problem else "")
                  for a in parsed.attachments), result)
    except Exception as exc:  # noqa: BLE001 - one bad message must not block the rest
        log.debug("reading %s failed:\n%s", sha256[:12], traceback.format_exc())
        return Read(sha256, f"{type(exc).__name__}: {exc}"[:300])


Item = tuple[int, str, bytes]
"""A message to read: its position in the batch, its SHA-256, its raw bytes."""


def _work(conn: Connection, reading: Any, items: list[Item], limit: float) -> None:
    """A worker: read each item in turn under the alarm, saying in ``reading`` (shared
    memory: it never blocks) which one it is on; send every reading at the end.

    Sending each as it is read would stall the worker on a full pipe while the poll fetches
    the next batch, which is when it should be reading."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)       # Ctrl-C is the poll's to handle
    signal.signal(signal.SIGALRM, signal.SIG_DFL)      # the alarm ends this process
    found = []
    try:
        for position, sha256, raw in items:
            reading.value = position
            signal.setitimer(signal.ITIMER_REAL, limit)
            found.append((position, read(sha256, raw)))
            signal.setitimer(signal.ITIMER_REAL, 0)
        reading.value = -1
        conn.send(found)
    except (BrokenPipeError, EOFError, OSError):
        pass                                           # the poll has gone: nothing to tell
    finally:
        conn.close()


def _context() -> Any:
    import multiprocessing

    if threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["foibot.mail.readers", "foibot.mail.parse",
                                    "foibot.rules.classify"])
    return context


@dataclass
class _Worker:
    process: Any
    conn: Connection
    reading: Any                   # shared: the position it is reading, -1 when done
    items: list[Item]              # what it was given, in its order
    seen: int = -2                 # the position it was last seen reading ...
    since: float = 0.0             # ... since then


def set_aside(error: str | None) -> bool:
    """Was this the error of a reading cut short (the time limit, or its reader died)? Such a
    message is shown without reading its attachments again."""
    return error is not None and error.startswith(("reading it took longer", "its reader "))


def _why(exitcode: int | None, limit: float) -> str:
    if exitcode == -signal.SIGALRM:
        return f"reading it took longer than {limit:g} s"
    if exitcode == -signal.SIGKILL:
        return "its reader was killed (out of memory?)"
    if exitcode is not None and exitcode < 0:
        return f"its reader crashed ({signal.Signals(-exitcode).name})"
    return f"its reader stopped (exit status {exitcode})"


class Reading:
    """One batch being read by worker processes; :meth:`results` waits for every message."""

    def __init__(self, items: list[tuple[str, bytes]], *, limit: float = READ_LIMIT_SECONDS,
                 workers: int = 1) -> None:
        self.limit = limit
        self._items = [(i, sha, raw) for i, (sha, raw) in enumerate(items)]
        self._found: dict[int, Read] = {}
        self._context = _context()
        count = max(1, min(workers, len(self._items)))
        # interleaved, so that each worker gets its share of the large messages
        self._workers = [self._start(self._items[k::count]) for k in range(count)
                         if self._items[k::count]]

    def _start(self, items: list[Item]) -> _Worker:
        receive, send = self._context.Pipe(duplex=False)
        reading = self._context.RawValue("q", -2)
        process = self._context.Process(target=_work, args=(send, reading, items, self.limit),
                                        name="foibot-reader", daemon=True)
        try:
            process.start()
        except OSError as exc:     # no process to be had (EAGAIN, ENOMEM): stop here, cleanly
            receive.close()
            raise MailError(f"cannot start a process to read mail ({exc.strerror or exc}); "
                            "what was fetched is stored, and the next poll reads it") from None
        finally:
            send.close()     # only the worker writes: its end closing is how it is seen to die
        return _Worker(process, receive, reading, items, since=time.monotonic())

    def results(self) -> list[Read]:
        """Every message's reading, in the batch's order."""
        from multiprocessing.connection import wait

        try:
            while self._workers:
                by_conn = {id(w.conn): w for w in self._workers}
                for conn in wait(list(w.conn for w in self._workers), timeout=1.0):
                    self._answer(by_conn[id(conn)])
                now = time.monotonic()
                for worker in list(self._workers):
                    if worker.reading.value != worker.seen:
                        worker.seen, worker.since = worker.reading.value, now
                    elif now - worker.since > self.limit + GRACE_SECONDS:
                        self._lost(worker, f"reading it took longer than {self.limit:g} s")
        finally:
            self.stop()
        return [self._found[position] for position, _, _ in self._items]

    def _answer(self, worker: _Worker) -> None:
        try:
            found = worker.conn.recv()
        except (EOFError, OSError):
            worker.process.join(timeout=5)
            self._lost(worker, _why(worker.process.exitcode, self.limit))
            return
        self._found.update(found)
        self._end(worker)

    def _lost(self, worker: _Worker, why: str) -> None:
        """The worker died (or will not answer): the message it was reading is unreadable;
        a new worker reads the others it had (what it read went with it)."""
        at = worker.reading.value
        self._end(worker)
        left = [item for item in worker.items if item[0] not in self._found]
        if at == -1:               # it had read them all and died handing them over
            for position, sha256, _ in left:
                self._found[position] = Read(sha256, why)
            return
        culprit = next((item for item in left if item[0] == at), left[0] if left else None)
        if culprit is None:
            return
        position, sha256, _ = culprit
        log.info("message %s: %s; recorded as unreadable", sha256[:12], why)
        self._found[position] = Read(sha256, why)
        rest = [item for item in left if item is not culprit]
        if rest:
            self._workers.append(self._start(rest))

    def _end(self, worker: _Worker) -> None:
        if worker in self._workers:
            self._workers.remove(worker)
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)
        worker.conn.close()

    def stop(self) -> None:
        """End every worker still running (the poll was interrupted, or is done)."""
        for worker in list(self._workers):
            self._end(worker)


def worker_count(messages: int, *, pool_from: int = 40) -> int:
    """One reader for a small batch; one per core for a large one."""
    return max(1, os.cpu_count() or 1) if messages >= pool_from else 1
