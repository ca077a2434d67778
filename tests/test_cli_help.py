"""Every command, option and argument says what it is for; ``foibot --version`` says which
foibot this is."""

from __future__ import annotations

from importlib import metadata

import click
import typer

from foibot import __version__
from foibot.cli import app, main, version
from foibot.rules.classify import KINDS


def _commands(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            yield from _commands(sub, [*path, name])


def test_every_option_and_argument_has_help():
    missing = []
    for path, command in _commands(typer.main.get_command(app), ["foibot"]):
        if not isinstance(command, click.Group) and not command.help:
            missing.append(" ".join(path))
        for param in command.params:
            if param.name != "help" and not getattr(param, "help", None):
                missing.append(f"{' '.join(path)} {param.name}")
    assert missing == []


def test_mark_lists_the_kinds(capsys):
    assert main(["mark", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    for kind in KINDS:
        assert kind in text


def test_version(capsys):
    assert main(["--version"]) == 0
    out = capsys.readouterr().out.strip()
    assert out == f"foibot {version()}" and out.split()[1][0].isdigit()
    # the package metadata when installed; the source's own version otherwise
    assert version() in (metadata.version("foibot"), __version__)


def test_every_command_is_summed_up_whole_in_80_columns(capsys, monkeypatch):
    """The command lists of ``foibot --help`` and ``foibot campaign --help`` fit 80 columns
    and cut no summary short ("..."), and help shows no markup escapes (``\\[``)."""
    monkeypatch.setenv("COLUMNS", "80")
    for args in (["--help"], ["campaign", "--help"]):
        assert main(args) == 0
        out = capsys.readouterr().out
        listed = out.split("Commands:\n", 1)[1].splitlines()
        assert listed, out
        for line in listed:
            assert len(line) <= 80 and not line.rstrip().endswith("..."), line
    for path, command in _commands(typer.main.get_command(app), ["foibot"]):
        assert main([*path[1:], "--help"]) == 0
        assert "\\[" not in capsys.readouterr().out, path
