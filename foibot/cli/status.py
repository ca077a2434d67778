"""``foibot status`` (the board) and ``foibot show`` (one request's timeline)."""

from __future__ import annotations

from typing import Optional

import typer

from foibot.cli.common import console, load_app, print_json
from foibot.errors import UsageError
from foibot.timeutil import today
from foibot.views import board as board_view
from foibot.views import timeline


def register(app: typer.Typer) -> None:
    @app.command()
    def status(
        ctx: typer.Context,
        name: Optional[str] = typer.Argument(None, help="Campaign (default: the only one)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object: summary, requests."),
        overdue: bool = typer.Option(False, "--overdue", help="Only overdue requests."),
        force: Optional[str] = typer.Option(None, "--force", "-f", help="Only this force id."),
    ) -> None:
        """The board: who has answered, who is late, and what to do next."""
        a = load_app(ctx)
        name = board_view.campaign_name(a, name)
        b = board_view.load(a, name, today())
        if force and not any(r.request.force.id == force for r in b.rows):
            raise UsageError(f"campaign {name!r} has no request to force {force!r}")
        rows = [r for r in b.rows if (not overdue or r.state == "overdue")
                and (not force or r.request.force.id == force)]
        if as_json:
            print_json({"campaign": name, "today": today().isoformat(), "summary": b.summary,
                        "requests": [r.as_dict() for r in rows]})
            return
        board_view.render(console, b, rows)

    @app.command()
    def show(ctx: typer.Context, reference: str,
             as_json: bool = typer.Option(False, "--json")) -> None:
        """The full timeline of one request: letters, replies, deadlines with explanations."""
        a = load_app(ctx)
        request = a.campaigns.find(reference)
        view = timeline.build(a, request, today())
        if as_json:
            print_json(view)
            return
        for line in timeline.render(view):
            console.print(line, markup=False)
