"""Campaigns and their requests: one request per force, each with a short reference.

A campaign is one question sent to a group of forces. Its file holds the campaign's settings,
one document per request (the force's facts as they were when the campaign was made) and the
append-only events of every request.
"""

from __future__ import annotations

import re
import secrets
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from foibot.errors import StateError, UsageError
from foibot.events import Event
from foibot.registry import Force, Registry
from foibot.store import Store
from foibot.timeutil import from_iso, iso_utc

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
# Crockford's base32: no I, L, O, U, so a reference survives being read aloud or retyped.
REF_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
REF_PREFIX = "FOI-"
REF_LENGTH = 5


def new_reference(taken: set[str]) -> str:
    while True:
        ref = REF_PREFIX + "".join(secrets.choice(REF_ALPHABET) for _ in range(REF_LENGTH))
        if ref not in taken:
            return ref


@dataclass(frozen=True)
class Campaign:
    name: str
    created: datetime
    group: str
    template: str | None          # a request template file chosen by the user; None = shipped
    variables: dict[str, str]

    def to_doc(self) -> dict[str, Any]:
        return {"name": self.name, "created": iso_utc(self.created), "group": self.group,
                "template": self.template, "variables": self.variables}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "Campaign":
        return cls(doc["name"], from_iso(doc["created"]), doc["group"], doc.get("template"),
                   dict(doc.get("variables", {})))


@dataclass(frozen=True)
class Request:
    reference: str
    campaign: str
    force: Force
    events: tuple[Event, ...] = field(default=(), compare=False)

    @property
    def email(self) -> str | None:
        """The address letters go to: the latest ``address_changed``, else the force's."""
        for event in reversed(self.events):
            if event.type == "address_changed":
                return event.data.get("email")
        return self.force.email

    def to_doc(self) -> dict[str, Any]:
        f = self.force
        return {"reference": self.reference, "campaign": self.campaign, "force": f.id,
                "name": f.name, "nation": f.nation, "regime": f.regime, "email": f.email,
                "email_source": f.email_source}

    @classmethod
    def from_doc(cls, doc: dict[str, Any], events: Sequence[Event] = ()) -> "Request":
        force = Force(doc["force"], doc["name"], doc.get("nation", ""), doc["regime"],
                      doc.get("email"), doc.get("email_source", ""))
        return cls(doc["reference"], doc["campaign"], force, tuple(events))


class Campaigns:
    """Campaign files in a state dir."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def names(self) -> list[str]:
        folder = self.store.root / "campaigns"
        return sorted(p.stem for p in folder.glob("*.json")) if folder.exists() else []

    def _path(self, name: str) -> Path:
        path = self.store.campaign_path(name)
        if not path.exists():
            known = ", ".join(self.names()) or "none yet"
            raise UsageError(f"no such campaign: {name!r} (campaigns: {known})")
        return path

    def all_references(self) -> set[str]:
        refs: set[str] = set()
        for name in self.names():
            with self.store.db(self.store.campaign_path(name), write=False) as db:
                refs.update(doc["reference"] for doc in db.table("requests").all())
        return refs

    def create(
        self,
        name: str,
        *,
        forces: Iterable[Force],
        group: str,
        template: str | None,
        variables: dict[str, str],
        now: datetime,
    ) -> tuple[Campaign, list[Request]]:
        if not NAME_RE.match(name):
            raise UsageError(
                f"campaign name {name!r}: use lower-case letters, digits, '-', '_' or '.'"
            )
        self.store.ensure()
        path = self.store.campaign_path(name)
        with self.store.locked():
            if path.exists():
                raise UsageError(f"campaign {name!r} already exists")
            taken = self.all_references()
            campaign = Campaign(name, now, group, template, dict(variables))
            requests = []
            for force in forces:
                ref = new_reference(taken)
                taken.add(ref)
                requests.append(Request(ref, name, force))
            with self.store._open(path, writable=True) as db:
                db.table("campaign").insert(campaign.to_doc())
                db.table("requests").insert_multiple(r.to_doc() for r in requests)
                events = db.table("events")
                events.insert_multiple(
                    Event(i + 1, r.reference, "created", now,
                          {"force": r.force.id, "email": r.force.email}).to_doc()
                    for i, r in enumerate(requests)
                )
        return campaign, requests

    def get(self, name: str) -> Campaign:
        with self.store.db(self._path(name), write=False) as db:
            docs = db.table("campaign").all()
        if not docs:
            raise StateError(f"{self.store.campaign_path(name)}: campaign record missing")
        with self._decoding(name):
            return Campaign.from_doc(docs[0])

    @contextmanager
    def _decoding(self, name: str) -> Iterator[None]:
        """A state file that is valid JSON but not foibot's shape is reported, not a crash."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"{self.store.campaign_path(name)}: state file has an unexpected "
                             f"shape ({type(exc).__name__}: {exc}); nothing was changed") from None

    def requests(self, name: str) -> list[Request]:
        """Every request of the campaign, each with its events in order."""
        with self.store.db(self._path(name), write=False) as db, self._decoding(name):
            docs = sorted(db.table("requests").all(), key=lambda d: d.doc_id)
            events = [Event.from_doc(e) for e in db.table("events").all()]
            by_ref: dict[str, list[Event]] = {}
            for event in sorted(events, key=lambda e: e.seq):
                by_ref.setdefault(event.request, []).append(event)
            return [Request.from_doc(d, by_ref.get(d["reference"], ())) for d in docs]

    def find(self, reference: str) -> Request:
        """The request with this reference, in any campaign (case-insensitive)."""
        wanted = reference.strip().upper()
        for name in self.names():
            for req in self.requests(name):
                if req.reference == wanted:
                    return req
        raise UsageError(f"no such request: {reference!r}")

    def transact(
        self,
        campaign: str,
        decide: Callable[[list[Request]], Iterable[tuple[str, str, dict[str, Any]]]],
        *,
        now: datetime,
    ) -> list[Event]:
        """Append the events ``decide`` returns, deciding on the state read under the lock.

        This is how "at most once" is kept across processes: the check ("no chaser for step 1
        yet") and the write ("chaser 1 is being sent") happen in one locked transaction.
        """
        path = self._path(campaign)
        with self.store.db(path) as db:
            table = db.table("events")
            with self._decoding(campaign):
                docs = sorted(db.table("requests").all(), key=lambda d: d.doc_id)
                all_events = sorted((Event.from_doc(e) for e in table.all()),
                                    key=lambda e: e.seq)
                by_ref: dict[str, list[Event]] = {}
                for event in all_events:
                    by_ref.setdefault(event.request, []).append(event)
                requests = [Request.from_doc(d, by_ref.get(d["reference"], ())) for d in docs]
            seq = all_events[-1].seq if all_events else 0
            added = []
            for reference, type_, data in decide(requests):
                seq += 1
                added.append(Event(seq, reference, type_, now, data))
            if added:
                table.insert_multiple(e.to_doc() for e in added)
        return added

    def append(self, campaign: str, entries: Iterable[tuple[str, str, dict[str, Any]]],
               *, now: datetime) -> list[Event]:
        """Append events ``(reference, type, data)`` in one locked, atomic write."""
        entries = list(entries)
        return self.transact(campaign, lambda _: entries, now=now)

    def append_one(self, campaign: str, reference: str, type_: str, data: dict[str, Any],
                   *, now: datetime) -> Event:
        return self.append(campaign, [(reference, type_, data)], now=now)[0]


def registry_for(config_forces: dict[str, Any] | None) -> Registry:
    return Registry.from_config(config_forces)
