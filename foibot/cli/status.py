"""``foibot status`` (the board) and ``foibot show`` (one request's timeline)."""

from __future__ import annotations

from typing import Optional

import typer

from foibot.cli.common import console, load_app, print_json


def register(app: typer.Typer) -> None:
    @app.command(short_help="The board: who answered, who is late, what next.")
    def status(
        ctx: typer.Context,
        name: Optional[str] = typer.Argument(None, help="Campaign (default: the only one)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object: summary, requests."),
        overdue: bool = typer.Option(False, "--overdue", help="Only overdue requests."),
        force: Optional[str] = typer.Option(
            None, "--force", "-f", help="Only this force: its id, name or short name (kent, "
                                        "\"Kent Police\", Kent)."),
        wide: bool = typer.Option(
            False, "--wide", "-w", help="Every column in full, however wide the terminal."),
    ) -> None:
        """The board: who has answered, who is late, and what to do next.

        It fits the terminal (or COLUMNS): columns you can do without are left out to fit."""
        from foibot.timeutil import today
        from foibot.views import board as board_view

        a = load_app(ctx)
        name = board_view.campaign_name(a, name)
        only = board_view.campaign_force(a, name, force).id if force else None
        b = board_view.load(a, name, today())
        rows = [r for r in b.rows if (not overdue or r.state == "overdue")
                and (not only or r.request.force.id == only)]
        if as_json:
            print_json({"campaign": name, "today": today().isoformat(), "summary": b.summary,
                        "requests": [r.as_dict() for r in rows]})
            return
        board_view.render(console, b, rows, wide=wide)

    @app.command(short_help="One request's timeline as of today.")
    def show(ctx: typer.Context,
             reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M."),
             as_json: bool = typer.Option(False, "--json", help="One JSON object for scripts."),
             ) -> None:
        """The full timeline of one request as of today (FOIBOT_NOW sets it): letters, replies,
        deadlines with explanations, in the order things happened."""
        from foibot.timeutil import today
        from foibot.views import timeline
        from foibot.views.text import fold

        a = load_app(ctx)
        request = a.campaigns.find(reference)
        view = timeline.build(a, request, today())
        if as_json:
            print_json(view)
            return
        for line in fold(timeline.render(view), console.width):
            console.print(line, markup=False)
