"""Chasing for real: a campaign sent through aiosmtpd, replies fetched from pymap, time moved
with FOIBOT_NOW, and ``foibot chase``, ``drafts`` and ``send-draft`` run as a user would."""

from __future__ import annotations

import email
import email.policy
import json
import re
import subprocess
import sys
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from foibot.rules import policy as chase
from foibot.letters import chasers as chasing
from foibot.rules import clock
from foibot.letters import followup
from foibot.app import App
from foibot.letters.followup import original
from foibot.mail.outbox import Outbox
from foibot.mail.smtp import SmtpTransport
from foibot.rules.status import derive
from tests.helpers import QUESTION, cli, write_config
from tests.replies import ACK, CLARIFY, SUCCESS, reply_to
from tests.servers import free_port

SENT_ON = date(2026, 12, 1)                       # Tue 1 Dec 2026
DUE = date(2026, 12, 31)                          # Thu 31 Dec 2026, the 20th working day
QUIET = ("dorset", "surrey", "cambridgeshire")    # answered, asked to clarify, bounced


def at(day: date, hour: int = 9) -> str:
    return f"{day.isoformat()}T{hour:02d}:30:00+00:00"


def working(day: date, n: int) -> date:
    return clock.add_working_days(day, n, "foia").due  # type: ignore[return-value]


def parsed(messages) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=email.policy.default) for m in messages]


def bounce_for(request) -> bytes:
    mid, subject = original(request)
    return (
        "From: MAILER-DAEMON@mx.newsroom.example\r\nTo: jane@newsroom.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <bounce1@mx>\r\n"
        "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        f"Final-Recipient: rfc822; {request.email}\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n\r\n"
        f"--B\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: {mid}\r\n"
        f"Subject: {subject}\r\n\r\n--B--\r\n"
    ).encode()


def chase_twice_at_once(cfg) -> list[subprocess.CompletedProcess[str]]:
    """Two ``foibot chase --send`` processes started together."""
    argv = [sys.executable, "-m", "foibot", "--config", str(cfg), "chase", "--send"]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    done = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        done.append(subprocess.CompletedProcess(argv, p.returncode, out, err))
    return done


@pytest.fixture
def campaign(tmp_path, capsys, monkeypatch, smtp_server, pymap_server):
    """44 requests sent on 1 Dec 2026; Dorset answers, Surrey asks to clarify, Kent only
    acknowledges and Cambridgeshire's letter bounces."""
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    monkeypatch.setenv("FOIBOT_NOW", at(SENT_ON, 10))
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    reqs = {r.force.id: r for r in App.load(cfg).campaigns.requests("sm")}
    pymap_server.deliver(reply_to(reqs["kent"], ACK.format(day="1 December 2026"),
                                  headers={"Auto-Submitted": "auto-replied"}))
    pymap_server.deliver(reply_to(reqs["dorset"], SUCCESS))
    pymap_server.deliver(reply_to(reqs["surrey"], CLARIFY))
    pymap_server.deliver(bounce_for(reqs["cambridgeshire"]))
    monkeypatch.setenv("FOIBOT_NOW", at(date(2026, 12, 10)))
    r = cli(capsys, cfg, "poll")
    assert r.code == 0 and r.out.startswith("4 new"), (r.out, r.err)
    return cfg, reqs


