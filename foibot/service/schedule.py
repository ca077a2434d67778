"""``foibot run``: the unattended service, one schedule table over the CLI's own functions.

:data:`SCHEDULE` lists every job (like Froide's ``CELERY_BEAT_SCHEDULE``):

=======  ==========================================  ===========================================
poll     every ``[schedule] poll_minutes`` (+ IDLE)  fetch and file replies (``inbox.poll``)
sweep    daily at ``sweep_time``, Europe/London      news of deadlines passed, once per deadline
chase    Mon-Fri at ``chase_time``, Europe/London    chasers (``chasing.run_chase``), never on a
                                                     bank holiday
notify   every minute, and after news                deliver queued webhook notifications
=======  ==========================================  ===========================================

Each job is a thin loop over library functions, run inline by :func:`run_job` (which is what
tests and ``foibot run --once`` call) or by APScheduler's ``BlockingScheduler``. A failing job is
logged and tried again at its next run; it never stops the service. Jobs coalesce and have a
misfire grace (``misfire_grace_minutes``), so a laptop that slept runs a missed job once, not
once per missed time; at start-up a daily job whose time passed within the grace since its last
run (kept in ``service.json``) runs at once.

APScheduler fires on the real time; the jobs themselves read "now" from ``app.now()``, so
``FOIBOT_NOW`` moves what they see. One service runs per state dir, guarded by ``run.lock``.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
import threading
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from threading import TIMEOUT_MAX
from types import FrameType
from typing import IO, Any

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED, JobEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from filelock import FileLock, Timeout

from foibot.letters import chasers as chasing
from foibot.rules import clock
from foibot.mail import inbox
from foibot.service import notify
from foibot.app import App
from foibot.errors import ConfigError, FoibotError, StateError, UsageError
from foibot.mail.imap import NETWORK_ERRORS, Mailbox
from foibot.rules.status import derive
from foibot.timeutil import LONDON, from_iso, iso_utc, london, london_date

NOTIFY_MINUTES = 1
CHASE_REGIME: clock.Regime = "foia"   # FOIA's working days: a bank holiday anywhere in the UK is not one
IDLE_MAX_SECONDS = 29 * 60  # RFC 2177: re-issue IDLE at least every 29 minutes
STOP_CHECK_SECONDS = 0.25


@dataclass(frozen=True)
class JobResult:
    status: str = "ok"                      # ok, skipped or error
    fields: dict[str, Any] = field(default_factory=dict)


# --- the [schedule] section -------------------------------------------------------------------
def _clock_time(value: str, key: str, app: App) -> time:
    hh, _, mm = value.partition(":")
    if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
        where = app.config.path.name if app.config.path else "config"
        raise ConfigError(f'{where}: [schedule] {key}: expected HH:MM, got "{value}"')
    return time(int(hh), int(mm))


@dataclass(frozen=True)
class Timing:
    poll_minutes: float
    sweep_time: time
    chase_time: time
    grace_seconds: int
    use_idle: bool

    @classmethod
    def from_app(cls, app: App) -> Timing:
        s = app.config.section("schedule")
        if s["poll_minutes"] <= 0:
            where = app.config.path.name if app.config.path else "config"
            raise ConfigError(f"{where}: [schedule] poll_minutes: expected a number above 0")
        return cls(float(s["poll_minutes"]), _clock_time(s["sweep_time"], "sweep_time", app),
                   _clock_time(s["chase_time"], "chase_time", app),
                   max(1, s["misfire_grace_minutes"] * 60), s["use_idle"])

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.grace_seconds)


def check(app: App) -> Timing:
    """The settings the service runs on, checked before it starts rather than at 3 a.m."""
    notify.Settings.from_app(app)
    return Timing.from_app(app)


# --- the jobs ---------------------------------------------------------------------------------
def poll_job(app: App) -> JobResult:
    summary = inbox.poll(app)
    news = notify.enqueue(app, notify.recent_replies(app, since=app.now() - notify.REPLY_LOOKBACK))
    return JobResult(fields={"new": summary.new, "matched": summary.matched,
                             "triage": summary.triage, "bounce": summary.bounce, "news": news})


def sweep_job(app: App) -> JobResult:
    """Recompute every request's deadline; a deadline newly passed is news (once per deadline)."""
    now = app.now()
    today = london_date(now)
    names = app.campaigns.names()
    notes = []
    count = 0
    for name in names:
        for request in app.campaigns.requests(name):
            count += 1
            row = derive(request, today)
            if row.state == "overdue" and row.due is not None:
                notes.append(notify.deadline_passed(request, row.due, now))
    news = notify.enqueue(app, notes)
    return JobResult(fields={"campaigns": len(names), "requests": count, "overdue": len(notes),
                             "news": news})


