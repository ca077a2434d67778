"""``foibot record`` and ``foibot clarify``: the requester's side of the conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from foibot.cli.common import load_app, read_text
from foibot.rules.kinds import KINDS, RECORDABLE


def register(app: typer.Typer) -> None:
    @app.command(short_help="Record what happened outside foibot.")
    def record(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        event: str = typer.Argument(..., help="One of: " + ", ".join(RECORDABLE) + "."),
        on: Optional[str] = typer.Option(
            None, "--on", help="When it happened (ISO date); default today."),
        note: str = typer.Option("", "--note", help="Words for the timeline (for contest: why)."),
        until: Optional[str] = typer.Option(
            None, "--until", help="extension_agreed: the new date."),
        kind: Optional[str] = typer.Option(
            None, "--kind", help="reply_by_post: the reply's kind (" + ", ".join(KINDS) + ")."),
    ) -> None:
        """Record what happened outside foibot (it moves the clock like any other event)."""
        from foibot import record as record_mod
        from foibot.timeutil import parse_when

        a = load_app(ctx)
        done = record_mod.record(
            a, reference, event, note=note, kind=kind,
            on=parse_when(on, what="--on") if on else None,
            until=parse_when(until, what="--until") if until else None)
        typer.echo(f"{done.request}: recorded {event}")

    @app.command(short_help="Send a clarification threaded to the force's question.")
    def clarify(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        text_file: Path = typer.Option(..., "--text-file", help="The clarification text."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the letter; send nothing."),
    ) -> None:
        """Send a clarification to the force, threaded to its question; restarts the clock."""
        from foibot.letters import followup
        from foibot.mail.smtp import readable

        text = read_text(text_file)
        a = load_app(ctx)
        if dry_run:
            out = followup.clarification_letter(a, reference, text)
            typer.echo(readable(out.message), nl=False)
            return
        report = followup.clarify(a, reference, text)
        typer.echo(report.summary())
        if not report.sent:
            raise typer.Exit(1)
