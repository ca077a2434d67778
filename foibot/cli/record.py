"""``foibot record`` and ``foibot clarify``: the requester's side of the conversation."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from foibot import followup
from foibot.cli.common import load_app
from foibot.errors import UsageError
from foibot.events import RECORDABLE
from foibot.timeutil import parse_when


def register(app: typer.Typer) -> None:
    @app.command()
    def record(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        event: str = typer.Argument(..., help="One of: " + ", ".join(RECORDABLE)),
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
        if on:
            data["on"] = parse_when(on, what="--on").isoformat()
        if until:
            data["until"] = parse_when(until, what="--until").isoformat()
        if event == "reply_by_post":
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
    ) -> None:
        """Send a clarification to the force, threaded to its question; restarts the clock."""
        try:
            text = text_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"{text_file}: {exc.strerror}") from None
        report = followup.clarify(load_app(ctx), reference, text)
        typer.echo(report.summary())
        if not report.sent:
            raise typer.Exit(1)
