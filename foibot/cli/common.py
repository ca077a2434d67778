"""Helpers shared by command modules: loading the app, printing tables and JSON.

Command modules import the library inside each command, so ``foibot --help`` loads only what it
prints (tests/test_startup.py checks it).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
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


@cache
def real_console(stderr: bool = False) -> Console:
    """The rich console of stdout (or stderr), made on first use: rich costs 50 ms to import,
    which ``--help`` and ``--json`` never need."""
    from rich.console import Console

    if stderr:
        return Console(stderr=True, highlight=False)
    return Console(highlight=False, soft_wrap=False, width=output_width())


class _LazyConsole:
    """Stands in for :func:`real_console` where command modules print (``console.print``);
    give rich itself the real one."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr

    def __getattr__(self, name: str) -> Any:
        return getattr(real_console(self._stderr), name)


console: Console = _LazyConsole()  # type: ignore[assignment]
err_console: Console = _LazyConsole(stderr=True)  # type: ignore[assignment]


@contextmanager
def progress(description: str, *, total: int | None = None,
             show: bool = True) -> Iterator[Callable[..., None]]:
    """A transient progress bar on stderr for a person at a terminal; yields its ``update``
    (rich's keywords: ``completed``, ``total``, ``advance``, ``description``). Elsewhere (a
    pipe, cron, ``--json``) it yields a no-op without importing rich's progress module, which
    costs 50 to 80 ms of a poll that finds nothing."""
    if not (show and sys.stderr.isatty() and err_console.is_terminal):
        yield lambda **_: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=real_console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda **changes: bar.update(task, **changes)


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
