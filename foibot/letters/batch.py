"""Turning a campaign into letters, and sending them as one batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from foibot.app import App
from foibot.errors import UsageError
from foibot.letters import render as letters_mod
from foibot.letters.render import Letters
from foibot.mail.outbox import Outgoing, Report
from foibot.mail.smtp import build_message, message_bytes
from foibot.model import Campaign, Request
from foibot.rules.letter_state import letter_state
from foibot.store import atomic_write_bytes
from foibot.timeutil import london_date


@dataclass
class Batch:
    campaign: Campaign
    letters: list[Outgoing]
    unreachable: list[Request] = field(default_factory=list)


def request_letters(app: App, name: str, *, force: str | None = None) -> Batch:
    """Render the request letter of every request (or one force's), before anything is sent.

    Rendering all letters first means a broken template or an undefined variable stops the
    batch before the first letter leaves.
    """
    campaign = app.campaigns.get(name)
    requests = app.campaigns.requests(name)
    if force is not None:
        requests = [r for r in requests if r.force.id == force]
        if not requests:
            raise UsageError(f"campaign {name!r} has no request to force {force!r}")
    sender = app.config.sender
    letters = Letters(campaign.template)
    now = app.now()
    batch = Batch(campaign, [])
    for request in requests:
        if not request.email:
            batch.unreachable.append(request)
            continue
        ctx = letters_mod.context(
            force=request.force, sender=sender, reference=request.reference,
            today=london_date(now), variables=campaign.variables, campaign=name,
        )
        letter = letters.render("request", ctx)
        message = build_message(
            sender=sender, to=request.email, subject=letter.subject, body=letter.body,
            reference=request.reference, message_id=f"<preview.{request.reference}@{sender.domain}>",
            date=now,
        )
        batch.letters.append(Outgoing(request, "request", message))
    return batch


def dry_run(app: App, batch: Batch) -> Path:
    """Write the exact messages as .eml files under the state dir; connect to nothing."""
    folder = app.store.dry_run_dir(batch.campaign.name)
    for out in batch.letters:
        atomic_write_bytes(folder / f"{out.request.force.id}.eml", message_bytes(out.message))
    return folder


def send(
    app: App,
    batch: Batch,
    *,
    resend_uncertain: bool = False,
    progress: Callable[[Outgoing, str], None] | None = None,
) -> Report:
    report = Report()
    pending = []
    for out in batch.letters:
        st = letter_state(out.request, out.key)
        if st.state in ("sent", "failed"):
            report.skipped.append((out.request.reference, f"already {st.state}"))
        else:
            pending.append(out)
    if pending:
        with app.outbox(batch.campaign.name) as outbox:
            report.merge(outbox.send_all(pending, resend_uncertain=resend_uncertain,
                                         progress=progress))
    for request in batch.unreachable:
        report.failed.append((request.reference, f"{request.force.name}: no known FOI address"))
    return report
