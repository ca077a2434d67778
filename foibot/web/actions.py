"""Acting on a request: answer a clarification, send a drafted letter, record an event, enter
the figures.

Each action is the library call the command line makes (``clarify``, ``send-draft``,
``record``, ``answer``), so it is checked the same way and every letter goes through the same
exactly-once outbox. Sending takes two steps: the first POST shows the letter exactly as it
will go, the second (``confirm=yes``) sends it; sending twice still sends once, because the
letter's key (``clarify-1``, ``review``) is what the outbox counts.
"""

from __future__ import annotations

from datetime import date
from email.message import EmailMessage

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from foibot import record as record_mod
from foibot.app import App
from foibot.errors import UsageError
from foibot.letters import drafts, followup
from foibot.mail.outbox import Report
from foibot.timeutil import parse_when
from foibot.web.common import call, field, form, render, see
from foibot.web.requests import request_page


def _values(request: Request) -> dict[str, str]:
    return {k: v for k, v in form(request).items() if isinstance(v, str) and k != "csrf"}


def _refused(report: Report) -> tuple[str, int]:
    """Why nothing was sent, and the status to say it with: 409 when the outbox skipped the
    letter (it was sent before: exactly once), 502 when the mail server would not take it."""
    trouble = report.failed + report.deferred + report.uncertain
    why = "; ".join(f"{key}: {reason}" for key, reason in trouble + report.skipped)
    return (f"not sent ({report.summary()}){': ' + why if why else ''}",
            502 if trouble else 409)


# --- clarification --------------------------------------------------------------------------
async def clarify(request: Request) -> Response:
    ref = request.path_params["ref"]
    text = field(request, "text")
    try:
        if not text.strip():
            raise UsageError("write your clarification first")
        if field(request, "confirm") != "yes":
            out = await call(request, followup.clarification_letter, ref, text)
            return render(request, "confirm.html.j2", title="Send this clarification?",
                          action=f"/r/{ref}/clarify", back=f"/r/{ref}", to=out.to,
                          subject=str(out.message["Subject"]),
                          body=_body(out.message), hidden={"text": text})
        report = await call(request, followup.clarify, ref, text)
    except UsageError as exc:
        return await request_page(request, ref, error=str(exc), values=_values(request),
                                  status=400)
    if not report.sent:
        error, status = _refused(report)
        return await request_page(request, ref, error=error, values=_values(request),
                                  status=status)
    return see(f"/r/{ref}?ok=clarified")


def _body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    return part.get_content() if isinstance(part, EmailMessage) else ""


# --- drafts ---------------------------------------------------------------------------------
async def draft_list(request: Request) -> Response:
    found = await call(request, lambda app: drafts.list_drafts(app))
    return render(request, "drafts.html.j2", drafts=found)


async def draft(request: Request) -> Response:
    p = request.path_params
    found = await call(request, drafts.read_draft, p["ref"], p["key"])
    return render(request, "draft.html.j2", draft=found, error="")


async def draft_save(request: Request) -> Response:
    p = request.path_params
    try:
        await call(request, drafts.edit_draft, p["ref"], p["key"], field(request, "body"))
    except UsageError as exc:
        found = await call(request, drafts.read_draft, p["ref"], p["key"])
        return render(request, "draft.html.j2", 400, draft=found, error=str(exc))
    return see(f"/r/{p['ref']}/draft/{p['key']}?ok=saved")


def _send_draft(app: App, reference: str, key: str, anyway: bool) -> Report:
    return drafts.send_draft(app, reference, key, anyway=anyway)


async def draft_send(request: Request) -> Response:
    p = request.path_params
    anyway = field(request, "anyway") == "yes"
    try:
        if field(request, "confirm") != "yes":
            out = await call(request, drafts.draft_letter, p["ref"], p["key"], anyway=anyway)
            return render(request, "confirm.html.j2", title="Send this letter?",
                          action=f"/r/{p['ref']}/draft/{p['key']}/send",
                          back=f"/r/{p['ref']}/draft/{p['key']}", to=out.to,
                          subject=str(out.message["Subject"]), body=_body(out.message),
                          hidden={"anyway": "yes" if anyway else ""})
        report = await call(request, _send_draft, p["ref"], p["key"], anyway)
    except UsageError as exc:
        found = await call(request, drafts.read_draft, p["ref"], p["key"])
        return render(request, "draft.html.j2", 400, draft=found, error=str(exc))
    if not report.sent:
        found = await call(request, drafts.read_draft, p["ref"], p["key"])
        error, status = _refused(report)
        return render(request, "draft.html.j2", status, draft=found, error=error)
    return see(f"/r/{p['ref']}?ok=sent")


# --- events and figures ---------------------------------------------------------------------
def _day(text: str, what: str) -> date | None:
    return parse_when(text, what=what) if text.strip() else None


async def record(request: Request) -> Response:
    ref = request.path_params["ref"]
    try:
        await call(request, record_mod.record, ref, field(request, "event"),
                   on=_day(field(request, "on"), "on"), note=field(request, "note"),
                   until=_day(field(request, "until"), "until"),
                   kind=field(request, "kind") or None)
    except UsageError as exc:
        return await request_page(request, ref, error=str(exc), values=_values(request),
                                  status=400)
    return see(f"/r/{ref}?ok=recorded")


async def answer(request: Request) -> Response:
    ref = request.path_params["ref"]
    pairs = [line.strip() for line in field(request, "figures").splitlines() if line.strip()]
    try:
        await call(request, record_mod.answer, ref, pairs)
    except UsageError as exc:
        return await request_page(request, ref, error=str(exc), values=_values(request),
                                  status=400)
    return see(f"/r/{ref}?ok=answered")


routes = [
    Route("/r/{ref}/clarify", clarify, methods=["POST"]),
    Route("/drafts", draft_list, methods=["GET"]),
    Route("/r/{ref}/draft/{key}", draft, methods=["GET"]),
    Route("/r/{ref}/draft/{key}", draft_save, methods=["POST"]),
    Route("/r/{ref}/draft/{key}/send", draft_send, methods=["POST"]),
    Route("/r/{ref}/record", record, methods=["POST"]),
    Route("/r/{ref}/answer", answer, methods=["POST"]),
]
