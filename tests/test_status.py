"""The board and the timeline, over campaigns built from real events."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from foibot import demo
from foibot.app import App
from foibot.model import Request
from foibot.model import Event
from foibot.registry import Registry
from foibot.rules.status import derive
from foibot.timeutil import pinned_now
from tests.helpers import QUESTION, cli, cli_process, write_config

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _request(regime: str = "foia", *events: tuple[str, dict, datetime]) -> Request:
    force = Registry.from_settings().get("police-scotland" if regime == "foisa" else "kent")
    evs = [Event(1, "FOI-AAAAA", "created", T0, {}),
           Event(2, "FOI-AAAAA", "sending", T0, {"key": "request", "message_id": "<m@x>"}),
           Event(3, "FOI-AAAAA", "sent", T0, {"key": "request", "message_id": "<m@x>"})]
    for i, (type_, data, at) in enumerate(events, start=4):
        evs.append(Event(i, "FOI-AAAAA", type_, at, data))
    return Request("FOI-AAAAA", "c", force, tuple(evs))


def _reply(kind: str, day: str, **data) -> tuple[str, dict, datetime]:
    at = datetime.fromisoformat(f"{day}T10:00:00+00:00")
    return ("reply", {"kind": kind, "date": at.isoformat(), **data}, at)


def test_awaiting_then_overdue_then_long_overdue():
    req = _request()
    assert derive(req, date(2026, 12, 30)).state == "awaiting"
    st = derive(req, date(2026, 12, 31))
    assert st.due == date(2026, 12, 31) and st.state == "awaiting"
    st = derive(req, date(2027, 1, 5))
    assert st.state == "overdue" and st.next_action == "chase"
    # 1 Jan, and Mon 4 Jan (Scotland's 2 January substitute) are not FOIA working days
    assert st.standing.working_days_late == 1
    st = derive(req, date(2027, 2, 15))
    assert st.standing.long_overdue and st.next_action == "consider internal review"


def test_acknowledgement_is_not_an_answer_and_stated_date_is_kept():
    req = _request("foia", _reply("acknowledgement", "2026-12-02", stated_due="2026-12-29"))
    st = derive(req, date(2027, 1, 6))
    assert st.state == "overdue" and not st.responded
    assert st.stated_due == date(2026, 12, 29) and st.due == date(2026, 12, 31)
    assert st.stated_note == ("the force's letter gives 2026-12-29; foibot's count under the Act "
                              "gives 2026-12-31 (the force's date is 2 working days earlier)")


def test_an_extension_replaces_the_date_an_acknowledgement_gave():
    # The acknowledgement said 31 Dec; the force then extended to 28 Jan: the force and the
    # Act agree on 28 Jan, and no note says otherwise (it used to say "force says 2026-12-31,
    # the Act gives 2027-01-28 (18 working days earlier)").
    req = _request("foia", _reply("acknowledgement", "2026-12-02", stated_due="2026-12-31"),
                   _reply("extension", "2026-12-29", extension_until="2027-01-28"))
    st = derive(req, date(2027, 1, 20))
    assert st.due == date(2027, 1, 28) and st.stated_due is None and st.stated_note is None
    agreed = _request("foia", _reply("acknowledgement", "2026-12-02", stated_due="2026-12-31"),
                      ("extension_agreed", {"until": "2027-01-29"}, T0))
    assert derive(agreed, date(2027, 1, 20)).stated_note is None


def test_working_days_late_is_the_answer_against_the_deadline():
    on_time = derive(_request("foia", _reply("successful", "2026-12-09")), date(2027, 1, 20))
    assert on_time.as_dict()["working_days_late"] == 0
    late = derive(_request("foia", _reply("successful", "2027-01-07")), date(2027, 1, 20))
    # due Thu 31 Dec; 1 Jan and Mon 4 Jan (Scotland's 2 January) do not count: 5, 6, 7 Jan
    assert late.as_dict()["working_days_late"] == 3
    silent = derive(_request("foia"), date(2027, 1, 20))
    assert silent.as_dict()["working_days_late"] == silent.standing.working_days_late == 12


def test_clarification_stops_the_clock_and_restarts_it():
    asked = _request("foia", _reply("clarification", "2026-12-04"))
    st = derive(asked, date(2027, 3, 1))
    assert st.state == "clarification" and st.next_action == "reply to clarification"
    assert st.due is None
    answered = _request("foia", _reply("clarification", "2026-12-04"),
                        ("clarification_sent", {"on": "2027-01-11"}, T0))
    st = derive(answered, date(2027, 1, 12))
    assert st.state == "awaiting"
    assert st.due == date(2027, 2, 8)  # 20 working days after Mon 11 Jan 2027


def test_fee_extension_withdrawn_and_marked():
    fee = derive(_request("foia", _reply("fee", "2026-12-04")), date(2026, 12, 20))
    assert fee.state == "fee"
    ext = derive(_request("foia", _reply("extension", "2026-12-30", extension_until="2027-02-01")),
                 date(2027, 1, 20))
    assert ext.state == "awaiting" and ext.due == date(2027, 2, 1)
    scot = derive(_request("foisa", _reply("extension", "2026-12-30", extension_until="2027-02-01")),
                  date(2027, 1, 20))
    assert scot.due != date(2027, 2, 1) and any("FOISA" in w for w in scot.warnings)
    gone = derive(_request("foia", ("withdrawn", {}, T0)), date(2027, 1, 20))
    assert gone.state == "withdrawn" and gone.next_action == "none"
    corrected = derive(_request("foia", _reply("unknown", "2026-12-10"),
                                ("marked", {"kind": "not_held"}, T0)), date(2026, 12, 11))
    assert corrected.responded and corrected.outcome.kind == "not_held"


@pytest.fixture(scope="module")
def played(tmp_path_factory, smtp_session, pymap_session):
    """The demo's 44-force script, played through aiosmtpd and pymap (once per module)."""
    smtp_server, pymap_server = smtp_session, pymap_session
    smtp_server.reset()
    pymap_server.empty()
    tmp_path = tmp_path_factory.mktemp("played")
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    app = App.load(cfg)
    with pinned_now(demo.START):
        app.campaigns.create("sm", forces=app.registry.group("default"), group="default",
                             template=None, variables={"question": QUESTION}, now=app.now())
    demo.play(app, "sm", pymap_server.deliver)
    return cfg, app


