"""`foibot run` as a real process against aiosmtpd, pymap and a local webhook server.

Time moves by ``FOIBOT_NOW`` (time-machine cannot reach into a subprocess): ``run --once`` at
chosen instants drives every job deterministically; the APScheduler loop itself is tested with
a tiny poll interval and real signals.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from foibot.service import runner
from foibot.service import schedule as scheduler
from foibot.app import App
from foibot.registry import Registry
from foibot.timeutil import LONDON
from tests.helpers import QUESTION, cli, write_config
from foibot.mail.readers import read
from tests.replies import ACK, REFUSAL, XLSX, big_sheet, reply_to
from tests.servers import free_port
from tests.webhook_server import webhook_server_fixture  # noqa: F401 (fixture)

FORCES = ("kent", "essex", "dorset", "surrey")
SENT = "2026-12-01T10:00:00+00:00"          # Tue: due Thu 31 Dec 2026 (FOIA)
SATURDAY = "2027-01-09T03:00:00+00:00"       # no daily job falls due near this instant


def configure(tmp_path: Path, smtp_server, imap: tuple[str, int, str, str], *,
              schedule: str = "", hooks: list[str] = ()) -> Path:
    exclude = [f.id for f in Registry.from_settings().group("all") if f.id not in FORCES]
    rows = ", ".join(f'{{ url = "{url}", format = "json" }}' for url in hooks)
    extra = ("[forces]\nexclude = [" + ", ".join(f'"{x}"' for x in exclude) + "]\n"
             f"[notify]\nwebhooks = [{rows}]\ntimeout_seconds = 2\nretries = 2\n"
             f"[schedule]\n{schedule}\n")
    return write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port), imap=imap,
                        extra=extra)


def imap_of(server) -> tuple[str, int, str, str]:
    return (server.host, server.port, server.username, server.password)


def send_campaign(cfg: Path, capsys, monkeypatch) -> dict:
    monkeypatch.setenv("FOIBOT_NOW", SENT)
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    monkeypatch.delenv("FOIBOT_NOW")
    return {r.force.id: r for r in App.load(cfg).campaigns.requests("sm")}


def foibot(cfg: Path, *args: str, now: str, timeout: float = 30) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "foibot", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=timeout, check=False,
                          env={**os.environ, "FOIBOT_NOW": now})


def job_lines(stderr: str, job: str) -> list[str]:
    return [line for line in stderr.splitlines() if f" job={job} " in line + " "]


class Running:
    """A `foibot run` process; its log goes to a file the test can watch."""

    def __init__(self, cfg: Path, now: str, log: Path) -> None:
        self.log = log
        with open(log, "w") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "foibot", "--config", str(cfg), "run"],
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                env={**os.environ, "FOIBOT_NOW": now})

    @property
    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, *, count: int = 1, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(re.findall(pattern, self.text)) >= count:
                return self.text
            assert self.proc.poll() is None, f"foibot run exited early:\n{self.text}"
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} x{count} within {timeout}s:\n{self.text}")

    def terminate(self, timeout: float = 5) -> tuple[int, float]:
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started


@pytest.fixture
def run_service(tmp_path):
    started: list[Running] = []

    def start(cfg: Path, now: str = SATURDAY) -> Running:
        service = Running(cfg, now, tmp_path / f"run-{len(started)}.log")
        started.append(service)
        return service

    yield start
    for service in started:
        if service.proc.poll() is None:
            service.proc.kill()
            service.proc.wait()


def filed(cfg: Path, force: str) -> list[str]:
    request = next(r for r in App.load(cfg).campaigns.requests("sm") if r.force.id == force)
    return [e.data["kind"] for e in request.events if e.type == "reply"]


def test_the_service_logs_a_message_it_set_aside_as_unreadable(tmp_path, capsys, monkeypatch,
                                                               smtp_server, pymap_server):
    """Unattended, a reply that takes longer than the read limit is set aside (stored, in
    triage) and the poll's log line says so, with the reason; the reply after it is filed."""
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server))
    reqs = send_campaign(cfg, capsys, monkeypatch)
    slow = reply_to(reqs["kent"], REFUSAL, attachment=("figures.xlsx", XLSX, big_sheet()))
    started = time.perf_counter()
    assert read("x", slow).error is None
    took = time.perf_counter() - started
    cfg.write_text(cfg.read_text().replace(
        "[imap]\n", f"[imap]\nread_limit_seconds = {took / 3:.3f}\n"))
    pymap_server.deliver(slow)
    pymap_server.deliver(reply_to(reqs["essex"], REFUSAL))
    r = foibot(cfg, "run", "--once", now="2026-12-31T10:00:00+00:00", timeout=120)
    assert r.returncode == 0, r.stderr
    [line] = job_lines(r.stderr, "poll")
    assert " status=ok new=2 matched=1 triage=0 bounce=0 news=1 unreadable=1 " in line, line
    assert "could not be read (reading it took longer than" in line, line
    assert filed(cfg, "essex") == ["rejected"]


