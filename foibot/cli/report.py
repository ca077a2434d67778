"""``foibot report`` (the HTML page), ``foibot export`` (CSV, JSON, iCalendar) and
``foibot answer`` (record the figures a force disclosed)."""

from __future__ import annotations

from pathlib import Path

import typer

from foibot.cli.common import load_app, print_json
from foibot.errors import UsageError


def register(app: typer.Typer) -> None:
    @app.command("report", short_help="One self-contained HTML page of the campaign.")
    def report_command(
        ctx: typer.Context,
        name: str | None = typer.Argument(None, help="Campaign (default: the only one)."),
        html: Path = typer.Option(..., "--html", help="Write the report to this HTML file."),
    ) -> None:
        """One self-contained HTML page: the board, a chart, the late forces, every timeline."""
        from foibot.views import report
        from foibot.views.board import campaign_name

        a = load_app(ctx)
        name = campaign_name(a, name)
        view = report.write(a, name, html)
        typer.echo(f"{html}: {view['headline']}")

    @app.command("export", short_help="The campaign as CSV, JSON and iCalendar deadlines.")
    def export_command(
        ctx: typer.Context,
        name: str | None = typer.Argument(None, help="Campaign (default: the only one)."),
        csv_path: Path | None = typer.Option(
            None, "--csv", help="One row per force; the figures' totals go beside it, in "
                                "NAME.totals.csv."),
        json_path: str | None = typer.Option(None, "--json",
                                             help="Rows and totals; '-' for stdout."),
        ics_path: Path | None = typer.Option(None, "--ics", help="Due dates as a calendar."),
    ) -> None:
        """The campaign as data: CSV and JSON with the figures (each as the force wrote it,
        beside the number counted) and their totals apart from the rows; iCalendar deadlines."""
        if not (csv_path or json_path or ics_path):
            raise UsageError("export: give --csv PATH, --json PATH (or -) or --ics PATH")
        from foibot.views import export
        from foibot.views.board import campaign_name

        a = load_app(ctx)
        data = export.build(a, campaign_name(a, name))
        to_stdout = json_path == "-"
        written = []
        if csv_path:
            written.append(export.write(csv_path, export.to_csv(data)))
            if data.keys:
                written.append(export.write(export.totals_path(csv_path),
                                            export.totals_csv(data)))
        if json_path and not to_stdout:
            written.append(export.write(Path(json_path), export.json_bytes(data)))
        if ics_path:
            written.append(export.write(ics_path, export.to_ics(data)))
        if to_stdout:
            print_json(export.to_json(data))
        for path in written:
            typer.echo(f"wrote {path}", err=to_stdout)

    @app.command(short_help="Record the figures a force disclosed.")
    def answer(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M."),
        pairs: list[str] = typer.Argument(
            ..., metavar="KEY=VALUE...",
            help="Figures as the force wrote them: allegations=126 dismissed=<5 "
                 "retired=10-15 pay=redacted misconduct='not held'."),
    ) -> None:
        """Record the figures a force disclosed; a later figure for a key replaces the earlier.

        A number, a range (10-15: counted at its lower end), <5 or * / redacted (suppressed:
        shown, not summed) or "not held". Totals say "at least N across M forces" and what
        they leave out."""
        from foibot import record as record_mod

        a = load_app(ctx)
        event, values = record_mod.answer(a, reference, pairs)
        shown = ", ".join(f"{k}={figure}" for k, figure in values.items())
        force = a.campaigns.find(event.request).force.name
        typer.echo(f"{event.request} ({force}): recorded {shown}")
