"""Never act on a misreading: replies over IMAP (pymap) that foibot must file, or hold back.

A force's plain answer threaded to our letter is an answer and is never chased; a newsletter
from a force's domain is not a reply; a reply foibot cannot read stops the chaser, shows on the
board, waits in `foibot review`, and a person's `mark` both settles it and teaches foibot the
force's style for its next letter.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from foibot.app import App
from tests.helpers import QUESTION, cli, write_config
from tests.replies import reply_to

LATE = "2027-01-05T09:30:00+00:00"          # the first chase day of letters sent on 1 Dec 2026
ANSWER = ("Please find below our response to your request.\n\n"
          "The force holds the information you requested. Between 2015 and 2021, 126 officers "
          "were the subject of allegations relating to their use of social media, and 11 were "
          "dismissed.\n\nThis completes our response.\n\nInformation Rights Unit\n")
NEWSLETTER = ("Kent Police Community Update - December\n\nThis month our neighbourhood teams "
              "held 14 surgeries across the county. Read about our new rural crime team and "
              "the winter drink-drive campaign on our website.\n\nUnsubscribe from this list.\n")
UNCLEAR = ("Further to your email, please see the note from our Professional Standards team "
           "at the foot of this message.\n\nRegards\nInformation Management\n")
HOUSE_STYLE = ("Essex Police Information Management. Outcome notification regarding your "
               "enquiry reference {ref}: the matter raised by you has been determined by the "
               "decision maker in line with our published procedures for information enquiries "
               "and the file is now closed. Information Management, Essex Police Headquarters, "
               "Springfield, Chelmsford.\n")


@pytest.fixture
def sent(tmp_path, capsys, monkeypatch, smtp_server, pymap_server):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password), reply_to=False)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:30:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "sm").code == 0
    reqs = {r.force.id: r for r in App.load(cfg).campaigns.requests("sm")}
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-10T10:30:00+00:00")
    return cfg, reqs


def _chase(capsys, cfg, monkeypatch) -> dict[str, dict]:
    monkeypatch.setenv("FOIBOT_NOW", LATE)
    r = cli(capsys, cfg, "chase", "sm", "--json")
    assert r.code == 0, r.err
    return {row["force"]: row for row in json.loads(r.out)}


def _board(capsys, cfg) -> dict:
    return json.loads(cli(capsys, cfg, "status", "sm", "--json").out)


def test_a_plain_threaded_answer_is_filed_as_answered_and_never_chased(
        sent, capsys, monkeypatch, pymap_server):
    cfg, reqs = sent
    pymap_server.deliver(reply_to(reqs["dorset"], ANSWER))
    assert cli(capsys, cfg, "poll").out.startswith("1 new: 1 matched")
    board = _board(capsys, cfg)
    dorset = next(r for r in board["requests"] if r["force"] == "dorset")
    assert (dorset["state"], dorset["outcome"], dorset["needs_review"]) == (
        "responded", "successful", False)
    rows = _chase(capsys, cfg, monkeypatch)
    assert rows["dorset"]["action"] == "none" and rows["kent"]["action"] == "chaser"


def test_a_newsletter_from_a_force_domain_goes_to_triage(sent, capsys, pymap_server):
    cfg, reqs = sent
    pymap_server.deliver(reply_to(reqs["kent"], NEWSLETTER, thread=False,
                                  subject="Kent Police Community Update",
                                  sender="Kent Police <news@kent.police.uk>"))
    r = cli(capsys, cfg, "poll")
    assert r.out.startswith("1 new: 0 matched, 1 triage"), r.out
    kent = App.load(cfg).campaigns.find(reqs["kent"].reference)
    assert not [e for e in kent.events if e.type == "reply"]
    rows = json.loads(cli(capsys, cfg, "triage", "--json").out)
    assert len(rows) == 1 and "does not read as a reply" in rows[0]["why"]


def test_mail_from_a_force_left_in_triage_holds_its_chaser_until_filed_or_dismissed(
        sent, capsys, monkeypatch, pymap_server):
    """What foibot could not file may be the force's answer: that force is not chased while it
    sits in triage. Mail from a stranger holds no one."""
    cfg, reqs = sent
    pymap_server.deliver(reply_to(reqs["kent"], NEWSLETTER, thread=False,
                                  subject="Kent Police Community Update",
                                  sender="Kent Police <news@kent.police.uk>"))
    pymap_server.deliver(reply_to(reqs["kent"], "Buy cheap pens", thread=False,
                                  subject="Offer", sender="sales@pens.example"))
    assert cli(capsys, cfg, "poll").out.startswith("2 new: 0 matched, 2 triage")
    rows = _chase(capsys, cfg, monkeypatch)
    assert rows["kent"]["action"] == "none"
    assert rows["kent"]["reason"] == (
        "mail from news@kent.police.uk of 10 Dec is in triage, filed under no request: file "
        "it (foibot assign) or set it aside (foibot dismiss)")
    assert rows["essex"]["action"] == "chaser"            # the pens were no force's
    # nor does the service tell of Kent's deadline as passed
    assert _late(cfg, monkeypatch) == 43          # all 44 are late, and Kent is held
    news = next(d for d in json.loads(cli(capsys, cfg, "triage", "--json").out)
                if d["from"] == "news@kent.police.uk")
    assert cli(capsys, cfg, "dismiss", news["id"]).code == 0
    assert _chase(capsys, cfg, monkeypatch)["kent"]["action"] == "chaser"
    assert _late(cfg, monkeypatch) == 44


def _late(cfg, monkeypatch) -> int:
    """How many deadlines the service's sweep tells of as passed, on the first chase day."""
    from foibot.service.schedule import sweep_job

    monkeypatch.setenv("FOIBOT_NOW", LATE)
    return sweep_job(App.load(cfg)).fields["overdue"]


