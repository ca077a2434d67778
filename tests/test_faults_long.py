"""The long randomised half of the fault promises (issue 10), behind the ``slow`` marker:

    pytest -m slow          # .ci/run runs it after the default suite

- 20 sends of one campaign, each SIGKILLed at a random moment (after an intent, during DATA,
  after the server's 250, during the state write): no force ever gets two letters, and the
  Sent-folder check settles every letter the server accepted;
- 20 polls with the IMAP connection cut, or the server killed, at a random point, a UIDVALIDITY
  reset, and the same message in two folders and delivered twice: every message is stored once
  and filed once, and the next poll resumes;
- ``foibot run`` polling and chasing while send, mark, assign, status and answer run in loops
  beside it: no lost update, no traceback, every event present afterwards.

Each test prints its random seed; FOIBOT_TEST_SEED replays one.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter

import pytest

from foibot.app import App
from foibot.mail.inflight import effective
from foibot.rules.letter_state import letter_state
from tests.helpers import QUESTION, cli, write_config
from tests.replies import ACK, SUCCESS, reply_to

pytestmark = pytest.mark.slow


def _say(text: str) -> None:
    """Straight to the terminal (capsys, which the CLI helper reads, would swallow it)."""
    sys.__stderr__.write(f"\n{text}\n")


def _seed() -> random.Random:
    seed = int(os.environ.get("FOIBOT_TEST_SEED") or time.time_ns() % 1_000_000)
    _say(f"FOIBOT_TEST_SEED={seed}")
    return random.Random(seed)


def _foibot(cfg, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "foibot", "--config", str(cfg), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})


def test_twenty_sigkills_of_a_send_never_send_a_letter_twice(tmp_path, capsys, monkeypatch,
                                                             smtp_server, pymap_server):
    rng = _seed()
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    cfg.write_text(cfg.read_text().replace("[imap]", '[imap]\nsent_folder = "Sent"'))
    smtp_server.copy_to(pymap_server, "Sent")     # the provider keeps what it accepted
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:30:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}",
               "--group", "all").code == 0
    for run in range(20):
        smtp_server.slow_data(rng.choice([0.0, 0.0, 0.05, 0.2]))
        proc = _foibot(cfg, "send", "sm")
        time.sleep(rng.uniform(0.05, 1.2))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rcpts = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
        assert not rcpts or max(rcpts.values()) == 1, f"run {run}: a force got two letters"
    smtp_server.slow_data(0)
    # the poll settles, from the Sent folder, every letter the server accepted
    assert cli(capsys, cfg, "poll").code == 0
    app = App.load(cfg)
    delivered = {r for m in smtp_server.messages for r in m.rcpt_tos}
    for request in app.campaigns.requests("sm"):
        state = effective(letter_state(request, "request"))
        if request.email in delivered:
            assert state == "sent", (request.force.id, state)
        else:
            assert state in ("unsent", "uncertain", "deferred"), (request.force.id, state)
    settled = [e for q in app.campaigns.requests("sm") for e in q.events
               if e.type == "sent" and "found in Sent" in str(e.data.get("response"))]
    _say(f"{len(settled)} letters settled from the Sent folder")
    # what is left goes now, and still nobody gets two
    r = cli(capsys, cfg, "send", "sm", "--resend-uncertain")
    assert r.code == 0, r.out + r.err
    rcpts = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    reachable = [q for q in app.campaigns.requests("sm") if q.email]
    assert len(rcpts) == len(reachable) and max(rcpts.values()) == 1


def test_twenty_broken_polls_store_and_file_every_message_once(tmp_path, capsys, monkeypatch,
                                                                smtp_server, pymap_server,
                                                                tcp_cutter):
    rng = _seed()
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:30:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    reqs = list(App.load(cfg).campaigns.requests("sm"))
    cutter = tcp_cutter(pymap_server)
    text = cfg.read_text().replace(f"port = {pymap_server.port}", f"port = {cutter.port}")
    cfg.write_text(text.replace("[imap]", '[imap]\nbatch_size = 4\nfolders = ["Police"]'))
    pymap_server.create_folder("Police")
    sent_raw: dict[str, bytes] = {}
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-10T10:30:00+00:00")
    for run in range(20):
        for _ in range(rng.randint(1, 4)):
            request = rng.choice(reqs)
            raw = reply_to(request, rng.choice([SUCCESS, ACK.format(day="1 December")])
                           + f"\n\n{run}-{rng.random()}")
            sent_raw[request.reference + str(len(sent_raw))] = raw
            pymap_server.deliver(raw)
            if rng.random() < 0.3:          # a mail rule copied it, or it came twice
                pymap_server.deliver(raw, rng.choice(["INBOX", "Police"]))
        fault = rng.choice(["cut", "cut", "kill", "server", "none"])
        if fault == "cut":
            cutter.cut_after(rng.randint(50, 6000), after=rng.choice([b"", b"BODY[] {"]))
        proc = _foibot(cfg, "poll")
        if fault == "kill":
            time.sleep(rng.uniform(0.2, 1.0))
            proc.send_signal(signal.SIGKILL)
        if fault == "server":
            time.sleep(rng.uniform(0.0, 0.8))
            pymap_server.stop()             # the IMAP server dies under the poll
        out, err = proc.communicate(timeout=60)
        assert "Traceback" not in err, err
        if fault == "server":
            assert proc.returncode in (0, 1) and len(err.strip().splitlines()) <= 1, err
        cutter.disarm()
        if run == 10 or fault == "server":
            # the server comes back having renumbered its folders (new UIDVALIDITY): the same
            # mail under new UIDs
            pymap_server.restart()
            pymap_server.create_folder("Police")
            for raw in sent_raw.values():
                pymap_server.deliver(raw)
    _say(f"{cutter.cuts} connections cut")
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    app = App.load(cfg)
    stored = app.store.mail.messages()
    assert len(stored) == len(set(sent_raw.values()))          # each message once
    assert app.store.mail.pending() == []
    filed = Counter(e.data["message"] for q in app.campaigns.requests("sm") for e in q.events
                    if e.type == "reply")
    assert set(filed) == {m.sha256 for m in stored} and max(filed.values()) == 1


def test_the_service_and_the_command_line_together_lose_nothing(tmp_path, capsys, monkeypatch,
                                                                smtp_server, pymap_server):
    rng = _seed()
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password),
                       extra="[schedule]\npoll_minutes = 0.02\n")
    env = {"FOIBOT_NOW": "2026-12-01T10:30:00+00:00"}
    monkeypatch.setenv("FOIBOT_NOW", env["FOIBOT_NOW"])
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    assert cli(capsys, cfg, "campaign", "create", "s2", "--var", f"question={QUESTION}",
               "--group", "all").code == 0
    reqs = list(App.load(cfg).campaigns.requests("sm"))
    service = _foibot(cfg, "run", env=env)
    stop = threading.Event()
    problems: list[str] = []
    expected: Counter[str] = Counter()
    lock = threading.Lock()

    def loop(name: str, argv_for) -> None:  # type: ignore[no-untyped-def]
        while not stop.is_set():
            argv, event = argv_for()
            done = subprocess.run([sys.executable, "-m", "foibot", "--config", str(cfg), *argv],
                                  capture_output=True, text=True, env={**os.environ, **env},
                                  timeout=120)
            if "Traceback" in done.stderr:
                problems.append(f"{name}: {done.stderr}")
            elif done.returncode == 0 and event:
                with lock:
                    expected[event] += 1

    def answer():  # type: ignore[no-untyped-def]
        ref = rng.choice(reqs).reference
        return ["answer", ref, f"n={rng.randint(1, 99)}"], f"answer:{ref}"

    def mark():  # type: ignore[no-untyped-def]
        ref = rng.choice(reqs).reference
        return ["mark", ref, "successful", "--by-post"], f"reply_by_post:{ref}"

    loops = [
        ("answer", answer), ("mark", mark),
        ("status", lambda: (["status", "sm", "--json"], None)),
        ("send", lambda: (["send", "s2"], None)),
        ("assign", lambda: (["triage", "--json"], None)),
    ]
    threads = [threading.Thread(target=loop, args=item) for item in loops]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        request = rng.choice(reqs)
        pymap_server.deliver(reply_to(request, SUCCESS + f"\n{rng.random()}"))
        time.sleep(0.5)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    service.send_signal(signal.SIGTERM)
    out, err = service.communicate(timeout=60)
    assert service.returncode == 0 and "Traceback" not in err, err[-2000:]
    assert not problems, problems[:2]
    assert cli(capsys, cfg, "poll").code == 0
    app = App.load(cfg)
    got: Counter[str] = Counter()
    for request in app.campaigns.requests("sm"):
        for e in request.events:
            if e.type in ("answer", "reply_by_post"):
                got[f"{e.type}:{request.reference}"] += 1
    assert got == expected                               # every recorded event, once
    seqs = [e.seq for q in app.campaigns.requests("sm") for e in q.events]
    assert len(seqs) == len(set(seqs))
    replies = Counter(e.data["message"] for q in app.campaigns.requests("sm") for e in q.events
                      if e.type == "reply")
    assert replies and max(replies.values()) == 1
    s2 = Counter(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert max(s2.values()) <= 2      # one letter of each campaign at most per force
    assert json.loads(cli(capsys, cfg, "status", "s2", "--json").out)["summary"]["total"] == 48
