"""The HTML report, built from a campaign sent over SMTP and answered over IMAP.

The campaign (``built``) is made once per module the slow, real way: 44 letters through
aiosmtpd, 34 replies delivered into pymap and filed by ``foibot poll``, figures recorded with
``foibot answer``. Chasers are appended as events (no chaser module is involved here).
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from foibot.rules import clock
from foibot.views import report
from foibot.app import App
from foibot.model import Request
from foibot.cli import main
from foibot.timeutil import NOW_ENV, parse_instant, pinned_now
from tests.helpers import QUESTION, cli, write_config
from tests.replies import ACK, CLARIFY, REFUSAL, SUCCESS, reply_to

SEND_AT = "2026-12-01T09:00:00+00:00"       # a Tuesday; FOIA due date 31 Dec 2026
POLL_AT = "2027-01-14T09:00:00+00:00"
CHASE_AT = "2027-01-05T09:30:00+00:00"
REPORT_AT = "2027-01-20T10:00:00+00:00"
SENT = date(2026, 12, 1)
HOSTILE = "<script>alert(1)</script>"
# Working-day offsets (after sending) of the 30 plain successful answers: most on time, a few late.
ON_TIME = (1, 2, 3, 3, 4, 5, 5, 6, 8, 9, 10, 10, 11, 12, 13, 14, 15, 15, 16, 17, 18, 19, 19, 20,
           20)
LATE = (21, 22, 23, 25, 26)


@dataclass(frozen=True)
class Built:
    """A campaign on disk: copy ``root`` to get one of your own."""

    root: Path
    cfg: Path
    refs: dict[str, str]                 # force id -> reference
    answer_day: dict[str, int]           # force id -> working days to the substantive answer
    clarification: str                   # force asked for clarification
    acknowledged: str                    # force only acknowledged
    chased: dict[str, int]               # force id -> chasers sent
    figures: dict[str, dict[str, float]]  # force id -> answers recorded

    def copy_to(self, target: Path) -> Path:
        """A private copy (config and state); returns the copy's config path."""
        shutil.copytree(self.root, target, dirs_exist_ok=True)
        return target / self.cfg.name


clock_at = pinned_now


def run(cfg: Path, *args: str) -> None:
    code = main(["--config", str(cfg), *args])
    assert code == 0, f"foibot {' '.join(args)} exited {code}"


def working_day(n: int, regime: str = "foia") -> date:
    return clock.add_working_days(SENT, n, regime).due if n else SENT


def reply_date(n: int, regime: str) -> datetime:
    day = working_day(n, regime)
    return datetime(day.year, day.month, day.day, 11, 30, tzinfo=UTC)