def test_chase_ladder_end_to_end(campaign, capsys, monkeypatch, smtp_server):
    cfg, reqs = campaign
    silent = {f: r for f, r in reqs.items() if f not in QUIET}
    first_day = working(DUE, 1)
    assert first_day == date(2027, 1, 5)  # 1 and 4 Jan are bank holidays (4 Jan in Scotland)
    sent_before = len(smtp_server.messages)

    # the day before: nothing is due
    monkeypatch.setenv("FOIBOT_NOW", at(date(2027, 1, 4)))
    rows = json.loads(cli(capsys, cfg, "chase", "--json").out)
    assert {row["action"] for row in rows} == {"none"}

    # dry run on the first chase day: says who and why, sends nothing
    monkeypatch.setenv("FOIBOT_NOW", at(first_day))
    r = cli(capsys, cfg, "chase", "sm", "--dry-run", "--json")
    assert r.code == 0, r.err
    rows = {row["force"]: row for row in json.loads(r.out)}
    assert {f for f, row in rows.items() if row["action"] == "chaser"} == set(silent)
    assert rows["kent"]["key"] == "chaser-1" and rows["kent"]["result"] == "planned"
    assert rows["kent"]["reason"] == "due 2026-12-31, 1 working day late: first chaser"
    assert rows["dorset"]["reason"].startswith("answered (successful) on 2026-12-01")
    assert rows["surrey"]["reason"].startswith("waiting on your clarification")
    assert rows["cambridgeshire"]["reason"].startswith("delivery failed")
    assert len(smtp_server.messages) == sent_before

    # --send: exactly one chaser to each silent force, threaded to our request
    r = cli(capsys, cfg, "chase", "--send")
    assert r.code == 0, r.err
    assert "sent chasers: 41" in r.out
    chasers = parsed(smtp_server.messages[sent_before:])
    assert Counter(m["X-Foibot-Reference"] for m in chasers) == Counter(
        r.reference for r in silent.values())
    by_ref = {r.reference: r for r in silent.values()}
    for m in chasers:  # to the force: its FOI address, or the FOI team's that last wrote
        to = m["To"].addresses[0].addr_spec
        assert to.rpartition("@")[2] == by_ref[m["X-Foibot-Reference"]].email.rpartition("@")[2]
    kent = next(m for m in chasers if m["X-Foibot-Reference"] == reqs["kent"].reference)
    request_id, request_subject = original(reqs["kent"])
    assert kent["In-Reply-To"] == request_id and request_id in kent["References"]
    assert kent["Subject"].startswith("Re: ") and reqs["kent"].reference in kent["Subject"]
    assert request_subject in kent["Subject"]
    body = kent.get_content()
    assert "section 10(1)" in body.lower() and "31 December 2026" in body
    assert "Freedom of Information Act 2000" in body

    # again, in-process and from two processes at once: nothing more
    assert cli(capsys, cfg, "chase", "--send").code == 0
    for done in chase_twice_at_once(cfg):
        assert done.returncode == 0, done.stderr
    assert len(smtp_server.messages) == sent_before + 41

    # chaser 2 falls due on Tue 19 Jan; on Saturday 23 Jan nothing goes, and the reason says why
    second_day = working(first_day, 10)
    assert second_day == date(2027, 1, 19)
    monkeypatch.setenv("FOIBOT_NOW", at(date(2027, 1, 23)))
    r = cli(capsys, cfg, "chase", "--send", "--json")
    rows = {row["force"]: row for row in json.loads(r.out)}
    assert "2027-01-23 is not a working day (Saturday); it goes on 2027-01-25" in \
        rows["kent"]["reason"]
    assert len(smtp_server.messages) == sent_before + 41

    # Monday: two processes at once send chaser 2, once per force
    monkeypatch.setenv("FOIBOT_NOW", at(date(2027, 1, 25)))
    for done in chase_twice_at_once(cfg):
        assert done.returncode == 0, done.stderr
    second = parsed(smtp_server.messages[sent_before + 41:])
    assert len(second) == 41
    assert len({m["X-Foibot-Reference"] for m in second}) == 41
    requests = App.load(cfg).campaigns.requests("sm")
    for request in requests:
        keys = [e.data["key"] for e in request.events if e.type == "sent"]
        expected = ["request", "chaser-1", "chaser-2"] if request.force.id in silent else \
            ["request"]
        assert keys == expected, (request.force.id, keys)

    # 40 working days after receipt have passed on Tue 2 Feb: reviews are drafted, not sent
    review_day = working(SENT_ON, 41)
    assert review_day == date(2027, 2, 2)
    monkeypatch.setenv("FOIBOT_NOW", at(review_day))
    r = cli(capsys, cfg, "chase", "--send")
    assert r.code == 0, r.err
    assert len(smtp_server.messages) == sent_before + 82  # chaser 3 not due until 8 Feb
    drafts = json.loads(cli(capsys, cfg, "drafts", "--json").out)
    assert {d["force"] for d in drafts} == set(silent)
    assert {d["key"] for d in drafts} == {"review"}
    assert cli(capsys, cfg, "chase", "--send").code == 0  # drafting is idempotent
    assert len(json.loads(cli(capsys, cfg, "drafts", "--json").out)) == 41
    kent_draft = next(d for d in drafts if d["force"] == "kent")
    draft_bytes = Path(kent_draft["path"]).read_bytes()
    assert b"internal review" in draft_bytes and b"section 45" in draft_bytes

    # the user sends Kent's review, once
    ref = reqs["kent"].reference
    r = cli(capsys, cfg, "send-draft", ref, "review")
    assert r.code == 0, r.err
    review = parsed(smtp_server.messages[-1:])[0]
    assert review["X-Foibot-Reference"] == ref and review["In-Reply-To"] == request_id
    assert review["Subject"].startswith("Request for internal review") and ref in review["Subject"]
    assert "internal review" in review.get_content()
    r = cli(capsys, cfg, "send-draft", ref, "review")
    assert r.code == 1 and "already sent" in r.out
    assert len(smtp_server.messages) == sent_before + 83
    assert len(json.loads(cli(capsys, cfg, "drafts", "--json").out)) == 40

    # 8 Feb: chaser 3 to every silent force but Kent, whose review is under way
    third_day = working(date(2027, 1, 25), 10)
    monkeypatch.setenv("FOIBOT_NOW", at(third_day))
    assert cli(capsys, cfg, "chase", "--send").code == 0
    third = parsed(smtp_server.messages[sent_before + 83:])
    assert {m["X-Foibot-Reference"] for m in third} == \
        {r.reference for f, r in silent.items() if f != "kent"}

    # Kent's review is overdue 20 working days after it was asked for: an ICO complaint draft
    complain_day = working(review_day, 21)
    monkeypatch.setenv("FOIBOT_NOW", at(complain_day))
    r = cli(capsys, cfg, "chase", "sm", "--send", "--json")
    rows = {row["force"]: row for row in json.loads(r.out)}
    assert rows["kent"]["action"] == "regulator" and rows["kent"]["result"] == "drafted"
    assert "complaint to the ICO (FOIA s.50)" in rows["kent"]["reason"]
    ico = next(d for d in json.loads(cli(capsys, cfg, "drafts", "--json").out)
               if d["key"] == "ico")
    complaint = email.message_from_bytes(Path(ico["path"]).read_bytes(),
                                         policy=email.policy.default)
    assert complaint["To"] == "casework@ico.org.uk" and complaint["In-Reply-To"] is None
    text = complaint.get_body(("plain",)).get_content()
    assert "section 50" in text and QUESTION in text and ref in text
    attached = [p.get_filename() for p in complaint.iter_attachments()]
    assert [re.sub(r"-\d{4}-\d\d-\d\d.*", "", name) for name in attached] == [
        "request", "reply", "chaser-1", "chaser-2", "review"]

    # nothing ever went to the forces that answered, asked to clarify or bounced
    quiet = {reqs[f].email for f in QUIET}
    assert not [m for m in smtp_server.messages[sent_before:] if set(m.rcpt_tos) & quiet]