def test_board_of_a_played_campaign_32_of_44(played, capsys, monkeypatch):
    cfg, app = played
    monkeypatch.setenv("FOIBOT_NOW", "2027-02-05T12:00:00+00:00")
    r = cli(capsys, cfg, "status", "sm")
    assert r.code == 0, r.err
    first = r.out.splitlines()[0]
    assert first.startswith("responded 32 · overdue ") and first.endswith(" = 44")
    # every request is counted in exactly one part of the headline
    parts = [int(part.rsplit(" ", 1)[1]) for part in first.removesuffix(" = 44").split(" · ")]
    assert sum(parts) == 44
    data = json.loads(cli(capsys, cfg, "status", "sm", "--json").out)
    s = data["summary"]
    assert (s["total"], s["responded"], s["failed"]) == (44, 32, 1)
    assert s["overdue"] + s["awaiting"] + s["clarification"] + s["failed"] == 12
    assert s["needs_review"] == 0
    rows = {x["force"]: x for x in data["requests"]}
    for row in rows.values():
        assert {"force", "reference", "state", "sent", "due", "working_days_late",
                "last_reply_kind", "next_action"} <= row.keys()
    assert rows["bedfordshire"]["state"] == "failed"
    assert rows["bedfordshire"]["next_action"] == "fix address"
    assert rows["humberside"]["state"] == "overdue"          # acknowledged only
    assert rows["humberside"]["last_reply_kind"] == "acknowledgement"
    # three chasers went unanswered and the demo drafted an internal review
    assert rows["humberside"]["chasers"] == 3
    assert rows["humberside"]["next_action"] == "send draft review (foibot send-draft)"
    assert rows["merseyside"]["outcome"] == "rejected" and rows["merseyside"]["sections"] == ["12"]
    assert rows["merseyside"]["next_action"] == "consider internal review"
    assert rows["cleveland"]["outcome"] == "partially_successful"
    assert "40(2)" in rows["cleveland"]["sections"]
    # the force that asked for clarification got an answer, and its clock restarted
    dorset = rows["dorset"]
    assert dorset["state"] == "responded" and dorset["due"] > "2026-12-31"
    assert all(x["sent"] == "2026-12-01" for x in rows.values())
    overdue = json.loads(cli(capsys, cfg, "status", "sm", "--json", "--overdue").out)["requests"]
    assert overdue and all(x["state"] == "overdue" for x in overdue)
    one = json.loads(cli(capsys, cfg, "status", "sm", "--json", "--force", "kent").out)
    assert [x["force"] for x in one["requests"]] == ["kent"]


