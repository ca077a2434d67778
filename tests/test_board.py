"""The board in a terminal: it fits 80, 120 and 200 columns without breaking a word, and
``--wide`` shows everything."""

from __future__ import annotations

import io
import re
from datetime import date, datetime, timezone

import pytest
from rich.console import Console
from rich.text import Text

from foibot.model import Event, Request
from foibot.registry import Registry
from foibot.rules.status import board
from foibot.views import board as board_view
from tests.helpers import QUESTION, cli_process, write_config

TODAY = date(2027, 1, 20)
SENT = datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc)


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T10:00:00+00:00")


def _campaign() -> list[Request]:
    """44 requests in every state the board shows, with the long words real ones have."""
    forces = Registry.from_settings().group("default")
    requests = []
    for i, force in enumerate(forces):
        ref = f"FOI-{i:05d}"
        events = [("created", {}, SENT),
                  ("sending", {"key": "request", "message_id": f"<{ref}@x>"}, SENT),
                  ("sent", {"key": "request", "message_id": f"<{ref}@x>",
                            "response": "250 2.0.0 OK: queued"}, SENT)]
        theirs = {"force_reference": f"FOI/2026/{i:06d}"}
        match i % 8:
            case 0:
                events.append(("reply", {"kind": "successful", "date": "2026-12-09T11:00:00+00:00",
                                         **theirs}, _at("2026-12-09")))
            case 1:
                events.append(("reply", {"kind": "partially_successful", "sections": ["40(2)"],
                                         "date": "2026-12-30T11:00:00+00:00", **theirs},
                               _at("2026-12-30")))
            case 2:
                events.append(("reply", {"kind": "acknowledgement", "stated_due": "2026-12-29",
                                         "date": "2026-12-02T11:00:00+00:00", **theirs},
                               _at("2026-12-02")))
            case 3:
                events.append(("reply", {"kind": "unknown", "needs_review": True,
                                         "date": "2026-12-10T11:00:00+00:00"}, _at("2026-12-10")))
            case 4:
                events.append(("reply", {"kind": "clarification",
                                         "date": "2026-12-04T11:00:00+00:00"}, _at("2026-12-04")))
            case 5:
                events += [("sending", {"key": "chaser-1", "message_id": f"<c{ref}@x>"},
                            _at("2027-01-05")),
                           ("sent", {"key": "chaser-1", "message_id": f"<c{ref}@x>"},
                            _at("2027-01-05")),
                           ("draft", {"key": "review", "kind": "review"}, _at("2027-01-19"))]
            case 6:
                events.append(("reply", {"kind": "rejected", "sections": ["12"],
                                         "date": "2026-12-31T11:00:00+00:00", **theirs},
                               _at("2026-12-31")))
            case 7:
                events.append(("reply", {"kind": "extension", "extension_until": "2027-02-01",
                                         "date": "2026-12-30T11:00:00+00:00"}, _at("2026-12-30")))
        evs = tuple(Event(n, ref, t, at, data) for n, (t, data, at) in enumerate(events, 1))
        requests.append(Request(ref, "sm", force, evs))
    return requests


@pytest.fixture(scope="module")
def rendered():
    b = board(_campaign(), TODAY)

    def at(width: int, *, wide: bool = False) -> str:
        out = io.StringIO()
        board_view.render(Console(file=out, width=width, highlight=False, soft_wrap=False),
                          b, wide=wide)
        return out.getvalue()

    return b, at


def _words(b, wide: bool) -> set[str]:
    """Every whole word the board may print: headers, cells, headline and notes."""
    text = [b.headline(), "force reference state sent due left/late last reply their ref",
            "next action * the force gave another date; foibot counts the Act's (foibot show "
            "REF) left out to fit: , (--wide shows all)"]
    for r in b.rows:
        for col in board_view.COLUMNS:
            cell = col.cell(r, wide)
            text.append(cell.plain if hasattr(cell, "plain") else str(cell))
    return {w for line in text for w in line.replace(",", " ").split()}


