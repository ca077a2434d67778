"""Received mail in the state dir: raw bytes in packs, an append-only index, the cursors.

::

    mail/pack-*.pack     raw messages exactly as fetched, appended in groups
    mail/index.jsonl     one record per event of the mail's life (see below), append-only
    mail/state.json      the IMAP cursors, the senders learned by ``assign``, and how far the
                         index has been interpreted (TinyDB: small, rewritten per batch)

Index records::

    {"t": "m", "sha": ..., "midh": ..., "mid": ..., "size": ..., "received": ..., "src": ...,
     "at": {"pack", "offset", "length"}}     a message stored (or "file": for schema 1)
    {"t": "s", "sha": ..., "src": ...}       the same message seen again (another folder, a
                                             re-delivery, a renumbered folder)
    {"t": "i", "sha": ..., "kind": ..., "from": ..., "subject": ..., "why": ...,
     "error": ...}                           how it was interpreted (filed or not is in the
                                             campaigns' reply events, never here)
    {"t": "d", "sha": ..., "on": ..., "note": ...}
                                             set aside by the user as for no request (spam,
                                             a newsletter): out of triage, kept all the same

The order is the promise: raw bytes are durable before their ``m`` record, and the ``m``
record before the message is interpreted. A batch of fetched mail costs one pack append and one
index append, each with one fsync, whatever the size of the mailbox. De-duplication (by SHA-256
and by Message-ID) reads only the first bytes of each ``m`` line, so it stays cheap at 50,000
messages.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from foibot.errors import StateError, UsageError
from foibot.store.files import tinydb
from foibot.store.journal import Journal
from foibot.store.pack import Location, Packs
from foibot.timeutil import iso_utc

Lock = Callable[[], AbstractContextManager[None]]

_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(rb"(?im)^message-id[ \t]*:[ \t]*((?:.*)(?:\r?\n[ \t]+.*)*)")


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID from the header block alone, without parsing the message."""
    end = _HEADER_END.search(raw, 0, 256 * 1024)
    head = raw[: end.start()] if end else raw[: 256 * 1024]
    found = _MESSAGE_ID.search(head)
    if not found:
        return None
    value = found.group(1).decode("utf-8", "replace")
    angle = re.search(r"<[^<>\s]+>", value)
    if angle:
        return angle.group(0)
    return value.strip() or None


def _midh(mid: str | None) -> str:
    return hashlib.sha256(mid.encode("utf-8", "surrogateescape")).hexdigest()[:16] if mid else ""


# Starts with a literal, so the scan jumps from one "m" line to the next; a JSON string inside
# a record cannot contain it (its quotes would be escaped).
_KEY_LINE = 81          # 64 hex SHA-256 + 16 Message-ID hash (or spaces) + newline
SEARCH_IN_PLACE = 4
"""The first this many messages a process stores look their keys up in the cache's lines as
read (two searches of the lines a message, about 3 ms at 50,000, against about 35 ms to build
sets); past them, the sets are built once and every later lookup costs the same at any size."""
_KEYS = re.compile(rb'\{"t":"m","sha":"([0-9a-f]{64})","midh":"([0-9a-f]*)"')


@dataclass(frozen=True)
class Source:
    """Where a message was fetched from."""

    folder: str
    uidvalidity: int
    uid: int

    def to_doc(self) -> dict[str, Any]:
        return {"folder": self.folder, "uidvalidity": self.uidvalidity, "uid": self.uid}


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int


@dataclass
class StoredMessage:
    """One distinct message, as the index knows it."""

    sha256: str
    message_id: str | None
    size: int
    received: str                    # ISO time it was stored (UTC)
    sources: list[dict[str, Any]]
    where: dict[str, Any]            # {"at": location} or {"file": path}
    interpreted: dict[str, Any] | None = None
    offset: int = 0                  # byte offset of its record in the index
    dismissed: str | None = None     # ISO time the user set it aside as for no request

    @property
    def id(self) -> str:
        """The short id ``triage`` shows and ``assign`` takes."""
        return self.sha256[:12]

    def as_dict(self) -> dict[str, Any]:
        found = self.interpreted or {}
        return {"id": self.id, "sha256": self.sha256, "message_id": self.message_id,
                "size": self.size, "received": self.received, "kind": found.get("kind"),
                "from": found.get("from"), "subject": found.get("subject"),
                "why": found.get("why"), "error": found.get("error"),
                "dismissed": self.dismissed}


