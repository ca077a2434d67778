"""``foibot send``: send a campaign's request letters, exactly once each."""

from __future__ import annotations

from typing import Optional

import typer

from foibot.cli.common import load_app, print_json, progress


def register(app: typer.Typer) -> None:
    @app.command()
    def send(
        ctx: typer.Context,
        name: str = typer.Argument(..., help="Campaign name."),
        dry_run: bool = typer.Option(
            False, "--dry-run",
            help="Say what a real run would send, writing those messages as .eml files; "
                 "connect to nothing."),
        force: Optional[str] = typer.Option(
            None, "--force", "-f", help="Only this force: its id, name or short name."),
        resend_uncertain: bool = typer.Option(
            False, "--resend-uncertain",
            help="Send again letters a crash left uncertain (same Message-ID)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object for scripts."),
    ) -> None:
        """Send the request letters. Letters already sent are never sent again."""
        from foibot.letters import batch as batch_mod
        from foibot.views.board import campaign_force, campaign_name

        app = load_app(ctx)
        name = campaign_name(app, name)
        only = campaign_force(app, name, force).id if force else None
        batch = batch_mod.request_letters(app, name, force=only)
        if dry_run:
            found, folder = batch_mod.dry_run(app, batch, resend_uncertain=resend_uncertain)
            if as_json:
                print_json({"dry_run": True, "would_send": [o.request.reference
                                                            for o in found.going],
                            "folder": str(folder),
                            **{k: getattr(found.report, k) for k in
                               ("failed", "uncertain", "skipped")}})
                return
            for ref, why in found.report.failed + found.report.uncertain:
                typer.echo(f"{ref}: {why}")
            typer.echo(f"dry run: {found.summary()}")
            if found.going:
                typer.echo(f"the {len(found.going)} letter(s) it would send are in {folder}")
            return
        with progress("sending", total=len(batch.letters), show=not as_json) as update:
            report = batch_mod.send(
                app, batch, resend_uncertain=resend_uncertain,
                progress=lambda out, outcome: update(
                    advance=1, description=f"{out.request.force.id}: {outcome}"),
            )
        if as_json:
            print_json({k: getattr(report, k) for k in
                        ("sent", "failed", "deferred", "uncertain", "skipped")})
        else:
            for ref, why in report.failed:
                typer.echo(f"failed {ref}: {why}")
            for ref, why in report.deferred:
                typer.echo(f"deferred {ref}: {why}")
            for ref, why in report.uncertain:
                typer.echo(f"uncertain {ref}: {why}")
            typer.echo(report.summary())
        if report.failed or report.deferred or report.uncertain:
            raise typer.Exit(1)
