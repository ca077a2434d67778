"""``foibot classify FILE.eml [--json]``: the human view, the JSON view, and a bad file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from foibot.cli import main

REFUSAL = (
    b"From: Freedom of Information <foi@kent.police.uk>\r\n"
    b"To: jane+FOI-7K3QD@newsroom.example\r\n"
    b"Subject: RE: FOI-7K3QD - Our Ref: FOI 2026/01234\r\n"
    b"Date: Tue, 06 Jan 2026 14:05:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
    b"Locating this information would exceed the appropriate limit of \xc2\xa3450, so section "
    b"12(1) applies. Officers' names would in any case be exempt under s.40(2).\r\n"
)
EXTENSION = (
    b"From: foi@met.police.uk\r\nSubject: FOI-7K3QD\r\n\r\n"
    b"We need further time to consider the public interest under section 10(3) for the "
    b"exemption at section 31(1)(a). We will respond by 15 January 2027.\r\n"
)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_plain_output_names_kind_sections_and_evidence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eml = tmp_path / "reply.eml"
    eml.write_bytes(REFUSAL)
    code, out, err = run(capsys, "classify", str(eml))
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].split() == ["kind", "rejected", "(0.90)"]
    assert lines[1].split(None, 1) == ["sections", "12(1), 40(2)"]
    assert "force reference  FOI 2026/01234" in lines
    assert any(line.startswith("evidence") and "exceed the appropriate limit" in line
               for line in lines)


def test_json_output_is_one_object(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    eml = tmp_path / "extension.eml"
    eml.write_bytes(EXTENSION)
    code, out, _ = run(capsys, "classify", str(eml), "--json")
    assert code == 0
    data = json.loads(out)
    assert data["kind"] == "extension"
    assert data["sections"] == ["31(1)(a)"]
    assert data["extension_until"] == "2027-01-15"
    assert data["force_reference"] is None
    assert isinstance(data["evidence"], list) and data["evidence"]
    assert {"ncnd", "stated_due", "failed_recipient", "bounce_reason", "confidence",
            "needs_review"} <= set(data)
    assert 0 <= data["confidence"] <= 1 and data["needs_review"] is False


def test_json_and_plain_views_carry_the_same_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    eml = tmp_path / "reply.eml"
    eml.write_bytes(REFUSAL)
    _, out, _ = run(capsys, "classify", str(eml), "--json")
    data = json.loads(out)
    _, plain, _ = run(capsys, "classify", str(eml))
    assert data["kind"] in plain and ", ".join(data["sections"]) in plain
    assert all(item in plain for item in data["evidence"])


def test_missing_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope.eml"
    code, out, err = run(capsys, "classify", str(missing))
    assert code == 2 and out == ""
    assert err.strip().splitlines() == [f"foibot: {missing}: no such file"]
    code, _, err = run(capsys, "classify", str(tmp_path), "--json")   # no .eml in it
    assert code == 2 and len(err.strip().splitlines()) == 1


def test_console_entry_point_exits_2_for_unreadable_file(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "foibot", "classify", str(tmp_path / "x.eml")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "no such file" in done.stderr


def test_several_files_and_a_directory_give_one_json_line_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.eml").write_bytes(REFUSAL)
    (tmp_path / "b.eml").write_bytes(EXTENSION)
    (tmp_path / "notes.txt").write_text("not mail")
    code, out, _ = run(capsys, "classify", str(tmp_path), "--json")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(Path(r["file"]).name, r["kind"]) for r in rows] == [("a.eml", "rejected"),
                                                                  ("b.eml", "extension")]
    assert all({"kind", "sections", "evidence", "confidence", "needs_review"} <= set(r)
               for r in rows)
    # a missing file is named, and the others are still classified
    code, out, err = run(capsys, "classify", str(tmp_path / "a.eml"), str(tmp_path / "x.eml"),
                         str(tmp_path / "b.eml"), "--json")
    assert code == 2 and "x.eml: no such file" in err
    assert [json.loads(line)["kind"] for line in out.splitlines()] == ["rejected", "extension"]
