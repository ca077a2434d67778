"""Turning a campaign into letters, and sending them as one batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from foibot.app import App
from foibot.errors import UsageError
from foibot.letters import render as letters_mod
from foibot.letters.render import Letters
from foibot.mail.inflight import alive
from foibot.mail.outbox import Outgoing, Report
from foibot.mail.smtp import compose
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
        raw = compose(
            sender=sender, to=request.email, subject=letter.subject, body=letter.body,
            reference=request.reference,
            message_id=f"<preview.{request.reference}@{sender.domain}>",
            date=now,
        )
        batch.letters.append(Outgoing(request, "request", raw, request.email, letter.subject))
    return batch


@dataclass
class Plan:
    """What :func:`send` would do now, without doing it: the letters it would send, and the
    rest as a real run would report them."""

    going: list[Outgoing]
    report: Report

    def summary(self) -> str:
        """``would send 3, skipped 41 (already sent 40, already failed 1)``."""
        r = self.report
        line = f"would send {len(self.going)}"
        if r.failed:
            line += f", would fail {len(r.failed)} (no known address)"
        if r.skipped:
            why: dict[str, int] = {}
            for _, reason in r.skipped:
                why[reason] = why.get(reason, 0) + 1
            line += f", skipped {len(r.skipped)} (" + ", ".join(
                f"{reason} {n}" for reason, n in sorted(why.items(),
                                                       key=lambda item: (-item[1], item[0]))) + ")"
        if r.uncertain:
            line += f", uncertain {len(r.uncertain)} (sent again only with --resend-uncertain)"
        return line


def plan(batch: Batch, *, resend_uncertain: bool = False) -> Plan:
    """Sort the batch's letters as :func:`send` and the outbox would: never-sent letters go;
    sent and failed ones are skipped; an interrupted one is uncertain (it goes only with
    ``resend_uncertain``) unless a live process is sending it; no address is a failure."""
    report = Report()
    going: list[Outgoing] = []
    for out in batch.letters:
        ref = out.request.reference
        st = letter_state(out.request, out.key)
        if st.state in ("sent", "failed"):
            report.skipped.append((ref, f"already {st.state}"))
        elif st.state == "pending" and alive(st):
            report.skipped.append((ref, "being sent by another foibot process"))
        elif st.state == "pending" and not resend_uncertain:
            report.uncertain.append((ref, "uncertain: a crash interrupted sending; check the "
                                          "force's mailbox or use --resend-uncertain"))
        else:
            going.append(out)
    for request in batch.unreachable:
        report.failed.append((request.reference, f"{request.force.name}: no known FOI address"))
    return Plan(going, report)


def dry_run(app: App, batch: Batch, *, resend_uncertain: bool = False) -> tuple[Plan, Path]:
    """What a real send would do, with the exact messages it would send written as .eml files
    under the state dir; connects to nothing."""
    found = plan(batch, resend_uncertain=resend_uncertain)
    folder = app.store.dry_run_dir(batch.campaign.name)
    for out in found.going:
        atomic_write_bytes(folder / f"{out.request.force.id}.eml", out.raw)
    return found, folder


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