def build_campaign(root: Path, smtp, imap) -> Built:
    """Send 44 letters, file 34 replies from IMAP, chase the late, record figures."""
    smtp.reset()
    imap.empty()
    cfg = write_config(root, smtp=(smtp.host, smtp.port),
                       imap=(imap.host, imap.port, imap.username, imap.password))
    with clock_at(SEND_AT):
        run(cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}")
        run(cfg, "send", "sm")
    app = App.load(cfg)
    requests: dict[str, Request] = {r.force.id: r for r in app.campaigns.requests("sm")}
    assert len(requests) == 44

    special = ("kent", "essex", "surrey", "dorset")
    plain = [f for f in requests if f not in special][: len(ON_TIME) + len(LATE)]
    answer_day: dict[str, int] = {}

    def deliver(force: str, body: str, day: int, **kw) -> None:
        req = requests[force]
        imap.deliver(reply_to(req, body, date=reply_date(day, req.force.regime), **kw))

    # A hostile subject on a successful answer: must reach the page as text.
    deliver("kent", SUCCESS + "\nOur reference: 001234/26\n", 7, subject=HOSTILE)
    answer_day["kent"] = 7
    deliver("essex", REFUSAL, 24)                        # a refusal, late
    answer_day["essex"] = 24
    deliver("surrey", CLARIFY, 2)                        # clock stopped
    deliver("dorset", ACK.format(day="2 December 2026"), 1,
            headers={"Auto-Submitted": "auto-replied"})  # acknowledged, then nothing
    for force, day in zip(plain, ON_TIME + LATE, strict=True):
        deliver(force, SUCCESS, day)
        answer_day[force] = day
    with clock_at(POLL_AT):
        run(cfg, "poll")

    # The classifier is not under test here: pin each reply's kind the way a user would
    # (``foibot mark``) wherever it read one differently, so the report's input is exact.
    wanted = {f: "successful" for f in answer_day} | {"essex": "rejected",
                                                      "surrey": "clarification",
                                                      "dorset": "acknowledgement"}
    app = App.load(cfg)
    for req in app.campaigns.requests("sm"):
        kinds = [e.data["kind"] for e in req.events if e.type == "reply"]
        if req.force.id in wanted:
            assert len(kinds) == 1, (req.force.id, kinds)
            if kinds[0] != wanted[req.force.id]:
                with clock_at(POLL_AT):
                    run(cfg, "mark", req.reference, wanted[req.force.id])
        else:
            assert kinds == [], (req.force.id, kinds)

    responded = set(answer_day)
    late = [f for f in requests if f not in responded | {"surrey", "dorset"}]
    chased = {late[0]: 2, late[1]: 1, "dorset": 1}
    entries = []
    for force, count in chased.items():
        for n in range(1, count + 1):
            key = f"chaser-{n}"
            entries += [(requests[force].reference, "sending",
                         {"key": key, "message_id": f"<{key}.{force}@test>", "to": "x"}),
                        (requests[force].reference, "sent",
                         {"key": key, "message_id": f"<{key}.{force}@test>",
                          "response": "250 OK"})]
    app.campaigns.append("sm", entries, now=parse_instant(CHASE_AT))

    figures = {"kent": {"allegations": 126, "dismissed": 3},
               plain[0]: {"allegations": 40},
               plain[1]: {"allegations": 833, "dismissed": 12},
               plain[2]: {"dismissed": 0}}
    with clock_at(POLL_AT):
        for force, values in figures.items():
            run(cfg, "answer", requests[force].reference,
                *(f"{k}={v}" for k, v in values.items()))
    refs = {f: r.reference for f, r in requests.items()}
    return Built(root, cfg, refs, answer_day, "surrey", "dorset", chased, figures)


def built_campaign(tmp_path_factory, smtp_session, pymap_session) -> Built:
    """The module fixture's body (each test module builds its own campaign once)."""
    if not pymap_session.running:
        pymap_session.start(port=pymap_session.port)
    try:
        return build_campaign(tmp_path_factory.mktemp("campaign"), smtp_session, pymap_session)
    finally:
        smtp_session.reset()
        pymap_session.empty()


@pytest.fixture(scope="module")
def built(tmp_path_factory, smtp_session, pymap_session) -> Built:
    return built_campaign(tmp_path_factory, smtp_session, pymap_session)


@pytest.fixture
def at_report_time(monkeypatch) -> None:
    monkeypatch.setenv(NOW_ENV, REPORT_AT)


# --- tests ----------------------------------------------------------------------------------


def test_view_counts_from_the_board(built, at_report_time):
    view = report.build(App.load(built.cfg), "sm")
    assert view["headline"] == "32 of 44 forces responded"
    states = {s["state"]: s["count"] for s in view["states"]}
    assert states == {"responded": 32, "overdue": 11, "clarification": 1}
    assert len(view["forces"]) == 44
    assert view["generated"] == "20 January 2027, 10:00 GMT"


