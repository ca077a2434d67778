"""A campaign's brief view: what receiving mail needs to know of it, and a snapshot of it.

A poll matches and files. It needs each request's letters (to match a reply to the letter it
answers, and to settle letters a crash left uncertain), which messages are already filed as
replies (never to file one twice), the force references replies taught it, and bounces (a
bounce decides the request letter's state). It never needs a reply's evidence, subject or
sender, and a campaign that has received 50,000 replies holds 50,000 of those.

So a brief view keeps every event except replies, which it folds into the set of messages
filed per request and the list of force references seen; a bounce stays an event. Status,
timelines and the web view never use it: they need replies in full.

Reading the whole journal every poll would still cost a second per 50,000 replies, so the
brief view is kept in a snapshot (``brief.cache`` beside the journal) that says which
journal it covers and up to which byte. Like the mail index's key cache it is only a copy:
written without fsync, ignored when it does not match the journal (another file, a shorter
one, an offset that is not the end of a line) or cannot be read, and rebuilt from the
journal then.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from foibot.model import Event
from foibot.timeutil import from_iso

BRIEF_REPLY_KEYS = ("message", "message_id", "kind", "needs_review", "bounce_reason",
                    "failed_recipient", "force_reference")
"""What a bounce kept in a brief view keeps of its data."""

SNAPSHOT_EVERY = 256 << 10
"""A snapshot is rewritten once this many journal bytes were read past the last one."""

VERSION = 1


@dataclass
class Brief:
    """The folded replies of a brief view."""

    filed: dict[str, set[str]] = field(default_factory=dict)    # reference -> message SHA-256s
    force_refs: dict[str, str] = field(default_factory=dict)    # theirs -> reference, the
                                                                # latest reply's last

    def learn(self, reference: str, theirs: str) -> None:
        self.force_refs.pop(theirs, None)
        self.force_refs[theirs] = reference

    def is_filed(self, reference: str, message: str) -> bool:
        return message in self.filed.get(reference, ())


def fold(doc: dict[str, Any], brief: Brief) -> Event | None:
    """The event a brief view keeps for a journal record (None for a reply it folds)."""
    data = doc.get("data") or {}
    if doc["type"] != "reply":
        return Event(doc["seq"], doc["request"], doc["type"], from_iso(doc["at"]), data)
    reference = doc["request"]
    if data.get("message"):
        brief.filed.setdefault(reference, set()).add(data["message"])
    if data.get("force_reference"):
        brief.learn(reference, data["force_reference"])
    if data.get("kind") != "bounce":
        return None
    return Event(doc["seq"], reference, "reply", from_iso(doc["at"]),
                 {k: data[k] for k in BRIEF_REPLY_KEYS if k in data})


@dataclass
class Snapshot:
    identity: tuple[int, int]           # the journal's (device, inode)
    offset: int                         # how far into it the snapshot has read
    last_seq: int
    events: list[Event]
    brief: Brief


def load(path: Path, journal: Path) -> Snapshot | None:
    """The snapshot at ``path`` if it is one of ``journal`` as it is now, else None."""
    try:
        doc = json.loads(path.read_bytes())
        st = journal.stat()
        identity = (int(doc["identity"][0]), int(doc["identity"][1]))
        offset = int(doc["offset"])
        if doc.get("version") != VERSION or identity != (st.st_dev, st.st_ino) \
                or offset > st.st_size or doc.get("tail") != _tail(journal, offset):
            return None
        events = [Event(e[0], e[1], e[2], from_iso(e[3]), e[4]) for e in doc["events"]]
        brief = Brief({ref: set(shas) for ref, shas in doc["filed"].items()},
                      {str(theirs): str(ref) for theirs, ref in doc["force_refs"]})
        return Snapshot(identity, offset, int(doc["last_seq"]), events, brief)
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def save(path: Path, journal: Path, snapshot: Snapshot) -> None:
    """Write a snapshot (atomically, without fsync: a lost one is rebuilt)."""
    doc = {"version": VERSION, "identity": list(snapshot.identity), "offset": snapshot.offset,
           "last_seq": snapshot.last_seq,
           "events": [[e.seq, e.request, e.type, e.to_doc()["at"], e.data]
                      for e in snapshot.events],
           "filed": {ref: sorted(shas) for ref, shas in snapshot.brief.filed.items()},
           "force_refs": [[theirs, ref] for theirs, ref in snapshot.brief.force_refs.items()]}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        doc["tail"] = _tail(journal, snapshot.offset)
        tmp.write_bytes(json.dumps(doc, separators=(",", ":")).encode("utf-8"))
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def _tail(journal: Path, offset: int) -> str:
    """A fingerprint of the journal's last bytes before ``offset``: a journal rewritten in
    place (a backup copied over it) does not pass for the one the snapshot read."""
    with open(journal, "rb") as fh:
        fh.seek(max(0, offset - 512))
        return hashlib.sha256(fh.read(offset - max(0, offset - 512))).hexdigest()[:32]