@pytest.mark.parametrize("width", [80, 120, 200])
def test_board_fits_the_terminal_without_breaking_a_word(rendered, width):
    b, at = rendered
    out = at(width)
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    known = _words(b, wide=False)
    for line in lines:
        for word in line.replace(",", " ").split():
            assert word in known or set(word) <= set("─━"), (width, word, line)
    rows = [line for line in lines if re.search(r"\b(?:1 Dec)\b", line)]
    assert len(rows) == 44                      # one line per force: nothing wrapped
    # short forms: the force's short name, the state word, the date as 9 Dec
    kent = next(line for line in rows if line.startswith("Kent "))
    assert "Kent Police" not in kent and " 31 Dec" in kent
    assert not re.search(r"\d{4}-\d\d-\d\d", out)


def test_columns_drop_out_in_order_before_anything_wraps(rendered):
    _, at = rendered
    header = {w: next(line for line in at(w).splitlines() if line.startswith("force "))
              for w in (80, 120, 200)}
    assert "next action" not in header[80] and "reference" not in header[80]
    assert "their ref" not in header[80] and "last reply" in header[80]
    assert "next action" not in header[120] and "reference" in header[120]
    for col in board_view.COLUMNS:
        assert col.header in header[200]
    assert "left out to fit: reference, their ref, next action (--wide shows all)" in at(80)
    assert "left out to fit" not in at(200)
    # the states as a person says them, a reply that needs a look among them
    assert {"waiting", "needs review", "clarify", "overdue", "responded"} <= {
        board_view.state_word(r) for r in rendered[0].rows}
    assert "31 Dec*" in at(80) and "* the force gave another date" in at(80)
    # a headline too long for the line breaks between its parts, and still adds up
    top = at(80).splitlines()[:2]
    assert top == ["responded 17 · need review 6 · overdue 11 · waiting 5",
                   "· clarification asked 5 = 44"]


def test_wide_shows_everything_in_full(rendered):
    b, at = rendered
    out = at(80, wide=True)
    assert "Avon and Somerset Constabulary" in out and "FOI/2026/000000" in out
    assert "send draft review (foibot send-draft)" in out
    assert "2026-12-31 (force: 2026-12-29)" in out
    assert "left out to fit" not in out
    assert max(len(line) for line in out.splitlines()) > 80


def test_status_follows_columns_when_piped(tmp_path):
    cfg = write_config(tmp_path)
    env = {"FOIBOT_NOW": "2026-12-01T09:00:00+00:00"}
    made = cli_process(cfg, "campaign", "create", "c", "--var", f"question={QUESTION}", env=env)
    assert made.returncode == 0, made.stderr
    for width in (80, 120):
        done = cli_process(cfg, "status", env={**env, "COLUMNS": str(width)})
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        assert len(lines) >= 44 + 2 and max(len(line) for line in lines) <= width
        assert any(line.startswith("Avon and Somerset ") for line in lines)


@pytest.mark.parametrize("terminal", [
    {"force_terminal": True, "color_system": "standard"},
    {"force_terminal": True, "color_system": "truecolor"},
    {"force_terminal": True, "color_system": "standard", "no_color": True},
    {},                                                  # piped: plain text
])
@pytest.mark.parametrize("width", [80, 200])
def test_the_board_is_written_as_rich_would_print_it(rendered, terminal, width):
    """The table is written line by line without rich measuring each line again; what
    reaches the terminal (colours and all) must be exactly what rich would print."""
    b, _ = rendered
    layout = board_view.fit(b.rows, width)
    table = board_view.lines(layout, b.rows)
    ours, theirs = io.StringIO(), io.StringIO()
    board_view.write_lines(Console(file=ours, width=width, **terminal), table)
    Console(file=theirs, width=width, highlight=False, soft_wrap=False, **terminal).print(
        Text("\n").join(table), no_wrap=True, overflow="ellipsis", crop=True)
    assert ours.getvalue() == theirs.getvalue()
    assert ("\x1b[" in ours.getvalue()) == bool(terminal)
