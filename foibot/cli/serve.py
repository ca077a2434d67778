"""``foibot serve``: the campaign's web view, over the same state dir as everything else."""

from __future__ import annotations

import typer

from foibot.cli.common import load_app

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8040


def register(app: typer.Typer) -> None:
    @app.command(short_help="Serve the web view on this machine.")
    def serve(
        ctx: typer.Context,
        host: str = typer.Option(
            DEFAULT_HOST, "--host",
            help="Address to listen on; beyond loopback needs a [web] token."),
        port: int = typer.Option(DEFAULT_PORT, "--port", help="Port to listen on."),
    ) -> None:
        """Serve the web view: read replies and their attachments, review, assign, clarify,
        send drafts, record events and figures, download the exports.

        Listens on 127.0.0.1 only, unless given another --host and an access token in
        [web] token_env or token_command. Ctrl-C or SIGTERM stops it.
        """
        from foibot.web import server

        running = server.start(load_app(ctx), host=host, port=port)
        typer.echo(f"foibot: serving {running.url} (Ctrl-C to stop)", err=True)
        why = server.serve_until_signalled(running)
        typer.echo(f"foibot: stopped ({why})", err=True)
