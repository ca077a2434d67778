"""Receiving replies from a real IMAP server: storing, de-duplicating, matching, classifying."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from foibot.mail import inbox
from foibot.app import App
from tests.helpers import QUESTION, cli, cli_process, write_config
from tests.replies import ACK, CLARIFY, REFUSAL, SUCCESS, reply_to


def _send_campaign(tmp_path, capsys, smtp_server, imap_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(imap_server.host, imap_server.port, imap_server.username,
                             imap_server.password))
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    app = App.load(cfg)
    return cfg, app, {r.force.id: r for r in app.campaigns.requests("sm")}


@pytest.fixture
def sent(tmp_path, capsys, smtp_server, imap_server):
    """A 44-force campaign sent through aiosmtpd, with the IMAP server (each kind) as inbox."""
    return _send_campaign(tmp_path, capsys, smtp_server, imap_server)


@pytest.fixture
def sent_pymap(tmp_path, capsys, smtp_server, pymap_server):
    return _send_campaign(tmp_path, capsys, smtp_server, pymap_server)


def _replies(app):
    return {r.force.id: [e for e in r.events if e.type == "reply"]
            for r in app.campaigns.requests("sm")}


def test_poll_files_and_classifies_replies(sent, capsys, imap_server):
    cfg, app, reqs = sent
    imap_server.deliver(reply_to(reqs["kent"], ACK.format(day="1 December 2026"),
                                 headers={"Auto-Submitted": "auto-replied"}))
    imap_server.deliver(reply_to(reqs["dorset"], SUCCESS, thread=False,
                                 subject=f"Your request {reqs['dorset'].reference} - response"))
    # only the plus address identifies this one
    imap_server.deliver(reply_to(reqs["essex"], REFUSAL, thread=False, subject="FOI 2026/01234",
                                 to=f"jane+{reqs['essex'].reference.lower()}@newsroom.example"))
    # from the force's domain, no reference at all: the only open request to that force
    imap_server.deliver(reply_to(reqs["surrey"], CLARIFY, thread=False, subject="Your FOI request",
                                 sender="Records <records@surrey.pnn.police.uk>"))
    # nobody we know
    imap_server.deliver(reply_to(reqs["kent"], "Buy cheap pens", thread=False, subject="Offer",
                                 sender="sales@pens.example"))
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    assert r.out.strip() == "5 new: 4 matched, 1 triage, 0 bounce"
    got = _replies(App.load(cfg))
    assert [e.data["kind"] for e in got["kent"]] == ["acknowledgement"]
    assert [e.data["kind"] for e in got["dorset"]] == ["successful"]
    assert got["dorset"][0].data["matched_by"] == "reference"
    assert got["essex"][0].data["kind"] == "rejected" and got["essex"][0].data["sections"] == ["12"]
    assert got["essex"][0].data["matched_by"] == "plus-address"
    assert got["surrey"][0].data["kind"] == "clarification"
    assert got["surrey"][0].data["matched_by"] == "domain"
    # stored before interpreted: every message's raw bytes are in the store
    stored = App.load(cfg).store.mail
    assert len(stored.messages()) == 5
    assert all(stored.raw(m).startswith(b"From:") or b"\nFrom:" in stored.raw(m)
               for m in stored.messages())
    r = cli(capsys, cfg, "triage", "--json")
    rows = json.loads(r.out)
    assert len(rows) == 1 and rows[0]["from"] == "sales@pens.example"
    # a second poll brings nothing new and files nothing twice
    r = cli(capsys, cfg, "poll")
    assert r.out.strip().startswith("0 new")
    assert sum(len(v) for v in _replies(App.load(cfg)).values()) == 4
    # assign files the triaged message and learns the sender
    r = cli(capsys, cfg, "assign", rows[0]["id"], reqs["kent"].reference)
    assert r.code == 0
    assert len(_replies(App.load(cfg))["kent"]) == 2


def test_dismissed_mail_leaves_triage_and_stays_stored(sent_pymap, capsys, pymap_server):
    """An inbox strangers write to fills triage with mail for no request; dismissing it keeps
    triage to what still needs a person, and nothing is thrown away."""
    cfg, app, reqs = sent_pymap
    for n, subject in enumerate(("Offer", "Newsletter", "Webinar")):
        pymap_server.deliver(reply_to(reqs["kent"], f"Buy cheap pens, number {n}", thread=False,
                                      subject=subject, sender=f"sales{n}@pens.example"))
    pymap_server.deliver(reply_to(reqs["dorset"], SUCCESS))
    assert cli(capsys, cfg, "poll").out.strip() == "4 new: 1 matched, 3 triage, 0 bounce"
    rows = {d["subject"]: d for d in json.loads(cli(capsys, cfg, "triage", "--json").out)}
    assert sorted(rows) == ["Newsletter", "Offer", "Webinar"]
    r = cli(capsys, cfg, "dismiss", rows["Offer"]["id"], rows["Newsletter"]["id"],
            "--note", "spam")
    assert r.code == 0, r.err
    assert r.out.splitlines() == [f"dismissed {rows['Offer']['id']}",
                                  f"dismissed {rows['Newsletter']['id']}"]
    left = json.loads(cli(capsys, cfg, "triage", "--json").out)
    assert [d["subject"] for d in left] == ["Webinar"] and left[0]["dismissed"] is None
    every = {d["subject"]: d for d in json.loads(cli(capsys, cfg, "triage", "--all",
                                                    "--json").out)}
    assert sorted(every) == ["Newsletter", "Offer", "Webinar"]
    assert every["Offer"]["dismissed"].startswith("2026-")
    assert "dismissed 2026-" in cli(capsys, cfg, "triage", "--all").out
    listed = cli_process(cfg, "triage", "--all", env={"COLUMNS": "80"}).stdout.splitlines()
    ids = tuple(d["id"] for d in every.values())
    assert max(map(len, listed)) <= 80 and sum(line.startswith(ids) for line in listed) == 3
    assert all(line.startswith((*ids, "  ")) for line in listed[:-2])
    assert len(App.load(cfg).store.mail.messages()) == 4              # kept all the same
    again = cli(capsys, cfg, "dismiss", rows["Offer"]["id"])
    assert again.code == 0 and again.out.strip() == "nothing to dismiss: already dismissed"
    # a filed message is not triage's to dismiss; nothing is dismissed then
    filed = next(e.data["message"] for e in _replies(App.load(cfg))["dorset"])
    r = cli(capsys, cfg, "dismiss", rows["Webinar"]["id"], filed[:12])
    assert r.code == 2 and f"is filed under {reqs['dorset'].reference}" in r.err
    assert len(json.loads(cli(capsys, cfg, "triage", "--json").out)) == 1
    # a dismissed message can still be filed, if it turns out to be a reply after all
    assert cli(capsys, cfg, "assign", rows["Offer"]["id"], reqs["kent"].reference).code == 0
    assert len(_replies(App.load(cfg))["kent"]) == 1
    assert [d["subject"] for d in json.loads(cli(capsys, cfg, "triage", "--all",
                                                 "--json").out)] == ["Newsletter", "Webinar"]


def test_read_flags_untouched_and_bounce_marks_delivery_failed(sent, capsys, imap_server):
    cfg, app, reqs = sent
    from foibot.letters.followup import original
    mid, subject = original(reqs["cambridgeshire"])
    dsn = (
        "From: MAILER-DAEMON@mx.newsroom.example\r\nTo: jane@newsroom.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx>\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message "
        "could not be delivered.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; foi@cambs.pnn.police.uk\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\nSubject: {subject}\r\n\r\n"
        "--B--\r\n"
    ).encode()
    uid = imap_server.deliver(dsn)
    r = cli(capsys, cfg, "poll")
    assert r.out.strip() == "1 new: 1 matched, 0 triage, 1 bounce"
    with imap_server.connect() as client:
        client.select_folder("INBOX", readonly=True)
        assert b"\\Seen" not in client.get_flags([uid])[uid]
    r = cli(capsys, cfg, "status", "sm", "--json")
    rows = {x["force"]: x for x in json.loads(r.out)["requests"]}
    assert rows["cambridgeshire"]["state"] == "failed"
    assert rows["cambridgeshire"]["next_action"] == "fix address"
    assert json.loads(r.out)["summary"]["failed"] == 1


def test_uidvalidity_change_does_not_duplicate(sent_pymap, capsys, pymap_server):
    cfg, app, reqs = sent_pymap
    raws = [reply_to(reqs[f], ACK.format(day="1 December"), headers={"Auto-Submitted": "auto-replied"})
            for f in ("kent", "dorset", "essex")]
    for raw in raws:
        pymap_server.deliver(raw)
    assert cli(capsys, cfg, "poll").out.startswith("3 new")
    pymap_server.restart()  # new UIDVALIDITY, empty mailbox
    for raw in raws + [reply_to(reqs["surrey"], SUCCESS)]:
        pymap_server.deliver(raw)
    r = cli(capsys, cfg, "poll")
    assert r.out.strip().startswith("1 new: 1 matched"), r.out
    assert len(App.load(cfg).store.mail.messages()) == 4


def test_connection_cut_mid_fetch_then_rerun_stores_each_once(sent_pymap, capsys, pymap_server, tcp_cutter):
    cfg, app, reqs = sent_pymap
    for f in list(reqs)[:12]:
        pymap_server.deliver(reply_to(reqs[f], SUCCESS + "x" * 2000))
    cutter = tcp_cutter(pymap_server)
    text = cfg.read_text().replace(f"port = {pymap_server.port}", f"port = {cutter.port}")
    cfg.write_text(text.replace("[imap]", "[imap]\nbatch_size = 3"))
    # every connection is cut inside its second batch's message literal
    cutter.cut_after(12000, after=b"BODY[] {")
    r = cli(capsys, cfg, "poll")
    assert cutter.cuts >= 1, (r, cfg.read_text())
    stored_after_cut = len(App.load(cfg).store.mail.messages())
    assert 3 <= stored_after_cut
    cutter.disarm()
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    index = App.load(cfg).store.mail.messages()
    assert len(index) == 12
    assert sum(len(v) for v in _replies(App.load(cfg)).values()) == 12


def test_poll_killed_then_rerun_loses_nothing(sent_pymap, capsys, pymap_server):
    cfg, app, reqs = sent_pymap
    for f in reqs:
        pymap_server.deliver(reply_to(reqs[f], SUCCESS))
    cfg.write_text(cfg.read_text().replace("[imap]", "[imap]\nbatch_size = 2"))
    proc = subprocess.Popen([sys.executable, "-m", "foibot", "--config", str(cfg), "poll"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ})
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and App.load(cfg).store.mail.count() < 6:
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    a = App.load(cfg)
    assert len(a.store.mail.messages()) == 44
    got = _replies(a)
    assert all(len(v) == 1 for v in got.values()), {k: len(v) for k, v in got.items()}


def test_hostile_attachment_names_are_stored_safely(sent_pymap, capsys, pymap_server, tmp_path):
    cfg, app, reqs = sent_pymap
    for name in ("../../x", "/etc/passwd", "a\x00b.pdf", "n" * 2000 + ".csv"):
        pymap_server.deliver(reply_to(reqs["kent"], SUCCESS, attachment=(name, "text/csv", b"year,n\n2015,4\n")))
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    a = App.load(cfg)
    names = [n for e in _replies(a)["kent"] for n in e.data["attachments"]]
    assert len(names) == 4
    assert all("/" not in n and "\x00" not in n and len(n) <= 255 for n in names)
    root = tmp_path / "saved"
    for message in a.store.mail.messages():
        inbox.save_attachments(a, message.sha256, root)
    files = [p for p in root.rglob("*") if p.is_file()]
    assert len(files) == 4
    for p in files:
        assert root in p.resolve().parents
        assert len(p.name) <= 255 and "\x00" not in p.name
    assert not (tmp_path / "x").exists()


def test_dead_imap_server_is_one_line(tmp_path, capsys):
    cfg = write_config(tmp_path, imap=("127.0.0.1", 1, "u", "p"))
    r = cli(capsys, cfg, "poll")
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1 and "cannot connect" in r.err


def test_mark_seen_processed_folder_and_sent_copies(sent_pymap, capsys, pymap_server):
    cfg, app, reqs = sent_pymap
    cfg.write_text(cfg.read_text().replace(
        "[imap]", '[imap]\nmark_seen = true\nprocessed_folder = "FOI/Done"\n'
                  'sent_folder = "Sent"\nsave_sent = true'))
    pymap_server.deliver(reply_to(reqs["kent"], SUCCESS))
    r = cli(capsys, cfg, "poll")
    assert r.out.startswith("1 new"), r.err
    with pymap_server.connect() as client:
        assert client.select_folder("INBOX", readonly=True)[b"EXISTS"] == 0
        client.select_folder("FOI/Done", readonly=True)
        uids = client.search("ALL")
        assert len(uids) == 1 and b"\\Seen" in client.get_flags(uids)[uids[0]]
        assert client.select_folder("Sent", readonly=True)[b"EXISTS"] == 44
    cli(capsys, cfg, "poll")  # copies are saved once
    with pymap_server.connect() as client:
        assert client.select_folder("Sent", readonly=True)[b"EXISTS"] == 44


def test_force_reference_learned_and_campaigns_kept_apart(tmp_path, capsys, smtp_server, pymap_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    for name in ("a", "b"):
        assert cli(capsys, cfg, "campaign", "create", name, "--var", f"question={QUESTION}").code == 0
        assert cli(capsys, cfg, "send", name, "--force", "kent").code == 0
    app = App.load(cfg)
    ka = next(r for r in app.campaigns.requests("a") if r.force.id == "kent")
    kb = next(r for r in app.campaigns.requests("b") if r.force.id == "kent")
    # an acknowledgement naming campaign b's request and the force's own reference
    pymap_server.deliver(reply_to(kb, ACK.format(day="1 December") + "\n\nOur reference: FOI 2026/04321",
                                  thread=False, subject=f"Acknowledgement {kb.reference} - FOI 2026/04321"))
    # a reply with no reference from the force's domain: two open requests to Kent -> triage
    pymap_server.deliver(reply_to(ka, SUCCESS, thread=False, subject="Your request"))
    r = cli(capsys, cfg, "poll")
    assert r.out.strip().startswith("2 new: 1 matched, 1 triage"), r.out
    got_b = [e for e in App.load(cfg).campaigns.find(kb.reference).events if e.type == "reply"]
    assert got_b and got_b[0].data["force_reference"] == "FOI 2026/04321"
    # later the force quotes only its own reference: filed under b, never under a
    pymap_server.deliver(reply_to(kb, SUCCESS, thread=False, sender="web@kent-police.example",
                                  subject="Response to FOI 2026/04321"))
    r = cli(capsys, cfg, "poll")
    assert r.out.strip().startswith("1 new: 1 matched"), r.out
    after = App.load(cfg)
    assert len([e for e in after.campaigns.find(kb.reference).events if e.type == "reply"]) == 2
    assert not [e for e in after.campaigns.find(ka.reference).events if e.type == "reply"]
    # the user corrects a classification; the override is an event and wins
    r = cli(capsys, cfg, "mark", kb.reference, "partially_successful")
    assert r.code == 0
    row = json.loads(cli(capsys, cfg, "status", "b", "--json", "--force", "kent").out)["requests"][0]
    assert row["outcome"] == "partially_successful"
    assert cli(capsys, cfg, "mark", kb.reference, "great").code == 2


def _line(proc: subprocess.Popen, seconds: float = 30) -> str:
    """The watcher's next line of output; on a hang, fail with where it hangs, not hang."""
    import selectors

    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if sel.select(seconds):
            return proc.stdout.readline()
    proc.send_signal(signal.SIGABRT)      # faulthandler prints every thread's stack
    pytest.fail(f"no output for {seconds} s; watcher's stacks:\n{proc.communicate()[1]}")


