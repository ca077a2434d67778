"""``foibot chase`` and ``foibot drafts`` as a person reads them: what would be done, then
one line for the rest; drafts the force has overtaken are stale, not waiting."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from foibot.app import App
from tests.helpers import QUESTION, cli, write_config

SENT = datetime.fromisoformat("2026-12-01T10:00:00+00:00")
LATER = datetime.fromisoformat("2026-12-15T10:00:00+00:00")
SILENT = ("kent", "essex", "dorset")


@pytest.fixture
def campaign(tmp_path, capsys, monkeypatch):
    """44 requests sent on 1 Dec 2026: three silent, one with an extension, the rest answered."""
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T09:00:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    app = App.load(cfg)
    requests = {r.force.id: r for r in app.campaigns.requests("sm")}
    sent = []
    for r in requests.values():
        mid = f"<{r.reference}@x>"
        sent += [(r.reference, "sending", {"key": "request", "message_id": mid}),
                 (r.reference, "sent", {"key": "request", "message_id": mid})]
    app.campaigns.append("sm", sent, now=SENT)
    replies = []
    for force, r in requests.items():
        if force == "surrey":
            data = {"kind": "extension", "extension_until": "2027-01-29"}
        elif force not in SILENT:
            data = {"kind": "successful"}
        else:
            continue
        replies.append((r.reference, "reply", {**data, "date": LATER.isoformat()}))
    app.campaigns.append("sm", replies, now=LATER)
    return cfg, requests


def test_chase_dry_run_shows_what_would_be_done_then_one_line(campaign, capsys, monkeypatch):
    cfg, requests = campaign
    monkeypatch.setenv("FOIBOT_NOW", "2027-01-05")
    r = cli(capsys, cfg, "chase", "--dry-run")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    rows = [line for line in lines if "chaser-1" in line]
    assert len(rows) == 3 and {requests[f].reference for f in SILENT} == {
        line.split()[line.split().index("chaser-1") - 1] for line in rows}
    assert lines[-2] == ("41 forces: nothing to do (answered 40, waiting 1) "
                         "(--all lists them)")
    assert lines[-1] == "dry run (use --send to act) · would send chasers: 3"
    assert not any(requests["surrey"].reference in line for line in lines)
    every = cli(capsys, cfg, "chase", "--dry-run", "--all").out
    assert all(r.reference in every for r in requests.values())
    assert "nothing to do (" not in every
    # the JSON keeps every decision, as before
    assert len(json.loads(cli(capsys, cfg, "chase", "--dry-run", "--json").out)) == 44
    monkeypatch.setenv("FOIBOT_NOW", "2027-01-04")       # the day before: nothing at all
    quiet = cli(capsys, cfg, "chase", "--dry-run").out.splitlines()
    assert quiet == ["44 forces: nothing to do (answered 40, overdue 3, waiting 1) "
                     "(--all lists them)",
                     "dry run (use --send to act) · nothing to send or draft today"]


def test_drafts_overtaken_by_an_answer_or_a_withdrawal_are_stale(campaign, capsys, monkeypatch):
    cfg, requests = campaign
    app = App.load(cfg)
    drafted = datetime.fromisoformat("2027-02-01T10:00:00+00:00")
    for force in SILENT:
        ref = requests[force].reference
        app.campaigns.append_one("sm", ref, "draft", {
            "key": "review", "kind": "review", "path": f"drafts/sm/{ref}.review.eml",
            "subject": "Request for internal review", "to": requests[force].email},
            now=drafted)
    answered, withdrawn, waiting = (requests[f].reference for f in SILENT)
    later = datetime.fromisoformat("2027-02-03T10:00:00+00:00")
    app.campaigns.append_one("sm", answered, "reply",
                             {"kind": "successful", "date": later.isoformat()}, now=later)
    app.campaigns.append_one("sm", withdrawn, "withdrawn", {"note": ""}, now=later)
    monkeypatch.setenv("FOIBOT_NOW", "2027-02-04")
    r = cli(capsys, cfg, "drafts")
    assert r.code == 0, r.err
    listed = [line for line in r.out.splitlines() if line.startswith("FOI-")]
    assert [line.split()[0] for line in listed] == [waiting]
    out = r.out.splitlines()
    head = out.index(listed[0])
    assert listed[0].endswith("  drafted 1 Feb  request overdue")     # its letter: unsent
    assert out[head + 1] == f"    to {requests['dorset'].email}"
    assert out[head + 2].startswith("    file ") and out[head + 2].endswith(
        f"drafts/sm/{waiting}.review.eml")
    stale = sorted(line for line in r.out.splitlines() if line.startswith("stale: "))
    assert len(stale) == 2
    assert any(line.startswith(f"stale: {answered} review") and
               line.endswith("the force has answered since; not to be sent") for line in stale)
    assert any(line.startswith(f"stale: {withdrawn} review") and
               "the request was withdrawn" in line for line in stale)
    # chase says what waits for the user, the stale drafts not counted
    chased = cli(capsys, cfg, "chase", "--dry-run").out.splitlines()
    assert chased[-1] == "drafts waiting for you to read and send: 1 (foibot drafts lists them)"
    data = {d["reference"]: d for d in json.loads(cli(capsys, cfg, "drafts", "--json").out)}
    assert data[waiting]["stale"] is None
    assert data[answered]["stale"] == "the force has answered since"
    assert data[withdrawn]["stale"] == "the request was withdrawn"
