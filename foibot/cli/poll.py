"""``foibot poll``, ``triage``, ``assign``, ``review`` and ``mark``: bringing replies in, and a
person's look at what foibot could not file or read."""

from __future__ import annotations

from typing import Optional

import typer

from foibot.cli.common import console, err_console, load_app, print_json, progress
from foibot.rules.kinds import KINDS


def register(app: typer.Typer) -> None:
    @app.command(short_help="Fetch new replies; store, file and classify them.")
    def poll(
        ctx: typer.Context,
        watch: bool = typer.Option(False, "--watch",
                                   help="Stay connected: IMAP IDLE, or interval polling."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per poll."),
    ) -> None:
        """Fetch new replies, store them, file each under its request and classify it.

        With --watch, stay connected and poll again whenever the server signals new mail
        (IMAP IDLE), or every [imap] idle_seconds where it cannot.
        """
        from foibot.mail import inbox
        from foibot.mail.imap import Mailbox, with_reconnect

        a = load_app(ctx)
        imap = a.config.imap
        with Mailbox(imap) as mailbox:
            while True:
                with progress("fetching", show=not as_json) as update:
                    summary = inbox.poll(a, mailbox=mailbox, progress=lambda done, total:
                                         update(completed=done, total=total))
                if as_json:
                    print_json(summary.as_dict())
                else:
                    typer.echo(summary.line())
                    for warning in summary.warnings:
                        err_console.print(f"foibot: warning: {warning}", markup=False)
                if not watch:
                    return
                with_reconnect(mailbox, lambda: mailbox.wait(
                    imap.folder, imap.idle_seconds,
                    after=a.store.mail.cursor(imap.account, imap.folder)))

    @app.command()
    def triage(ctx: typer.Context,
               as_json: bool = typer.Option(False, "--json", help="A JSON list for scripts."),
               every: bool = typer.Option(False, "--all",
                                          help="Include the messages you dismissed."),
               ) -> None:
        """List messages that could not be matched to a request."""
        from foibot.mail import review
        from foibot.views.text import fold

        rows = [m.as_dict() for m in review.triage(load_app(ctx), dismissed=every)]
        if as_json:
            print_json(rows)
            return
        if not rows:
            typer.echo("triage is empty")
        for d in rows:
            kind = d["kind"] if not d["error"] else f"unreadable ({d['error']})"
            gone = f"  dismissed {d['dismissed'][:10]}" if d["dismissed"] else ""
            lines = [f"{d['id']}  {d['received'][:10]}  {kind}  {d['from']}  "
                     f"{d['subject']!r}{gone}", f"    why: {d['why']}"]
            for line in fold(lines, console.width):    # rich drops a stranger's control codes
                console.print(line, markup=False, highlight=False, emoji=False)
        if rows:
            typer.echo("file one with: foibot assign ID REFERENCE")
            typer.echo("set aside what is for no request with: foibot dismiss ID")

    @app.command(short_help="Set triaged messages aside as for no request.")
    def dismiss(ctx: typer.Context,
                messages: list[str] = typer.Argument(..., help="Message ids from `triage`."),
                note: str = typer.Option("", "--note", help="Why (kept with the message)."),
                ) -> None:
        """Set triaged messages aside as for no request (spam, a newsletter, a stranger's
        mail). They stay stored; `triage --all` lists them and `assign` can still file one."""
        from foibot.mail import review

        done = review.dismiss(load_app(ctx), messages, note=note)
        for message in done:
            typer.echo(f"dismissed {message.id}")
        if not done:
            typer.echo("nothing to dismiss: already dismissed")

    @app.command(short_help="File a triaged message under a request.")
    def assign(ctx: typer.Context,
               message: str = typer.Argument(..., help="Message id from `triage`."),
               reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M."),
               ) -> None:
        """File a message under a request (and learn its sender for that force)."""
        from foibot.mail import review

        request = review.assign(load_app(ctx), message, reference)
        typer.echo(f"filed under {request.reference} ({request.force.name})")

    @app.command("review", short_help="Replies foibot is unsure of, oldest first.")
    def review_command(
        ctx: typer.Context,
        name: Optional[str] = typer.Argument(None, help="Campaign (default: every campaign)."),
        as_json: bool = typer.Option(False, "--json", help="A JSON list for scripts."),
    ) -> None:
        """Replies foibot is not sure about, oldest first: its reading, the evidence and the
        first lines. foibot acts on none of them (no chaser, no deadline news) until you
        confirm or correct each with `foibot mark REF KIND`."""
        from foibot.mail import review
        from foibot.views.board import campaign_name
        from foibot.views.text import fold

        a = load_app(ctx)
        items = review.queue(a, campaign_name(a, name) if name else None)
        if as_json:
            print_json([item.as_dict() for item in items])
            return
        if not items:
            typer.echo("nothing needs review")
        for item in items:
            lines = [f"{item.reference}  {item.force_name}  {item.day:%d %b %Y}  "
                     f"reads as {item.kind} ({item.confidence:.2f})",
                     f"    from {item.sender}: {item.subject!r}"]
            lines += [f"    evidence: {line}" for line in item.evidence[:3]]
            lines += [f"    | {line[:72]}" for line in item.preview]
            for line in fold(lines, console.width):   # rich drops a stranger's control codes
                console.print(line, markup=False, highlight=False, emoji=False)
        if items:
            typer.echo("confirm or correct each with: foibot mark REF KIND")
        unfiled = len(review.triage(a))
        if unfiled:
            typer.echo(f"{unfiled} message(s) in triage, filed under no request: foibot triage")

    @app.command(short_help="Confirm or correct a request's latest reply.")
    def mark(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M."),
        kind: str = typer.Argument(
            ..., help="What the latest reply is: " + ", ".join(KINDS) + " (\"not held\" will "
                      "do for not_held)."),
        note: str = typer.Option("", "--note", help="Why, for the timeline."),
        by_post: bool = typer.Option(
            False, "--by-post", help="The reply came by post (the request has no email reply)."),
    ) -> None:
        """Confirm or correct the kind of a request's latest reply (the user always wins).

        The reply is then reviewed, and its words teach foibot the force's style."""
        from foibot.mail import review

        a = load_app(ctx)
        event = review.mark(a, reference, kind, note=note, by_post=by_post)
        what = "recorded a reply by post" if event.type == "reply_by_post" else "marked"
        typer.echo(f"{event.request}: {what} {kind}")
