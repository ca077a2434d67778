"""What the page modules share: the library behind one lock, the templates, and the answers.

Routes are async (forms are read by the guard) but foibot's library is plain blocking code that
takes the state dir's file lock; every library call therefore runs in a worker thread, one at a
time per process (:func:`call`), over one :class:`~foibot.app.App`. Other processes (``foibot
run``, the command line) share the state dir through the store's own lock, as they always do.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

import jinja2
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from foibot.app import App
from foibot.errors import UsageError
from foibot.letters.render import shipped_templates_dir
from foibot.timeutil import london, london_date
from foibot.web.security import ATTACHMENT_CSP, content_disposition

T = TypeVar("T")

NOTICES = {
    "marked": "Marked. foibot acts on the reply as you read it.",
    "assigned": "Filed under this request.",
    "dismissed": "Set aside as for no request: `foibot triage --all` still lists it.",
    "clarified": "Your clarification was sent; the clock starts again when it arrives.",
    "recorded": "Recorded.",
    "answered": "Figures recorded.",
    "saved": "Draft saved.",
    "sent": "Sent.",
}


@dataclass
class Web:
    """The process's one view of the state dir."""

    app: App
    templates: jinja2.Environment
    lock: threading.Lock


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


async def call(request: Request, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``fn(app, *args, **kwargs)`` in a worker thread, one library call at a time."""
    view = web(request)

    def work() -> T:
        with view.lock:
            return fn(view.app, *args, **kwargs)

    return await run_in_threadpool(work)


def today(app: App) -> date:
    return london_date(app.now())


# --- templates ------------------------------------------------------------------------------
def environment() -> jinja2.Environment:
    """HTML autoescaping on, unknown names an error: mail text can only ever be text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(shipped_templates_dir() / "web")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
        lstrip_blocks=True)
    env.filters["when"] = _when
    env.filters["day"] = _day
    env.filters["size"] = _size
    env.filters["words"] = lambda value: str(value or "").replace("_", " ")
    return env


def _when(value: datetime | None) -> str:
    return london(value).strftime("%a %d %b %Y %H:%M") if value else ""


def _day(value: date | None) -> str:
    return value.strftime("%a %d %b %Y") if value else ""


def _size(value: int) -> str:
    if value < 1024:
        return f"{value} bytes"
    if value < 1024 * 1024:
        return f"{value / 1024:.1f} KB"
    return f"{value / 1024 / 1024:.1f} MB"


def render(request: Request, name: str, status: int = 200, **values: Any) -> HTMLResponse:
    view = web(request)
    notice = NOTICES.get(request.query_params.get("ok", ""), "")
    html = view.templates.get_template(name).render(
        csrf=request.state.csrf, login_required=request.state.login_required,
        notice=notice, path=request.url.path, today=today(view.app), **values)
    return HTMLResponse(html, status)


# --- forms and answers ----------------------------------------------------------------------
def form(request: Request) -> FormData:
    """The POSTed form, as the guard parsed and checked it (CSRF token included)."""
    found: FormData = request.state.form
    return found


def field(request: Request, name: str, default: str = "") -> str:
    value = form(request).get(name, default)
    return value if isinstance(value, str) else default


def number(value: str, what: str) -> int:
    if not value.isdigit():
        raise UsageError(f"{what}: expected a number, got {value!r}")
    return int(value)


def see(url: str) -> RedirectResponse:
    """After a POST, the page to look at (303: the browser GETs it; a reload sends nothing)."""
    return RedirectResponse(url, status_code=303)


def local(url: str, fallback: str) -> str:
    """A ``next`` address from a form, if it stays on this site."""
    return url if url.startswith("/") and not url.startswith("//") and "\\" not in url \
        else fallback


def download(data: bytes, filename: str, *, media_type: str = "application/octet-stream",
             inline: bool = False) -> Response:
    """Bytes to save (or, for a PDF or an image, to show) under a name that cannot escape the
    header, sniffed by nothing, and running nothing."""
    return Response(data, media_type=media_type, headers={
        "content-disposition": content_disposition("inline" if inline else "attachment",
                                                   filename),
        "content-security-policy": ATTACHMENT_CSP,
    })