def test_chart_counts_answers_by_working_day(built, at_report_time):
    view = report.build(App.load(built.cfg), "sm")
    chart = view["chart"]
    assert chart.total == 44 and chart.answered == 32
    assert chart.by_deadline == sum(1 for d in built.answer_day.values() if d <= 20)
    # 20 Jan 2027 is working day 32 after 1 Dec 2026 (Christmas, Boxing Day, New Year
    # and Scotland's 2nd January holiday, taken on Monday 4 January, are not counted).
    assert chart.today_day == clock.working_days_between(SENT, date(2027, 1, 20), "foia") == 32
    # the step line ends at the top count: 32 answers of 44
    last_y = float(chart.line.split()[-1].split(",")[1])
    plot_height = chart.height - chart.top - chart.bottom
    assert last_y == pytest.approx(chart.top + plot_height * (1 - 32 / 44), abs=0.1)


def test_chart_geometry_is_monotonic_and_marks_day_20():
    c = report.chart([0, 5, 5, 20, 30], total=10, elapsed=25)
    assert c.span == 30
    ys = [float(p.split(",")[1]) for p in c.line.split()]
    assert ys == sorted(ys, reverse=True)           # cumulative: never goes down
    xs = [float(p.split(",")[0]) for p in c.line.split()]
    assert xs == sorted(xs)
    assert c.deadline_x == pytest.approx(c.left + (c.width - c.left - c.right) * 20 / 30, abs=0.1)
    assert (c.answered, c.by_deadline) == (5, 4)
    assert [label for _, label in c.x_ticks] == ["0", "5", "10", "15", "20", "25", "30"]


