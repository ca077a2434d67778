"""A person's look at the replies: what needs review, marking a kind, filing from triage.

foibot acts only on replies it understood (see :mod:`foibot.rules.status`); everything else
waits here. :func:`queue` lists the replies that need a person, oldest first, with the evidence
and the first lines of each; :func:`mark` confirms or corrects the latest reply of a request
(and keeps it as a labelled example, so the force's next letter in the same style is read
right); :func:`assign` files a message from triage under a request, and :func:`candidates`
lists the requests it most likely belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from foibot import suggest
from foibot.app import App
from foibot.errors import FoibotError, UsageError
from foibot.mail import parse as mailparse
from foibot.mail.inbox import all_requests, file_replies, match_index, reply_event
from foibot.mail.readers import read
from foibot.model import Event, Request
from foibot.rules.kinds import KINDS
from foibot.rules.matching import Match, forces_of_sender, references_in
from foibot.rules.status import derive, is_open, replies
from foibot.store import StoredMessage
from foibot.timeutil import from_iso, london_date

PREVIEW_LINES = 4


@dataclass(frozen=True)
class Item:
    """A reply that waits for a person."""

    campaign: str
    reference: str
    force: str
    force_name: str
    day: date
    kind: str               # foibot's proposed reading
    confidence: float
    evidence: tuple[str, ...]
    sender: str
    subject: str
    preview: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"campaign": self.campaign, "reference": self.reference, "force": self.force,
                "force_name": self.force_name, "date": self.day.isoformat(),
                "kind": self.kind, "confidence": self.confidence,
                "evidence": list(self.evidence), "from": self.sender,
                "subject": self.subject, "preview": list(self.preview)}


def queue(app: App, campaign: str | None = None) -> list[Item]:
    """Replies that need review, oldest first."""
    today = london_date(app.now())
    names = [campaign] if campaign else app.campaigns.names()
    items = []
    for name in names:
        for request in app.campaigns.requests(name):
            status = derive(request, today)
            reply = status.unreviewed
            if reply is None:
                continue
            data = reply.event.data
            items.append(Item(
                name, request.reference, request.force.id, request.force.name, reply.day,
                reply.kind, float(data.get("confidence", 0.0)),
                tuple(data.get("evidence") or ()), str(data.get("from") or ""),
                str(data.get("subject") or ""), tuple(preview(app, data.get("message")))))
    return sorted(items, key=lambda item: (item.day, item.campaign, item.reference))


def preview(app: App, sha: str | None, lines: int = PREVIEW_LINES) -> list[str]:
    """The first non-empty lines of a stored reply's own words."""
    if not sha:
        return []
    try:
        parsed = mailparse.parse(app.store.mail.raw(sha))
    except FoibotError:
        return ["(the message cannot be read from the store)"]
    text = parsed.new_text or next((a.text for a in parsed.attachments if a.text), "") or ""
    return [line.strip() for line in text.splitlines() if line.strip()][:lines]


def mark(app: App, reference: str, kind: str, *, note: str = "", by_post: bool = False) -> Event:
    """Confirm or correct the kind of a request's latest reply.

    A request with no reply cannot be marked (that would silently turn "overdue" into
    "responded"); a reply that came by post is recorded as one with ``by_post``.
    """
    kind = suggest.choose("kind", kind, KINDS)
    request = app.campaigns.find(reference)
    found = replies(request.events)
    if by_post:
        return app.campaigns.append_one(request.campaign, request.reference, "reply_by_post",
                                        {"kind": kind, "note": note}, now=app.now())
    if not found:
        raise UsageError(
            f"{request.reference} has no reply to mark; for a reply that came by post: "
            f"foibot record {request.reference} reply_by_post --kind {kind} "
            f"(or foibot mark {request.reference} {kind} --by-post)")
    latest = found[-1]
    event = app.campaigns.append_one(
        request.campaign, request.reference, "marked",
        {"kind": kind, "note": note, "reply": latest.event.seq, "was": latest.kind},
        now=app.now())
    _learn(app, request, latest.event, kind)
    return event


def _learn(app: App, request: Request, reply: Event, kind: str) -> None:
    """Keep the reply's words as a labelled example of the force's house style."""
    sha = reply.data.get("message")
    if not sha:
        return
    try:
        parsed = mailparse.parse(app.store.mail.raw(sha))
    except FoibotError:
        return
    from foibot.rules import classify as classify_mod

    text = classify_mod.own_words(parsed)
    if not text:
        return
    day = london_date(reply.at)
    app.store.examples.add(
        classify_mod.Example(request.force.id, kind, text,
                f"reply of {day.day} {day:%b %Y} ({request.reference})"),
        message=sha, at=app.now())


def filed_messages(app: App) -> dict[str, str]:
    """SHA-256 of every message filed as a reply -> the request it is filed under."""
    found = {}
    for name in app.campaigns.names():
        brief = app.campaigns.view(name, brief=True).brief
        for reference, messages in (brief.filed if brief else {}).items():
            found.update(dict.fromkeys(messages, reference))
    return found