def test_show_explains_the_deadline(played, capsys, monkeypatch):
    cfg, app = played
    monkeypatch.setenv("FOIBOT_NOW", "2027-02-05T12:00:00+00:00")
    ref = next(r.reference for r in app.campaigns.requests("sm") if r.force.id == "humberside")
    r = cli(capsys, cfg, "show", ref)
    assert r.code == 0, r.err
    assert "Fri 25 Dec 2026: Christmas Day" in r.out
    assert "reply: acknowledgement" in r.out
    assert "sent request" in r.out
    # in 80 columns every line fits, each continuation indented under the text it continues
    # (an entry's under its text, after the time), and no word is lost or cut
    wide = cli_process(cfg, "show", ref, env={"FOIBOT_NOW": "2027-02-05T12:00:00+00:00",
                                              "COLUMNS": "400"}).stdout
    done = cli_process(cfg, "show", ref, env={"FOIBOT_NOW": "2027-02-05T12:00:00+00:00",
                                              "COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80 < max(len(line) for line in wide.splitlines())
    assert done.stdout.split() == wide.split()
    timeline = lines[lines.index("timeline:") + 1:]
    entries = [line for line in timeline if line.startswith("  20")]
    notes = [line for line in timeline if line.startswith(("      evidence: ", "      read: "))]
    continued = [line for line in timeline if line not in entries and line not in notes]
    assert any(len(line) - len(line.lstrip()) == 20 for line in continued)
    assert all(len(line) - len(line.lstrip()) >= 8 for line in continued)


def test_record_moves_the_clock(tmp_path, capsys, smtp_server, monkeypatch):
    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port))
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:00:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "c", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "send", "c", "--force", "kent").code == 0
    ref = next(r.reference for r in App.load(cfg).campaigns.requests("c") if r.force.id == "kent")
    r = cli(capsys, cfg, "record", ref, "extension_agreed", "--until", "2027-01-29")
    assert r.code == 0
    monkeypatch.setenv("FOIBOT_NOW", "2027-01-20T10:00:00+00:00")
    row = json.loads(cli(capsys, cfg, "status", "c", "--json", "--force", "kent").out)["requests"][0]
    assert row["due"] == "2027-01-29" and row["state"] == "awaiting"
    r = cli(capsys, cfg, "record", ref, "withdrawn")
    row = json.loads(cli(capsys, cfg, "status", "c", "--json", "--force", "kent").out)["requests"][0]
    assert row["state"] == "withdrawn"
    r = cli(capsys, cfg, "record", ref, "eaten_by_dog")
    assert r.code == 2 and "expected one of" in r.err
    for bad, why in (
        (("reply_by_post", "--kind", "nonsense"), "--kind 'nonsense': expected one of"),
        (("fee_paid", "--on", "2027-03-01"), "that is in the future"),
        (("extension_agreed", "--on", "2027-01-10", "--until", "2027-01-05"),
         "--until 2027-01-05: the new date must be after 2027-01-10"),
    ):
        r = cli(capsys, cfg, "record", ref, *bad)
        assert r.code == 2 and why in r.err, r.err
    r = cli(capsys, cfg, "status", "c", "--force", "atlantis")
    assert r.code == 2 and "no such force: 'atlantis'" in r.err
    r = cli(capsys, cfg, "status", "c", "--force", "Police Scotland")   # a force, not asked
    assert r.code == 2 and "no request to force 'police-scotland'" in r.err


