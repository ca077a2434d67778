"""``foibot poll``, ``triage``, ``assign`` and ``mark``: bringing replies in and filing them."""

from __future__ import annotations

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from foibot.cli.common import console, err_console, load_app, print_json
from foibot.errors import UsageError
from foibot.mail import inbox
from foibot.mail.imap import Mailbox, with_reconnect
from foibot.rules.classify import KINDS


def register(app: typer.Typer) -> None:
    @app.command()
    def poll(
        ctx: typer.Context,
        watch: bool = typer.Option(False, "--watch",
                                   help="Stay connected: IMAP IDLE, or interval polling."),
        as_json: bool = typer.Option(False, "--json"),
    ) -> None:
        """Fetch new replies, store them, file each under its request and classify it.

        With --watch, stay connected and poll again whenever the server signals new mail
        (IMAP IDLE), or every \\[imap] idle_seconds where it cannot.
        """
        a = load_app(ctx)
        imap = a.config.imap
        with Mailbox(imap) as mailbox:
            while True:
                with Progress(TextColumn("fetching"), BarColumn(), MofNCompleteColumn(),
                              console=err_console, transient=True,
                              disable=as_json or not err_console.is_terminal) as bar:
                    task = bar.add_task("fetch", total=None)
                    summary = inbox.poll(a, mailbox=mailbox, progress=lambda done, total:
                                         bar.update(task, completed=done, total=total))
                if as_json:
                    print_json(summary.as_dict())
                else:
                    typer.echo(summary.line())
                    for warning in summary.warnings:
                        err_console.print(f"foibot: warning: {warning}", markup=False)
                if not watch:
                    return
                with_reconnect(mailbox, lambda: mailbox.wait(imap.folder, imap.idle_seconds))

    @app.command()
    def triage(ctx: typer.Context, as_json: bool = typer.Option(False, "--json")) -> None:
        """List messages that could not be matched to a request."""
        rows = [m.as_dict() for m in inbox.triage(load_app(ctx))]
        if as_json:
            print_json(rows)
            return
        if not rows:
            typer.echo("triage is empty")
        for d in rows:
            kind = d["kind"] if not d["error"] else f"unreadable ({d['error']})"
            console.print(f"{d['id']}  {d['received'][:10]}  {kind}  {d['from']}  "
                          f"{d['subject']!r}\n    why: {d['why']}", markup=False)
        if rows:
            typer.echo("file one with: foibot assign ID REFERENCE")

    @app.command()
    def assign(ctx: typer.Context, message: str = typer.Argument(..., help="Message id from `triage`."),
               reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M.")) -> None:
        """File a message under a request (and learn its sender for that force)."""
        request = inbox.assign(load_app(ctx), message, reference)
        typer.echo(f"filed under {request.reference} ({request.force.name})")

    @app.command()
    def mark(ctx: typer.Context, reference: str, kind: str,
             note: str = typer.Option("", "--note")) -> None:
        """Correct the kind of a request's latest reply (the user always wins)."""
        if kind not in KINDS:
            raise UsageError(f"kind {kind!r}: expected one of {', '.join(KINDS)}")
        a = load_app(ctx)
        request = a.campaigns.find(reference)
        a.campaigns.append_one(request.campaign, request.reference, "marked",
                               {"kind": kind, "note": note}, now=a.now())
        typer.echo(f"{request.reference}: marked {kind}")