def test_html_report_file(built, at_report_time, tmp_path, capsys):
    cfg = built.copy_to(tmp_path / "c")
    out = tmp_path / "report.html"
    r = cli(capsys, cfg, "report", "sm", "--html", str(out))
    assert r.code == 0, r.err
    assert r.out.strip() == f"{out}: 32 of 44 forces responded"
    html = out.read_text(encoding="utf-8")
    assert re.search(r'<h1 id="headline">32 of 44 forces responded</h1>', html)
    table = html[html.index('<table id="forces">'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr data-force="([^"]+)" data-state="([^"]+)">', table)
    assert len(rows) == 44 and len(set(rows)) == 44
    states = dict(rows)
    assert states["kent"] == "responded" and states["surrey"] == "clarification"
    assert states["dorset"] == "overdue"
    assert '<svg id="chart"' in html and 'id="deadline-marker"' in html
    # self-contained: nothing is fetched and nothing runs
    assert not re.search(r"<script|<link|<img|@import|url\(|https?://(?!www\.w3\.org/2000/svg)",
                         html)
    assert 'name="viewport"' in html and "@media print" in html


def test_hostile_subject_is_escaped(built, at_report_time, tmp_path):
    out = tmp_path / "report.html"
    report.write(App.load(built.cfg), "sm", out)
    html = out.read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_overdue_list_has_chase_history(built, at_report_time):
    view = report.build(App.load(built.cfg), "sm")
    overdue = {o["force"]: o for o in view["overdue"]}
    assert len(overdue) == 11 and built.clarification not in overdue
    twice = next(f for f, n in built.chased.items() if n == 2)
    assert [c["key"] for c in overdue[twice]["chaser_history"]] == ["chaser-1", "chaser-2"]
    assert overdue[twice]["chaser_history"][0]["day"] == "5 Jan 2027"
    late = clock.working_days_between(date(2026, 12, 31), date(2027, 1, 20), "foia")
    assert overdue["dorset"]["late"] == late == 12
    assert overdue["dorset"]["chasers"] == 1


def test_timelines_and_answers_table(built, at_report_time):
    view = report.build(App.load(built.cfg), "sm")
    kent = next(t for t in view["timelines"] if t["force"] == "kent")
    types = [e["type"] for e in kent["events"]]
    assert types == ["sent", "reply", "answer"]     # bookkeeping (created, sending) left out
    assert [e["text"] for e in kent["events"]][0] == "Request sent"
    reply = next(e for e in kent["events"] if e["type"] == "reply")
    assert HOSTILE in reply["text"]          # the raw text; escaping is the template's job
    assert reply["text"].startswith("Reply: successful: “")
    assert reply["at"] == "2026-12-10 11:30"   # the reply's own date (London), not the poll's
    table = view["answers"]
    assert table["keys"] == ["allegations", "dismissed"]
    totals = {t["key"]: t for t in table["totals"]}
    assert totals["allegations"]["text"] == "at least 999 across 3 forces"
    assert totals["dismissed"]["text"] == "at least 15 across 3 forces"


def test_report_timelines_speak_plainly(built, at_report_time):
    """An editor reads what happened, not SMTP replies, Message-IDs or classifier evidence
    (``foibot show`` keeps those)."""
    view = report.build(App.load(built.cfg), "sm")
    texts = [e["text"] for t in view["timelines"] for e in t["events"]]
    assert texts and all(texts)
    for text in texts:
        assert not re.search(r"\b250\b|queued|<[^>\s]+@[^>\s]+>|evidence|message_id", text), text
    twice = next(f for f, n in built.chased.items() if n == 2)
    late = next(t for t in view["timelines"] if t["force"] == twice)
    assert [e["text"] for e in late["events"]] == ["Request sent", "Chaser 1 sent",
                                                   "Chaser 2 sent"]
    html = report.render(view)
    timelines = html[html.index('id="h-timelines"'):]
    assert "250 OK" not in timelines and "@test&gt;" not in timelines
    assert 'class="evidence"' not in html


def test_figures_are_sortable_by_value_without_a_script(built, at_report_time):
    view = report.build(App.load(built.cfg), "sm")
    by = {s["key"]: [r["force"] for r in s["rows"]] for s in view["answers"]["sorted"]}
    figures = built.figures
    expected = sorted((f for f in figures if "allegations" in figures[f]),
                      key=lambda f: -figures[f]["allegations"])
    assert by["allegations"][:len(expected)] == expected      # largest first
    assert set(by["allegations"][len(expected):]) == {f for f in figures
                                                      if "allegations" not in figures[f]}
    html = report.render(view)
    # one table per order; each heading links to its order, which CSS shows as the :target
    for key in ("allegations", "dismissed"):
        assert f'<table id="answers-by-{key}" class="by-figure">' in html
        assert f'href="#answers-by-{key}"' in html
    assert ".figures table.by-figure:target { display: table; }" in html
    assert html.index('id="answers-by-dismissed"') < html.index('<table id="answers">')
    assert "<script" not in html


def test_times_are_london_in_summer(built, tmp_path, monkeypatch):
    monkeypatch.setenv(NOW_ENV, "2027-06-01T23:30:00+00:00")
    view = report.build(App.load(built.cfg), "sm")
    assert view["generated"] == "2 June 2027, 00:30 BST"


def test_report_of_unknown_campaign_is_one_line(built, tmp_path, capsys, at_report_time):
    cfg = built.copy_to(tmp_path / "c")
    r = cli(capsys, cfg, "report", "nosuch", "--html", str(tmp_path / "x.html"))
    assert r.code == 2 and "no such campaign" in r.err and not (tmp_path / "x.html").exists()


def test_unsent_campaign_reports_and_exports_without_dates(tmp_path, capsys, at_report_time):
    cfg = write_config(tmp_path)
    assert cli(capsys, cfg, "campaign", "create", "new", "--var", f"question={QUESTION}").code == 0
    r = cli(capsys, cfg, "report", "--html", str(tmp_path / "r.html"))
    assert r.code == 0, r.err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert '<h1 id="headline">0 of 44 forces responded</h1>' in html
    assert "Nothing has been sent yet." in html and '<svg id="chart"' not in html
    assert html.count('data-state="unsent"') >= 44
    r = cli(capsys, cfg, "export", "--csv", str(tmp_path / "x.csv"), "--ics", str(tmp_path / "x.ics"))
    assert r.code == 0, r.err
    lines = (tmp_path / "x.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + 44                      # no figures, so no total rows
    assert "VEVENT" not in (tmp_path / "x.ics").read_text()
