"""Letters after the first: clarifications, chasers, internal reviews, regulator complaints.

They go through the same exactly-once outbox as the request letters, threaded to the
conversation (``In-Reply-To``/``References``), with ``Re:`` the original subject and both
references in it, to the force's FOI address or the FOI team's address that last wrote.
"""

from __future__ import annotations

from typing import Any, Mapping

from foibot.app import App
from foibot.errors import UsageError
from foibot.letters import render as letters_mod
from foibot.letters.render import Letters
from foibot.mail.outbox import Outgoing, Report
from foibot.mail.smtp import compose
from foibot.model import Request
from foibot.rules.status import derive, replies
from foibot.timeutil import london_date


def original(request: Request) -> tuple[str | None, str | None]:
    """(Message-ID, subject) of the request letter as sent."""
    sent_ids = {e.data.get("message_id") for e in request.events
                if e.type == "sent" and e.data.get("key") == "request"}
    for event in reversed(request.events):
        if event.type == "sending" and event.data.get("key") == "request" and \
                event.data.get("message_id") in sent_ids:
            return event.data.get("message_id"), event.data.get("subject")
    return None, None


def reply_address(request: Request) -> str | None:
    """The address to write to: the FOI team's last reply address on the force's domain, else
    the force's FOI address. Bounces and out-of-office senders never count."""
    domain = (request.email or "").rpartition("@")[2].lower()
    core = domain.removesuffix(".pnn.police.uk").removesuffix(".police.uk")
    for event in reversed(request.events):
        if event.type != "reply" or event.data.get("kind") in ("bounce", "auto_reply"):
            continue
        sender = (event.data.get("from") or "").lower()
        their = sender.rpartition("@")[2]
        if sender and "noreply" not in sender and "no-reply" not in sender and core and \
                their.removesuffix(".pnn.police.uk").removesuffix(".police.uk") == core:
            return sender
    return request.email


def build(
    app: App,
    request: Request,
    kind: str,
    key: str,
    extra: Mapping[str, Any],
    *,
    in_reply_to: str | None = None,
    to: str | None = None,
) -> Outgoing:
    campaign = app.campaigns.get(request.campaign)
    sender = app.config.sender
    now = app.now()
    status = derive(request, london_date(now))
    orig_id, orig_subject = original(request)
    refs = [request.reference] + ([status.force_reference] if status.force_reference else [])
    ctx = letters_mod.context(
        force=request.force, sender=sender, reference=request.reference,
        today=london_date(now), variables=campaign.variables, campaign=campaign.name,
        extra={
            "force_reference": status.force_reference,
            "references": " / ".join(refs),
            "original_date": letters_mod.long_date(status.sent) if status.sent else None,
            "original_subject": orig_subject,
            "due": letters_mod.long_date(status.due) if status.due else None,
            "working_days_late": status.standing.working_days_late if status.standing else 0,
            "deadline_explanation": list(status.deadline.explain()) if status.deadline else [],
            "sections": list(status.outcome.event.data.get("sections", [])) if status.outcome else [],
            "outcome": status.outcome.kind if status.outcome else None,
            "chasers_sent": len(status.chasers),
            **extra,
        },
    )
    letter = Letters(campaign.template).render(kind, ctx)
    subject = letter.subject
    if orig_subject and kind in ("chaser", "clarify"):
        subject = f"Re: {orig_subject}"
        if status.force_reference and status.force_reference not in subject:
            subject += f" (your ref {status.force_reference})"
    address = to or reply_address(request)
    if not address:
        raise UsageError(f"{request.reference}: no address for {request.force.name}")
    thread = [m for m in (orig_id, in_reply_to) if m]
    raw = compose(
        sender=sender, to=address, subject=subject, body=letter.body,
        reference=request.reference, message_id="<pending@foibot>", date=now,
        in_reply_to=in_reply_to or orig_id, references=list(dict.fromkeys(thread)),
    )
    return Outgoing(request, key, raw, address, subject)


def send(app: App, campaign: str, letters: list[Outgoing]) -> Report:
    with app.outbox(campaign) as outbox:
        return outbox.send_all(letters)


def clarification_letter(app: App, reference: str, text: str) -> Outgoing:
    """Our answer to the force's latest clarification question, threaded to it.

    Its key names the question it answers (``clarify-1`` for the first question, ...), so
    running ``clarify`` twice for one question sends one letter. A request that is not waiting
    on a clarification is refused: a stray clarification would restart the clock.
    """
    request = app.campaigns.find(reference)
    status = derive(request, london_date(app.now()))
    if status.state != "clarification":
        raise UsageError(f"{request.reference} is not waiting on a clarification "
                         f"(state: {status.state}); use `foibot record` for other letters")
    questions = [r.event for r in replies(request.events) if r.kind == "clarification"]
    question = questions[-1]
    return build(app, request, "clarify", f"clarify-{len(questions)}",
                 {"clarification": text.strip()},
                 in_reply_to=question.data.get("message_id"), to=question.data.get("from"))


def clarify(app: App, reference: str, text: str) -> Report:
    """Send our clarification, threaded to the force's question; it restarts the clock."""
    out = clarification_letter(app, reference, text)
    return send(app, out.request.campaign, [out])
