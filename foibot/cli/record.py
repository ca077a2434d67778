"""``foibot record`` and ``foibot clarify``: the requester's side of the conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from foibot.cli.common import load_app, read_text
from foibot.errors import UsageError
from foibot.letters import followup
from foibot.model import RECORDABLE
from foibot.rules.classify import KINDS
from foibot.timeutil import parse_when, today


def register(app: typer.Typer) -> None:
    @app.command()
    def record(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        event: str = typer.Argument(..., help="One of: " + ", ".join(RECORDABLE) + "."),
        on: Optional[str] = typer.Option(None, "--on", help="When it happened (ISO date); default today."),
        note: str = typer.Option("", "--note"),
        until: Optional[str] = typer.Option(None, "--until", help="extension_agreed: the new date."),
        kind: Optional[str] = typer.Option(None, "--kind", help="reply_by_post: the reply's kind."),
    ) -> None:
        """Record what happened outside foibot (it moves the clock like any other event)."""
        if event not in RECORDABLE:
            raise UsageError(f"event {event!r}: expected one of {', '.join(RECORDABLE)}")
        a = load_app(ctx)
        request = a.campaigns.find(reference)
        data: dict[str, str] = {"note": note}
        day = parse_when(on, what="--on") if on else today()
        if day > today():
            raise UsageError(f"--on {day}: that is in the future; record things once they happen")
        if on:
            data["on"] = day.isoformat()
        if until:
            if event != "extension_agreed":
                raise UsageError("--until goes with extension_agreed")
            end = parse_when(until, what="--until")
            if end <= day:
                raise UsageError(f"--until {end}: the new date must be after {day}")
            data["until"] = end.isoformat()
        if kind and event != "reply_by_post":
            raise UsageError("--kind goes with reply_by_post")
        if event == "reply_by_post":
            if (kind or "successful") not in KINDS:
                raise UsageError(f"--kind {kind!r}: expected one of {', '.join(KINDS)}")
            data["kind"] = kind or "successful"
            if on:
                data["date"] = data["on"] + "T12:00:00+00:00"
        a.campaigns.append_one(request.campaign, request.reference, event, data, now=a.now())
        typer.echo(f"{request.reference}: recorded {event}")

    @app.command()
    def clarify(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        text_file: Path = typer.Option(..., "--text-file", help="The clarification text."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the letter; send nothing."),
    ) -> None:
        """Send a clarification to the force, threaded to its question; restarts the clock."""
        text = read_text(text_file)
        a = load_app(ctx)
        if dry_run:
            out = followup.clarification_letter(a, reference, text)
            typer.echo(out.message.as_string())
            return
        report = followup.clarify(a, reference, text)
        typer.echo(report.summary())
        if not report.sent:
            raise typer.Exit(1)
