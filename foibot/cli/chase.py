"""``foibot chase``, ``foibot drafts`` and ``foibot send-draft``."""

from __future__ import annotations

import typer
from rich.table import Table

from foibot.cli.common import console, load_app, print_json
from foibot.errors import UsageError
from foibot.letters import chasers as chasing
from foibot.letters import drafts as drafting

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
    ) -> None:
        """Who is chased or escalated today, and why. FOIBOT_NOW sets "today"."""
        if dry_run and send:
            raise UsageError("--dry-run and --send exclude each other")
        a = load_app(ctx)
        if contest:
            event = chasing.contest(a, contest, note)
            if not as_json:
                typer.echo(f"{event.request}: contest recorded")
        outcomes = chasing.run_chase(a, name, send=send)
        if as_json:
            print_json([o.as_dict() for o in outcomes])
        else:
            _print(outcomes, send=send)
        if any(o.result in TROUBLE for o in outcomes):
            raise typer.Exit(1)

    @app.command()
    def drafts(
        ctx: typer.Context,
        as_json: bool = typer.Option(False, "--json"),
        sent: bool = typer.Option(False, "--all", help="Include drafts already sent."),
    ) -> None:
        """Drafted internal reviews and complaints waiting for you to read and send."""
        found = drafting.list_drafts(load_app(ctx), include_sent=sent)
        if as_json:
            print_json([d.as_dict() for d in found])
            return
        if not found:
            typer.echo("no drafts waiting")
            return
        table = Table(pad_edge=False)
        for col in ("drafted", "force", "reference", "key", "to", "letter", "request now",
                    "file"):
            table.add_column(col, overflow="fold")
        for d in found:
            table.add_row(d.drafted.isoformat(), d.force_name, d.reference, d.key, d.to,
                          d.letter, d.request_state, d.path)
        console.print(table)
        typer.echo("send one with: foibot send-draft REF KEY (edit the file first if you wish)")

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
        app = load_app(ctx)
        if dry_run:
            typer.echo(drafting.draft_letter(app, reference, key, anyway=anyway).message.as_string())
            return
        report = drafting.send_draft(app, reference, key, anyway=anyway)
        for ref, why in report.skipped + report.failed + report.deferred + report.uncertain:
            typer.echo(f"{ref} {key}: {why}")
        typer.echo(report.summary())
        if not report.sent:
            raise typer.Exit(1)


def _print(outcomes: list[chasing.ChaseOutcome], *, send: bool) -> None:
    if not outcomes:
        typer.echo("no requests to consider")
        return
    table = Table(pad_edge=False)
    for col in ("campaign", "force", "reference", "action", "why", "next", "result"):
        table.add_column(col, overflow="fold")
    # what happens today first, then the rest in campaign order
    for o in sorted(outcomes, key=lambda o: not o.decision.acts):
        d = o.decision
        style = ACTION_STYLE.get(d.action, "")
        action = d.key or "-"
        result = o.result if not o.detail else f"{o.result}: {o.detail}"
        table.add_row(o.campaign, d.force_name or d.force, d.reference,
                      f"[{style}]{action}[/]" if style else action, d.reason,
                      d.due_on.isoformat() if d.due_on and not d.acts else "", result)
    console.print(table)
    typer.echo(_summary(outcomes, send=send))


def _summary(outcomes: list[chasing.ChaseOutcome], *, send: bool) -> str:
    counts: dict[str, int] = {}
    for o in outcomes:
        if o.decision.acts:
            word = {"chaser": "chaser", "review": "review", "regulator": "complaint"}[
                o.decision.action]
            label = f"{o.result} {word}" if send else f"would send {word}"
            if not send and o.decision.action != "chaser":
                label = f"would draft {word}"
            counts[label] = counts.get(label, 0) + 1
    quiet = sum(1 for o in outcomes if not o.decision.acts)
    parts = [f"{label}{'s' if n != 1 else ''}: {n}" for label, n in counts.items()]
    parts.append(f"nothing to do: {quiet}")
    return ("" if send else "dry run (use --send to act) · ") + " · ".join(parts)
