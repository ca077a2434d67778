"""The web view's command line: ``foibot read``, the link ``show`` gives to it, ``foibot serve``
over the state ``foibot demo --state`` leaves, and ``foibot run --web``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers import cli, cli_process
from tests.servers import free_port
from tests.webhelpers import NOW, TRIAGE_TEXT, WebState, tiny_pdf, tiny_png, web_state


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> WebState:
    return web_state(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture
def cfg(built, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("FOIBOT_NOW", NOW)
    return built.copy_to(tmp_path / "copy")


def test_read_prints_the_latest_reply_and_saves_its_attachments(cfg, built, capsys, tmp_path):
    r = cli(capsys, cfg, "read", built.unsure)
    assert r.code == 0, r.err
    assert r.out.startswith(f"{built.unsure}  reply 1 of 1")
    assert "We have looked into this matter and enclose our letter." in r.out
    assert "reads as: unknown (0.20); needs review" in r.out
    assert "  1. scan.pdf  (application/pdf" in r.out and "  2. photo.png  (image/png" in r.out
    assert f"foibot read {built.unsure} --reply 1 --save DIR" in r.out
    out = tmp_path / "out"
    r = cli(capsys, cfg, "read", built.unsure, "--save", str(out))
    assert r.code == 0, r.err
    assert (out / "scan.pdf").read_bytes() == tiny_pdf("Page 1")
    assert (out / "photo.png").read_bytes() == tiny_png()
    cli(capsys, cfg, "read", built.unsure, "--save", str(out))     # never overwrites
    assert sorted(p.name for p in out.iterdir()) == ["photo-2.png", "photo.png", "scan-2.pdf",
                                                     "scan.pdf"]


def test_read_fits_the_terminal_and_dates_in_uk_time(cfg, built):
    """In 80 columns a reply's long lines are folded at spaces (none lost, none cut), and its
    date is given in UK time."""
    env = {"FOIBOT_NOW": NOW}
    wide = cli_process(cfg, "read", built.spreadsheet, "--reply", "1",
                       env={**env, "COLUMNS": "400"}).stdout
    done = cli_process(cfg, "read", built.spreadsheet, "--reply", "1",
                       env={**env, "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 < max(len(line) for line in wide.splitlines())
    assert done.stdout.split() == wide.split()
    date = next(line for line in lines if line.startswith("date: "))
    assert date.endswith((" GMT", " BST")), date


def test_read_an_earlier_reply_as_json(cfg, built, capsys):
    ref = built.spreadsheet
    r = cli(capsys, cfg, "read", ref, "--reply", "1", "--json")
    assert r.code == 0, r.err
    data = json.loads(r.out)
    assert (data["reply"], data["replies"], data["kind"]) == (1, 2, "acknowledgement")
    assert "Thank you for your request" in data["text"]
    latest = json.loads(cli(capsys, cfg, "read", ref, "--json").out)
    assert latest["reply"] == 2 and latest["attachments"][0]["filename"].endswith(".xlsx")
    r = cli(capsys, cfg, "read", ref, "--reply", "3")
    assert r.code == 2 and r.err.strip() == f"foibot: {ref} has 2 replies; give --reply 1 to 2"
    silent = built.refs["west-yorkshire"]
    r = cli(capsys, cfg, "read", silent)
    assert r.code == 2 and r.err.strip() == f"foibot: {silent} has no reply by email yet"


def test_read_shows_a_hostile_reply_as_text(cfg, built, capsys):
    r = cli(capsys, cfg, "read", built.hostile)
    assert r.code == 0, r.err
    assert "\x1b" not in r.out and "\x07" not in r.out
    assert "Information not held.?]0;pwned??[2J" in r.out


def test_show_links_each_reply_to_read(cfg, built, capsys):
    r = cli(capsys, cfg, "show", built.spreadsheet)
    assert r.code == 0, r.err
    assert f"read: foibot read {built.spreadsheet} --reply 1" in r.out
    assert f"read: foibot read {built.spreadsheet} --reply 2" in r.out
    assert TRIAGE_TEXT not in r.out


def _wait_for(url: str, proc: subprocess.Popen, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "exited"
        try:
            return httpx.get(url, timeout=5)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {timeout}s")


def _stop(proc: subprocess.Popen) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    try:
        _, err = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    return proc.returncode, err


def test_serve_opens_the_state_the_demo_leaves(tmp_path):
    state = tmp_path / "demo"
    done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--state", str(state), "-q"],
                          capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "foibot", "--config", str(state / "config.toml"), "serve",
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "FOIBOT_NOW": "2027-02-08T12:00:00+00:00"})
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/", proc)
        assert page.status_code == 200
        assert "social-media: 32 of 44 responded" in page.text
    finally:
        code, err = _stop(proc)
    assert code == 0, err
    assert f"serving http://127.0.0.1:{port}/" in err and "stopped (SIGTERM)" in err


def test_run_web_serves_beside_the_scheduler(cfg, tmp_path):
    port = free_port()
    log = tmp_path / "run.log"
    with open(log, "w") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "foibot", "--config", str(cfg), "run", "--web", "--port",
             str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            env={**os.environ, "FOIBOT_NOW": NOW})
    try:
        page = _wait_for(f"http://127.0.0.1:{port}/review", proc)
        assert page.status_code == 200 and "Replies foibot is not sure about" in page.text
        deadline = time.monotonic() + 10
        while "job=poll" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
    text = log.read_text()
    assert code == 0, text
    assert f"event=web status=listening url=http://127.0.0.1:{port}/" in text
    assert "job=poll" in text        # the scheduler ran beside it
    assert text.index("event=stopping") < text.index("event=web status=stopped")
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=2)


def test_run_web_with_once_is_refused(cfg, capsys):
    r = cli(capsys, cfg, "run", "--once", "--web")
    assert r.code == 2 and "--web serves while the service runs" in r.err
