"""``foibot run`` (the unattended service) and ``foibot notify-test``."""

from __future__ import annotations

from contextlib import nullcontext

import typer

from foibot.cli.common import load_app
from foibot.cli.serve import DEFAULT_HOST, DEFAULT_PORT
from foibot.errors import ConfigError, UsageError


def register(app: typer.Typer) -> None:
    @app.command(short_help="Run unattended: poll, sweep deadlines, chase, notify.")
    def run(
        ctx: typer.Context,
        once: bool = typer.Option(
            False, "--once",
            help="Run every job once now (poll, sweep, chase, notify), then exit."),
        log_json: bool = typer.Option(False, "--log-json", help="Log JSON lines, not key=value."),
        web: bool = typer.Option(False, "--web", help="Also serve the web view (`foibot serve`)."),
        host: str = typer.Option(DEFAULT_HOST, "--host", help="With --web: address to listen on."),
        port: int = typer.Option(DEFAULT_PORT, "--port", help="With --web: port to listen on."),
    ) -> None:
        """Run unattended: poll for replies, sweep deadlines, chase late forces, notify.

        One service per state dir; SIGTERM or Ctrl-C lets the running job finish, then exits.
        With --web it serves the web view as well, from the same process.
        """
        if web and once:
            raise UsageError("--web serves while the service runs; it does nothing with --once")
        from foibot.service import runner

        a = load_app(ctx)
        log = runner.Log(clock=a.now, as_json=log_json)
        try:
            with runner.instance(a):
                if once:
                    results = runner.once_with_signals(a, log=log)
                    if any(r.status == "error" for r in results):
                        raise typer.Exit(1)
                    return
                serving = runner.web_view(a, host=host, port=port, log=log) if web \
                    else nullcontext()
                with serving:
                    runner.Service(a, log=log).serve()
        except runner.AlreadyRunning as exc:
            typer.echo(f"foibot run: {exc}", err=True)
            raise typer.Exit(1) from None

    @app.command("notify-test", short_help="Post a test message to every [notify] webhook.")
    def notify_test(ctx: typer.Context) -> None:
        """Post a test message to every webhook in [notify] and say which answered."""
        from foibot.service import notify

        a = load_app(ctx)
        results = notify.send_test(a, at=a.now())
        if not results:
            raise ConfigError("[notify] webhooks: none configured")
        for hook, why in results:
            typer.echo(f"ok      {hook.label} ({hook.format})" if why is None else f"failed  {why}")
        if any(why is not None for _, why in results):
            raise typer.Exit(1)
