"""CSV, JSON and iCalendar exports, and the answers table, from a campaign sent and answered
over real SMTP and IMAP (the campaign is the one ``tests/test_report.py`` builds)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import icalendar
import pytest

from foibot.rules import answers
from foibot.views import export
from foibot.app import App
from foibot.errors import UsageError
from foibot.rules.status import derive
from foibot.timeutil import NOW_ENV
from tests.helpers import cli
from tests.test_report import REPORT_AT, Built, built_campaign

FOIA_DUE = date(2026, 12, 31)


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> Built:
    return built_campaign(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture
def at_report_time(monkeypatch) -> None:
    monkeypatch.setenv(NOW_ENV, REPORT_AT)


def _csv(path):
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


# --- answers.py (pure) ----------------------------------------------------------------------


def test_parse_pairs_numbers():
    found = answers.parse_pairs(["allegations=126", "rate=0.25", "n=1,234", "z=0"])
    assert {k: f.value for k, f in found.items()} == {
        "allegations": 126, "rate": 0.25, "n": 1234, "z": 0}
    assert {f.kind for f in found.values()} == {"exact"}
    assert isinstance(answers.parse_pairs(["a=7"])["a"].value, int)
    assert answers.parse_pairs(["a=1", "a=2"])["a"].value == 2
    assert str(found["n"]) == "1,234"                 # kept as the force wrote it


@pytest.mark.parametrize("written, kind, low, high, counted", [
    ("<5", "suppressed", 0, 4, None),
    ("less than 10", "suppressed", 0, 9, None),
    ("*", "suppressed", None, None, None),
    ("Redacted", "suppressed", None, None, None),
    ("not held", "not_held", None, None, None),
    ("10-15", "range", 10, 15, 10),
    ("10 to 15", "range", 10, 15, 10),
    ("1,000–2,000", "range", 1000, 2000, 1000),
    ("7-7", "exact", 7, 7, 7),
])
def test_figures_as_forces_write_them(written, kind, low, high, counted):
    figure = answers.parse_figure(written)
    assert (figure.kind, figure.low, figure.high, figure.counted) == (kind, low, high, counted)
    assert figure.raw == written


@pytest.mark.parametrize("pair, why", [
    ("allegations=lots", "must be a number"), ("a=", "must be a number"),
    ("a=nan", "must be a number"), ("a=inf", "must be a number"),
    ("a=1e5x", "must be a number"), ("noequals", "expected KEY=VALUE"),
    ("=5", "a key starts with a letter"), ("9lives=1", "a key starts with a letter"),
    ("state=3", "export column"), ("a=12,34", "must be a number"),
    ("d=-3", "cannot be negative"), ("d=-1.5", "cannot be negative"),
    ("a=<0", "nothing is below 0"), ("a=15-10", "from the smaller number to the larger"),
    ("allegations_raw=1", "clash with the export's column of raw values"),
])
def test_parse_pairs_rejects(pair, why):
    with pytest.raises(UsageError) as err:
        answers.parse_pairs([pair])
    assert "\n" not in str(err.value) and why in str(err.value)


def test_totals_are_honest_about_suppressed_ranges_and_not_held():
    f = answers.parse_figure
    rows = [{"a": f("126")}, {"a": f("<5")}, {"a": f("10-15")}, {"a": f("redacted")},
            {"a": f("not held")}, {}, {"a": 3}]
    t = answers.totals(rows)["a"]
    assert (t.sum, t.forces, t.ranges, t.suppressed, t.not_held) == (139, 3, 1, 2, 1)
    assert t.describe() == ("at least 139 across 3 forces (1 of them a range, counted at its "
                            "lower end; 2 suppressed; 1 not held)")
    only = answers.totals([{"a": f("<5")}])["a"]
    assert only.describe() == "at least 0 across 0 forces (1 suppressed)"


def test_totals_count_the_forces_that_gave_a_figure():
    rows = [{"a": 126, "b": 3}, {}, {"a": 40}, {"a": 833, "b": 12}, {"b": 0}]
    t = answers.totals(rows)
    assert list(t) == ["a", "b"]
    assert (t["a"].sum, t["a"].forces) == (999, 3)
    assert t["a"].describe() == "at least 999 across 3 forces"
    assert (t["b"].sum, t["b"].forces) == (15, 3)          # a zero is a figure given
    assert answers.totals([{"x": 1.5}])["x"].describe() == "at least 1.5 across 1 force"
    assert answers.totals([]) == {}


# --- the answer command ---------------------------------------------------------------------


def test_answer_replaces_earlier_figure_for_the_same_key(built, tmp_path, capsys, at_report_time):
    cfg = built.copy_to(tmp_path / "c")
    ref = built.refs["kent"]
    r = cli(capsys, cfg, "answer", ref.lower(), "allegations=130", "retired=2.5")
    assert r.code == 0, r.err
    assert r.out.strip() == f"{ref} (Kent Police): recorded allegations=130, retired=2.5"
    out = tmp_path / "a.json"
    assert cli(capsys, cfg, "export", "sm", "--json", str(out)).code == 0
    data = json.loads(out.read_text())
    kent = next(row for row in data["rows"] if row["force"] == "kent")
    assert (kent["allegations"], kent["dismissed"], kent["retired"]) == (130, 3, 2.5)
    assert data["totals"]["allegations"] == {
        "sum": 999 - 126 + 130, "forces": 3, "ranges": 0, "suppressed": 0, "not_held": 0,
        "text": "at least 1003 across 3 forces"}
    assert (data["totals"]["retired"]["sum"], data["totals"]["retired"]["forces"]) == (2.5, 1)


def test_answers_as_forces_write_them_reach_the_exports(built, tmp_path, capsys, at_report_time):
    cfg = built.copy_to(tmp_path / "c")
    others = [f for f in built.refs if f not in built.figures]
    given = {others[0]: "<5", others[1]: "redacted", others[2]: "10-15", others[3]: "not held"}
    for force, written in given.items():
        r = cli(capsys, cfg, "answer", built.refs[force], f"allegations={written}")
        assert r.code == 0, r.err
        assert r.out.strip().endswith(f"recorded allegations={written}")
    csv_out, json_out = tmp_path / "sm.csv", tmp_path / "sm.json"
    r = cli(capsys, cfg, "export", "sm", "--csv", str(csv_out), "--json", str(json_out))
    assert r.code == 0, r.err
    rows = {row["force"]: row for row in _csv(csv_out)}
    assert len(rows) == 44                                 # the rows, and only the rows
    # the raw value beside the number counted in the total
    assert [(rows[f]["allegations"], rows[f]["allegations_raw"]) for f in given] == [
        ("", "<5"), ("", "redacted"), ("10", "10-15"), ("", "not held")]
    assert (rows["kent"]["allegations"], rows["kent"]["allegations_raw"]) == ("126", "126")
    totals = {row["figure"]: row for row in _csv(tmp_path / "sm.totals.csv")}
    assert totals["allegations"]["described"] == (
        "at least 1009 across 4 forces (1 of them a range, counted at its lower end; "
        "2 suppressed; 1 not held)")
    assert (totals["allegations"]["at_least"], totals["allegations"]["suppressed"]) == ("1009", "2")
    data = json.loads(json_out.read_text())
    row = next(r for r in data["rows"] if r["force"] == others[2])
    assert (row["allegations"], row["allegations_raw"]) == (10, "10-15")
    assert data["totals"]["allegations"]["suppressed"] == 2
    status = json.loads(cli(capsys, cfg, "status", "--json", "--force", others[0]).out)
    assert status["requests"][0]["answers"] == {"allegations": None}
    assert status["requests"][0]["answers_raw"] == {"allegations": "<5"}


def test_answer_with_a_non_number_exits_2_with_one_line(built, tmp_path, capsys, at_report_time):
    cfg = built.copy_to(tmp_path / "c")
    events = tmp_path / "c" / "state" / "campaigns" / "sm" / "events.jsonl"
    before = events.read_bytes()
    r = cli(capsys, cfg, "answer", built.refs["kent"], "allegations=12", "dismissed=some")
    assert r.code == 2
    assert len(r.err.strip().splitlines()) == 1 and "dismissed" in r.err and "number" in r.err
    assert events.read_bytes() == before
    r = cli(capsys, cfg, "answer", "FOI-ZZZZZ", "a=1")
    assert r.code == 2 and "no such request" in r.err


# --- CSV ------------------------------------------------------------------------------------


def test_csv_rows_columns_and_totals(built, tmp_path, capsys, at_report_time):
    out = tmp_path / "sm.csv"
    r = cli(capsys, built.cfg, "export", "sm", "--csv", str(out))
    assert r.code == 0, r.err
    raw = out.read_text(encoding="utf-8")
    header = raw.splitlines()[0].split(",")
    assert header == [*export.COLUMNS, "allegations", "allegations_raw", "dismissed",
                      "dismissed_raw"]
    forces = _csv(out)
    assert len(forces) == 44                    # totals are not mixed with the rows
    assert {r["force"] for r in forces} == set(built.refs)
    kent = next(r for r in forces if r["force"] == "kent")
    assert kent["reference"] == built.refs["kent"] and kent["force_name"] == "Kent Police"
    assert (kent["state"], kent["outcome"], kent["regime"]) == ("responded", "successful", "foia")
    assert (kent["sent"], kent["due"]) == ("2026-12-01", FOIA_DUE.isoformat())
    assert kent["days_to_answer"] == "7" and kent["last_reply_date"] == "2026-12-10"
    assert (kent["allegations"], kent["dismissed"]) == ("126", "3")
    assert (kent["allegations_raw"], kent["dismissed_raw"]) == ("126", "3")
    essex = next(r for r in forces if r["force"] == "essex")
    assert essex["outcome"] == "rejected" and essex["days_to_answer"] == "24"
    assert essex["next_action"] == "consider internal review"
    twice = next(f for f, n in built.chased.items() if n == 2)
    late = next(r for r in forces if r["force"] == twice)
    assert (late["state"], late["chasers"], late["days_to_answer"], late["outcome"]) == (
        "overdue", "2", "", "")
    # the totals in their own file beside it, one row per figure
    assert r.out.strip().splitlines() == [f"wrote {out}", f"wrote {tmp_path / 'sm.totals.csv'}"]
    totals = _csv(tmp_path / "sm.totals.csv")
    assert [(t["figure"], t["at_least"], t["forces"]) for t in totals] == [
        ("allegations", "999", "3"), ("dismissed", "15", "3")]
    assert totals[0]["described"] == "at least 999 across 3 forces"


def test_csv_cells_from_email_cannot_become_formulas():
    assert export._cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert export._cell("@SUM(A1)") == "'@SUM(A1)"
    assert export._cell(-3) == "-3"                    # numbers stay numbers
    assert export._cell(["12", "40(2)"]) == "12; 40(2)"
    assert export._cell(None) == ""


# --- JSON -----------------------------------------------------------------------------------


def test_json_to_stdout_has_rows_and_totals(built, tmp_path, capsys, at_report_time):
    out = tmp_path / "sm.ics"
    r = cli(capsys, built.cfg, "export", "sm", "--json", "-", "--ics", str(out))
    assert r.code == 0, r.err
    data = json.loads(r.out)                         # stdout is only the JSON
    assert r.err.strip() == f"wrote {out}" and out.exists()
    assert data["campaign"] == "sm" and data["today"] == "2027-01-20"
    assert data["generated"] == "2027-01-20T10:00:00+00:00"
    assert len(data["rows"]) == 44
    assert data["columns"] == [*export.COLUMNS, "allegations", "allegations_raw", "dismissed",
                               "dismissed_raw"]
    assert {k: (t["sum"], t["forces"]) for k, t in data["totals"].items()} == {
        "allegations": (999, 3), "dismissed": (15, 3)}
    kent = next(row for row in data["rows"] if row["force"] == "kent")
    assert kent["days_to_answer"] == 7 and kent["allegations"] == 126
    surrey = next(row for row in data["rows"] if row["force"] == "surrey")
    assert surrey["state"] == "clarification" and surrey["due"] is None
    assert surrey["allegations"] is None


def test_export_needs_an_option(built, capsys):
    r = cli(capsys, built.cfg, "export", "sm")
    assert r.code == 2 and "--csv" in r.err


def test_export_replaces_files_atomically(built, tmp_path, capsys, at_report_time):
    out = tmp_path / "sm.csv"
    out.write_text("old")
    assert cli(capsys, built.cfg, "export", "sm", "--csv", str(out)).code == 0
    assert out.read_text().startswith("force,")
    # no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sm.csv", "sm.totals.csv"]


# --- iCalendar ------------------------------------------------------------------------------


def test_ics_has_one_event_per_request_with_a_due_date(built, tmp_path, capsys, at_report_time):
    out = tmp_path / "sm.ics"
    assert cli(capsys, built.cfg, "export", "sm", "--ics", str(out)).code == 0
    cal = icalendar.Calendar.from_ical(out.read_bytes())
    events = list(cal.walk("VEVENT"))
    app = App.load(built.cfg)
    # every request but the one whose clock is stopped for a clarification has a due date
    assert len(events) == 43
    by_uid = {str(e["UID"]): e for e in events}
    assert set(by_uid) == {f"{ref}@foibot" for f, ref in built.refs.items()
                           if f != built.clarification}
    kent = by_uid[f"{built.refs['kent']}@foibot"]
    assert kent.decoded("DTSTART") == FOIA_DUE            # an all-day date, not a date-time
    assert kent["DTSTART"].params.get("VALUE") == "DATE"
    assert kent.decoded("DTEND") == date(2027, 1, 1)
    assert str(kent["SUMMARY"]) == f"FOI due: Kent Police ({built.refs['kent']})"
    assert "State: responded" in str(kent["DESCRIPTION"])
    dorset = by_uid[f"{built.refs['dorset']}@foibot"]
    assert "State: overdue" in str(dorset["DESCRIPTION"])
    assert "Next action: chase" in str(dorset["DESCRIPTION"])
    # the chase policy's step: one chaser went on 5 Jan, the second is due
    assert "second chaser" in str(dorset["DESCRIPTION"])
    for req in app.campaigns.requests("sm"):
        due = derive(req, date(2027, 1, 20)).due
        if due is not None:
            assert by_uid[f"{req.reference}@foibot"].decoded("DTSTART") == due


def test_ics_uids_are_stable_across_exports(built, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(NOW_ENV, REPORT_AT)
    first, second = tmp_path / "1.ics", tmp_path / "2.ics"
    assert cli(capsys, built.cfg, "export", "sm", "--ics", str(first)).code == 0
    monkeypatch.setenv(NOW_ENV, "2027-02-02T10:00:00+00:00")
    assert cli(capsys, built.cfg, "export", "sm", "--ics", str(second)).code == 0

    def uids(path):
        calendar = icalendar.Calendar.from_ical(path.read_bytes())
        return [str(e["UID"]) for e in calendar.walk("VEVENT")]

    assert uids(first) == uids(second) and len(uids(first)) == 43


def test_ics_gives_the_next_chase_date_before_the_deadline(built, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(NOW_ENV, "2026-12-15T10:00:00+00:00")
    out = tmp_path / "sm.ics"
    assert cli(capsys, built.cfg, "export", "sm", "--ics", str(out)).code == 0
    calendar = icalendar.Calendar.from_ical(out.read_bytes())
    events = {str(e["UID"]): e for e in calendar.walk("VEVENT")}
    quiet = next(f for f in built.refs if f not in built.answer_day and f not in built.chased
                 and f != built.clarification)
    text = str(events[f"{built.refs[quiet]}@foibot"]["DESCRIPTION"])
    assert "State: awaiting" in text
    # due Thu 31 Dec; 1 Jan and Scotland's 2 Jan holiday (taken Mon 4 Jan) are not working days
    assert "Next chase date: 2027-01-05" in text
