"""The board: where every request of a campaign stands, as a person reads it.

:func:`load` derives the board from the events (the pure rule, :func:`foibot.rules.status.board`),
telling it which letters a live process is sending right now; :func:`render` prints it.
"""

from __future__ import annotations

from datetime import date

from rich.console import Console
from rich.table import Table

from foibot.app import App
from foibot.errors import UsageError
from foibot.mail.outbox import in_flight
from foibot.rules.status import Board, RequestStatus, board

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


def load(app: App, name: str, today: date) -> Board:
    requests = app.campaigns.requests(name)
    return board(requests, today, in_flight=in_flight(requests))


def render(console: Console, b: Board, rows: list[RequestStatus] | None = None) -> None:
    """The headline, then one row per force."""
    console.print(b.headline(), markup=False)
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
        state = f"[{style}]{r.state}[/]" if style else r.state
        if r.needs_review:
            state = f"[bold yellow]needs review[/] ({r.state})"
        table.add_row(r.request.force.name, r.request.reference, state,
                      r.sent.isoformat() if r.sent else "", due, when, last,
                      r.force_reference or "", r.next_action)
    console.print(table)
