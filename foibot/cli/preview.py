"""``foibot preview``: exactly what would be sent."""

from __future__ import annotations

from typing import Optional

import typer

from foibot.cli.common import load_app


def register(app: typer.Typer) -> None:
    @app.command(short_help="Show the letters exactly as send would; send none.")
    def preview(
        ctx: typer.Context,
        name: str = typer.Argument(..., help="Campaign name."),
        force: Optional[str] = typer.Option(
            None, "--force", "-f", help="Only this force: its id, name or short name."),
    ) -> None:
        """Render the letters (headers and body) exactly as `send` would, without sending."""
        from foibot.letters import batch as batch_mod
        from foibot.views.board import campaign_force, campaign_name

        app = load_app(ctx)
        name = campaign_name(app, name)
        only = campaign_force(app, name, force).id if force else None
        batch = batch_mod.request_letters(app, name, force=only)
        for i, out in enumerate(batch.letters):
            if i:
                typer.echo("\n" + "=" * 72 + "\n")
            msg = out.message
            for name, value in msg.items():
                if not name.lower().startswith("content-") and name != "MIME-Version":
                    typer.echo(f"{name}: {value}")
            typer.echo("")
            typer.echo(msg.get_content(), nl=False)
        for r in batch.unreachable:
            typer.echo(f"\n[not sendable] {r.force.name} ({r.force.id}): no known FOI address")