def chase_job(app: App) -> JobResult:
    """Chase late forces on working days; the trigger already skips weekends, this bank holidays."""
    now = app.now()
    reason = clock.non_working_reason(london_date(now), CHASE_REGIME)
    if reason:
        return JobResult("skipped", {"reason": f"not a working day ({reason})"})
    outcomes = chasing.run_chase(app, None, send=True)
    news = notify.enqueue(app, [n for o in outcomes if (n := notify.from_chase(o, now))])
    count = Counter(o.result for o in outcomes)
    requests = len({(o.campaign, o.decision.reference) for o in outcomes})
    fields: dict[str, Any] = {"requests": requests, "sent": count["sent"],
                              "drafted": count["drafted"], "news": news}
    trouble = [o for o in outcomes if o.trouble]
    if not trouble:
        return JobResult(fields=fields)
    fields.update({r: count[r] for r in ("failed", "deferred", "uncertain") if count[r]})
    return JobResult("error", {**fields, "error": trouble[0].line()})


def notify_job(app: App) -> JobResult:
    report = notify.deliver(app)
    return JobResult("error" if report.failed else "ok", report.fields())


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[[App], JobResult]
    trigger: Callable[[Timing], BaseTrigger]


def _daily(at: time, days: str = "*") -> CronTrigger:
    return CronTrigger(day_of_week=days, hour=at.hour, minute=at.minute, timezone=LONDON)


# The schedule table. Its order is the order of `foibot run --once`.
SCHEDULE: tuple[JobSpec, ...] = (
    JobSpec("poll", poll_job, lambda t: IntervalTrigger(minutes=t.poll_minutes, timezone=LONDON)),
    JobSpec("sweep", sweep_job, lambda t: _daily(t.sweep_time)),
    JobSpec("chase", chase_job, lambda t: _daily(t.chase_time, "mon-fri")),
    JobSpec("notify", notify_job, lambda t: IntervalTrigger(minutes=NOTIFY_MINUTES, timezone=LONDON)),
)
JOBS = {spec.name: spec for spec in SCHEDULE}


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


def _quiet(**_: Any) -> None:
    return None


# --- running one job --------------------------------------------------------------------------
_running = {spec.name: threading.Lock() for spec in SCHEDULE}


def run_job(app: App, name: str, *, log: Callable[..., None] = _quiet) -> JobResult:
    """Run one job now, in this thread; never raises for the job's own failures.

    A job already running (in this process) is skipped rather than run twice at once.
    """
    spec = JOBS.get(name)
    if spec is None:
        raise UsageError(f"no such job: {name!r} (jobs: {', '.join(JOBS)})")
    if not _running[name].acquire(blocking=False):
        result = JobResult("skipped", {"reason": "still running"})
        log(job=name, status=result.status, **result.fields)
        return result
    started = app.now()
    try:
        result = spec.run(app)
    except FoibotError as exc:
        result = JobResult("error", {"error": str(exc)})
    except Exception as exc:  # noqa: BLE001 - a bug in one job must not stop the others
        result = JobResult("error", {"error": f"{type(exc).__name__}: {exc}",
                                     "trace": traceback.format_exc()})
    finally:
        _running[name].release()
    try:
        _record_run(app, name, started, result)
    except FoibotError as exc:
        result = JobResult("error", {**result.fields, "error": f"recording the run: {exc}"})
    log(job=name, status=result.status, **result.fields)
    return result


