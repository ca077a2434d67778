"""Sending a campaign through a real SMTP server (aiosmtpd on loopback)."""

from __future__ import annotations

import email
import email.policy
import json
import signal
import subprocess
import sys
import time

import pytest
from collections import Counter

from foibot.app import App
from foibot.mail.inflight import effective
from foibot.rules.letter_state import letter_state
from tests.helpers import QUESTION, cli, write_config


def _parsed(smtp_server):
    return [email.message_from_bytes(m.data, policy=email.policy.default) for m in smtp_server.messages]


def _create(capsys, cfg, name="sm", *extra):
    r = cli(capsys, cfg, "campaign", "create", name, "--var", f"question={QUESTION}", *extra)
    assert r.code == 0, r.err


def test_44_letters_delivered_once_with_headers_and_act(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg, "sm", "--group", "uk-territorial")
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 0, r.err
    assert r.out.strip().splitlines()[-1] == "sent 45, failed 0, skipped 0"
    msgs = _parsed(smtp_server)
    assert len(msgs) == 45
    app = App.load(cfg)
    requests = {r.force.email: r for r in app.campaigns.requests("sm")}
    rcpts = Counter(rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos)
    assert set(rcpts.values()) == {1} and set(rcpts) == set(requests)
    for msg in msgs:
        req = requests[msg["To"]]
        assert req.reference in msg["Subject"]
        assert msg["Reply-To"].addresses[0].addr_spec == f"jane+{req.reference.lower()}@newsroom.example"
        assert msg["From"].addresses[0].addr_spec == "jane@newsroom.example"
        assert msg["Date"] is not None
        body = msg.get_content()
        if req.force.id == "police-scotland":
            assert "Freedom of Information (Scotland) Act 2002" in body
            assert "Freedom of Information Act 2000" not in body
        else:
            assert "Freedom of Information Act 2000" in body and "(Scotland)" not in body
        assert QUESTION in body and f"Dear {req.force.name}," in body
        # the Message-ID that went out is the one recorded
        sent = [e for e in req.events if e.type == "sent"]
        assert len(sent) == 1 and sent[0].data["message_id"] == msg["Message-ID"]


def test_ctrl_c_during_the_last_letter_still_stops(tmp_path, capsys, smtp_server, monkeypatch):
    """The batch had nothing left to send, but the user asked to stop: the command does not go
    on as if nothing happened (the demo would carry on playing), and says all went out."""
    import os

    from foibot.mail.outbox import Outbox

    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    real = Outbox._deliver
    calls = []

    def deliver(self, to, raw):
        result = real(self, to, raw)
        calls.append(to)
        if len(calls) == 44:
            os.kill(os.getpid(), signal.SIGINT)
        return result

    monkeypatch.setattr(Outbox, "_deliver", deliver)
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 130, r.out + r.err
    assert "interrupted: 44 sent, 0 uncertain, 0 not sent" in r.err
    assert "send again" not in r.err
    assert len(smtp_server.messages) == 44
    assert cli(capsys, cfg, "send", "sm").out.strip().splitlines()[-1].startswith("sent 0")


