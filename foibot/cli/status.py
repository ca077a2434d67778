"""``foibot status`` (the board) and ``foibot show`` (one request's timeline)."""

from __future__ import annotations

from typing import Optional

import typer
from rich.table import Table

from foibot.views import timeline
from foibot.app import App
from foibot.cli.common import console, load_app, print_json
from foibot.errors import UsageError
from foibot.rules.status import Board, RequestStatus, board
from foibot.timeutil import today

STATE_STYLE = {"responded": "green", "overdue": "red", "failed": "red bold",
               "clarification": "yellow", "fee": "yellow", "awaiting": "cyan", "review": "magenta"}


def campaign_name(app: App, name: str | None) -> str:
    """The campaign named, or the only one there is."""
    if name:
        return name
    names = app.campaigns.names()
    if len(names) == 1:
        return names[0]
    raise UsageError("name a campaign: " + (", ".join(names) if names else "none exists yet"))


def load_board(app: App, name: str | None) -> tuple[str, Board]:
    name = campaign_name(app, name)
    return name, board(app.campaigns.requests(name), today())


def render_board(b: Board, rows: list[RequestStatus] | None = None) -> None:
    """The headline, then one row per force."""
    typer.echo(b.headline())
    table = Table(show_lines=False, pad_edge=False)
    for col in ("force", "reference", "state", "sent", "due", "left/late", "last reply",
                "their ref", "next action"):
        table.add_column(col, overflow="fold")
    for r in b.rows if rows is None else rows:
        st = r.standing
        if st is None or r.state not in ("awaiting", "overdue"):
            when = ""
        else:
            when = f"{st.working_days_late} late" if st.overdue else f"{st.working_days_left} left"
        due = r.due.isoformat() if r.due else ""
        if r.stated_due and r.stated_due != r.due:
            due += f" (force: {r.stated_due.isoformat()})"
        last = f"{r.last_reply.kind} {r.last_reply.day:%d %b}" if r.last_reply else ""
        style = STATE_STYLE.get(r.state, "")
        table.add_row(r.request.force.name, r.request.reference,
                      f"[{style}]{r.state}[/]" if style else r.state,
                      r.sent.isoformat() if r.sent else "", due, when, last,
                      r.force_reference or "", r.next_action)
    console.print(table)


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
        name, b = load_board(a, name)
        if force and not any(r.request.force.id == force for r in b.rows):
            raise UsageError(f"campaign {name!r} has no request to force {force!r}")
        rows = [r for r in b.rows if (not overdue or r.state == "overdue")
                and (not force or r.request.force.id == force)]
        if as_json:
            print_json({"campaign": name, "today": today().isoformat(), "summary": b.summary,
                        "requests": [r.as_dict() for r in rows]})
            return
        render_board(b, rows)

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