def triage(app: App, *, dismissed: bool = False) -> list[StoredMessage]:
    """Messages interpreted but filed under no request (unreadable ones included), less those
    the user dismissed (``dismissed``: those too)."""
    filed = filed_messages(app)
    return [m for m in app.store.mail.messages()
            if m.interpreted is not None and m.sha256 not in filed
            and (dismissed or m.dismissed is None)]


def unfiled_from_forces(app: App, requests: list[Request]) -> dict[str, str]:
    """Request reference -> ``"mail from ADDRESS of 9 Dec"``: the oldest message in triage
    (not dismissed) from the request's force (its domain, or a sender learned for it),
    received after the request was sent. It may be the force's answer, in words foibot could
    not match; the chaser waits for a person to file it or set it aside."""
    index = match_index(app, requests)
    first: dict[str, tuple[str, str]] = {}          # force id -> (received, sender)
    for message in triage(app):
        sender = (message.interpreted or {}).get("from") or ""
        for force_id in forces_of_sender(sender, index) if sender else []:
            if force_id not in first or message.received < first[force_id][0]:
                first[force_id] = (message.received, sender)
    held = {}
    for request in requests:
        found = first.get(request.force.id)
        sent = [e.at for e in request.events
                if e.type == "sent" and e.data.get("key") == "request"]
        if found is None or not sent or from_iso(found[0]) < sent[0]:
            continue
        day = london_date(from_iso(found[0]))
        held[request.reference] = f"mail from {found[1]} of {day.day} {day:%b}"
    return held


def dismiss(app: App, message_keys: list[str], *, note: str = "") -> list[StoredMessage]:
    """Set triaged messages aside as for no request: a newsletter, spam, a stranger's mail.
    They leave triage and stay stored; ``assign`` can still file one later. A message that is
    filed, or not yet interpreted, is refused, and then none is dismissed."""
    filed = filed_messages(app)
    found: dict[str, StoredMessage] = {}
    for message in app.store.mail.find(message_keys):
        if message.sha256 in filed:
            raise UsageError(f"message {message.id} is filed under {filed[message.sha256]}; "
                             "it is not in triage")
        if message.interpreted is None:
            raise UsageError(f"message {message.id} is not interpreted yet: run foibot poll")
        if message.dismissed is None:
            found[message.sha256] = message
    if found:
        app.store.mail.dismiss(list(found.values()), now=app.now(), note=note)
    return list(found.values())


def assign(app: App, message_key: str, reference: str) -> Request:
    """File a triaged message under a request, and learn its sender for that force."""
    message = app.store.mail.get(message_key)
    request = app.campaigns.find(reference)
    raw = app.store.mail.raw(message)
    parsed = mailparse.parse(raw)
    from foibot.rules import classify as classify_mod

    result = classify_mod.classify(parsed, examples=app.store.examples.for_force(
        request.force.id))
    found = Match(request.reference, "assigned", "assigned by the user")
    file_replies(app, request.campaign, [(request.reference,
                                          reply_event(message, read(message.sha256, raw),
                                                      result, found))])
    if parsed.from_addr:
        app.store.mail.learn_sender(parsed.from_addr, request.force.id)
    return request


@dataclass(frozen=True)
class Candidate:
    """A request a triaged message may belong to, and why foibot thinks so."""

    request: Request
    why: str
    score: int


def candidates(app: App, message_key: str, *, limit: int = 6) -> list[Candidate]:
    """The requests a triaged message most likely belongs to, best first: a reference in its
    words, then the force whose domain it came from (open requests before closed ones), then a
    force its words name. The person choosing still decides; this only puts the likely ones
    first so that assigning is one click."""
    message = app.store.mail.get(message_key)
    parsed = mailparse.parse(app.store.mail.raw(message))
    requests = all_requests(app)
    found: dict[str, Candidate] = {}

    def add(request: Request, score: int, why: str) -> None:
        if request.reference not in found or found[request.reference].score < score:
            found[request.reference] = Candidate(request, why, score)

    by_ref = {r.reference: r for r in requests}
    for ref in references_in(f"{parsed.subject}\n{parsed.text}"):
        if ref in by_ref:
            add(by_ref[ref], 4, f"it names {ref}")
    domain = parsed.from_addr.rpartition("@")[2]
    forces = set(match_index(app, requests).force_domains.get(domain, ()))
    learned = app.store.mail.learned_senders().get(parsed.from_addr)
    for request in requests:
        if request.force.id == learned:
            add(request, 3 if is_open(request) else 1, f"{parsed.from_addr} wrote for "
                f"{request.force.name} before")
        elif request.force.id in forces:
            add(request, 2 if is_open(request) else 1, f"sent from {domain}, "
                f"{request.force.name}'s domain")
    words = f"{parsed.subject}\n{parsed.text}".lower()
    for request in requests:
        if request.force.name.lower() in words:
            add(request, 1, f"it mentions {request.force.name}")
    ranked = sorted(found.values(), key=lambda c: (-c.score, c.request.force.name,
                                                   c.request.campaign))
    return ranked[:limit]
