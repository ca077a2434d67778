"""The web view as one Starlette application: the page modules' routes behind the guard.

``create_app(app, token=...)`` is all a server needs (``foibot serve``, ``foibot run --web``,
the tests' client). Errors are foibot's own: a :class:`FoibotError` from the library becomes a
page with its one line (404 for something that does not exist, 400 for a refused form, 502
when the mail server would not take a letter), never a traceback.
"""

from __future__ import annotations

import hmac
import threading

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot.app import App
from foibot.errors import FoibotError, MailError, UsageError
from foibot.letters.render import shipped_templates_dir
from foibot.web import actions, board, exports, requests, review
from foibot.web.common import Web, environment, field, local, render, see
from foibot.web.security import AUTH_COOKIE, Guard, Policy, login_cookie, policy

STYLESHEET = "web.css"


async def login_page(request: Request, status: int = 200, error: str = "",
                     next_url: str | None = None) -> Response:
    """The login form; refused at another address, it comes back there once logged in."""
    if next_url is None:
        asked = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        next_url = local(asked, "/") if request.url.path != "/login" else "/"
    return render(request, "login.html.j2", status, error=error, next=next_url)


async def login(request: Request) -> Response:
    rules: Policy = request.app.state.rules
    if rules.token is None:
        return see("/")
    if request.method == "GET":
        return await login_page(request)
    next_url = local(field(request, "next"), "/")
    if not hmac.compare_digest(field(request, "token").strip().encode(), rules.token.encode()):
        return await login_page(request, 401, "That is not the access token.", next_url)
    response = see(next_url)
    response.set_cookie(AUTH_COOKIE, login_cookie(rules.token), httponly=True,
                        samesite="strict", path="/")
    return response


def stylesheet(css: bytes) -> Route:
    async def serve(request: Request) -> Response:
        return Response(css, media_type="text/css",
                        headers={"cache-control": "no-cache"})
    return Route(f"/static/{STYLESHEET}", serve, methods=["GET"])


async def failed(request: Request, exc: Exception) -> Response:
    """A library error as a page: its one line, and the way back."""
    if isinstance(exc, HTTPException):
        status, message = exc.status_code, str(exc.detail)
    elif isinstance(exc, UsageError):
        status, message = (404 if request.method == "GET" else 400), str(exc)
    elif isinstance(exc, MailError):
        status, message = 502, str(exc)
    else:
        status, message = 500, str(exc)
    return render(request, "error.html.j2", status, message=message, code=status)


def create_app(app: App, *, token: str | None) -> Starlette:
    """The web view over ``app``'s state dir. ``token``: the access token every request must
    carry (None: for a loopback address only, and then only loopback Host names are answered)."""
    rules = policy(token)
    css = (shipped_templates_dir() / "web" / STYLESHEET).read_bytes()
    routes = [
        *board.routes, *requests.routes, *review.routes, *actions.routes, *exports.routes,
        Route("/login", login, methods=["GET", "POST"]),
        stylesheet(css),
    ]
    web = Starlette(
        routes=routes,
        middleware=[Middleware(Guard, rules=rules, login_page=login_page)],
        exception_handlers={FoibotError: failed, HTTPException: failed},
    )
    _ = (app.store, app.campaigns)       # made once, before worker threads share them
    web.state.web = Web(app, environment(), threading.Lock())
    web.state.rules = rules
    return web