def test_a_later_newsletter_never_hides_an_answer(sent, capsys, pymap_server):
    cfg, reqs = sent
    pymap_server.deliver(reply_to(reqs["kent"], ANSWER))
    pymap_server.deliver(reply_to(reqs["kent"], "Automatic reply: I am out of the office until "
                                  "Monday.", headers={"Auto-Submitted": "auto-replied"}))
    cli(capsys, cfg, "poll")
    kent = next(r for r in _board(capsys, cfg)["requests"] if r["force"] == "kent")
    assert (kent["state"], kent["outcome"]) == ("responded", "successful")


def test_an_unread_reply_stops_the_chaser_until_a_person_marks_it(
        sent, capsys, monkeypatch, pymap_server):
    cfg, reqs = sent
    pymap_server.deliver(reply_to(reqs["kent"], UNCLEAR,
                                  date=__import__("datetime").datetime(2026, 12, 9, 11, 0)))
    assert cli(capsys, cfg, "poll").out.startswith("1 new: 1 matched")
    board = _board(capsys, cfg)
    kent = next(r for r in board["requests"] if r["force"] == "kent")
    assert kent["needs_review"] is True and board["summary"]["needs_review"] == 1
    assert kent["next_action"] == "review the reply of 9 Dec (foibot review)"
    headline = cli(capsys, cfg, "status", "sm").out.splitlines()[0]
    assert "need review 1" in headline and headline.endswith("= 44")
    # no chaser, and the reason says why
    rows = _chase(capsys, cfg, monkeypatch)
    assert rows["kent"]["action"] == "none"
    assert rows["kent"]["reason"].startswith("reply of 9 Dec not yet reviewed")
    # the review queue shows it with its first lines
    queue = json.loads(cli(capsys, cfg, "review", "--json").out)
    assert [q["reference"] for q in queue] == [reqs["kent"].reference]
    assert queue[0]["preview"][0].startswith("Further to your email")
    listed = cli(capsys, cfg, "review").out.splitlines()
    assert listed[0].startswith(f"{reqs['kent'].reference}  Kent Police  09 Dec 2026  reads as ")
    assert any(line.startswith("    | Further to your email") for line in listed)
    assert all(line.startswith("    ") for line in listed[1:-1])     # all of it under its head
    assert listed[-1] == "confirm or correct each with: foibot mark REF KIND"
    # a person reads it: it was only an acknowledgement; chasing resumes
    r = cli(capsys, cfg, "mark", reqs["kent"].reference, "acknowledgement")
    assert r.code == 0, r.err
    assert json.loads(cli(capsys, cfg, "review", "--json").out) == []
    assert _chase(capsys, cfg, monkeypatch)["kent"]["action"] == "chaser"


def test_mark_without_a_reply_is_refused_unless_by_post(sent, capsys):
    cfg, reqs = sent
    ref = reqs["kent"].reference
    r = cli(capsys, cfg, "mark", ref, "successful")
    assert r.code == 2 and "has no reply to mark" in r.err and "reply_by_post" in r.err
    assert cli(capsys, cfg, "mark", ref, "successful", "--by-post").code == 0
    kent = next(r for r in _board(capsys, cfg)["requests"] if r["force"] == "kent")
    assert kent["state"] == "responded"


def test_a_correction_teaches_the_force_house_style(sent, capsys, monkeypatch, pymap_server):
    """Essex answers in a style foibot cannot read; once a person marks one such letter, the
    next one in the same words is read the same way, with the earlier one as evidence."""
    cfg, reqs = sent
    essex, other = reqs["essex"], reqs["kent"]
    pymap_server.deliver(reply_to(essex, HOUSE_STYLE.format(ref="5607")))
    cli(capsys, cfg, "poll")
    first = [e for e in App.load(cfg).campaigns.find(essex.reference).events
             if e.type == "reply"][-1]
    assert first.data["needs_review"] is True
    assert cli(capsys, cfg, "mark", essex.reference, "rejected").code == 0
    # a second Essex request gets the same letter: read as rejected, not left for review
    assert cli(capsys, cfg, "campaign", "create", "s2", "--var", f"question={QUESTION}",
               "--group", "all").code == 0
    assert cli(capsys, cfg, "send", "s2", "--force", "essex").code == 0
    second = next(r for r in App.load(cfg).campaigns.requests("s2") if r.force.id == "essex")
    pymap_server.deliver(reply_to(second, HOUSE_STYLE.format(ref="5711")))
    cli(capsys, cfg, "poll")
    got = [e for e in App.load(cfg).campaigns.find(second.reference).events
           if e.type == "reply"][-1]
    assert (got.data["kind"], got.data["needs_review"]) == ("rejected", False)
    assert any("marked rejected" in item for item in got.data["evidence"])
    # a letter from another force in other words learns nothing from Essex
    pymap_server.deliver(reply_to(other, UNCLEAR))
    cli(capsys, cfg, "poll")
    kent = [e for e in App.load(cfg).campaigns.find(other.reference).events
            if e.type == "reply"][-1]
    assert kent.data["needs_review"] is True
    assert date.today()  # (the examples live in the state dir, not in memory)