@dataclass
class Stored:
    """What storing one fetched batch did."""

    new: list[StoredMessage] = field(default_factory=list)
    duplicates: int = 0


class MailStore:
    def __init__(self, root: Path, lock: Lock) -> None:
        self.folder = root / "mail"
        self.root = root
        self._lock = lock
        self._packs = Packs(self.folder)
        self._index_path = self.folder / "index.jsonl"
        self._keys = Journal(self._index_path)
        # keys as the cache holds them (ASCII bytes): the cache's own lines, searched in
        # place while few lookups are asked of them, then the keys stored since
        self._cached = b""
        self._shas: set[bytes] = set()
        self._midhs: dict[bytes, bytes] = {}
        self._cache_read = False
        self._in_place_left = SEARCH_IN_PLACE

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    # --- storing -------------------------------------------------------------------------
    def _catch_up_keys(self) -> None:
        """The keys (SHA-256, Message-ID hash) of every message stored.

        They come from a cache (``mail/keys.cache``, fixed-width lines, read by slicing:
        50,000 messages in milliseconds), then from the ``m`` lines of the index appended
        since the cache was last brought up to date. The cache is only ever a copy of the
        index: written without fsync, checked against the index it claims to cover, and
        rebuilt from the index when it does not match.
        """
        if not self._cache_read:
            self._cache_read = True
            self._read_cache()
        reset, data = self._keys.read_new_bytes()
        if reset:
            self._cached, self._shas, self._midhs = b"", set(), {}
            self._write_cache([], rebuild=True)
        found = _KEYS.findall(data)
        self._add_keys(found)
        if found or reset:
            self._write_cache(found)

    def _add_keys(self, keys: Iterable[tuple[bytes, bytes]]) -> None:
        for sha, midh in keys:
            self._shas.add(sha)
            if midh:
                self._midhs.setdefault(midh, sha)

    @property
    def _cache(self) -> Path:
        return self.folder / "keys.cache"

    @property
    def _covers(self) -> Path:
        return self.folder / "keys.covers"

    def _read_cache(self) -> None:
        try:
            identity, offset, count = (int(x) for x in self._covers.read_text().split())
            data = self._cache.read_bytes()
            st = self._index_path.stat()
        except (OSError, ValueError):
            return
        if (st.st_ino != identity or offset > st.st_size or len(data) != count * _KEY_LINE):
            return                                 # stale or torn: rebuilt from the index
        self._cached = data
        self._keys.resume(offset, identity=(st.st_dev, st.st_ino))

    def _spread_cache(self) -> None:
        """Turn the cache's lines into the key sets, for more than a few lookups."""
        if not self._cached:
            return
        lines = self._cached[:-1].split(b"\n")
        self._cached = b""
        shas = [line[:64] for line in lines]
        self._shas.update(shas)
        # the first message stored with a Message-ID keeps it: built backwards, the first wins
        older = dict(zip(reversed([line[64:80] for line in lines]), reversed(shas)))
        older.pop(b" " * 16, None)                     # no Message-ID
        for midh, sha in self._midhs.items():
            older.setdefault(midh, sha)         # the cache's keys are the older ones
        self._midhs = older

    def _known_sha(self, sha: bytes) -> bool:
        return sha in self._shas or _find_key(self._cached, sha, 0) >= 0

    def _sha_of_midh(self, midh: bytes) -> bytes | None:
        """The first message stored with this Message-ID hash."""
        at = _find_key(self._cached, midh, 64)
        return self._cached[at - 64:at] if at >= 0 else self._midhs.get(midh)

    def _write_cache(self, found: list[tuple[bytes, bytes]], *, rebuild: bool = False) -> None:
        try:
            lines = b"".join(sha + midh.ljust(16) + b"\n" for sha, midh in found)
            with open(self._cache, "wb" if rebuild else "ab") as fh:
                fh.write(lines)
            count = self._cache.stat().st_size // _KEY_LINE
            st = self._index_path.stat()
            self._covers.write_text(f"{st.st_ino} {self._keys.offset} {count}\n")
        except OSError:
            pass            # only a cache: the next process rebuilds it from the index

    def store_batch(self, fetched: Iterable[tuple[Source | None, bytes]], *, now: datetime,
                    cursor: tuple[str, str, Cursor] | None = None) -> Stored:
        """Store a batch durably: new raw bytes, then their index records, then the cursor
        ``(account, folder, cursor)`` if given. Duplicates (same bytes, or same Message-ID)
        are recorded as another source of the message already stored."""
        result = Stored()
        fetched = list(fetched)
        with self._lock():
            self._catch_up_keys()
            if len(fetched) > self._in_place_left:
                self._spread_cache()
            self._in_place_left = max(0, self._in_place_left - len(fetched))
            blobs: list[bytes] = []
            records: list[dict[str, Any]] = []
            batch_shas: set[str] = set()
            batch_midhs: dict[str, str] = {}
            for source, raw in fetched:
                sha = hashlib.sha256(raw).hexdigest()
                mid = message_id_of(raw)
                midh = _midh(mid)
                known = sha if sha in batch_shas or self._known_sha(sha.encode()) else (
                    batch_midhs.get(midh) or _text(self._sha_of_midh(midh.encode()))
                    if midh else None)
                src = source.to_doc() if source else None
                if known is not None:
                    result.duplicates += 1
                    if src is not None:
                        records.append({"t": "s", "sha": known, "src": src})
                    continue
                batch_shas.add(sha)
                if midh:
                    batch_midhs[midh] = sha
                records.append({"t": "m", "sha": sha, "midh": midh, "mid": mid,
                                "size": len(raw), "received": iso_utc(now),
                                "src": src, "at": None})
                blobs.append(raw)
            locations = iter(self._packs.append(blobs))
            for record in records:
                if record["t"] == "m":
                    record["at"] = next(locations).to_doc()
                    result.new.append(_message(record))
            Journal(self._index_path).append(records)
            self._catch_up_keys()
            if cursor is not None:
                account, folder, value = cursor
                self._set_cursor(account, folder, value)
        return result

    def raw(self, message: StoredMessage | str) -> bytes:
        """A stored message's raw bytes, exactly as fetched."""
        found = message if isinstance(message, StoredMessage) else self.get(message)
        if found.where.get("at"):
            return self._packs.read(Location.from_doc(found.where["at"]))
        path = self.root / str(found.where.get("file"))
        try:
            return path.read_bytes()
        except OSError as exc:
            raise StateError(f"{path}: cannot read a stored message: {exc.strerror}") from None

    # --- interpretation ------------------------------------------------------------------
    def pending(self) -> list[StoredMessage]:
        """Messages stored but not yet interpreted, oldest first, each with the offset of its
        record in the index."""
        start = self._checkpoint()
        _, records, offsets = Journal(self._index_path).read_from_with_offsets(start)
        waiting: dict[str, StoredMessage] = {}
        for record, offset in zip(records, offsets):
            if record.get("t") == "m":
                message = _message(record)
                message.offset = offset
                waiting[message.sha256] = message
            elif record.get("t") == "i":
                waiting.pop(record.get("sha", ""), None)
        return list(waiting.values())

    def record_interpretations(self, records: list[dict[str, Any]]) -> None:
        """Append how each message was interpreted, then move the checkpoint up to the oldest
        message still waiting (or the end), so the next look reads only what came after.

        While a poll interprets one batch, the next is already stored: the checkpoint must
        follow the oldest waiting message, or every batch would re-read the poll so far.
        """
        with self._lock():
            Journal(self._index_path).append({"t": "i", **r} for r in records)
            waiting = self.pending()
            self._set_checkpoint(waiting[0].offset if waiting
                                 else self._index_path.stat().st_size)

    # --- reading the whole index ---------------------------------------------------------
    def messages(self) -> list[StoredMessage]:
        """Every distinct message with its sources and latest interpretation, oldest first."""
        found: dict[str, StoredMessage] = {}
        for record in Journal(self._index_path).read_all():
            kind = record.get("t")
            if kind == "m":
                found.setdefault(record["sha"], _message(record))
            elif kind == "s" and record.get("sha") in found:
                found[record["sha"]].sources.append(record["src"])
            elif kind == "i" and record.get("sha") in found:
                found[record["sha"]].interpreted = {k: v for k, v in record.items()
                                                    if k not in ("t", "sha")}
            elif kind == "d" and record.get("sha") in found:
                found[record["sha"]].dismissed = record.get("on")
        return list(found.values())

    def dismiss(self, messages: list[StoredMessage], *, now: datetime, note: str = "") -> None:
        """Record that the user set these messages aside as for no request (one append)."""
        with self._lock():
            Journal(self._index_path).append(
                {"t": "d", "sha": m.sha256, "on": iso_utc(now), "note": note} for m in messages)

    def get(self, key: str) -> StoredMessage:
        """A message by SHA-256 prefix (as ``triage`` shows it) or Message-ID."""
        return self.find([key])[0]

    def find(self, keys: list[str]) -> list[StoredMessage]:
        """:meth:`get` for several keys, reading the index once."""
        messages = self.messages()
        out = []
        for key in (k.strip() for k in keys):
            if not key:
                raise UsageError("give a message id (from `foibot triage`)")
            found = [m for m in messages
                     if m.sha256.startswith(key.lower()) or m.message_id == key]
            if len(found) != 1:
                raise UsageError(f"no message {key!r}" if not found else f"{key!r} is ambiguous")
            out.append(found[0])
        return out

    def count(self) -> int:
        self._catch_up_keys()
        self._spread_cache()
        return len(self._shas)

    # --- cursors, senders, checkpoint (mail/state.json) ----------------------------------
    def cursor(self, account: str, folder: str) -> Cursor | None:
        with tinydb(self.state_path, writable=False) as db:
            for doc in db.table("cursors").all():
                if doc["account"] == account and doc["folder"] == folder:
                    return Cursor(doc["uidvalidity"], doc["last_uid"])
        return None

    def set_cursor(self, account: str, folder: str, cursor: Cursor) -> None:
        with self._lock():
            self._set_cursor(account, folder, cursor)

    def _set_cursor(self, account: str, folder: str, cursor: Cursor) -> None:
        with tinydb(self.state_path, writable=True) as db:
            table = db.table("cursors")
            table.remove(doc_ids=[d.doc_id for d in table.all()
                                  if d["account"] == account and d["folder"] == folder])
            table.insert({"account": account, "folder": folder,
                          "uidvalidity": cursor.uidvalidity, "last_uid": cursor.last_uid})

    def learned_senders(self) -> dict[str, str]:
        with tinydb(self.state_path, writable=False) as db:
            return {d["address"]: d["force"] for d in db.table("senders").all()}

    def learn_sender(self, address: str, force_id: str) -> None:
        with self._lock(), tinydb(self.state_path, writable=True) as db:
            table = db.table("senders")
            table.remove(doc_ids=[d.doc_id for d in table.all() if d["address"] == address])
            table.insert({"address": address, "force": force_id})

    def _checkpoint(self) -> int:
        with tinydb(self.state_path, writable=False) as db:
            doc = db.table("progress").get(doc_id=1)
        return int(doc["interpreted_offset"]) if doc else 0

    def _set_checkpoint(self, offset: int) -> None:
        with tinydb(self.state_path, writable=True) as db:
            table = db.table("progress")
            table.truncate()
            table.insert({"interpreted_offset": offset})


def _find_key(lines: bytes, key: bytes, column: int) -> int:
    """Where ``key`` stands in the key cache's fixed-width lines at ``column``, or -1."""
    at = lines.find(key)
    while at >= 0 and at % _KEY_LINE != column:
        at = lines.find(key, at + 1)
    return at


def _text(key: bytes | None) -> str | None:
    return key.decode("ascii") if key is not None else None


def _message(record: dict[str, Any]) -> StoredMessage:
    where = {"at": record["at"]} if record.get("at") else {"file": record.get("file")}
    sources = [record["src"]] if record.get("src") else []
    return StoredMessage(record["sha"], record.get("mid"), record.get("size", 0),
                         record.get("received", ""), sources, where)