def test_second_send_delivers_nothing(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    assert cli(capsys, cfg, "send", "sm").code == 0
    assert len(smtp_server.messages) == 44
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 0
    assert r.out.strip().splitlines()[-1] == "sent 0, failed 0, skipped 44"
    assert len(smtp_server.messages) == 44


def test_rejected_address_is_recorded_and_batch_goes_on(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    smtp_server.reject("foi@cambs.pnn.police.uk")
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 1
    assert "sent 43, failed 1, skipped 0" in r.out
    assert len(smtp_server.messages) == 43
    cambs = next(q for q in App.load(cfg).campaigns.requests("sm") if q.force.id == "cambridgeshire")
    failed = [e for e in cambs.events if e.type == "send_failed"]
    assert failed and failed[0].data["permanent"] and failed[0].data["code"] == 550
    assert "550" in failed[0].data["response"]
    assert letter_state(cambs, "request").state == "failed"
    # a re-run does not hammer the rejected address again
    r = cli(capsys, cfg, "send", "sm")
    assert len(smtp_server.messages) == 43


def test_temporary_failure_is_retried(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    smtp_server.fail_next(2)  # two 4xx answers, then success: within the retry budget
    r = cli(capsys, cfg, "send", "sm", "--force", "kent")
    assert r.code == 0, r.out + r.err
    assert len(smtp_server.messages) == 1


def test_undefined_variable_sends_nothing(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    tpl = tmp_path / "mine.txt.j2"
    tpl.write_text("Dear {{ force.name }},\n\n{{ question }}\n\nPeriod: {{ period }}\n")
    (tmp_path / "mine.subject.j2").write_text("FOI {{ reference }}")
    # caught when the campaign is made ...
    r = cli(capsys, cfg, "campaign", "create", "sm", "--template", str(tpl), "--var", "question=q")
    assert r.code == 2
    assert r.err.strip() == "foibot: mine.txt.j2 line 5: undefined variable: period"
    assert json.loads(cli(capsys, cfg, "campaign", "list", "--json").out) == []
    # ... and when a template edited afterwards is sent
    tpl.write_text("Dear {{ force.name }},\n\n{{ question }}\n")
    _create(capsys, cfg, "sm", "--template", str(tpl))
    tpl.write_text("Dear {{ force.name }},\n\n{{ question }}\n\nPeriod: {{ period }}\n")
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 2
    assert r.err.strip() == "foibot: mine.txt.j2 line 5: undefined variable: period"
    assert smtp_server.messages == []
    assert all(len(q.events) == 1 for q in App.load(cfg).campaigns.requests("sm"))


def test_dry_run_writes_eml_and_connects_to_nothing(tmp_path, capsys):
    cfg = write_config(tmp_path, smtp=("127.0.0.1", 1))  # nothing listens on port 1
    _create(capsys, cfg)
    r = cli(capsys, cfg, "send", "sm", "--dry-run")
    assert r.code == 0, r.err
    files = sorted((tmp_path / "state" / "dry-run" / "sm").glob("*.eml"))
    assert len(files) == 44
    msg = email.message_from_bytes((tmp_path / "state/dry-run/sm/police-scotland.eml").read_bytes()
                                   if False else files[0].read_bytes(), policy=email.policy.default)
    assert msg["Subject"] and msg["To"]
    assert all(len(q.events) == 1 for q in App.load(cfg).campaigns.requests("sm"))


def test_dry_run_says_exactly_what_a_real_run_would_do(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    assert cli(capsys, cfg, "send", "sm", "--force", "Kent").code == 0           # sent
    smtp_server.reject("foi@cambs.pnn.police.uk")
    assert cli(capsys, cfg, "send", "sm", "--force", "cambridgeshire").code == 1  # failed
    app = App.load(cfg)
    essex = next(q for q in app.campaigns.requests("sm") if q.force.id == "essex")
    app.campaigns.append_one("sm", essex.reference, "sending",                   # uncertain
                             {"key": "request", "message_id": "<x@y>", "to": essex.force.email,
                              "path": "", "pid": 999999999, "host": "elsewhere"}, now=app.now())
    before = len(smtp_server.messages)
    r = cli(capsys, cfg, "send", "sm", "--dry-run")
    assert r.code == 0, r.err
    assert r.out.splitlines()[-2] == (
        "dry run: would send 41, skipped 2 (already failed 1, already sent 1), "
        "uncertain 1 (sent again only with --resend-uncertain)")
    assert f"{essex.reference}: uncertain" in r.out
    assert len(list((tmp_path / "state" / "dry-run" / "sm").glob("*.eml"))) == 41
    plan = json.loads(cli(capsys, cfg, "send", "sm", "--dry-run", "--json").out)
    assert plan["dry_run"] is True and len(plan["would_send"]) == 41
    assert [ref for ref, _ in plan["uncertain"]] == [essex.reference]
    assert sorted(why for _, why in plan["skipped"]) == ["already failed", "already sent"]
    assert len(smtp_server.messages) == before and all(
        e.type != "sent" for e in App.load(cfg).campaigns.find(essex.reference).events)
    # the real run does just that
    real = json.loads(cli(capsys, cfg, "send", "sm", "--json").out)
    assert sorted(real["sent"]) == sorted(plan["would_send"])
    assert [ref for ref, _ in real["uncertain"]] == [essex.reference]
    assert len(real["skipped"]) == 2 and real["failed"] == []
    # and once everything is sent, a dry run says so instead of "44 letters written"
    r = cli(capsys, cfg, "send", "sm", "--dry-run")
    assert r.out.splitlines()[-1] == ("dry run: would send 0, skipped 43 (already sent 42, "
                                      "already failed 1), uncertain 1 (sent again only with "
                                      "--resend-uncertain)")
    r = cli(capsys, cfg, "send", "sm", "--dry-run", "--resend-uncertain")
    assert r.out.splitlines()[-2].startswith("dry run: would send 1, skipped 43")


def test_dead_server_one_line_and_state_unchanged(tmp_path, capsys):
    cfg = write_config(tmp_path, smtp=("127.0.0.1", 1))
    _create(capsys, cfg)
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 1
    assert len(r.err.strip().splitlines()) == 1 and "cannot connect" in r.err
    assert "Traceback" not in r.err
    assert all(len(q.events) == 1 for q in App.load(cfg).campaigns.requests("sm"))


def test_sigkill_mid_batch_never_sends_twice(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       extra="")
    cfg.write_text(cfg.read_text().replace("retries = 2", "retries = 2\nrate_per_minute = 900"))
    _create(capsys, cfg)
    proc = subprocess.Popen([sys.executable, "-m", "foibot", "--config", str(cfg), "send", "sm"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while len(smtp_server.messages) < 10 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    delivered_before = len(smtp_server.messages)
    assert 10 <= delivered_before < 44

    r = cli(capsys, cfg, "send", "sm", "--json")
    report = json.loads(r.out)
    rcpts = Counter(rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos)
    assert max(rcpts.values()) == 1, "a force received two letters"
    uncertain = {ref for ref, _ in report["uncertain"]}
    requests = App.load(cfg).campaigns.requests("sm")
    for req in requests:
        got = rcpts.get(req.force.email, 0)
        assert got == 1 or req.reference in uncertain, req.force.id
        st = effective(letter_state(req, "request"))
        assert st in ("sent", "uncertain")
    # uncertain letters go again only when asked, with the same Message-ID
    if uncertain:
        r = cli(capsys, cfg, "send", "sm", "--resend-uncertain")
        assert r.code == 0, r.out + r.err
        rcpts = Counter(rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos)
        assert len(rcpts) == 44


def test_uncertain_letter_is_reported_and_resent_only_on_request(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    app = App.load(cfg)
    kent = next(q for q in app.campaigns.requests("sm") if q.force.id == "kent")
    # a crash after the intent was recorded: a "sending" event with no outcome, from a dead pid
    app.campaigns.append_one("sm", kent.reference, "sending",
                             {"key": "request", "message_id": "<x@y>", "to": kent.force.email,
                              "path": "", "pid": 999999999, "host": "elsewhere"}, now=app.now())
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 1 and f"uncertain {kent.reference}" in r.out
    assert "kent" not in {m.rcpt_tos[0].split("@")[1].split(".")[0] for m in smtp_server.messages}
    assert len(smtp_server.messages) == 43
    r = cli(capsys, cfg, "send", "sm", "--resend-uncertain")
    assert r.code == 0
    assert len(smtp_server.messages) == 44


def test_dropped_connection_before_data_is_retried_once_delivered(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    smtp_server.drop_next(1, stage="rcpt")  # the server hangs up mid-transaction
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 0, r.out + r.err
    rcpts = Counter(rcpt for m in smtp_server.messages for rcpt in m.rcpt_tos)
    assert len(rcpts) == 44 and set(rcpts.values()) == {1}


def test_dropped_connection_during_data_is_uncertain_not_resent(tmp_path, capsys, smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    smtp_server.drop_next(1, stage="data")  # the server may or may not have kept the letter
    r = cli(capsys, cfg, "send", "sm")
    assert r.code == 1
    assert "uncertain" in r.out and "sent 43, failed 0, skipped 0, uncertain 1" in r.out
    assert len(smtp_server.messages) == 43
    r = cli(capsys, cfg, "send", "sm")
    assert len(smtp_server.messages) == 43 and "uncertain" in r.out
    r = cli(capsys, cfg, "send", "sm", "--resend-uncertain")
    assert r.code == 0
    assert len(smtp_server.messages) == 44
    # the resend carries the Message-ID recorded before the first attempt
    app = App.load(cfg)
    for req in app.campaigns.requests("sm"):
        ids = {e.data["message_id"] for e in req.events if e.type in ("sending", "sent")}
        assert len(ids) == 1


def test_corrupt_state_file_is_named_and_left_alone(tmp_path, capsys):
    cfg = write_config(tmp_path, smtp=("127.0.0.1", 1))
    _create(capsys, cfg)
    path = tmp_path / "state" / "campaigns" / "sm" / "campaign.json"
    path.write_text('{"requests": {"1": ')
    for args in (("status", "sm"), ("send", "sm"), ("campaign", "show", "sm")):
        r = cli(capsys, cfg, *args)
        assert r.code == 1
        assert r.err.strip() == (f"foibot: {path}: state file is corrupt (Expecting value: line 1 "
                                 "column 20 (char 19)); nothing was changed")
    assert path.read_text() == '{"requests": {"1": '


@pytest.mark.parametrize("text, message", [
    ("Dear {{ force.name }},\n{{ 1 / 0 }}\n", "broken.txt.j2 line 2: ZeroDivisionError: division by zero"),
    ("Dear {% if %}\n", "broken.txt.j2 line 1: Expected an expression, got 'end of statement block'"),
])
def test_broken_templates_are_one_line(tmp_path, capsys, text, message):
    cfg = write_config(tmp_path)
    tpl = tmp_path / "broken.txt.j2"
    tpl.write_text(text)
    (tmp_path / "broken.subject.j2").write_text("FOI {{ reference }}")
    r = cli(capsys, cfg, "campaign", "create", "c", "--template", str(tpl), "--var", "question=q")
    assert r.code == 2 and r.err.strip() == f"foibot: {message}"
    tpl.write_bytes(b"Dear \xff\xfe {{ force.name }}\n")
    r = cli(capsys, cfg, "campaign", "create", "c", "--template", str(tpl), "--var", "question=q")
    assert r.code == 2 and r.err.strip() == "foibot: broken.txt.j2: not UTF-8 text"


def test_preview_shows_exactly_what_would_be_sent(tmp_path, capsys):
    cfg = write_config(tmp_path)
    _create(capsys, cfg, "sm", "--group", "uk-territorial")
    r = cli(capsys, cfg, "preview", "sm", "--force", "police-scotland")
    assert r.code == 0, r.err
    app = App.load(cfg)
    scot = next(q for q in app.campaigns.requests("sm") if q.force.id == "police-scotland")
    assert "To: foi@scotland.pnn.police.uk" in r.out
    assert f"Subject: Freedom of Information request {scot.reference}" in r.out
    assert "Freedom of Information (Scotland) Act 2002" in r.out
    assert "section 15, duty to advise and assist" in r.out
    assert "Freedom of Information Act 2000" not in r.out
    r = cli(capsys, cfg, "preview", "sm")
    assert r.out.count("Subject: Freedom of Information request FOI-") == 45
    # nothing was sent or recorded
    assert all(len(q.events) == 1 for q in App.load(cfg).campaigns.requests("sm"))


def test_a_moved_state_dir_keeps_working(tmp_path, capsys, smtp_server):
    """Events name files relative to the state dir, so a project folder can be moved."""
    import shutil

    old = tmp_path / "old"
    old.mkdir()
    cfg = write_config(old, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    app = App.load(cfg)
    kent = next(q for q in app.campaigns.requests("sm") if q.force.id == "kent")
    # a crash left Kent's letter uncertain, its bytes in the outbox
    smtp_server.drop_next(1, stage="data")
    assert cli(capsys, cfg, "send", "sm", "--force", "kent").code == 1
    sending = [e for e in App.load(cfg).campaigns.find(kent.reference).events if e.type == "sending"]
    assert set(sending[0].data["letter"]) == {"pack", "offset", "length"}  # no absolute path
    new = tmp_path / "new"
    shutil.move(old, new)
    r = cli(capsys, new / "config.toml", "send", "sm", "--force", "kent", "--resend-uncertain")
    assert r.code == 0, r.out + r.err
    assert len(smtp_server.messages) == 1
    # the very bytes recorded before the first attempt went out
    recorded = App.load(new / "config.toml").campaigns.letter_bytes("sm", sending[0].data)
    assert recorded.replace(b"\r\n", b"\n") == smtp_server.messages[0].data.replace(b"\r\n", b"\n")



def _send_in_a_process(cfg, *args: str, stderr_on_terminal: bool) -> tuple[int, str, str]:
    """``foibot send ARGS`` in its own process, its stderr a terminal (a pty) or a pipe."""
    import os

    argv = [sys.executable, "-m", "foibot", "--config", str(cfg), "send", *args]
    if not stderr_on_terminal:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        return done.returncode, done.stdout, done.stderr
    master, slave = os.openpty()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:          # the pty closes when the process has gone
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    out = proc.stdout.read().decode()
    return proc.wait(timeout=120), out, err.decode(errors="replace")


def test_a_progress_bar_is_drawn_for_a_person_and_never_into_a_pipe(tmp_path, capsys,
                                                                  smtp_server):
    """The bar goes to stderr only when it is a terminal: piped (cron, scripts), stderr
    holds nothing but what went wrong."""
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    _create(capsys, cfg)
    code, out, err = _send_in_a_process(cfg, "sm", "--force", "kent", stderr_on_terminal=True)
    assert code == 0, out + err
    assert "sending" in err and "/1" in err and "\x1b[" in err
    assert out.strip().splitlines()[-1] == "sent 1, failed 0, skipped 0"
    code, out, err = _send_in_a_process(cfg, "sm", "--force", "essex",
                                        stderr_on_terminal=False)
    assert (code, err) == (0, "")
    assert out.strip().splitlines()[-1] == "sent 1, failed 0, skipped 0"
    assert len(smtp_server.messages) == 2
