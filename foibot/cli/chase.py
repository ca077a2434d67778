"""``foibot chase``, ``foibot drafts`` and ``foibot send-draft``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from foibot.cli.common import console, load_app, print_json
from foibot.errors import UsageError

if TYPE_CHECKING:
    from foibot.letters.chasers import ChaseOutcome

ACTION_STYLE = {"chaser": "yellow", "review": "magenta", "regulator": "red"}
TROUBLE = ("failed", "deferred", "uncertain")


def register(app: typer.Typer) -> None:
    @app.command()
    def chase(
        ctx: typer.Context,
        name: str | None = typer.Argument(None, help="Campaign (default: every campaign)."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Only show (the default)."),
        send: bool = typer.Option(False, "--send", help="Send chasers and write drafts."),
        contest: str | None = typer.Option(
            None, "--contest", metavar="REF",
            help="Record that you contest REF's answer: an internal review (or, after one, a "
                 "complaint to the regulator) is drafted."),
        note: str = typer.Option("", "--note", help="With --contest: your reasons (quoted in "
                                                    "the letter)."),
        as_json: bool = typer.Option(False, "--json", help="The decisions as a JSON list."),
        every: bool = typer.Option(
            False, "--all", help="A row for every request, not only those with something to do."),
    ) -> None:
        """Who is chased or escalated today, and why. FOIBOT_NOW sets "today".

        Requests with nothing to do are summed up in one line (--all lists them)."""
        if dry_run and send:
            raise UsageError("--dry-run and --send exclude each other")
        from foibot.letters import chasers as chasing
        from foibot.views import board as board_view

        a = load_app(ctx)
        name = board_view.campaign_name(a, name) if name else None
        if contest:
            event = chasing.contest(a, contest, note)
            if not as_json:
                typer.echo(f"{event.request}: contest recorded")
        outcomes = chasing.run_chase(a, name, send=send)
        if as_json:
            print_json([o.as_dict() for o in outcomes])
        else:
            _print(outcomes, send=send, every=every)
            waiting = chasing.drafts_waiting(a, name)
            if waiting:
                # foibot never sends these itself: without this line a run that has "nothing
                # to do" would hide letters only the user can send
                typer.echo(f"drafts waiting for you to read and send: {waiting} "
                           "(foibot drafts lists them)")
        if any(o.result in TROUBLE for o in outcomes):
            raise typer.Exit(1)

    @app.command(short_help="Internal reviews and complaints waiting for you.")
    def drafts(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json", help="A JSON list for scripts."),
        sent: bool = typer.Option(False, "--all", help="Include drafts already sent."),
    ) -> None:
        """Drafted internal reviews and complaints waiting for you to read and send.

        A draft the force has overtaken (it answered since, or the request was withdrawn) is
        listed apart as stale."""
        from foibot.letters import drafts as drafting
        from foibot.timeutil import short_day

        found = drafting.list_drafts(load_app(ctx), include_sent=sent)
        if as_json:
            print_json([d.as_dict() for d in found])
            return
        waiting = [d for d in found if not d.stale]
        stale = [d for d in found if d.stale]
        if not waiting:
            typer.echo("no drafts waiting")
        for d in waiting:
            # the letter's state only when it is not the usual "unsent" (--all lists the sent)
            letter = f"  letter {d.letter}" if d.letter != "unsent" else ""
            typer.echo(f"{d.reference}  {d.key}  {d.force_name}  drafted "
                       f"{short_day(d.drafted, year=False)}  request {d.request_state}{letter}")
            typer.echo(f"    to {d.to}")
            typer.echo(f"    file {d.path}")
        if waiting:
            typer.echo("send one with: foibot send-draft REF KEY (edit the file first if you wish)")
        for d in stale:
            typer.echo(f"stale: {d.reference} {d.key} ({d.force_name}, drafted "
                       f"{d.drafted.isoformat()}): {d.stale}; not to be sent")

    @app.command("send-draft")
    def send_draft(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference."),
        key: str = typer.Argument(..., help="The draft's key: review, ico or sic."),
        dry_run: bool = typer.Option(False, "--dry-run", help="Show the letter; send nothing."),
        anyway: bool = typer.Option(
            False, "--anyway", help="Send even though the force has answered since the draft."),
    ) -> None:
        """Send a draft as it is on disk, exactly once."""
        from foibot.letters import drafts as drafting
        from foibot.mail.smtp import readable

        app = load_app(ctx)
        if dry_run:
            typer.echo(readable(drafting.draft_letter(app, reference, key,
                                                      anyway=anyway).message), nl=False)
            return
        report = drafting.send_draft(app, reference, key, anyway=anyway)
        for ref, why in report.skipped + report.failed + report.deferred + report.uncertain:
            typer.echo(f"{ref} {key}: {why}")
        typer.echo(report.summary())
        if not report.sent:
            raise typer.Exit(1)


def _print(outcomes: list[ChaseOutcome], *, send: bool, every: bool) -> None:
    from rich import box
    from rich.table import Table

    from foibot.letters import chasers as chasing

    if not outcomes:
        typer.echo("no requests to consider")
        return
    rows = outcomes if every else [o for o in outcomes if chasing.shown(o)]
    if rows:
        several = len({o.campaign for o in outcomes}) > 1
        table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
        for col in (["campaign"] if several else []) + ["force", "reference", "action", "why",
                                                        "next", "result"]:
            table.add_column(col, no_wrap=col in ("reference", "action", "next"))
        # what happens today first, then the rest in campaign order
        for o in sorted(rows, key=lambda o: not o.decision.acts):
            d = o.decision
            style = ACTION_STYLE.get(d.action, "")
            action = d.key or "-"
            result = o.result if not o.detail else f"{o.result}: {o.detail}"
            cells = [d.force_name or d.force, d.reference,
                     f"[{style}]{action}[/]" if style else action, d.reason,
                     d.due_on.isoformat() if d.due_on and not d.acts else "", result]
            table.add_row(*([o.campaign] if several else []), *cells)
        console.print(table)
    quiet = None if every else chasing.quiet_line(outcomes)
    if quiet:
        typer.echo(quiet + " (--all lists them)")
    typer.echo(_summary(outcomes, send=send))


def _summary(outcomes: list[ChaseOutcome], *, send: bool) -> str:
    """``sent chasers: 3 · drafted reviews: 1``, or what a dry run would do."""
    counts: dict[str, int] = {}
    for o in outcomes:
        if o.decision.acts:
            word = {"chaser": "chaser", "review": "review", "regulator": "complaint"}[
                o.decision.action]
            label = f"{o.result} {word}" if send else f"would send {word}"
            if not send and o.decision.action != "chaser":
                label = f"would draft {word}"
            counts[label] = counts.get(label, 0) + 1
    parts = [f"{label}{'s' if n != 1 else ''}: {n}" for label, n in counts.items()]
    if not parts:
        parts = ["nothing to send or draft today"]
    return ("" if send else "dry run (use --send to act) · ") + " · ".join(parts)