def test_contest_drafts_a_review_quoting_the_reasons(campaign, capsys, monkeypatch,
                                                      smtp_server):
    cfg, reqs = campaign
    ref = reqs["dorset"].reference
    monkeypatch.setenv("FOIBOT_NOW", at(date(2026, 12, 14)))
    r = cli(capsys, cfg, "chase", "--contest", ref, "--note", "The figures for 2017 are missing.",
            "--send")
    assert r.code == 0, r.err
    assert f"{ref}: contest recorded" in r.out
    drafts = json.loads(cli(capsys, cfg, "drafts", "--json").out)
    assert [(d["reference"], d["key"]) for d in drafts] == [(ref, "review")]
    text = Path(drafts[0]["path"]).read_text(encoding="utf-8")
    assert "The figures for 2017 are missing." in text and "section 45" in text
    # `record ... contest` is the same event: recording it again drafts nothing new
    assert cli(capsys, cfg, "record", ref, "contest").code == 0
    assert cli(capsys, cfg, "chase", "--send").code == 0
    assert len(json.loads(cli(capsys, cfg, "drafts", "--json").out)) == 1


def test_auto_send_drafts_sends_the_review_and_stops_chasing(tmp_path, capsys, monkeypatch,
                                                              smtp_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       extra="[chase]\nauto_send_drafts = true\n[forces]\n"
                             'exclude = ["kent"]\n')
    monkeypatch.setenv("FOIBOT_NOW", at(SENT_ON, 10))
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    n = len(smtp_server.messages)
    # long overdue and never chased: the review goes at once, and no chaser with it
    monkeypatch.setenv("FOIBOT_NOW", at(working(SENT_ON, 45)))
    r = cli(capsys, cfg, "chase", "--send", "--json")
    assert r.code == 0, r.err
    rows = json.loads(r.out)
    assert {(row["key"], row["result"]) for row in rows} == {("review", "sent")}
    assert len(smtp_server.messages) == n + len(rows) == n + 43
    assert json.loads(cli(capsys, cfg, "drafts", "--json").out) == []
    assert cli(capsys, cfg, "chase", "--send").code == 0
    assert len(smtp_server.messages) == n + 43