def test_poll_watch_files_mail_as_it_arrives(sent_pymap, pymap_server):
    cfg, app, reqs = sent_pymap
    proc = subprocess.Popen([sys.executable, "-X", "faulthandler", "-m", "foibot",
                             "--config", str(cfg), "poll", "--watch"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert _line(proc).startswith("0 new")
        pymap_server.deliver(reply_to(reqs["kent"], SUCCESS))  # IDLE wakes the watcher
        assert _line(proc).startswith("1 new: 1 matched")
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
    code = proc.wait(timeout=10)
    assert code == 130 and "Traceback" not in proc.stderr.read()
    assert len(_replies(App.load(cfg))["kent"]) == 1


def test_the_same_mail_twice_in_one_poll_is_stored_once(sent_pymap, capsys, pymap_server):
    cfg, app, reqs = sent_pymap
    raw = reply_to(reqs["kent"], SUCCESS)
    pymap_server.deliver(raw)
    pymap_server.deliver(raw)  # a mail rule copied it, or the server delivered it twice
    # same Message-ID, other bytes (a relay added a header)
    pymap_server.deliver(b"X-Relayed: yes\r\n" + raw)
    r = cli(capsys, cfg, "poll")
    assert r.code == 0, r.err
    assert r.out.strip() == "1 new: 1 matched, 0 triage, 0 bounce (2 already stored)"
    assert len(App.load(cfg).store.mail.messages()) == 1
    assert cli(capsys, cfg, "poll").out.startswith("0 new")


def test_watching_sees_mail_that_came_between_the_poll_and_idle(sent_pymap, capsys, pymap_server):
    """IDLE reports only what arrives while it listens: a reply delivered after a poll but
    before the watcher is listening must still wake it, not wait for the next mail."""
    from foibot.mail.imap import Mailbox

    cfg, app, reqs = sent_pymap
    assert cli(capsys, cfg, "poll").out.startswith("0 new")
    pymap_server.deliver(reply_to(reqs["kent"], SUCCESS))
    app = App.load(cfg)
    imap = app.config.imap
    cursor = app.store.mail.cursor(imap.account, imap.folder)
    assert cursor is not None
    with Mailbox(imap) as mailbox:
        assert mailbox.wait(imap.folder, 120, after=cursor) is True
    assert cli(capsys, cfg, "poll").out.startswith("1 new: 1 matched")