def run_once(app: App, *, log: Callable[..., None] = _quiet,
             stop: threading.Event | None = None) -> list[JobResult]:
    """Every job once, in schedule order (poll, sweep, chase, notify); ``stop`` ends it early."""
    results = []
    for spec in SCHEDULE:
        if stop is not None and stop.is_set():
            break
        results.append(run_job(app, spec.name, log=log))
    return results


def _record_run(app: App, name: str, started: datetime, result: JobResult) -> None:
    with app.store.db(app.store.service_path) as db:
        table = db.table("jobs")
        table.remove(doc_ids=[d.doc_id for d in table.all() if d["name"] == name])
        table.insert({"name": name, "last_run": iso_utc(started), "status": result.status})


def last_runs(app: App) -> dict[str, datetime | None]:
    """When each job last ran (by the injected clock), None if never."""
    runs: dict[str, datetime | None] = {spec.name: None for spec in SCHEDULE}
    with app.store.db(app.store.service_path, write=False) as db:
        for doc in db.table("jobs").all():
            if doc["name"] in runs:
                runs[doc["name"]] = from_iso(doc["last_run"])
    return runs


def missed(trigger: BaseTrigger, last_run: datetime | None, now: datetime,
           grace: timedelta) -> bool:
    """Did a scheduled time pass within ``grace`` of ``now`` that the job has not run since?"""
    fire = trigger.get_next_fire_time(None, now - grace)
    latest = None
    while fire is not None and fire <= now:
        latest = fire
        fire = trigger.get_next_fire_time(fire, fire)
    return latest is not None and (last_run is None or last_run < latest)


# --- one instance per state dir ---------------------------------------------------------------
class AlreadyRunning(StateError):
    pass


@contextmanager
def instance(app: App) -> Iterator[None]:
    """Hold ``run.lock`` for the life of the service; a second service is refused at once.

    It is not the store's short-lived ``.lock``: that one is taken for each write, this one
    says "a service owns this state dir".
    """
    root = app.store.root
    root.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(root / "run.lock"), blocking=False)
    try:
        lock.acquire()
    except Timeout:
        raise AlreadyRunning(
            f"another instance is running for state dir {root} (pid {_owner(app)})") from None
    try:
        with app.store.db(app.store.service_path) as db:
            table = db.table("instance")
            table.truncate()
            table.insert({"pid": os.getpid(), "started": iso_utc(app.now())})
        yield
    finally:
        lock.release()


def _owner(app: App) -> str:
    try:
        with app.store.db(app.store.service_path, write=False) as db:
            docs = db.table("instance").all()
    except FoibotError:
        docs = []
    return str(docs[0]["pid"]) if docs else "unknown"


# --- the service ------------------------------------------------------------------------------
class Service:
    """APScheduler's ``BlockingScheduler`` over :data:`SCHEDULE`, stopped cleanly by a signal."""

    def __init__(self, app: App, *, log: Log) -> None:
        self.app = app
        self.log = log
        self.timing = Timing.from_app(app)
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
        imap = self.app.config.section("imap")
        seconds = min(imap["idle_seconds"], IDLE_MAX_SECONDS)
        pause = 1.0
        while not self.stopping.is_set():
            try:
                with Mailbox(self.app.config.imap) as mailbox:
                    if not mailbox.has_idle():
                        self.log(event="idle", status="unsupported",
                                 reason="server lacks IDLE; interval polling only")
                        return
                    pause = 1.0
                    self.log(event="idle", status="listening", folder=imap["folder"])
                    self.run_soon("poll")   # for mail that came while IDLE was not listening
                    while not self.stopping.is_set():
                        if mailbox.wait(imap["folder"], seconds):
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
