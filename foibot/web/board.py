"""The board: ``/`` (the only campaign's board, or the list of campaigns) and ``/c/NAME``.

The figures are :attr:`Board.summary`, the same as ``foibot status --json``; the rows can be
filtered by the headline part they are counted in (``?state=overdue``, ``?state=needs_review``)
and sorted by a column (``?sort=due&desc=1``), all in the query string, so a view can be
bookmarked and works without JavaScript.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot.app import App
from foibot.errors import UsageError
from foibot.rules.status import PARTS, Board, RequestStatus
from foibot.views import board as board_view
from foibot.web.common import call, render, today

SORTS: dict[str, Callable[[RequestStatus], Any]] = {
    "force": lambda r: r.request.force.name.lower(),
    "reference": lambda r: r.request.reference,
    "state": lambda r: (Board.part(r), r.request.force.name.lower()),
    "sent": lambda r: r.sent or date.max,
    "due": lambda r: r.due or date.max,
    "late": lambda r: r.working_days_late,
    "last": lambda r: r.last_reply.day if r.last_reply else date.min,
    "next": lambda r: r.next_action,
}
COLUMNS = (("force", "force"), ("reference", "reference"), ("state", "state"),
           ("sent", "sent"), ("due", "due"), ("late", "left / late"),
           ("last", "last reply"), (None, "their ref"), ("next", "next action"))


def _campaigns(app: App) -> list[tuple[str, str]]:
    names = app.campaigns.names()
    return [(name, board_view.load(app, name, today(app)).headline()) for name in names]


def known(app: App, name: str) -> str:
    """A campaign named in a URL, checked against the campaigns there are (never a path)."""
    names = app.campaigns.names()
    if name not in names:
        raise UsageError(f"no such campaign: {name!r} (campaigns: {', '.join(names) or 'none'})")
    return name


def _board(app: App, name: str) -> Board:
    return board_view.load(app, known(app, name), today(app))


async def home(request: Request) -> Response:
    campaigns = await call(request, _campaigns)
    if len(campaigns) == 1:
        return await _page(request, campaigns[0][0])
    return render(request, "campaigns.html.j2", campaigns=campaigns)


async def campaign(request: Request) -> Response:
    return await _page(request, request.path_params["name"])


async def _page(request: Request, name: str) -> Response:
    board = await call(request, _board, name)
    part = request.query_params.get("state", "")
    sort = request.query_params.get("sort", "")
    desc = request.query_params.get("desc") == "1"
    rows = [r for r in board.rows if not part or Board.part(r) == part]
    if sort in SORTS:
        rows.sort(key=SORTS[sort], reverse=desc)
    summary = board.summary
    parts = [(key, label, summary.get(key, 0)) for key, label in PARTS if summary.get(key)]
    return render(request, "board.html.j2", campaign=name, board=board, rows=rows,
                  summary=summary, parts=parts, part=part, sort=sort, desc=desc,
                  columns=COLUMNS, Board=Board)


routes = [
    Route("/", home, methods=["GET"]),
    Route("/c/{name}", campaign, methods=["GET"]),
]
