"""The web view's guard: who may ask, what a form must carry, what every answer says.

Everything here is one ASGI middleware (:class:`Guard`) in front of every route, so no route
can forget a check:

- **Where it listens.** 127.0.0.1 by default; any other address needs an access token from
  ``[web] token_env`` / ``token_command`` (:func:`access_token`), or ``serve`` refuses to start.
- **Who asks.** With a token, every request needs it: ``Authorization: Bearer TOKEN``, or the
  HttpOnly, SameSite=Strict cookie the login form sets; anything else gets 401 and the login
  form. Without one (loopback only), the Host header must name the loopback, so a web page
  elsewhere cannot reach the view by pointing its own domain at 127.0.0.1 (DNS rebinding).
- **What changes state.** Only POST, only ``application/x-www-form-urlencoded``, and only with
  the CSRF token of the browser's session: an HMAC, under a secret made when the process
  starts, of a random session cookie (Datasette's asgi-csrf is the model). The guard parses the
  form itself and hands it to the route (``request.state.form``). GETs change nothing.
- **What every answer says.** A strict Content-Security-Policy (no script at all; style only
  from our own stylesheet), ``nosniff``, no framing, no referrer, no caching: every page shows
  mail written by strangers.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.datastructures import FormData, MutableHeaders, UploadFile
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from foibot.errors import ConfigError
from foibot.settings import Settings

SESSION_COOKIE = "foibot_session"
AUTH_COOKIE = "foibot_auth"
CSRF_FIELD = "csrf"
MAX_FORM_BYTES = 1024 * 1024
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
PAGE_CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
# An attachment shown in place (a PDF, an image) loads nothing and runs nothing of its own;
# ``object-src 'self'`` lets the browser's PDF viewer show the document it was sent.
ATTACHMENT_CSP = ("default-src 'none'; object-src 'self'; img-src 'self'; "
                  "style-src 'unsafe-inline'; frame-ancestors 'self'")
PUBLIC_PATHS = frozenset({"/login"})
_SESSION_RE = re.compile(r"^[0-9a-f]{32}$")

Render = Callable[[Request, int], Awaitable[Response]]


# --- starting: the address and the token ------------------------------------------------------
def is_loopback(host: str) -> bool:
    """Is ``host`` an address only this machine can reach?"""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def access_token(settings: Settings, host: str) -> str | None:
    """The token the view demands, if one is configured; bound beyond loopback, one must be."""
    token = settings.web.token() if settings.has("web") else None
    if token is None and not is_loopback(host):
        raise ConfigError(
            f"{settings.where}: serving on {host} (beyond this machine) needs an access token:"
            " set [web] token_env or token_command (see config.example.toml), or serve on"
            " 127.0.0.1")
    return token


# --- tokens -----------------------------------------------------------------------------------
def login_cookie(token: str) -> str:
    """What the login cookie holds: proof of the token, not the token itself."""
    return hmac.new(token.encode(), b"foibot web login", hashlib.sha256).hexdigest()


def csrf_token(secret: bytes, session: str) -> str:
    return hmac.new(secret, session.encode(), hashlib.sha256).hexdigest()


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


# --- downloads --------------------------------------------------------------------------------
def content_disposition(disposition: str, filename: str) -> str:
    """``attachment; filename="safe"; filename*=UTF-8''...`` (RFC 6266): the real name for
    browsers that read ``filename*``, an ASCII stand-in for the rest, and nothing in either that
    can end the header or start another parameter.

    >>> content_disposition("attachment", 'a"; x=1\\r\\n.pdf')
    'attachment; filename="a__ x_1__.pdf"; filename*=UTF-8\\'\\'a%22%3B%20x%3D1%0D%0A.pdf'
    """
    fallback = "".join(c if (c.isascii() and (c.isalnum() or c in " ._-()[]")) else "_"
                       for c in filename).strip() or "download"
    return f"{disposition}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# --- the guard --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Policy:
    token: str | None            # None: loopback only, no login
    secret: bytes                # this process's CSRF secret
    hosts: frozenset[str] | None  # Host names accepted (None: any, the token guards)


def policy(token: str | None) -> Policy:
    """The guard's settings: with a token any Host is fine; without, loopback names only."""
    return Policy(token, secrets.token_bytes(32), None if token else LOOPBACK_NAMES)


