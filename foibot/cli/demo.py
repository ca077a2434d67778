"""``foibot demo``: the whole loop on loopback servers, no mail account needed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command(short_help="Play a whole 44-force campaign on loopback servers.")
    def demo(
        state: Optional[Path] = typer.Option(
            None, "--state", help="Keep the demo's state, config and report in this folder."),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="Only the board and the result."),
    ) -> None:
        """Run a whole 44-force campaign over real protocols on loopback, in under a minute.

        Starts a real SMTP server (aiosmtpd) and IMAP server (pymap) on 127.0.0.1, sends 44
        letters, plays the forces' replies (acknowledgements, a clarification, an extension,
        answers with spreadsheets, refusals under s.12 and s.40(2), not held, a bounce, an
        out-of-office) while a simulated clock moves through the statutory period, polls and
        chases as `foibot run` would, then prints the status board and the HTML report's path.
        Touches no real mail account and leaves no server running.
        """
        from foibot.cli.common import console
        from foibot.cli.interrupts import Interrupts
        from foibot.demo import run_demo
        from foibot.views.board import render

        with Interrupts() as stop:
            def say(line: str) -> None:
                stop.check()
                if not quiet:
                    typer.echo(line)

            result = run_demo(state=state, say=say)
            typer.echo("")
            render(console, result.board)
            if result.report:
                typer.echo(f"report: {result.report}")
            typer.echo(f"state: {result.state_dir}")
            typer.echo(f"responded: {result.responded} of {result.total}")
            stop.check()
