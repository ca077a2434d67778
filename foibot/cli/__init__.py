"""foibot's command line: a thin shell over the library.

Each command group lives in its own module (``foibot/cli/<group>.py``) exposing
``register(app)``; the command bodies are a few lines that call library functions, imported
inside each command so that registering them all (all ``foibot --help`` does) stays cheap. The
single handler in :func:`main` turns every ``FoibotError`` into one line on stderr and its exit
code.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Optional

import click
import typer

from foibot.errors import FoibotError

# Help and usage errors in click's plain format: typer's rich format imports rich, markdown-it
# and pygments (0.2 s of every ``foibot --help``), and with rich installed typer escapes and
# imports them even for plain help unless told rich is absent. Tables and colour in the
# commands' own output still come from rich, imported where they are printed.
typer.core.HAS_RICH = False

app = typer.Typer(
    name="foibot",
    help="Run Freedom of Information campaigns: send, receive, track deadlines, chase.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

# Modules that register commands, in the order they appear in --help.
COMMAND_MODULES = (
    "demo",
    "init",
    "forces",
    "campaign",
    "preview",
    "send",
    "poll",
    "classify",
    "status",
    "read",
    "record",
    "due",
    "chase",
    "run",
    "report",
    "serve",
)


def version() -> str:
    """The installed foibot's version (the package metadata; the source tree's own when run
    from a checkout that is not installed)."""
    from importlib import metadata

    try:
        return metadata.version("foibot")
    except metadata.PackageNotFoundError:
        from foibot import __version__

        return __version__


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"foibot {version()}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    config: Optional[Path] = typer.Option(
        None,
        "--config",
        "-c",
        envvar="FOIBOT_CONFIG",
        help="Config file (default: ./config.toml).",
        show_default=False,
    ),
    _version: bool = typer.Option(
        False, "--version", callback=_show_version, is_eager=True,
        help="Print foibot's version and exit."),
) -> None:
    ctx.obj = {"config_path": config}


def config_path(ctx: typer.Context) -> Optional[Path]:
    root = ctx.find_root()
    return (root.obj or {}).get("config_path")


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"foibot.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"foibot.cli.{name}":
                continue
            raise
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``foibot`` console script."""
    try:
        command = typer.main.get_command(app)      # inside: a Ctrl-C while it builds is one line
        rv = command.main(args=argv, prog_name="foibot", standalone_mode=False)
        if rv == 130:
            # typer turns a Ctrl-C inside a command into this exit code, and says nothing
            print("foibot: interrupted", file=sys.stderr)
        return rv if isinstance(rv, int) else 0
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.exceptions.Abort:
        print("foibot: interrupted", file=sys.stderr)
        return 130
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "foibot"
        print(f"foibot: {exc.format_message()} (see `{where} --help`)", file=sys.stderr)
        return exc.exit_code
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except FoibotError as exc:
        print(f"foibot: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("foibot: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def run() -> None:
    sys.exit(main())


