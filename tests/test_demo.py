"""`foibot demo`, the README's first command, as a newcomer runs it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

from foibot.app import App



def _processes_mentioning(text: str) -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            data = cmdline.read_bytes().decode(errors="replace")
        except OSError:
            continue
        if text in data and "pymap" in data:
            found.append(data)
    return found


def test_demo_ends_with_32_of_44_and_leaves_nothing_running(tmp_path):
    state = tmp_path / "demo"
    # a relative --state is used as given: ./demo, not ./demo/demo
    done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--state", "demo"],
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == "responded: 32 of 44"
    assert any(line.startswith("responded 32 · overdue") and line.endswith("= 44")
               for line in lines)
    assert "Traceback" not in done.stderr
    # the servers were real and are gone: their ports refuse connections now
    smtp, imap = map(int, re.search(r"SMTP on 127.0.0.1:(\d+), IMAP on 127.0.0.1:(\d+)",
                                    done.stdout).groups())
    for port in (smtp, imap):
        with socket.socket() as s:
            s.settimeout(1)
            assert s.connect_ex(("127.0.0.1", port)) != 0
    assert not _processes_mentioning(f"--port\x00{imap}")
    # the board's numbers come from real state: the state dir holds the mail and letters
    assert App.load(state / "config.toml").store.mail.count() >= 44
    packs = list((state / "state" / "campaigns" / "social-media").glob("letters-*.pack"))
    assert packs and sum(p.stat().st_size for p in packs) > 44 * 1000  # every letter, as sent
    assert not (state / "demo").exists()
    assert {"config.toml", "report.html", "state"} <= {p.name for p in state.iterdir()}
    # run again on the same folder: one line, nothing touched, no server started
    before = (state / "config.toml").read_bytes()
    again = subprocess.run([sys.executable, "-m", "foibot", "demo", "--state", "demo"],
                           capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert again.stderr.startswith("foibot: --state demo: it holds a demo campaign already")
    assert len(again.stderr.strip().splitlines()) == 1
    assert (state / "config.toml").read_bytes() == before


def test_demo_help_says_what_it_does():
    done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--help"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0
    assert "44-force campaign" in done.stdout and "loopback" in done.stdout


def test_demo_state_that_cannot_be_used_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("not a folder")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "config.toml").write_text("[sender]\nname = 'Me'\n")
    for given, why in (("afile", "--state afile: that is a file"),
                       ("afile/sub", "--state afile/sub: cannot create that folder"),
                       ("mine", "is not the demo's; give a new folder")):
        done = subprocess.run([sys.executable, "-m", "foibot", "demo", "--state", given],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
        assert done.returncode == 2, done.stderr
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
        assert why in done.stderr, done.stderr
    assert (tmp_path / "mine" / "config.toml").read_text() == "[sender]\nname = 'Me'\n"


def test_readme_looks_at_the_demo_after_its_last_day():
    from foibot.demo import DAYS, START
    from foibot.demo.script import working_days
    from foibot.timeutil import london_date, parse_now

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    trying = readme[:readme.index("## Using foibot")]
    moments = re.findall(r"FOIBOT_NOW=(\S+)", trying)
    last = working_days(START.date(), DAYS)[-1]
    assert len(moments) >= 2
    for moment in moments:
        assert london_date(parse_now(moment)) > last, moment
