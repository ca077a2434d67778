"""Webhook notifications: what happened, told to Slack, Mattermost or any JSON endpoint.

Events worth interrupting someone for: a substantive reply, a request for clarification, a
bounce, a deadline passed, a chaser (or review letter) sent, a letter drafted for checking.
Jobs turn what they did, or what the event log shows, into :class:`Notification` values (pure
functions below); :func:`enqueue` writes them to ``service.json`` *before* any
delivery is tried, and :func:`deliver` posts them, removing each only when every configured
webhook has answered 2xx. So a dead webhook loses nothing (the event waits for the next run)
and never holds up polling or chasing (delivery is its own job), and a webhook that answers
500 and then 200 gets the event once: delivery is tracked per (notification, webhook).

The store keeps (see :mod:`foibot.store.service`) the queue of notifications not yet delivered
to every webhook, ``{id, notification, queued, attempts, delivered: [webhook key], last_error}``,
and the id of every notification ever produced, so none is produced twice.

A webhook is known in state by a hash of its URL (:attr:`Webhook.key`): Slack-style URLs carry
their secret in the path, and neither state nor logs should hold it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from foibot.app import App
from foibot.letters.render import long_date
from foibot.model import Request
from foibot.rules.kinds import SUBSTANTIVE
from foibot.settings import Webhook
from foibot.timeutil import from_iso, iso_utc

if TYPE_CHECKING:    # httpx is imported only where a webhook is posted to
    import httpx

    from foibot.letters.chasers import ChaseOutcome

EVENTS = ("reply", "clarification", "bounce", "deadline_passed", "chaser_sent", "letter_sent",
          "drafted", "needs_review")
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
    name, ref = request.force.name, request.reference
    if data.get("needs_review") and kind not in ("bounce", "auto_reply"):
        reading = f" (it reads as {kind.replace('_', ' ')})" if kind != "unknown" else ""
        return _about(request, "needs_review", str(data.get("message")), kind, at,
                      f"{name} replied to {ref}, but foibot is not sure what it says{reading}:"
                      f" check it with foibot review")
    event = _REPLY_EVENTS.get(kind)
    if event is None:
        return None
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
def body(hook: Webhook, note: Notification) -> dict[str, Any]:
    """What a webhook of ``hook.format`` is sent for one notification."""
    if hook.format == "slack":
        # Slack reads &, < and > as markup; everything else is plain text.
        text = note.text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return {"text": text}
    if hook.format == "mattermost":
        return {"text": note.text}
    return note.payload()


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
            response = client.post(hook.url, json=body(hook, note))
        except _http_error() as exc:
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
    return app.store.service.enqueue(((n.id, n.payload(), n.at) for n in notes),
                                     queue=bool(app.config.notify.webhooks), now=app.now())


def pending(app: App) -> list[dict[str, Any]]:
    """Queued notifications, oldest first."""
    return app.store.service.queue()


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


def deliver(app: App) -> DeliveryReport:
    """Post every queued notification to every webhook that does not have it yet.

    A webhook that fails once in a run is not tried again in that run, so a dead endpoint
    costs one timeout per run, not one per notification.
    """
    settings = app.config.notify
    report = DeliveryReport()
    queue = pending(app)
    if not settings.webhooks:
        report.pending = len(queue)
        return report
    dead: set[str] = set()
    import httpx

    with httpx.Client(timeout=settings.timeout_seconds) as client:
        for doc in queue:
            note = Notification.from_payload(doc["notification"])
            for hook in settings.webhooks:
                if hook.key in doc["delivered"] or hook.key in dead:
                    continue
                why = post(client, hook, note, tries=settings.tries)
                if why is None:
                    app.store.service.record_delivery(note.id, delivered_to=hook.key)
                    report.delivered += 1
                else:
                    app.store.service.record_delivery(note.id, error=why)
                    dead.add(hook.key)
                    report.failed[hook.label] = why
    report.pending = app.store.service.settle({h.key for h in settings.webhooks})
    return report


def send_test(app: App, *, at: datetime) -> list[tuple[Webhook, str | None]]:
    """Post a test message to every webhook now (not queued): (webhook, None or why not)."""
    settings = app.config.notify
    note = Notification("test", "test", "", "", "", "", None, at,
                        "foibot test notification: this webhook works")
    import httpx

    with httpx.Client(timeout=settings.timeout_seconds) as client:
        return [(hook, post(client, hook, note, tries=settings.tries))
                for hook in settings.webhooks]


def _http_error() -> type[Exception]:
    import httpx

    return httpx.HTTPError
