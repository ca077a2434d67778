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

import threading
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from foibot.app import App
from foibot.errors import FoibotError, UsageError
from foibot.letters import chasers as chasing
from foibot.mail import inbox
from foibot.mail.review import unfiled_from_forces
from foibot.rules import clock
from foibot.rules.status import derive
from foibot.service import notify
from foibot.settings import ScheduleSettings
from foibot.timeutil import LONDON, london_date

NOTIFY_MINUTES = 1
CHASE_REGIME: clock.Regime = "foia"   # FOIA's working days: a bank holiday anywhere in the UK is not one


@dataclass(frozen=True)
class JobResult:
    status: str = "ok"                      # ok, skipped or error
    fields: dict[str, Any] = field(default_factory=dict)


# --- the jobs ---------------------------------------------------------------------------------
def poll_job(app: App) -> JobResult:
    summary = inbox.poll(app)
    news = notify.enqueue(app, notify.recent_replies(app, since=app.now() - notify.REPLY_LOOKBACK))
    fields: dict[str, Any] = {"new": summary.new, "matched": summary.matched,
                              "triage": summary.triage, "bounce": summary.bounce, "news": news}
    if summary.unreadable:     # set aside, to be read by a person: say so in the log
        fields.update(unreadable=summary.unreadable, warning="; ".join(summary.warnings))
    return JobResult(fields=fields)


def sweep_job(app: App) -> JobResult:
    """Recompute every request's deadline; a deadline newly passed is news (once per deadline),
    unless the force may have answered: a reply not yet reviewed, or mail from the force in
    triage (as the chaser holds them)."""
    now = app.now()
    today = london_date(now)
    names = app.campaigns.names()
    notes = []
    count = 0
    for name in names:
        requests = app.campaigns.requests(name)
        held = unfiled_from_forces(app, requests)
        for request in requests:
            count += 1
            row = derive(request, today)
            if row.state == "overdue" and row.due is not None and not row.needs_review \
                    and request.reference not in held:
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
    trigger: Callable[[ScheduleSettings], BaseTrigger]


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


# --- running one job --------------------------------------------------------------------------
_running = {spec.name: threading.Lock() for spec in SCHEDULE}


def _quiet(**_: Any) -> None:
    return None


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
    app.store.service.record_run(name, started, result.status)


def last_runs(app: App) -> dict[str, datetime | None]:
    """When each job last ran (by the injected clock), None if never."""
    runs: dict[str, datetime | None] = {spec.name: None for spec in SCHEDULE}
    for name, when in app.store.service.last_runs().items():
        if name in runs:
            runs[name] = when
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