def test_record_refuses_what_cannot_follow_a_withdrawal(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:00:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "c", "--var", f"question={QUESTION}").code == 0
    ref = next(r.reference for r in App.load(cfg).campaigns.requests("c") if r.force.id == "kent")
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-10")
    assert cli(capsys, cfg, "record", ref, "withdrawn").code == 0
    for event in ("fee_paid", "clarification_sent", "review_requested", "extension_agreed"):
        r = cli(capsys, cfg, "record", ref, event)
        assert r.code == 2, event
        assert r.err.strip() == (
            f"foibot: {ref} was withdrawn on 2026-12-10: {event} cannot happen after that "
            "(if it happened before, give --on with its day)")
    r = cli(capsys, cfg, "record", ref, "withdrawn")
    assert r.code == 2 and "already withdrawn on 2026-12-10" in r.err
    # what happened before the withdrawal can still be told, and a force may answer anyway
    assert cli(capsys, cfg, "record", ref, "fee_paid", "--on", "2026-12-05").code == 0
    assert cli(capsys, cfg, "record", ref, "reply_by_post", "--kind", "not held").code == 0
    events = [e.type for e in App.load(cfg).campaigns.find(ref).events]
    assert events[-3:] == ["withdrawn", "fee_paid", "reply_by_post"]
    assert App.load(cfg).campaigns.find(ref).events[-1].data["kind"] == "not_held"


