"""Shared test helpers: configs on disk and running the CLI in-process or as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from foibot.cli import main

QUESTION = "the number of officers investigated for offensive social media posts, per year since 2015"


def write_config(
    tmp: Path,
    *,
    smtp: tuple[str, int] | None = None,
    imap: tuple[str, int, str, str] | None = None,
    extra: str = "",
    reply_to: bool = True,
) -> Path:
    """A config.toml in ``tmp`` pointing at loopback servers; state in ``tmp/state``."""
    lines = [
        "[sender]",
        'name = "Jane Reporter"',
        'address = "jane@newsroom.example"',
        'postal_address = "1 Fleet Street, London"',
    ]
    if reply_to:
        lines.append('reply_to = "jane+{ref}@newsroom.example"')
    if smtp:
        lines += ["[smtp]", f'host = "{smtp[0]}"', f"port = {smtp[1]}", 'security = "none"',
                  "retries = 2", "retry_backoff_seconds = 0.05", "timeout_seconds = 10"]
    if imap:
        host, port, user, password = imap
        lines += ["[imap]", f'host = "{host}"', f"port = {port}", 'security = "none"',
                  f'username = "{user}"', 'password_env = "FOIBOT_TEST_IMAP_PASSWORD"',
                  "timeout_seconds = 10"]
        os.environ["FOIBOT_TEST_IMAP_PASSWORD"] = password
    lines += ["[state]", 'dir = "state"']
    path = tmp / "config.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


@dataclass
class Result:
    code: int
    out: str
    err: str


def cli(capsys, config: Path | None, *args: str) -> Result:
    """Run ``foibot`` in-process; returns exit code and captured output."""
    capsys.readouterr()
    argv = (["--config", str(config)] if config else []) + list(args)
    code = main(argv)
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def cli_process(config: Path | None, *args: str, env: dict[str, str] | None = None,
                timeout: float = 60) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "foibot"] + (["--config", str(config)] if config else []) + list(args)
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
