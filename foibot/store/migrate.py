"""Upgrading a state dir written by an earlier foibot (state schema 1) to schema 2.

Schema 1 kept each campaign in one TinyDB file (``campaigns/<name>.json``: campaign, requests,
events), received mail in ``mail.json`` plus ``mail/<sha256>.eml``, and the service's tables in
``service.json``. Each file is converted under the lock; the new files are complete before the
old one is renamed to ``*.v1`` (kept, never deleted), so a crash during the upgrade leaves either
the old file (converted again next time) or both.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from foibot.errors import StateError
from foibot.store.files import load_json, tinydb
from foibot.store.journal import Journal

Lock = Callable[[], AbstractContextManager[None]]


def upgrade(root: Path, lock: Lock) -> None:
    old_campaigns = sorted((root / "campaigns").glob("*.json")) if root.exists() else []
    old_mail = root / "mail.json"
    old_service = root / "service.json"
    if not (old_campaigns or old_mail.exists() or old_service.exists()):
        return
    with lock():
        for path in sorted((root / "campaigns").glob("*.json")):
            _campaign(path)
        if old_mail.exists():
            _mail(root, old_mail)
        if old_service.exists():
            _service(root, old_service)


def _table(data: dict, name: str) -> list[dict]:
    rows = data.get(name) or {}
    if not isinstance(rows, dict):
        raise StateError(f"table {name!r} has an unexpected shape")
    return [rows[key] for key in sorted(rows, key=lambda k: int(k))]


def _retire(path: Path) -> None:
    os.replace(path, path.with_name(path.name + ".v1"))


def _campaign(path: Path) -> None:
    data = load_json(path) or {}
    try:
        campaign = _table(data, "campaign")
        requests = _table(data, "requests")
        events = sorted(_table(data, "events"), key=lambda e: e["seq"])
    except (StateError, KeyError, TypeError, ValueError) as exc:
        raise StateError(f"{path}: cannot upgrade this campaign file ({exc}); "
                         "nothing was changed") from None
    folder = path.with_suffix("")
    journal = Journal(folder / "events.jsonl")
    journal.replace(events)
    with tinydb(folder / "campaign.json", writable=True) as db:
        db.table("campaign").truncate()
        db.table("campaign").insert_multiple(campaign)
        db.table("requests").truncate()
        db.table("requests").insert_multiple(requests)
    _retire(path)


def _mail(root: Path, path: Path) -> None:
    data = load_json(path) or {}
    records = []
    for doc in _table(data, "messages"):
        sha = doc["sha256"]
        mid = doc.get("message_id")
        from foibot.store.mail import _midh

        sources = doc.get("sources") or []
        records.append({"t": "m", "sha": sha, "midh": _midh(mid), "mid": mid,
                        "size": doc.get("size", 0), "received": doc.get("received", ""),
                        "src": sources[0] if sources else None,
                        "file": f"mail/{sha}.eml"})
        records += [{"t": "s", "sha": sha, "src": src} for src in sources[1:]]
        if doc.get("status") in ("filed", "triage"):
            records.append({"t": "i", "sha": sha, "kind": doc.get("kind"),
                            "from": doc.get("from"), "subject": doc.get("subject"),
                            "why": doc.get("match"), "error": None})
    Journal(root / "mail" / "index.jsonl").replace(records)
    with tinydb(root / "mail" / "state.json", writable=True) as db:
        db.table("cursors").truncate()
        db.table("cursors").insert_multiple(_table(data, "cursors"))
        db.table("senders").truncate()
        db.table("senders").insert_multiple(_table(data, "senders"))
    _retire(path)


def _service(root: Path, path: Path) -> None:
    data = load_json(path) or {}
    Journal(root / "service" / "notified.jsonl").replace(_table(data, "notified"))
    with tinydb(root / "service" / "state.json", writable=True) as db:
        for new, old in (("jobs", "jobs"), ("instance", "instance"), ("queue", "outbox")):
            db.table(new).truncate()
            db.table(new).insert_multiple(_table(data, old))
    _retire(path)