def test_names_are_forgiving_and_near_misses_named(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:00:00+00:00")
    made = cli(capsys, cfg, "campaign", "create", "social", "--var", f"question={QUESTION}")
    assert made.code == 0
    for given in ("kent", "Kent Police", "Kent", "KENT", "kent police"):
        data = json.loads(cli(capsys, cfg, "status", "--force", given, "--json").out)
        assert [x["force"] for x in data["requests"]] == ["kent"], given
    one = json.loads(cli(capsys, cfg, "status", "--force", "devon & cornwall", "--json").out)
    assert [x["force"] for x in one["requests"]] == ["devon-and-cornwall"]
    for command in (["status"], ["preview", "social"], ["send", "social", "--dry-run"]):
        r = cli(capsys, cfg, *command, "--force", "Kentt")
        assert (r.code, r.err) == (2, "foibot: no such force: 'Kentt' (did you mean kent?)\n")
    r = cli(capsys, cfg, "status", "socail")
    assert (r.code, r.err) == (2, "foibot: no such campaign: 'socail' (did you mean social?)\n")
    r = cli(capsys, cfg, "preview", "SOCIAL", "--force", "kent")
    assert r.code == 0 and "To: freedomofinformation@kent.police.uk" in r.out
    ref = next(r.reference for r in App.load(cfg).campaigns.requests("social"))
    r = cli(capsys, cfg, "mark", ref, "sucessful", "--by-post")
    assert r.code == 2 and "kind 'sucessful': did you mean successful?" in r.err
    r = cli(capsys, cfg, "record", ref, "reply_by_post", "--kind", "partialy successful")
    assert r.code == 2 and "did you mean partially_successful?" in r.err
    r = cli(capsys, cfg, "record", ref, "fee_payed")
    assert r.code == 2 and "event 'fee_payed': did you mean fee_paid?" in r.err
    assert cli(capsys, cfg, "mark", ref, "Not Held", "--by-post").code == 0


def test_clarify_sends_threaded_letter_and_restarts_clock(tmp_path, capsys, smtp_server,
                                                         pymap_server, monkeypatch):
    from tests.replies import CLARIFY, reply_to
    import email
    import email.policy

    cfg = write_config(tmp_path, smtp=(smtp_server.host, smtp_server.port),
                       imap=(pymap_server.host, pymap_server.port, pymap_server.username,
                             pymap_server.password))
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T10:00:00+00:00")
    cli(capsys, cfg, "campaign", "create", "c", "--var", f"question={QUESTION}")
    assert cli(capsys, cfg, "send", "c", "--force", "kent").code == 0
    kent = next(r for r in App.load(cfg).campaigns.requests("c") if r.force.id == "kent")
    question = reply_to(kent, CLARIFY, sender="Disclosure <disclosure@kent.police.uk>")
    pymap_server.deliver(question)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-03T10:00:00+00:00")
    assert cli(capsys, cfg, "poll").out.startswith("1 new: 1 matched")
    text = tmp_path / "c.txt"
    text.write_text("I mean posts that led to a misconduct investigation.")
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-07T10:00:00+00:00")
    r = cli(capsys, cfg, "clarify", kent.reference, "--text-file", str(text))
    assert r.code == 0, r.out + r.err
    sent = email.message_from_bytes(smtp_server.messages[-1].data, policy=email.policy.default)
    asked = email.message_from_bytes(question, policy=email.policy.default)
    assert sent["In-Reply-To"] == asked["Message-ID"]
    assert sent["To"] == "disclosure@kent.police.uk"
    assert "misconduct investigation" in sent.get_content()
    row = json.loads(cli(capsys, cfg, "status", "c", "--json", "--force", "kent").out)["requests"][0]
    assert row["state"] == "awaiting" and row["due"] == "2027-01-08"  # 25, 28 Dec, 1 and 4 Jan not counted
    # never twice: the question is answered, so a second clarify is refused
    r = cli(capsys, cfg, "clarify", kent.reference, "--text-file", str(text))
    assert r.code == 2 and "is not waiting on a clarification (state: awaiting)" in r.err
    assert len(smtp_server.messages) == 2
    # and a request nobody asked about cannot be "clarified" (it would restart the clock)
    r = cli(capsys, cfg, "clarify", "FOI-ZZZZZ", "--text-file", str(text))
    assert r.code == 2


def test_a_draft_overtaken_by_an_answer_is_not_sent(played, capsys, monkeypatch, smtp_session):
    cfg, app = played
    monkeypatch.setenv("FOIBOT_NOW", "2027-02-08T12:00:00+00:00")
    ref = next(r.reference for r in app.campaigns.requests("sm") if r.force.id == "humberside")
    row = json.loads(cli(capsys, cfg, "status", "sm", "--json", "--force", "humberside").out)
    assert row["requests"][0]["next_action"] == "send draft review (foibot send-draft)"
    r = cli(capsys, cfg, "send-draft", ref, "review", "--dry-run")
    assert r.code == 0 and "internal review" in r.out
    # the letter as the force will read it: decoded, not quoted-printable
    assert "Content-Transfer-Encoding" not in r.out and "=\n" not in r.out
    assert "=20" not in r.out and "=E2" not in r.out
    assert "I am writing to ask for an internal review of your failure to respond" in r.out
    assert cli(capsys, cfg, "record", ref, "reply_by_post", "--kind", "successful").code == 0
    sent_before = len(smtp_session.messages)
    r = cli(capsys, cfg, "send-draft", ref, "review")
    assert r.code == 2 and "has answered since this draft was written" in r.err
    assert len(smtp_session.messages) == sent_before
    row = json.loads(cli(capsys, cfg, "status", "sm", "--json", "--force", "humberside").out)
    assert row["requests"][0]["state"] == "responded"
    assert row["requests"][0]["next_action"] == "record answers"


def test_show_tells_the_story_as_of_foibot_now_in_the_order_it_happened(tmp_path, capsys,
                                                                         monkeypatch):
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T09:00:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "c", "--var", f"question={QUESTION}").code == 0
    app = App.load(cfg)
    ref = next(r.reference for r in app.campaigns.requests("c") if r.force.id == "kent")

    def at(when: str) -> datetime:
        return datetime.fromisoformat(when)

    app.campaigns.append("c", [(ref, "sending", {"key": "request", "message_id": "<m@x>"}),
                               (ref, "sent", {"key": "request", "message_id": "<m@x>",
                                              "response": "250 OK"})],
                         now=at("2026-12-01T10:00:00+00:00"))
    app.campaigns.append_one("c", ref, "reply", {"kind": "acknowledgement", "subject": "Ack",
                                                 "date": "2026-12-02T09:00:00+00:00"},
                             now=at("2026-12-02T09:05:00+00:00"))
    # recorded on 20 Dec, it happened on 5 Dec: told between the two replies
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-20")
    assert cli(capsys, cfg, "record", ref, "clarification_sent", "--on", "2026-12-05").code == 0
    app.campaigns.append_one("c", ref, "reply", {"kind": "successful", "subject": "Answer",
                                                 "date": "2027-01-08T11:00:00+00:00"},
                             now=at("2027-01-08T11:05:00+00:00"))

    monkeypatch.setenv("FOIBOT_NOW", "2026-12-21")          # a date: London midnight
    view = json.loads(cli(capsys, cfg, "show", ref, "--json").out)
    assert [e["type"] for e in view["events"]] == [
        "created", "sending", "sent", "reply", "clarification_sent"]
    assert view["state"] == "awaiting"              # the answer of 8 Jan has not come yet
    out = cli(capsys, cfg, "show", ref).out
    assert "Answer" not in out
    lines = out[out.index("timeline:"):].splitlines()[1:]
    days = [line.split()[0] for line in lines if line.startswith("  20")]
    assert days == sorted(days) and days[-1] == "2026-12-05"

    monkeypatch.setenv("FOIBOT_NOW", "2027-01-09")
    view = json.loads(cli(capsys, cfg, "show", ref, "--json").out)
    assert [e["type"] for e in view["events"]][-3:] == ["reply", "clarification_sent", "reply"]
    assert [e["reply"] for e in view["events"] if e["type"] == "reply"] == [1, 2]
    assert view["state"] == "responded"


def test_foibot_now_takes_a_date_and_says_what_it_expects(tmp_path, capsys, monkeypatch):
    from foibot.timeutil import now

    monkeypatch.setenv("FOIBOT_NOW", "2027-01-20")
    assert now() == datetime(2027, 1, 20, tzinfo=timezone.utc)          # London midnight (GMT)
    monkeypatch.setenv("FOIBOT_NOW", "2027-07-01")
    assert now() == datetime(2027, 6, 30, 23, tzinfo=timezone.utc)      # London midnight (BST)
    cfg = write_config(tmp_path)
    assert cli(capsys, cfg, "campaign", "create", "c", "--var", f"question={QUESTION}").code == 0
    for bad in ("next tuesday", "2027-01-20T10:00:00", "2027-13-01"):
        monkeypatch.setenv("FOIBOT_NOW", bad)
        r = cli(capsys, cfg, "status")
        assert r.code == 2 and len(r.err.strip().splitlines()) == 1, r.err
        assert f"FOIBOT_NOW={bad!r}" in r.err
        assert "2027-01-20" in r.err and "2027-01-20T10:00:00+00:00" in r.err