class Refused(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


class Guard:
    """The one middleware: host, token, CSRF and form, and the security headers."""

    def __init__(self, app: ASGIApp, *, rules: Policy, login_page: Render) -> None:
        self.app = app
        self.rules = rules
        self.login_page = login_page

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        session = request.cookies.get(SESSION_COOKIE, "")
        fresh = not _SESSION_RE.match(session)
        if fresh:
            session = secrets.token_hex(16)
        state = scope.setdefault("state", {})
        state["csrf"] = csrf_token(self.rules.secret, session)
        state["login_required"] = self.rules.token is not None
        wrapped = _with_headers(send, session if fresh else None)
        try:
            self._check_host(request)
            if not self._authorised(request) and scope["path"] not in PUBLIC_PATHS:
                response = await self.login_page(request, 401)
                response.headers["WWW-Authenticate"] = 'Bearer realm="foibot"'
                await response(scope, receive, wrapped)
                return
            if request.method not in ("GET", "HEAD", "POST"):
                raise Refused(405, "only GET and POST are served")
            if request.method == "POST":
                body = await _read_body(receive)
                state["form"] = self._checked_form(request, body, state["csrf"])
                receive = _replay(body)
        except Refused as exc:
            await PlainTextResponse(exc.why + "\n", exc.status)(scope, receive, wrapped)
            return
        await self.app(scope, receive, wrapped)

    def _check_host(self, request: Request) -> None:
        if self.rules.hosts is None:
            return
        host = request.headers.get("host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        if name.strip("[]").lower() not in self.rules.hosts:
            raise Refused(421, f"this view answers only to {', '.join(sorted(self.rules.hosts))}")

    def _authorised(self, request: Request) -> bool:
        token = self.rules.token
        if token is None:
            return True
        bearer = request.headers.get("authorization", "")
        if bearer[:7].lower() == "bearer " and _same(bearer[7:].strip(), token):
            return True
        return _same(request.cookies.get(AUTH_COOKIE, ""), login_cookie(token))

    def _checked_form(self, request: Request, body: bytes, expected: str) -> FormData:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            raise Refused(415, "forms are sent as application/x-www-form-urlencoded")
        origin = request.headers.get("origin")
        if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
            raise Refused(403, "refused: the form came from another site")
        try:
            pairs: list[tuple[str, str | UploadFile]] = list(
                parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise Refused(400, "the form is not UTF-8") from None
        form = FormData(pairs)
        sent = form.get(CSRF_FIELD)
        if not isinstance(sent, str) or not _same(sent, expected):
            raise Refused(403, "refused: the form's CSRF token is missing or out of date;"
                               " reload the page and try again")
        return form


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise Refused(400, "the client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            raise Refused(413, "the form is too large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}
    return receive


def _with_headers(send: Send, new_session: str | None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            defaults: dict[str, Any] = {
                "content-security-policy": PAGE_CSP,
                "x-content-type-options": "nosniff",
                "x-frame-options": "SAMEORIGIN",
                "referrer-policy": "no-referrer",
                "cross-origin-opener-policy": "same-origin",
                "cross-origin-resource-policy": "same-origin",
                "cache-control": "no-store",
            }
            for name, value in defaults.items():
                if name not in headers:
                    headers[name] = value
            headers["x-content-type-options"] = "nosniff"
            if new_session:
                headers.append("set-cookie", f"{SESSION_COOKIE}={new_session}; Path=/; "
                                             "HttpOnly; SameSite=Lax")
        await send(message)
    return wrapped
