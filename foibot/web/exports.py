"""Downloads from the board: the HTML report, CSV, JSON and iCalendar of a campaign.

The bytes are the ones ``foibot report`` and ``foibot export`` write, made by the same
functions; here they are handed to the browser instead of a file. The report is a download
too: it is a page of its own, with its own Content-Security-Policy, to be saved and shared.
"""

from __future__ import annotations

from typing import Callable

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot.app import App
from foibot.views import export, report
from foibot.web.board import known
from foibot.web.common import call, download

FORMATS: dict[str, tuple[str, Callable[[App, str], bytes]]] = {
    "csv": ("text/csv", lambda app, name: export.to_csv(export.build(app, name))),
    "totals.csv": ("text/csv", lambda app, name: export.totals_csv(export.build(app, name))),
    "json": ("application/json", lambda app, name: export.json_bytes(export.build(app, name))),
    "ics": ("text/calendar", lambda app, name: export.to_ics(export.build(app, name))),
    "html": ("text/html", lambda app, name: report.render(report.build(app, name)).encode()),
}


def _bytes(app: App, name: str, kind: str) -> bytes:
    return FORMATS[kind][1](app, known(app, name))


async def exported(request: Request) -> Response:
    name, kind = request.path_params["name"], request.path_params["kind"]
    if kind not in FORMATS:
        raise HTTPException(404, f"no {kind!r} export (csv, json, ics or html)")
    data = await call(request, _bytes, name, kind)
    stem = "report" if kind == "html" else "export"
    return download(data, f"{name}-{stem}.{kind}", media_type=FORMATS[kind][0])


routes = [
    Route("/c/{name}/download.{kind}", exported, methods=["GET"]),
]
