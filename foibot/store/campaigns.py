"""Campaigns in the state dir: each a folder with its requests, its events and its letters.

::

    campaigns/<name>/campaign.json   the campaign's settings and its requests (TinyDB; written
                                     once, when the campaign is made)
    campaigns/<name>/events.jsonl    every request's events, append-only (see journal.py)
    campaigns/<name>/letter-*.pack   every letter's exact bytes, written before it is sent
    campaigns/<name>/brief.cache     a snapshot of the brief view the poll reads (brief.py)

Recording an event appends one line; it costs the same at 44 requests and at 5,000. Reading
catches up incrementally: a process that holds a :class:`CampaignStore` reads only the events
appended since it last looked, so a send of 5,000 letters, which decides each letter on the
state as it is under the lock, does not re-read the campaign per letter.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from foibot import suggest
from foibot.errors import StateError, UsageError
from foibot.model import NAME_RE, Campaign, Event, Request, new_reference
from foibot.registry import Force
from foibot.store.files import tinydb
from foibot.store import brief as brief_mod
from foibot.store.brief import Brief
from foibot.store.journal import Journal
from foibot.store.pack import Location, Packs
from foibot.timeutil import from_iso

Entry = tuple[str, str, dict[str, Any]]
"""An event to append: ``(reference, type, data)``."""

Lock = Callable[[], AbstractContextManager[None]]


READ_CHUNK = 8 << 20
"""Journals are decoded this many bytes at a time, so that a brief view of a big campaign
never holds every reply in full at once."""


def _event(doc: dict[str, Any]) -> Event:
    return Event(doc["seq"], doc["request"], doc["type"], from_iso(doc["at"]),
                 doc.get("data") or {})


@dataclass
class CampaignView:
    """A campaign as read at one moment: its requests, each with its events in order."""

    name: str
    campaign: Campaign
    docs: dict[str, dict[str, Any]]                 # reference -> request document, in order
    events: dict[str, list[Event]] = field(default_factory=dict)
    last_seq: int = 0
    brief: Brief | None = None      # a brief view's folded replies (see brief.py)

    def references(self) -> list[str]:
        return list(self.docs)

    def get(self, reference: str) -> Request:
        return Request.from_doc(self.docs[reference], self.events.get(reference, ()))

    def requests(self) -> list[Request]:
        return [self.get(ref) for ref in self.docs]

    def __contains__(self, reference: object) -> bool:
        return reference in self.docs


@dataclass
class _Cached:
    meta_stamp: tuple[int, int, int]
    view: CampaignView
    journal: Journal
    brief: bool = False
    snapshot_at: int = 0          # the journal offset of the last brief snapshot


class CampaignStore:
    """The campaigns of one state dir. Writes take the store's lock; reads need none."""

    def __init__(self, root: Path, lock: Lock) -> None:
        self.root = root / "campaigns"
        self._lock = lock
        self._cache: dict[tuple[str, bool], _Cached] = {}

    # --- where things are ----------------------------------------------------------------
    def folder(self, name: str) -> Path:
        return self.root / name

    def _meta_path(self, name: str) -> Path:
        return self.folder(name) / "campaign.json"

    def _journal_path(self, name: str) -> Path:
        return self.folder(name) / "events.jsonl"

    def _snapshot_path(self, name: str) -> Path:
        return self.folder(name) / "brief.cache"

    def _packs(self, name: str) -> Packs:
        return Packs(self.folder(name), prefix="letters")

    # --- listing -------------------------------------------------------------------------
    def names(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.name for p in self.root.iterdir()
                      if p.is_dir() and (p / "campaign.json").exists())

    def exists(self, name: str) -> bool:
        return self._meta_path(name).exists()

    def _require(self, name: str) -> None:
        if not self.exists(name):
            guess = suggest.nearest(name, self.names())
            known = f"did you mean {guess}?" if guess else \
                f"campaigns: {', '.join(self.names()) or 'none yet'}"
            raise UsageError(f"no such campaign: {name!r} ({known})")

    # --- creating ------------------------------------------------------------------------
    def create(self, name: str, *, forces: Iterable[Force], group: str, template: str | None,
               variables: dict[str, str], now: datetime) -> tuple[Campaign, list[Request]]:
        """One request per force, each with a reference unique across the state dir."""
        if not NAME_RE.match(name):
            raise UsageError(
                f"campaign name {name!r}: use lower-case letters, digits, '-', '_' or '.'")
        with self._lock():
            if self.exists(name):
                raise UsageError(f"campaign {name!r} already exists")
            taken = self.all_references()
            campaign = Campaign(name, now, group, template, dict(variables))
            requests = []
            for force in forces:
                ref = new_reference(taken)
                taken.add(ref)
                requests.append(Request(ref, name, force))
            # The events first: a campaign exists once campaign.json does, and by then its
            # "created" events are already durable.
            Journal(self._journal_path(name)).append(
                Event(i + 1, r.reference, "created", now,
                      {"force": r.force.id, "email": r.force.email}).to_doc()
                for i, r in enumerate(requests))
            with tinydb(self._meta_path(name), writable=True) as db:
                db.table("campaign").insert(campaign.to_doc())
                db.table("requests").insert_multiple(r.to_doc() for r in requests)
        return campaign, requests

    # --- reading -------------------------------------------------------------------------
    def view(self, name: str, *, brief: bool = False) -> CampaignView:
        """The campaign as it is now (events appended by other processes included).

        ``brief``: replies are folded (see :mod:`foibot.store.brief`): for the poll, which
        matches and files but never shows a reply; never for a status or a timeline.
        """
        self._require(name)
        meta = self._meta_path(name)
        try:
            st = meta.stat()
        except OSError as exc:
            raise StateError(f"{meta}: cannot read: {exc.strerror}") from None
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        cached = self._cache.get((name, brief))
        if cached is None or cached.meta_stamp != stamp:
            cached = _Cached(stamp, self._load_meta(name), Journal(self._journal_path(name)),
                             brief)
            if brief:
                self._resume_brief(name, cached)
            self._cache[(name, brief)] = cached
        start = cached.journal.offset
        self._catch_up(cached)
        if brief and cached.journal.offset - start >= brief_mod.SNAPSHOT_EVERY:
            self._save_brief(name, cached)      # a long read: spare the next process it
        return cached.view

    def save_snapshots(self) -> None:
        """Bring the brief snapshots of the campaigns read here up to date, where they lag
        by more than :data:`~foibot.store.brief.SNAPSHOT_EVERY` (the poll calls this once,
        at its end, rather than after each batch it files)."""
        for (name, brief), cached in self._cache.items():
            if brief and cached.journal.offset - cached.snapshot_at >= brief_mod.SNAPSHOT_EVERY:
                self._save_brief(name, cached)

    def _resume_brief(self, name: str, cached: _Cached) -> None:
        view = cached.view
        view.brief = Brief()
        found = brief_mod.load(self._snapshot_path(name), self._journal_path(name))
        if found is None:
            return
        for event in found.events:
            view.events.setdefault(event.request, []).append(event)
        view.last_seq, view.brief = found.last_seq, found.brief
        cached.journal.resume(found.offset, identity=found.identity)
        cached.snapshot_at = found.offset

    def _save_brief(self, name: str, cached: _Cached) -> None:
        view = cached.view
        identity = cached.journal.identity
        if identity is None or view.brief is None:
            return
        events = sorted((e for evs in view.events.values() for e in evs), key=lambda e: e.seq)
        brief_mod.save(self._snapshot_path(name), self._journal_path(name), brief_mod.Snapshot(
            identity, cached.journal.offset, view.last_seq, events, view.brief))
        cached.snapshot_at = cached.journal.offset

    def _load_meta(self, name: str) -> CampaignView:
        path = self._meta_path(name)
        with tinydb(path, writable=False) as db, self._decoding(path):
            docs = db.table("campaign").all()
            if not docs:
                raise StateError(f"{path}: campaign record missing")
            campaign = Campaign.from_doc(docs[0])
            requests = sorted(db.table("requests").all(), key=lambda d: d.doc_id)
            by_ref = {d["reference"]: dict(d) for d in requests}
        return CampaignView(name, campaign, by_ref)

    def _catch_up(self, cached: _Cached) -> None:
        view = cached.view
        first = True
        while True:
            reset, docs = cached.journal.read_new(limit=READ_CHUNK)
            if reset and first:
                view.events, view.last_seq = {}, 0
                view.brief = Brief() if cached.brief else None
                cached.snapshot_at = 0
            first = False
            if not docs:
                return
            with self._decoding(cached.journal.path):
                for doc in docs:
                    view.last_seq = max(view.last_seq, doc["seq"])
                    event = brief_mod.fold(doc, view.brief) if view.brief is not None \
                        else _event(doc)
                    if event is not None:
                        view.events.setdefault(event.request, []).append(event)

    @contextmanager
    def _decoding(self, path: Path) -> Iterator[None]:
        """A state file that is valid JSON but not foibot's shape is reported, not a crash."""
        try:
            yield
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateError(f"{path}: state file has an unexpected shape "
                             f"({type(exc).__name__}: {exc}); nothing was changed") from None

    def get(self, name: str) -> Campaign:
        return self.view(name).campaign

    def requests(self, name: str, *, brief: bool = False) -> list[Request]:
        """Every request of the campaign, each with its events in order (``brief``: see
        :meth:`view`)."""
        return self.view(name, brief=brief).requests()

    def all_references(self) -> set[str]:
        refs: set[str] = set()
        for name in self.names():
            refs.update(self._references(name))
        return refs

    def _references(self, name: str) -> list[str]:
        cached = self._cache.get((name, False)) or self._cache.get((name, True))
        if cached is not None:
            return cached.view.references()
        path = self._meta_path(name)
        with tinydb(path, writable=False) as db, self._decoding(path):
            return [d["reference"] for d in db.table("requests").all()]

    def campaign_of(self, reference: str) -> str:
        """The campaign a reference belongs to (case-insensitive), or a usage error."""
        wanted = reference.strip().upper()
        for name in self.names():
            if wanted in self._references(name):
                return name
        raise UsageError(f"no such request: {reference!r}")

    def find(self, reference: str) -> Request:
        """The request with this reference, in any campaign (case-insensitive)."""
        name = self.campaign_of(reference)
        return self.view(name).get(reference.strip().upper())

    # --- writing -------------------------------------------------------------------------
    def transact(self, name: str, decide: Callable[[CampaignView], Iterable[Entry]], *,
                 now: datetime, brief: bool = False) -> list[Event]:
        """Append the events ``decide`` returns, deciding on the state read under the lock.

        This is how "at most once" is kept across processes: the check ("no chaser for step 1
        yet") and the write ("chaser 1 is being sent") happen in one locked transaction.
        """
        with self._lock():
            view = self.view(name, brief=brief)
            seq = view.last_seq
            added = []
            for reference, type_, data in decide(view):
                if reference not in view:
                    raise StateError(f"{name}: no request {reference!r} to record {type_} on")
                seq += 1
                added.append(Event(seq, reference, type_, now, data))
            if added:
                Journal(self._journal_path(name)).append(e.to_doc() for e in added)
                self._catch_up(self._cache[(name, brief)])
        return added

    def append(self, name: str, entries: Iterable[Entry], *, now: datetime) -> list[Event]:
        """Append events ``(reference, type, data)`` in one locked, durable write."""
        entries = list(entries)
        return self.transact(name, lambda _: entries, now=now)

    def append_one(self, name: str, reference: str, type_: str, data: dict[str, Any], *,
                   now: datetime) -> Event:
        return self.append(name, [(reference, type_, data)], now=now)[0]

    # --- letters as sent -----------------------------------------------------------------
    def store_letters(self, name: str, letters: list[bytes]) -> list[dict[str, Any]]:
        """Write letters' exact bytes durably (one fsync for all); returns where each is, as
        a ``sending`` event records it. The caller holds the lock."""
        return [loc.to_doc() for loc in self._packs(name).append(letters)]

    def letter_bytes(self, name: str, data: dict[str, Any]) -> bytes | None:
        """The bytes a ``sending`` event recorded, or None if they cannot be found."""
        where = data.get("letter")
        if isinstance(where, dict):
            try:
                return self._packs(name).read(Location.from_doc(where))
            except (StateError, KeyError, ValueError):
                return None
        path = data.get("path")              # letters of state schema 1: one file each
        if isinstance(path, str):
            file = Path(path)
            if not file.is_absolute():
                file = self.root.parent / file
            try:
                return file.read_bytes()
            except OSError:
                return None
        return None

    def size(self, name: str) -> int:
        """Bytes of the campaign's event journal (for benchmarks and ``--json`` diagnostics)."""
        try:
            return os.path.getsize(self._journal_path(name))
        except OSError:
            return 0
