"""The service's bookkeeping: when each job last ran, who runs, and the notification queue.

::

    service/state.json       jobs (last run), instance (pid), queue (notifications not yet
                             delivered to every webhook): small tables, TinyDB
    service/notified.jsonl   the id of every notification ever produced, append-only, so none
                             is produced twice however long the campaign runs
    run.lock                 held by the one ``foibot run`` of this state dir
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

from foibot.store.files import tinydb
from foibot.store.journal import Journal
from foibot.timeutil import from_iso, iso_utc

Lock = Callable[[], AbstractContextManager[None]]


class ServiceStore:
    def __init__(self, root: Path, lock: Lock) -> None:
        self.folder = root / "service"
        self.run_lock_path = root / "run.lock"
        self._lock = lock
        self._notified = Journal(self.folder / "notified.jsonl")
        self._produced: set[str] = set()

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    # --- jobs ----------------------------------------------------------------------------
    def record_run(self, name: str, started: datetime, status: str) -> None:
        with self._lock(), tinydb(self.state_path, writable=True) as db:
            table = db.table("jobs")
            table.remove(doc_ids=[d.doc_id for d in table.all() if d["name"] == name])
            table.insert({"name": name, "last_run": iso_utc(started), "status": status})

    def last_runs(self) -> dict[str, datetime]:
        with tinydb(self.state_path, writable=False) as db:
            return {doc["name"]: from_iso(doc["last_run"]) for doc in db.table("jobs").all()}

    def set_instance(self, pid: int, started: datetime) -> None:
        with self._lock(), tinydb(self.state_path, writable=True) as db:
            table = db.table("instance")
            table.truncate()
            table.insert({"pid": pid, "started": iso_utc(started)})

    def instance_pid(self) -> int | None:
        with tinydb(self.state_path, writable=False) as db:
            docs = db.table("instance").all()
        return int(docs[0]["pid"]) if docs else None

    # --- notifications -------------------------------------------------------------------
    def _catch_up(self) -> set[str]:
        reset, records = self._notified.read_new()
        if reset:
            self._produced = set()
        self._produced.update(str(r.get("id")) for r in records)
        return self._produced

    def enqueue(self, notes: Iterable[tuple[str, dict[str, Any], datetime]], *, queue: bool,
                now: datetime) -> int:
        """Remember ``(id, payload, at)`` notifications never produced before, and queue
        them for delivery if ``queue``; returns how many were new."""
        with self._lock():
            produced = self._catch_up()
            new: list[tuple[str, dict[str, Any], datetime]] = []
            for note_id, payload, at in notes:
                if note_id in produced or any(n[0] == note_id for n in new):
                    continue
                new.append((note_id, payload, at))
            if not new:
                return 0
            self._notified.append({"id": i, "at": iso_utc(at)} for i, _, at in new)
            self._catch_up()
            if queue:
                with tinydb(self.state_path, writable=True) as db:
                    db.table("queue").insert_multiple(
                        {"id": i, "notification": payload, "queued": iso_utc(now),
                         "attempts": 0, "delivered": [], "last_error": None}
                        for i, payload, _ in new)
        return len(new)

    def queue(self) -> list[dict[str, Any]]:
        """Queued notifications, oldest first."""
        with tinydb(self.state_path, writable=False) as db:
            return [dict(doc) for doc in db.table("queue").all()]

    def record_delivery(self, note_id: str, *, delivered_to: str | None = None,
                        error: str | None = None) -> None:
        """One delivery or failure, written at once: a crash never makes a delivered
        notification pending again."""
        with self._lock(), tinydb(self.state_path, writable=True) as db:
            table = db.table("queue")
            for doc in table.all():
                if doc["id"] != note_id:
                    continue
                if delivered_to is not None and delivered_to not in doc["delivered"]:
                    table.update({"delivered": [*doc["delivered"], delivered_to]},
                                 doc_ids=[doc.doc_id])
                if error is not None:
                    table.update({"attempts": doc["attempts"] + 1, "last_error": error},
                                 doc_ids=[doc.doc_id])

    def settle(self, keys: set[str]) -> int:
        """Drop notifications every webhook in ``keys`` has; returns how many remain."""
        with self._lock(), tinydb(self.state_path, writable=True) as db:
            table = db.table("queue")
            done = [doc.doc_id for doc in table.all() if keys <= set(doc["delivered"])]
            if done:
                table.remove(doc_ids=done)
            return len(table)
