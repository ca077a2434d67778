"""The review queue, ``/review``: replies foibot is unsure of, and mail it could not file.

One click confirms foibot's reading or corrects it (:func:`foibot.mail.review.mark`, as
``foibot mark``); a triaged message (``/m/ID``) is read in full and filed under one of the
requests it most likely belongs to (:func:`foibot.mail.review.assign`, as ``foibot assign``),
or set aside as for no request (:func:`foibot.mail.review.dismiss`, as ``foibot dismiss``).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot.app import App
from foibot.errors import UsageError
from foibot.mail import review
from foibot.mail.inbox import all_requests
from foibot.rules.kinds import KINDS
from foibot.store import StoredMessage
from foibot.timeutil import from_iso
from foibot.views import request as request_view
from foibot.web.common import call, field, local, render, see
from foibot.web.requests import request_page, serve_attachment

MAX_TRIAGE_CANDIDATES = 50     # messages whose likely requests are worked out on the queue page


def _queue(app: App) -> tuple[list[review.Item],
                              list[tuple[StoredMessage, list[review.Candidate]]]]:
    messages = review.triage(app)
    return review.queue(app), [
        (m, review.candidates(app, m.sha256, limit=3) if n < MAX_TRIAGE_CANDIDATES else [])
        for n, m in enumerate(messages)]


async def queue(request: Request) -> Response:
    items, triage = await call(request, _queue)
    return render(request, "review.html.j2", items=items, triage=triage, kinds=KINDS)


async def mark(request: Request) -> Response:
    ref = request.path_params["ref"]
    kind, note = field(request, "kind"), field(request, "note")
    back = local(field(request, "next"), f"/r/{ref}")
    try:
        event = await call(request, review.mark, ref, kind, note=note)
    except UsageError as exc:
        return await request_page(request, ref, error=str(exc), status=400)
    return see(f"{back}{'&' if '?' in back else '?'}ok=marked#{event.request}")


def _message(app: App, key: str) -> dict[str, Any]:
    mail = request_view.mail_text(app, key)
    dismissed = app.store.mail.get(mail.sha256).dismissed
    return {"mail": mail, "previews": request_view.previews(app, mail),
            "candidates": review.candidates(app, mail.sha256),
            "requests": sorted(all_requests(app), key=lambda r: (r.campaign, r.force.name)),
            "filed": review.filed_messages(app).get(mail.sha256),
            "dismissed": from_iso(dismissed) if dismissed else None}


async def message(request: Request) -> Response:
    found = await call(request, _message, request.path_params["id"])
    return render(request, "message.html.j2", **found)


async def message_attachment(request: Request) -> Response:
    p: dict[str, Any] = request.path_params
    found, data = await call(request, request_view.message_attachment, p["id"], p["i"])
    return serve_attachment(found, data, view=request.url.path.endswith("/view"))


async def assign(request: Request) -> Response:
    key = request.path_params["id"]
    reference = field(request, "reference").strip()
    if not reference:
        raise UsageError("choose the request this message belongs to")
    filed = await call(request, review.assign, key, reference)
    return see(f"/r/{filed.reference}?ok=assigned")


async def dismiss(request: Request) -> Response:
    await call(request, review.dismiss, [request.path_params["id"]])
    return see("/review?ok=dismissed#triage")


routes = [
    Route("/review", queue, methods=["GET"]),
    Route("/r/{ref}/mark", mark, methods=["POST"]),
    Route("/m/{id}", message, methods=["GET"]),
    Route("/m/{id}/a/{i:int}", message_attachment, methods=["GET"]),
    Route("/m/{id}/a/{i:int}/view", message_attachment, methods=["GET"]),
    Route("/m/{id}/assign", assign, methods=["POST"]),
    Route("/m/{id}/dismiss", dismiss, methods=["POST"]),
]
