"""Webhook notifications: what happened, told to Slack, Mattermost or any JSON endpoint.

Events worth interrupting someone for: a substantive reply, a request for clarification, a
bounce, a deadline passed, a chaser (or review letter) sent, a letter drafted for checking.
Jobs turn what they did, or what the event log shows, into :class:`Notification` values (pure
functions below); :func:`enqueue` writes them to ``service.json`` *before* any
delivery is tried, and :func:`deliver` posts them, removing each only when every configured
webhook has answered 2xx. So a dead webhook loses nothing (the event waits for the next run)
and never holds up polling or chasing (delivery is its own job), and a webhook that answers
500 and then 200 gets the event once: delivery is tracked per (notification, webhook).

Tables in ``service.json``::

    outbox     {id, notification, queued, attempts, delivered: [webhook key], last_error}
    notified   {id, at}   every notification ever produced, so none is produced twice

A webhook is known in state by a hash of its URL (:attr:`Webhook.key`): Slack-style URLs carry
their secret in the path, and neither state nor logs should hold it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from foibot.app import App
from foibot.campaign import Request
from foibot.errors import ConfigError
from foibot.letters.render import long_date
from foibot.rules.status import SUBSTANTIVE
from foibot.timeutil import from_iso, iso_utc

if TYPE_CHECKING:
    from foibot.letters.chasers import ChaseOutcome

EVENTS = ("reply", "clarification", "bounce", "deadline_passed", "chaser_sent", "letter_sent",
          "drafted")
BACKOFF_SECONDS = 0.2

_LETTERS = {
    "review": "Internal review request",
    "ico": "Complaint to the ICO",
    "sic": "Application to the Scottish Information Commissioner",
}
_KIND_WORDS = {
    "successful": "successful",
    "partially_successful": "partially successful",
    "not_held": "information not held",
    "rejected": "rejected",
    "review_outcome": "internal review outcome",
}
# Reply kinds that are news: an answer, a question back to us, a letter that did not arrive.
_REPLY_EVENTS = {**{kind: "reply" for kind in (*SUBSTANTIVE, "review_outcome")},
                 "clarification": "clarification", "bounce": "bounce"}


@dataclass(frozen=True)
class Notification:
    id: str            # stable: the same happening always gets the same id
    event: str         # one of EVENTS
    campaign: str
    reference: str
    force: str         # force id
    force_name: str
    kind: str | None   # the reply kind, the chaser's letter key, ...
    at: datetime
    text: str          # one human line, e.g. "Kent Police answered FOI-7KQ2M: rejected (s.12)"

    def payload(self) -> dict[str, Any]:
        """The plain JSON form (the ``json`` webhook format and the queued record)."""
        return {"id": self.id, "event": self.event, "campaign": self.campaign,
                "reference": self.reference, "force": self.force, "force_name": self.force_name,
                "kind": self.kind, "at": iso_utc(self.at), "text": self.text}

    @classmethod
    def from_payload(cls, doc: Mapping[str, Any]) -> Notification:
        return cls(doc["id"], doc["event"], doc["campaign"], doc["reference"], doc["force"],
                   doc["force_name"], doc.get("kind"), from_iso(doc["at"]), doc["text"])


def _about(request: Request, event: str, key: str, kind: str | None, at: datetime,
           text: str) -> Notification:
    return Notification(f"{event}:{request.reference}:{key}", event, request.campaign,
                        request.reference, request.force.id, request.force.name, kind, at, text)


# --- what is news (pure) ----------------------------------------------------------------------
def from_reply(request: Request, data: Mapping[str, Any], at: datetime) -> Notification | None:
    """A filed reply as news, or None for acknowledgements, auto-replies and the like."""
    kind = str(data.get("kind") or "")
    event = _REPLY_EVENTS.get(kind)
    if event is None:
        return None
    name, ref = request.force.name, request.reference
    if event == "reply":
        sections = ", ".join(f"s.{s}" for s in data.get("sections") or [])
        text = f"{name} answered {ref}: {_KIND_WORDS[kind]}" + (f" ({sections})" if sections else "")
    elif event == "clarification":
        text = f"{name} asked for clarification of {ref}"
    else:
        why = data.get("bounce_reason") or data.get("failed_recipient") or "undeliverable"
        text = f"The letter to {name} for {ref} bounced: {why}"
    return _about(request, event, str(data.get("message")), kind, at, text)


def deadline_passed(request: Request, due: date, at: datetime) -> Notification:
    """Once per request per deadline: a later, moved deadline is news again."""
    return _about(request, "deadline_passed", due.isoformat(), None, at,
                  f"{request.force.name} missed the deadline for {request.reference}"
                  f" (due {long_date(due)})")


def letter_name(key: str) -> str:
    """``chaser-2`` -> "Chaser 2", ``review`` -> "Internal review request", ..."""
    if key.startswith("chaser-"):
        return f"Chaser {key.removeprefix('chaser-')}"
    return _LETTERS.get(key, f"Letter {key!r}")


def from_chase(outcome: ChaseOutcome, at: datetime) -> Notification | None:
    """A chaser or review letter sent, or a letter drafted for the user to check; else None."""
    d = outcome.decision
    if outcome.result not in ("sent", "drafted") or not d.key:
        return None
    name = d.force_name or d.force
    if outcome.result == "drafted":
        event = "drafted"
        text = (f"{letter_name(d.key)} for {d.reference} ({name}) drafted: check it, then"
                f" foibot send-draft {d.reference} {d.key}")
    else:
        event = "chaser_sent" if d.action == "chaser" else "letter_sent"
        text = f"{letter_name(d.key)} sent for {d.reference} ({name})"
    return Notification(f"{event}:{d.reference}:{d.key}", event, outcome.campaign, d.reference,
                        d.force, name, d.key, at, text)


REPLY_LOOKBACK = timedelta(days=3)


def recent_replies(app: App, *, since: datetime) -> list[Notification]:
    """The news in every reply filed since ``since``, read from the event log.

    Reading the log rather than one poll's result means a process killed between filing a
    reply and queuing its news loses nothing: the next poll finds the reply and ``enqueue``
    (which remembers every notification ever made) queues it once.
    """
    found = []
    for name in app.campaigns.names():
        for request in app.campaigns.requests(name):
            for event in request.events:
                if event.type == "reply" and event.at >= since:
                    note = from_reply(request, event.data, event.at)
                    if note is not None:
                        found.append(note)
    return found


# --- webhooks ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Webhook:
    url: str
    format: str = "json"   # "slack", "mattermost" or "json"

    @property
    def key(self) -> str:
        return hashlib.sha256(self.url.encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        """Where it goes, without the secret part of the URL (for logs and messages)."""
        url = httpx.URL(self.url)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    def body(self, note: Notification) -> dict[str, Any]:
        if self.format == "slack":
            # Slack reads &, < and > as markup; everything else is plain text.
            text = note.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return {"text": text}
        if self.format == "mattermost":
            return {"text": note.text}
        return note.payload()


@dataclass(frozen=True)
class Settings:
    webhooks: tuple[Webhook, ...]
    timeout_seconds: float
    tries: int

    @classmethod
    def from_app(cls, app: App) -> Settings:
        section = app.config.section("notify")
        hooks = tuple(Webhook(h["url"], h.get("format", "json")) for h in section["webhooks"] or [])
        for i, hook in enumerate(hooks):
            try:
                url = httpx.URL(hook.url)
            except httpx.InvalidURL:
                url = None
            if url is None or url.scheme not in ("http", "https") or not url.host:
                where = app.config.path.name if app.config.path else "config"
                # the URL itself is not repeated: its path is often the webhook's secret
                raise ConfigError(f"{where}: [notify] webhooks[{i}] url: expected an http(s) URL")
        return cls(hooks, float(section["timeout_seconds"]), 1 + max(0, section["retries"]))


def post(client: httpx.Client, hook: Webhook, note: Notification, *, tries: int,
         sleep: Callable[[float], None] = time.sleep) -> str | None:
    """POST one notification; None on a 2xx, else why not (after ``tries`` attempts).

    Server errors, 429 and network failures are retried with a short backoff inside the run;
    any other answer (a 404 from a deleted hook) is not, but the event still stays queued.
    """
    why = "not tried"
    for attempt in range(tries):
        if attempt:
            sleep(BACKOFF_SECONDS * 2 ** (attempt - 1))
        try:
            response = client.post(hook.url, json=hook.body(note))
        except httpx.HTTPError as exc:
            why = f"{hook.label}: {type(exc).__name__}: {exc}" if str(exc) else \
                f"{hook.label}: {type(exc).__name__}"
            continue
        if response.is_success:
            return None
        why = f"{hook.label}: HTTP {response.status_code}"
        if response.status_code < 500 and response.status_code != 429:
            break
    return why


# --- the queue --------------------------------------------------------------------------------
def enqueue(app: App, notes: Iterable[Notification]) -> int:
    """Queue notifications durably, each at most once ever; returns how many were news.

    With no webhook configured nothing is queued (adding one later must not flood it with old
    news), but the notifications are still remembered as produced.
    """
    notes = list(notes)
    if not notes:
        return 0
    hooks = Settings.from_app(app).webhooks
    new = 0
    with app.store.db(app.store.service_path) as db:
        produced = db.table("notified")
        seen = {doc["id"] for doc in produced.all()}
        outbox = db.table("outbox")
        for note in notes:
            if note.id in seen:
                continue
            seen.add(note.id)
            new += 1
            produced.insert({"id": note.id, "at": iso_utc(note.at)})
            if hooks:
                outbox.insert({"id": note.id, "notification": note.payload(),
                               "queued": iso_utc(app.now()), "attempts": 0, "delivered": [],
                               "last_error": None})
    return new


def pending(app: App) -> list[dict[str, Any]]:
    """Queued notifications, oldest first."""
    with app.store.db(app.store.service_path, write=False) as db:
        return [dict(doc) for doc in db.table("outbox").all()]


@dataclass
class DeliveryReport:
    delivered: int = 0                       # (notification, webhook) pairs answered 2xx
    pending: int = 0                         # notifications still queued after the run
    failed: dict[str, str] = field(default_factory=dict)   # webhook label -> why

    def fields(self) -> dict[str, Any]:
        values: dict[str, Any] = {"delivered": self.delivered, "pending": self.pending}
        if self.failed:
            values["failed"] = len(self.failed)
            values["error"] = "; ".join(self.failed.values())
        return values


def _record(app: App, note_id: str, *, delivered_to: str | None = None,
            error: str | None = None) -> None:
    """Write one delivery or failure at once, so a crash never makes a delivered event pending."""
    with app.store.db(app.store.service_path) as db:
        outbox = db.table("outbox")
        for doc in outbox.all():
            if doc["id"] != note_id:
                continue
            if delivered_to is not None and delivered_to not in doc["delivered"]:
                outbox.update({"delivered": [*doc["delivered"], delivered_to]}, doc_ids=[doc.doc_id])
            if error is not None:
                outbox.update({"attempts": doc["attempts"] + 1, "last_error": error},
                              doc_ids=[doc.doc_id])


def _settle(app: App, keys: set[str]) -> int:
    """Drop notifications every configured webhook has; returns how many remain."""
    with app.store.db(app.store.service_path) as db:
        outbox = db.table("outbox")
        done = [doc.doc_id for doc in outbox.all() if keys <= set(doc["delivered"])]
        if done:
            outbox.remove(doc_ids=done)
        return len(outbox)


def deliver(app: App) -> DeliveryReport:
    """Post every queued notification to every webhook that does not have it yet.

    A webhook that fails once in a run is not tried again in that run, so a dead endpoint
    costs one timeout per run, not one per notification.
    """
    settings = Settings.from_app(app)
    report = DeliveryReport()
    queue = pending(app)
    if not settings.webhooks:
        report.pending = len(queue)
        return report
    dead: set[str] = set()
    with httpx.Client(timeout=settings.timeout_seconds) as client:
        for doc in queue:
            note = Notification.from_payload(doc["notification"])
            for hook in settings.webhooks:
                if hook.key in doc["delivered"] or hook.key in dead:
                    continue
                why = post(client, hook, note, tries=settings.tries)
                if why is None:
                    _record(app, note.id, delivered_to=hook.key)
                    report.delivered += 1
                else:
                    _record(app, note.id, error=why)
                    dead.add(hook.key)
                    report.failed[hook.label] = why
    report.pending = _settle(app, {h.key for h in settings.webhooks})
    return report


def send_test(app: App, *, at: datetime) -> list[tuple[Webhook, str | None]]:
    """Post a test message to every webhook now (not queued): (webhook, None or why not)."""
    settings = Settings.from_app(app)
    note = Notification("test", "test", "", "", "", "", None, at,
                        "foibot test notification: this webhook works")
    with httpx.Client(timeout=settings.timeout_seconds) as client:
        return [(hook, post(client, hook, note, tries=settings.tries))
                for hook in settings.webhooks]
