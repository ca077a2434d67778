"""``foibot run`` (the unattended service) and ``foibot notify-test``."""

from __future__ import annotations

import typer

from foibot.cli.common import load_app
from foibot.errors import ConfigError
from foibot.service import notify, runner


def register(app: typer.Typer) -> None:
    @app.command()
    def run(
        ctx: typer.Context,
        once: bool = typer.Option(
            False, "--once", help="Run every job once now (poll, sweep, chase, notify), then exit."),
        log_json: bool = typer.Option(False, "--log-json", help="Log JSON lines, not key=value."),
    ) -> None:
        """Run unattended: poll for replies, sweep deadlines, chase late forces, notify.

        One service per state dir; SIGTERM or Ctrl-C lets the running job finish, then exits.
        """
        a = load_app(ctx)
        log = runner.Log(clock=a.now, as_json=log_json)
        try:
            with runner.instance(a):
                if once:
                    results = runner.once_with_signals(a, log=log)
                    if any(r.status == "error" for r in results):
                        raise typer.Exit(1)
                    return
                runner.Service(a, log=log).serve()
        except runner.AlreadyRunning as exc:
            typer.echo(f"foibot run: {exc}", err=True)
            raise typer.Exit(1) from None

    @app.command("notify-test")
    def notify_test(ctx: typer.Context) -> None:
        """Post a test message to every webhook in \\[notify] and say which answered."""
        a = load_app(ctx)
        results = notify.send_test(a, at=a.now())
        if not results:
            raise ConfigError("[notify] webhooks: none configured")
        for hook, why in results:
            typer.echo(f"ok      {hook.label} ({hook.format})" if why is None else f"failed  {why}")
        if any(why is not None for _, why in results):
            raise typer.Exit(1)
