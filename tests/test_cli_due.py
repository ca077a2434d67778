"""``foibot due`` through the real command line (foibot.cli.main and ``python -m foibot``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from foibot.cli import main

ROOT = Path(__file__).resolve().parents[1]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["due", *args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err.splitlines()


def test_last_line_is_the_iso_due_date(capsys: pytest.CaptureFixture[str]) -> None:
    # Tue 1 Dec 2026: Christmas (Fri 25) and the Boxing Day substitute (Mon 28) skipped.
    code, out, err = run(capsys, "2026-12-01")
    assert code == 0
    assert out == ["2026-12-31"]
    assert err == []


def test_explain_prints_the_count_above_the_date(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "2026-03-02", "--explain")
    assert code == 0
    assert out[0] == "FOIA 2000 s.10(1): 20 working days after receipt"
    assert "Tue 17 Mar 2026: St Patrick's Day (NI; counts for FOIA)" in out
    assert out[-1] == "2026-03-31"


def test_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "2026-12-01", "--json")
    assert code == 0
    assert len(out) == 1
    data = json.loads(out[0])
    assert data["received"] == "2026-12-01"
    assert data["regime"] == "foia"
    assert data["due"] == "2026-12-31"
    assert data["working_days"] == 20
    assert "Fri 25 Dec 2026: Christmas Day" in data["explanation"]
    assert data["warnings"] == []


def test_foisa_counts_easter_monday(capsys: pytest.CaptureFixture[str]) -> None:
    # Fri 20 Mar 2026: FOIA skips Good Friday and Easter Monday (21 Apr); Scotland only Good Friday.
    assert run(capsys, "2026-03-20")[1][-1] == "2026-04-21"
    code, out, _ = run(capsys, "2026-03-20", "--regime", "foisa")
    assert code == 0
    assert out[-1] == "2026-04-20"


def test_datetime_is_taken_as_the_london_day(capsys: pytest.CaptureFixture[str]) -> None:
    # 23:30 UTC on Thu 9 Jul 2026 is Fri 10 Jul in London: due Tue 11 Aug, not Mon 10 Aug.
    code, out, _ = run(capsys, "2026-07-09T23:30:00+00:00", "--json")
    assert code == 0
    data = json.loads(out[0])
    assert (data["received"], data["due"]) == ("2026-07-10", "2026-08-11")


def test_extension_days(capsys: pytest.CaptureFixture[str]) -> None:
    # 31 Dec 2026 + 20 working days (1 and 4 Jan off) = Mon 1 Feb 2027: 40 in all, no warning.
    code, out, err = run(capsys, "2026-12-01", "--extension-days", "20")
    assert (code, out[-1], err) == (0, "2027-02-01", [])
    code, out, _ = run(capsys, "2026-12-01", "--extension-days", "25", "--json")
    data = json.loads(out[0])
    assert data["due"] == "2027-02-08" and data["working_days"] == 45
    assert any("exceeds ICO guidance" in w for w in data["warnings"])


def test_foisa_extension_warns_and_does_not_move(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "2026-12-01", "--regime", "foisa", "--extension-days", "20")
    assert code == 0
    assert out[-1] == "2026-12-31"
    assert any("FOISA has no public interest extension" in line for line in err)


@pytest.mark.parametrize(
    "args",
    [
        ["2026-13-01"],
        ["next tuesday"],
        ["2026-07-10T23:30:00"],  # no offset: which day in London is ambiguous
        ["2026-12-01", "--regime", "gdpr"],
        ["2026-12-01", "--extension-days", "-1"],
        ["9999-12-31"],                        # far outside the holiday tables
        ["9999-12-31", "--json"],
        ["0001-01-01", "--regime", "foisa"],
        ["2100-12-30"],                        # the count runs past the tables' last year
    ],
)
def test_bad_input_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str]
) -> None:
    code, out, err = run(capsys, *args)
    assert code == 2
    assert out == []
    assert len(err) == 1 and err[0].startswith("foibot: ")
    if args[0] in ("9999-12-31", "0001-01-01"):
        assert err[0] == (f"foibot: {args[0]}: outside the years whose bank holidays foibot "
                          "knows (1872 to 2100); no deadline can be counted there")


def test_python_dash_m_foibot_due() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "foibot", "due", "2026-11-16", "--regime", "foisa"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "2026-12-15"