# --- time moved forward: the right chasers on the right day, once -----------------------------
def test_chasers_go_once_on_the_first_chase_day(tmp_path, capsys, monkeypatch, smtp_server,
                                                pymap_server, webhook_server):
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server), hooks=[webhook_server.url()])
    reqs = send_campaign(cfg, capsys, monkeypatch)
    assert len(smtp_server.messages) == 4
    pymap_server.deliver(reply_to(reqs["kent"], REFUSAL))    # Kent answers in time

    # the due day itself: Kent's answer is filed and told; nobody is late yet
    r = foibot(cfg, "run", "--once", now="2026-12-31T10:00:00+00:00")
    assert r.returncode == 0, r.stderr
    assert [line.split(" ", 1)[1] for line in r.stderr.splitlines()] == [
        "job=poll status=ok new=1 matched=1 triage=0 bounce=0 news=1",
        "job=sweep status=ok campaigns=1 requests=4 overdue=0 news=0",
        "job=chase status=ok requests=4 sent=0 drafted=0 news=0",
        "job=notify status=ok delivered=1 pending=0",
    ]
    assert r.stderr.startswith("2026-12-31T10:00:00+00:00 job=poll ")
    assert len(smtp_server.messages) == 4

    # Mon 4 Jan 2027 is a bank holiday in Scotland, so not a FOIA working day: no chasers,
    # but the sweep tells of three deadlines passed
    r = foibot(cfg, "run", "--once", now="2027-01-04T09:30:00+00:00")
    assert r.returncode == 0, r.stderr
    assert 'job=chase status=skipped reason="not a working day (New Year Holiday' in r.stderr
    assert "job=sweep status=ok campaigns=1 requests=4 overdue=3 news=3" in r.stderr
    assert len(smtp_server.messages) == 4

    # Tue 5 Jan: one chaser to each late force, none to Kent
    r = foibot(cfg, "run", "--once", now="2027-01-05T09:30:00+00:00")
    assert r.returncode == 0, r.stderr
    assert "job=chase status=ok requests=4 sent=3 drafted=0 news=3" in r.stderr
    # run again the same day, and the next: nothing more
    for now in ("2027-01-05T15:00:00+00:00", "2027-01-06T09:30:00+00:00"):
        r = foibot(cfg, "run", "--once", now=now)
        assert r.returncode == 0 and "sent=0" in r.stderr and "overdue=3 news=0" in r.stderr
    chasers = {force: [e.data["key"] for e in App.load(cfg).campaigns.find(req.reference).events
                       if e.type == "sent" and e.data["key"].startswith("chaser")]
               for force, req in reqs.items()}
    assert chasers == {"kent": [], "essex": ["chaser-1"], "dorset": ["chaser-1"],
                       "surrey": ["chaser-1"]}
    chased = sorted(m.rcpt_tos[0] for m in smtp_server.messages[4:])
    assert chased == sorted(reqs[f].email for f in ("essex", "dorset", "surrey"))

    events = sorted((b["event"], b["force"]) for b in webhook_server.delivered())
    assert events == sorted([("reply", "kent")]
                            + [("deadline_passed", f) for f in ("dorset", "essex", "surrey")]
                            + [("chaser_sent", f) for f in ("dorset", "essex", "surrey")])


