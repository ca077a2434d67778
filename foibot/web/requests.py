"""A request's page, ``/r/REF``: the whole story, each reply's words and its attachments.

The page is :func:`foibot.views.request.story` as HTML; attachments are served from the reply
they came with (``/r/REF/reply/N/a/I``), as downloads, or in place (``.../view``) only when
their bytes are a PDF or a raster image.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot.app import App
from foibot.mail.parse import Attachment
from foibot.rules.kinds import KINDS, RECORDABLE
from foibot.views import request as request_view
from foibot.web.common import call, download, render, today


def _story(app: App, reference: str) -> tuple[request_view.RequestStory,
                                               dict[int, dict[int, request_view.Preview]]]:
    story = request_view.story(app, reference, today(app))
    return story, {r.number: request_view.previews(app, r.mail) for r in story.replies}


async def request_page(request: Request, reference: str, *, error: str = "",
                       values: dict[str, str] | None = None, status: int = 200) -> Response:
    """The page, also shown again with the error when a form on it was refused."""
    story, previews = await call(request, _story, reference)
    return render(request, "request.html.j2", status, story=story, previews=previews,
                  kinds=KINDS, recordable=RECORDABLE, error=error, values=values or {})


async def show(request: Request) -> Response:
    return await request_page(request, request.path_params["ref"])


def serve_attachment(attachment: Attachment, data: bytes, *, view: bool) -> Response:
    """A download; in place only when its bytes really are a PDF or a raster image."""
    media = request_view.inline_type(data) if view else None
    if media is not None:
        return download(data, attachment.filename, media_type=media, inline=True)
    return download(data, attachment.filename)


async def attachment(request: Request) -> Response:
    p: dict[str, Any] = request.path_params
    found, data = await call(request, request_view.reply_attachment, p["ref"], p["n"], p["i"])
    return serve_attachment(found, data, view=request.url.path.endswith("/view"))


routes = [
    Route("/r/{ref}", show, methods=["GET"]),
    Route("/r/{ref}/reply/{n:int}/a/{i:int}", attachment, methods=["GET"]),
    Route("/r/{ref}/reply/{n:int}/a/{i:int}/view", attachment, methods=["GET"]),
]