def test_send_draft_errors(campaign, capsys):
    cfg, reqs = campaign
    r = cli(capsys, cfg, "send-draft", reqs["kent"].reference, "review")
    assert r.code == 2 and "no 'review' draft (it has no drafts)" in r.err
    r = cli(capsys, cfg, "chase", "--dry-run", "--send")
    assert r.code == 2 and "exclude each other" in r.err


def test_a_reply_filed_after_the_decision_stops_the_chaser(campaign, capsys, monkeypatch,
                                                           smtp_server):
    """The chaser is decided on, then the force's answer is filed before the letter is claimed:
    the decision taken again under the lock stops it."""
    cfg, _ = campaign
    monkeypatch.setenv("FOIBOT_NOW", at(working(DUE, 1)))
    app = App.load(cfg)
    pol = app.config.chase
    today = working(DUE, 1)
    kent = next(r for r in app.campaigns.requests("sm") if r.force.id == "kent")
    (decision,) = chase.plan(kent, today, pol)
    assert decision.key == "chaser-1"
    letter = followup.build(app, kent, "chaser", "chaser-1", chasing.letter_context(
        kent, derive(kent, today), decision, pol, today))
    app.campaigns.append_one("sm", kent.reference, "reply_by_post",
                             {"kind": "successful", "note": "answered by post"}, now=app.now())
    outbox = Outbox(app.store, "sm", app.config.sender, SmtpTransport(app.config.smtp),
                    clock=app.now, guard=chasing.still_due(today, pol))
    n = len(smtp_server.messages)
    report = outbox.send_all([letter])
    outbox.transport.close()
    assert report.sent == [] and len(smtp_server.messages) == n
    assert report.skipped == [(kent.reference, f"not sent: answered (successful) on {today}")]


def test_server_down_defers_chasers_and_still_writes_drafts(campaign, capsys, monkeypatch,
                                                            smtp_server):
    cfg, reqs = campaign
    ref = reqs["dorset"].reference
    cfg.write_text(cfg.read_text().replace(f"port = {smtp_server.port}", f"port = {free_port()}"))
    monkeypatch.setenv("FOIBOT_NOW", at(working(DUE, 1)))
    assert cli(capsys, cfg, "record", ref, "contest", "--note", "Why not 2015?").code == 0
    r = cli(capsys, cfg, "chase", "--send", "--json")
    assert r.code == 1
    rows = json.loads(r.out)
    chasers = [row for row in rows if row["action"] == "chaser"]
    assert len(chasers) == 41 and {row["result"] for row in chasers} == {"deferred"}
    assert "cannot connect" in chasers[0]["detail"]
    assert [(row["reference"], row["result"]) for row in rows if row["action"] == "review"] == \
        [(ref, "drafted")]
    # nothing was claimed, so the next run (server back) sends them
    requests = App.load(cfg).campaigns.requests("sm")
    assert not [e for r in requests for e in r.events
                if e.type == "sending" and e.data["key"] != "request"]


def test_send_draft_sends_the_draft_as_edited(campaign, capsys, monkeypatch, smtp_server):
    cfg, reqs = campaign
    ref = reqs["dorset"].reference
    monkeypatch.setenv("FOIBOT_NOW", at(date(2026, 12, 14)))
    assert cli(capsys, cfg, "chase", "--contest", ref, "--send").code == 0
    (draft,) = json.loads(cli(capsys, cfg, "drafts", "--json").out)
    path = Path(draft["path"])
    text = path.read_text(encoding="utf-8")
    assert "Content-Transfer-Encoding: 8bit" in text  # readable and editable as it stands
    path.write_text(text.replace("I do not accept", "Having read your letter, I do not accept"),
                    encoding="utf-8")
    assert cli(capsys, cfg, "send-draft", ref, "review").code == 0
    sent = parsed(smtp_server.messages[-1:])[0]
    assert "Having read your letter, I do not accept" in sent.get_content()
    assert sent["Message-ID"].startswith(f"<foibot.{ref}.review.")
    assert json.loads(cli(capsys, cfg, "drafts", "--json").out) == []
    assert cli(capsys, cfg, "drafts").out.strip() == "no drafts waiting"
    # the review is under way: the request now waits for its outcome
    rows = json.loads(cli(capsys, cfg, "chase", "--json").out)
    dorset = next(row for row in rows if row["reference"] == ref)
    assert dorset["state"] == "review" and dorset["reason"].startswith(
        "internal review requested on 2026-12-14")
