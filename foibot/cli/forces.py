"""``foibot forces``: the registry of forces."""

from __future__ import annotations

import typer

from foibot.cli.common import console, load_app, print_json


def register(app: typer.Typer) -> None:
    @app.command(short_help="List a group's forces and their FOI addresses.")
    def forces(
        ctx: typer.Context,
        group: str = typer.Option("default", "--group", "-g",
                                  help="default (44), england-wales (43), uk-territorial (45), "
                                       "all."),
        as_json: bool = typer.Option(False, "--json", help="A JSON list for scripts."),
    ) -> None:
        """List the forces of a group, with each FOI address and where it comes from."""
        found = load_app(ctx).registry.group(group)
        if as_json:
            print_json([f.as_dict() for f in found])
            return
        from rich.table import Table

        table = Table(title=f"{len(found)} forces in group {group!r}", title_justify="left")
        for col in ("id", "name", "regime", "FOI address", "source"):
            table.add_column(col, overflow="fold")
        for f in found:
            table.add_row(f.id, f.name, f.regime, f.email or "[red]NO ADDRESS[/red]",
                          f.email_source.split(" | ")[-1][:60])
        console.print(table)
        missing = [f.id for f in found if not f.email]
        if missing:
            console.print(f"no known address: {', '.join(missing)}")
