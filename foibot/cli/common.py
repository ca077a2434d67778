"""Helpers shared by command modules: loading the app, printing tables and JSON.

Command modules import the library inside each command, so ``foibot --help`` loads only what it
prints (tests/test_startup.py checks it).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from foibot.cli import config_path

if TYPE_CHECKING:
    from rich.console import Console

    from foibot.app import App

PIPED_WIDTH = 120


def output_width() -> int | None:
    """The width tables are fitted to: ``COLUMNS`` when set; the terminal's when output goes to
    one (None: rich asks it); when output is piped (``| less``, ``| grep``), the terminal the
    user is typing in, if any; otherwise (cron, CI logs) :data:`PIPED_WIDTH`."""
    columns = os.environ.get("COLUMNS", "").strip()
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if sys.stdout.isatty():
        return None
    for stream in (sys.stderr, sys.stdin):
        try:
            if stream is not None and stream.isatty():
                return os.get_terminal_size(stream.fileno()).columns
        except (OSError, ValueError, AttributeError):
            continue
    return PIPED_WIDTH


class _LazyConsole:
    """A rich ``Console`` made on first use: rich costs 50 ms to import, which ``--help`` and
    ``--json`` never need."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            if self._stderr:
                self._console = Console(stderr=True, highlight=False)
            else:
                self._console = Console(highlight=False, soft_wrap=False, width=output_width())
        return getattr(self._console, name)


console: Console = _LazyConsole()  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True)  # type: ignore[assignment]


def load_app(ctx: typer.Context) -> App:
    from foibot.app import App

    return App.load(config_path(ctx))


def print_json(data: Any) -> None:
    """One JSON document and a newline: indented for a person at a terminal, compact for a
    program (``indent`` makes ``json`` use its pure-Python encoder: 0.6 s for 5,000 requests)."""
    if sys.stdout.isatty():
        text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    else:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False, default=str)
    sys.stdout.write(text + "\n")


def parse_vars(pairs: list[str] | None, what: str = "--var") -> dict[str, str]:
    from foibot.errors import UsageError

    values: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{what} {pair!r}: expected KEY=VALUE")
        values[key.strip()] = value
    return values


def read_text(path: Path) -> str:
    """A UTF-8 text file given on the command line, or one line saying why not."""
    from foibot.errors import UsageError

    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
