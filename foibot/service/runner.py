"""The service that runs :data:`~foibot.service.schedule.SCHEDULE`: APScheduler 3's
``BlockingScheduler``, one instance per state dir, stopped cleanly by a signal, and its log.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from threading import TIMEOUT_MAX
from types import FrameType
from typing import IO, Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from filelock import FileLock, Timeout

from foibot.app import App
from foibot.errors import FoibotError, StateError
from foibot.mail.imap import NETWORK_ERRORS, Mailbox
from foibot.service.schedule import (
    SCHEDULE,
    JobResult,
    _running,
    last_runs,
    missed,
    run_job,
    run_once,
)
from foibot.timeutil import LONDON, iso_utc, london

IDLE_MAX_SECONDS = 29 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes
STOP_CHECK_SECONDS = 0.25


# --- logging ----------------------------------------------------------------------------------
class Log:
    """One line per event on stderr: ``2026-12-01T09:30:00+00:00 job=chase status=ok sent=3``."""

    def __init__(self, *, clock: Callable[[], datetime], as_json: bool = False,
                 stream: IO[str] | None = None) -> None:
        self.clock = clock
        self.as_json = as_json
        self.stream = stream
        self._lock = threading.RLock()

    def __call__(self, **fields: Any) -> None:
        at = london(self.clock()).isoformat(timespec="seconds")
        if self.as_json:
            line = json.dumps({"at": at, **fields}, ensure_ascii=False, default=str)
        else:
            line = " ".join([at, *(f"{k}={_logfmt(v)}" for k, v in fields.items())])
        with self._lock:
            stream = self.stream or sys.stderr
            stream.write(line + "\n")
            stream.flush()


def _logfmt(value: Any) -> str:
    text = "never" if value is None else str(value)
    if not text or any(c in text for c in ' ="\n\t'):
        return json.dumps(text, ensure_ascii=False)
    return text


# --- one instance per state dir ---------------------------------------------------------------
class AlreadyRunning(StateError):
    pass


@contextmanager
def instance(app: App) -> Iterator[None]:
    """Hold ``run.lock`` for the life of the service; a second service is refused at once.

    It is not the store's short-lived ``.lock``: that one is taken for each write, this one
    says "a service owns this state dir".
    """
    service = app.store.service
    service.run_lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(service.run_lock_path), blocking=False)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(f"another instance is running for state dir {app.store.root} "
                             f"(pid {_owner(app)})") from None
    try:
        service.set_instance(os.getpid(), app.now())
        yield
    finally:
        lock.release()


def _owner(app: App) -> str:
    try:
        pid = app.store.service.instance_pid()
    except FoibotError:
        pid = None
    return str(pid) if pid is not None else "unknown"


# --- the service ------------------------------------------------------------------------------
class Service:
    """APScheduler's ``BlockingScheduler`` over :data:`SCHEDULE`, stopped cleanly by a signal."""

    def __init__(self, app: App, *, log: Log) -> None:
        self.app = app
        self.log = log
        self.timing = app.config.schedule
        self.stopping = threading.Event()
        self.scheduler = _Scheduler(
            timezone=LONDON,
            executors={"default": ThreadPoolExecutor(len(SCHEDULE) + 1)},
        )
        # A run missed while the machine slept happens once on waking (coalesce), if within the
        # grace; never two of the same job at once.
        self.options = {"coalesce": True, "max_instances": 1,
                        "misfire_grace_time": self.timing.grace_seconds, "replace_existing": True}
        self._asked: set[str] = set()
        self._asked_lock = threading.Lock()

    def _run(self, name: str) -> None:
        result = run_job(self.app, name, log=self.log)
        with self._asked_lock:
            again = name in self._asked
            self._asked.discard(name)
        if again:
            self.run_soon(name)
        if name != "notify" and result.fields.get("news"):
            self.run_soon("notify")

    def run_soon(self, name: str) -> None:
        """Run a job as soon as a worker is free (a one-off job; APScheduler reads the clock).

        Asked while the job runs (IDLE announcing mail mid-poll), it runs once more after.
        """
        if self.stopping.is_set():
            return
        with self._asked_lock:
            if _running[name].locked():
                self._asked.add(name)
                return
        self.scheduler.add_job(self._run, args=[name], id=f"{name}-now", name=f"{name} (now)",
                               **self.options)

    def plan(self) -> list[str]:
        """Add the jobs; returns the daily jobs whose time passed unrun (they run at once)."""
        runs = last_runs(self.app)
        now = self.app.now()
        catch_up = []
        for spec in SCHEDULE:
            trigger = spec.trigger(self.timing)
            self.scheduler.add_job(self._run, trigger, args=[spec.name], id=spec.name,
                                   name=spec.name, **self.options)
            if isinstance(trigger, CronTrigger) and missed(trigger, runs[spec.name], now,
                                                           self.timing.grace):
                catch_up.append(spec.name)
        for name in ("poll", *catch_up, "notify"):
            self.run_soon(name)
        t = self.timing
        self.log(event="start", pid=os.getpid(), state=str(self.app.store.root),
                 poll_minutes=f"{t.poll_minutes:g}", idle=t.use_idle,
                 sweep=f"{t.sweep_time:%H:%M}", chase=f"{t.chase_time:%H:%M}",
                 **{f"last_{name}": iso_utc(when) if when else None for name, when in runs.items()},
                 catch_up=",".join(catch_up) or "none")
        return catch_up

    def _on_scheduler_event(self, event: JobEvent) -> None:
        name = event.job_id.removesuffix("-now")
        if event.code == EVENT_JOB_MISSED:
            self.log(job=name, status="missed", reason="past the misfire grace")
        elif event.code == EVENT_JOB_MAX_INSTANCES:
            self.log(job=name, status="skipped", reason="still running")

    def _watch_idle(self) -> None:
        """Wake the poll job when the server announces mail; the interval poll is the watchdog."""
        imap = self.app.config.imap
        seconds = min(imap.idle_seconds, IDLE_MAX_SECONDS)
        pause = 1.0
        while not self.stopping.is_set():
            try:
                with Mailbox(self.app.config.imap) as mailbox:
                    if not mailbox.has_idle():
                        self.log(event="idle", status="unsupported",
                                 reason="server lacks IDLE; interval polling only")
                        return
                    pause = 1.0
                    self.log(event="idle", status="listening", folder=imap.folder)
                    self.run_soon("poll")   # for mail that came while IDLE was not listening
                    asked_at = None   # the cursor when a poll was last asked for
                    while not self.stopping.is_set():
                        # Mail that came after the last poll's fetch, before IDLE listened,
                        # is looked for once per finished poll (not while one is pending:
                        # that would ask again and again until it ran).
                        cursor = self.app.store.mail.cursor(imap.account, imap.folder)
                        fresh = cursor if cursor != asked_at else None
                        if mailbox.wait(imap.folder, seconds, after=fresh):
                            asked_at = cursor
                            self.run_soon("poll")
            except (FoibotError, *NETWORK_ERRORS) as exc:
                self.log(event="idle", status="error", error=str(exc) or type(exc).__name__,
                         retry_seconds=f"{pause:g}")
                self.stopping.wait(pause)
                pause = min(pause * 2, 300.0)

    def serve(self) -> None:
        """Block until SIGTERM or SIGINT; the job running then finishes before this returns."""
        _ = (self.app.store, self.app.campaigns)  # made once, before worker threads share them
        logging.getLogger("apscheduler").setLevel(logging.ERROR)  # its warnings are logged below
        self.scheduler.add_listener(self._on_scheduler_event,
                                    EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
        self.plan()
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            if self.timing.use_idle:
                threading.Thread(target=self._watch_idle, name="foibot-idle", daemon=True).start()
            self.scheduler.start()    # returns once a signal has asked it to stop
            self.stopping.set()
            self.log(event="stopping", reason=self.scheduler.stop_reason)
            self.scheduler.shutdown(wait=True)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        self.log(event="stop", pid=os.getpid())

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if self.scheduler.stop_reason is None:
            self.scheduler.stop_reason = signal.Signals(signum).name


class _Scheduler(BlockingScheduler):
    """APScheduler's ``BlockingScheduler`` whose loop also ends when a signal handler asks.

    A signal handler may take no lock (the main thread it interrupts may hold it) and must not
    shut the scheduler down itself (that races with the loop), so it only sets ``stop_reason``;
    the loop looks at it at least every :data:`STOP_CHECK_SECONDS` and returns, and the
    shutdown that waits for running jobs follows in plain code.
    """

    stop_reason: str | None = None

    def _main_loop(self) -> None:
        wait_seconds: float | None = TIMEOUT_MAX
        while self.state != STATE_STOPPED and self.stop_reason is None:
            self._event.wait(min(TIMEOUT_MAX if wait_seconds is None else wait_seconds,
                                 STOP_CHECK_SECONDS))
            self._event.clear()
            if self.stop_reason is None:
                wait_seconds = self._process_jobs()


def once_with_signals(app: App, *, log: Log) -> list[JobResult]:
    """``run --once``: a signal lets the current job finish and skips the rest."""
    stop = threading.Event()

    def handler(signum: int, _frame: FrameType | None) -> None:
        stop.set()
        log(event="stopping", reason=signal.Signals(signum).name)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        return run_once(app, log=log, stop=stop)
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


# --- the web view beside the scheduler (``foibot run --web``) ----------------------------------
@contextmanager
def web_view(app: App, *, host: str, port: int, log: Log) -> Iterator[None]:
    """Serve the web view from the service process while the block runs (uvicorn in a thread
    of its own, over its own view of the state dir); stopped, open requests finished, on the
    way out. It binds before the scheduler starts, so a port in use stops ``run`` at once."""
    from foibot.web import server

    running = server.start(app, host=host, port=port)
    log(event="web", status="listening", url=running.url)
    try:
        yield
    finally:
        running.stop()
        log(event="web", status="stopped")
