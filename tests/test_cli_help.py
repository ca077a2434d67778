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
