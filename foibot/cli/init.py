"""``foibot init``: write a starting config.toml and the state dir."""

from __future__ import annotations

from pathlib import Path

import typer

from foibot.cli import config_path


def register(app: typer.Typer) -> None:
    @app.command(short_help="Write a commented config.toml and the state dir.")
    def init(ctx: typer.Context) -> None:
        """Write a commented config.toml (from config.example.toml) and the state dir.

        Refuses to overwrite an existing config.
        """
        from foibot.setup import init_config

        path = config_path(ctx) or Path("config.toml")
        state = init_config(path)
        typer.echo(f"wrote {path}; state in {state}")
        typer.echo("next: edit [sender] and [smtp], then "
                   "`foibot campaign create NAME --var question=...`")
