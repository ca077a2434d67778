"""``foibot --help`` and ``foibot status`` load only what they use: the command modules import
the library inside each command, so printing help never reads the store, the classifier, the
mail clients or the template engine. Checked with ``python -X importtime`` in a fresh process.
And ``--json`` output for a program is written with json's fast (compact) encoder."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import datetime

import click
import pytest
import typer

from foibot.app import App
from foibot.cli import app as cli_app
from foibot.cli.common import print_json
from tests.helpers import QUESTION, cli, write_config

# Nothing that prints help needs any of these.
NOT_FOR_HELP = (
    "foibot.app", "foibot.store", "foibot.rules.status", "foibot.rules.classify",
    "foibot.mail.inbox", "foibot.mail.outbox", "foibot.letters.render",
    "jinja2", "httpx", "icalendar", "apscheduler", "holidays", "pypdf", "imapclient",
    "filelock", "tinydb",
)
# The board reads the store and derives each request's state; it reads no mail, and
# writes nothing, so it takes no lock.
NOT_FOR_STATUS = (
    "foibot.rules.classify", "foibot.mail.inbox", "jinja2", "httpx", "icalendar",
    "apscheduler", "pypdf", "imapclient", "filelock",
)
NOW = "2027-01-05T10:00:00+00:00"


def imported(*args: str) -> set[str]:
    """The modules ``python -m foibot ARGS`` imports (it must exit 0)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "foibot", *args],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "FOIBOT_NOW": NOW})
    assert done.returncode == 0, done.stderr[-2000:]
    names = set()
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":        # the header line
                names.add(name)
    assert "foibot.cli" in names         # the parse read what it should
    return names


def loaded(names: set[str], forbidden: tuple[str, ...]) -> list[str]:
    """The forbidden modules (or their submodules) among ``names``."""
    return sorted(n for n in names for f in forbidden if n == f or n.startswith(f + "."))


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group, as the words that name it: ``("campaign", "create")``."""
    def walk(command: click.Command, path: tuple[str, ...]):
        if path:
            yield path
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))

    return list(walk(typer.main.get_command(cli_app), ()))


def test_help_loads_no_library():
    assert loaded(imported("--help"), NOT_FOR_HELP) == []


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_each_commands_help_loads_no_library(path):
    assert loaded(imported(*path, "--help"), NOT_FOR_HELP) == []


def test_status_loads_no_mail_classifier_or_templates(tmp_path, capsys, monkeypatch):
    cfg = write_config(tmp_path)
    monkeypatch.setenv("FOIBOT_NOW", "2026-12-01T09:00:00+00:00")
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    app = App.load(cfg)
    sent = datetime.fromisoformat("2026-12-01T10:00:00+00:00")
    later = datetime.fromisoformat("2026-12-15T10:00:00+00:00")
    requests = app.campaigns.requests("sm")[:3]
    events = []
    for r in requests:
        mid = f"<{r.reference}@x>"
        events += [(r.reference, "sending", {"key": "request", "message_id": mid}),
                   (r.reference, "sent", {"key": "request", "message_id": mid})]
    app.campaigns.append("sm", events, now=sent)
    app.campaigns.append("sm", [(requests[0].reference, "reply",
                                 {"kind": "successful", "date": later.isoformat()})], now=later)
    names = imported("--config", str(cfg), "status")
    assert loaded(names, NOT_FOR_STATUS) == []
    assert "foibot.rules.status" in names     # it did derive the board


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_json_is_compact_for_programs_and_indented_at_a_terminal(monkeypatch):
    data = {"name": "Dyfed-Powys", "when": datetime(2027, 1, 5), "rows": [1, "£5"]}
    piped, terminal = io.StringIO(), _Terminal()
    monkeypatch.setattr(sys, "stdout", piped)
    print_json(data)
    monkeypatch.setattr(sys, "stdout", terminal)
    print_json(data)
    assert piped.getvalue() == '{"name":"Dyfed-Powys","when":"2027-01-05 00:00:00","rows":[1,"£5"]}\n'
    assert terminal.getvalue().startswith('{\n  "name": "Dyfed-Powys",\n')
    assert json.loads(terminal.getvalue()) == json.loads(piped.getvalue())


def test_a_poll_with_nothing_new_loads_no_parser_classifier_or_lock(tmp_path, capsys,
                                                                     pymap_server):
    """The service polls every few minutes, and most polls find nothing: those should cost
    start-up and one IMAP round, not the classifier, the MIME parser or the lock."""
    s = pymap_server
    cfg = write_config(tmp_path, imap=(s.host, s.port, s.username, s.password))
    assert cli(capsys, cfg, "campaign", "create", "sm", "--var", f"question={QUESTION}").code == 0
    assert cli(capsys, cfg, "poll").code == 0              # the first look sets the cursor
    names = imported("--config", str(cfg), "poll")
    assert loaded(names, ("foibot.rules.classify", "foibot.mail.parse", "filelock",
                          "concurrent.futures", "pypdf", "jinja2")) == []
    assert "foibot.mail.inbox" in names and "imapclient" in names