# --- the real scheduler loop ------------------------------------------------------------------
def test_service_polls_refuses_a_second_instance_and_stops_on_sigterm(
        tmp_path, capsys, monkeypatch, smtp_server, pymap_server, webhook_server, run_service):
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server), hooks=[webhook_server.url()],
                    schedule="poll_minutes = 0.02")
    reqs = send_campaign(cfg, capsys, monkeypatch)
    service = run_service(cfg)
    text = service.wait_for(r"job=poll status=ok")
    start = next(line for line in text.splitlines() if "event=start" in line)
    assert f"pid={service.proc.pid}" in start and "last_poll=never" in start
    assert "catch_up=none" in start

    # mail appears filed without anyone asking; the webhook answers 500 first, then 200
    webhook_server.fail_next(1)
    pymap_server.deliver(reply_to(reqs["essex"], REFUSAL))
    deadline = time.monotonic() + 10
    while not filed(cfg, "essex") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert filed(cfg, "essex") == ["rejected"]
    service.wait_for(r"job=notify status=ok delivered=1")
    assert [p.status for p in webhook_server.posts] == [500, 200]

    # a second instance for the same state dir is refused, in one line
    state = App.load(cfg).store.root
    for args in (("run",), ("run", "--once")):
        r = foibot(cfg, *args, now=SATURDAY, timeout=10)
        assert r.returncode == 1
        assert r.stderr == (f"foibot run: another instance is running for state dir {state}"
                            f" (pid {service.proc.pid})\n")

    polls = len(job_lines(service.text, "poll"))
    service.wait_for(r"job=poll status=ok", count=polls + 2)   # it keeps polling
    code, took = service.terminate()
    assert code == 0 and took < 5
    assert "event=stopping reason=SIGTERM" in service.text and "event=stop " in service.text
    # the webhook got the reply once, however often the service polled
    assert [b["force"] for b in webhook_server.delivered()] == ["essex"]
    # and the lock is free again: last runs are kept and shown at the next start
    r = foibot(cfg, "run", "--once", now=SATURDAY)
    assert r.returncode == 0, r.stderr
    again = run_service(cfg)
    start = again.wait_for("event=start")
    assert f"last_poll={SATURDAY}" in start
    assert again.terminate()[0] == 0


def test_sigterm_lets_the_running_job_finish(tmp_path, capsys, monkeypatch, smtp_server,
                                            pymap_server, webhook_server, run_service):
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server), hooks=[webhook_server.url()],
                    schedule="poll_minutes = 0.02")
    reqs = send_campaign(cfg, capsys, monkeypatch)
    webhook_server.delay = 1.5
    service = run_service(cfg)
    service.wait_for(r"job=poll status=ok")
    pymap_server.deliver(reply_to(reqs["dorset"], REFUSAL))
    deadline = time.monotonic() + 10
    while not webhook_server.arrived and time.monotonic() < deadline:
        time.sleep(0.01)
    assert webhook_server.arrived == 1      # the notify job is mid-POST
    code, took = service.terminate(timeout=10)
    assert code == 0 and 0.5 < took < 8          # it waited for the webhook's answer
    text = service.text
    assert text.index("event=stopping") < text.index("job=notify status=ok delivered=1 pending=0")
    assert len(webhook_server.delivered()) == 1


def test_a_failing_job_is_logged_and_the_service_keeps_running(
        tmp_path, smtp_server, webhook_server, run_service):
    dead_imap = ("127.0.0.1", free_port(), "nobody", "x")
    cfg = configure(tmp_path, smtp_server, dead_imap, hooks=[webhook_server.url()],
                    schedule="poll_minutes = 0.02")
    service = run_service(cfg)
    text = service.wait_for(r"job=poll status=error", count=2)
    line = job_lines(text, "poll")[0]
    assert f'error="IMAP 127.0.0.1:{dead_imap[1]}: cannot connect' in line
    assert service.proc.poll() is None
    assert service.terminate()[0] == 0

    # --once runs the other jobs all the same, and says by its exit code that one failed
    r = foibot(cfg, "run", "--once", "--log-json", now=SATURDAY)
    assert r.returncode == 1
    lines = [json.loads(line) for line in r.stderr.splitlines()]
    assert [(x["job"], x["status"]) for x in lines] == [
        ("poll", "error"), ("sweep", "ok"), ("chase", "skipped"), ("notify", "ok")]
    assert "cannot connect" in lines[0]["error"] and lines[0]["at"] == SATURDAY
    assert lines[2]["reason"] == "not a working day (Saturday)"


def test_idle_wakes_the_poll_between_intervals(tmp_path, capsys, monkeypatch, smtp_server,
                                               pymap_server, run_service):
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server),
                    schedule="poll_minutes = 30\nuse_idle = true")
    reqs = send_campaign(cfg, capsys, monkeypatch)
    service = run_service(cfg)
    service.wait_for(r"event=idle status=listening")
    service.wait_for(r"job=poll status=ok new=0", count=2)   # at start, and once IDLE listens
    time.sleep(0.3)
    pymap_server.deliver(reply_to(reqs["surrey"], ACK.format(day="2 December 2026")))
    service.wait_for(r"job=poll status=ok new=1", timeout=8)
    assert filed(cfg, "surrey") == ["acknowledgement"]
    assert service.terminate()[0] == 0


# --- start-up catch-up, in-process ------------------------------------------------------------
def test_missed_daily_times_within_the_grace():
    chase = CronTrigger(day_of_week="mon-fri", hour=9, minute=30, timezone=LONDON)
    grace = timedelta(hours=6)
    tue = datetime(2027, 1, 5, 9, 30, tzinfo=LONDON)
    assert scheduler.missed(chase, None, tue + timedelta(minutes=15), grace)
    assert scheduler.missed(chase, tue - timedelta(days=1), tue + timedelta(hours=5), grace)
    assert not scheduler.missed(chase, tue + timedelta(minutes=1), tue + timedelta(hours=1), grace)
    assert not scheduler.missed(chase, None, tue + timedelta(hours=7), grace)
    assert not scheduler.missed(chase, None, tue - timedelta(minutes=1), grace)
    saturday = datetime(2027, 1, 9, 10, 0, tzinfo=LONDON)
    assert not scheduler.missed(chase, None, saturday, grace)


def test_start_catches_up_a_missed_chase_once(tmp_path, monkeypatch):
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2027-01-05T10:00:00+00:00")  # Tue, after 07:00 and 09:30
    app = App.load(cfg)
    log = runner.Log(clock=app.now)
    service = runner.Service(app, log=log)
    assert service.plan() == ["sweep", "chase"]
    jobs = {job.id: job for job in service.scheduler.get_jobs()}
    assert set(jobs) == {"poll", "sweep", "chase", "notify",       # the schedule table
                         "poll-now", "sweep-now", "chase-now", "notify-now"}   # run at start
    for job in jobs.values():   # a laptop that slept runs each missed job once, within 6 hours
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 360 * 60)
    saturday = datetime(2027, 1, 9, 8, 0, tzinfo=LONDON)
    assert jobs["chase"].trigger.get_next_fire_time(None, saturday) == \
        datetime(2027, 1, 11, 9, 30, tzinfo=LONDON)
    scheduler.run_job(app, "chase")
    assert runner.Service(app, log=log).plan() == ["sweep"]
    assert scheduler.last_runs(app)["chase"] == datetime(2027, 1, 5, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize("extra, error", [
    ('[schedule]\nsweep_time = "7am"\n', '[schedule] sweep_time: expected HH:MM, got "7am"'),
    ('[notify]\nwebhooks = [{ url = "hooks.example/T0/s3cr3t" }]\n',
     "[notify] webhooks[0] url: expected an http(s) URL"),
])
def test_bad_settings_stop_the_service_at_start(tmp_path, extra, error):
    cfg = write_config(tmp_path, extra=extra)
    for args in (("run",), ("run", "--once")):
        r = foibot(cfg, *args, now=SATURDAY, timeout=10)
        assert r.returncode == 2 and r.stderr == f"foibot: config.toml: {error}\n"


def _children(pid: int) -> list[int]:
    done = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True,
                          text=True)
    return [int(x) for x in done.stdout.split()]


def _gone(pid: int) -> bool:
    done = subprocess.run(["ps", "-o", "stat=", "-p", str(pid)], capture_output=True, text=True)
    return not done.stdout.strip() or done.stdout.strip().startswith("Z")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("moment", ["starting", "serving"])
def test_the_service_leaves_no_process_or_port_behind(tmp_path, capsys, monkeypatch, smtp_server,
                                                      pymap_server, signum, moment):
    """Signalled while it starts or once it polls and serves the web view: it exits without a
    traceback, and neither a child process (the readers' fork server among them: the poll
    has a reply to read) nor the web view's port outlives it."""
    cfg = configure(tmp_path, smtp_server, imap_of(pymap_server),
                    schedule="poll_minutes = 0.02")
    reqs = send_campaign(cfg, capsys, monkeypatch)
    pymap_server.deliver(reply_to(next(iter(reqs.values())), ACK))
    port = free_port()
    log = tmp_path / "run.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "foibot", "--config", str(cfg), "run", "--web",
             "--port", str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=err, env={**os.environ, "FOIBOT_NOW": SATURDAY})
    seen: set[int] = set()
    try:
        if moment == "serving":
            deadline = time.monotonic() + 20
            while "job=poll status=ok" not in log.read_text() and time.monotonic() < deadline:
                seen.update(_children(proc.pid))
                time.sleep(0.05)
            assert "job=poll status=ok" in log.read_text(), log.read_text()
            assert _listening(port)
            assert App.load(cfg).store.mail.pending() == [] and \
                App.load(cfg).store.mail.count() == 1       # the reply was read
        else:
            time.sleep(0.3)
        seen.update(_children(proc.pid))
        proc.send_signal(signum)
        code = proc.wait(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text()
    assert "Traceback" not in text, text
    assert code in (0, 130, -signum), (code, text)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not all(_gone(k) for k in seen):
        time.sleep(0.1)
    assert all(_gone(k) for k in seen), "a child of foibot run outlived it"
    assert not _listening(port)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
