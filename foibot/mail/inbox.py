"""Receiving replies: fetch new mail, store it, then file and interpret it.

The order is the promise: raw bytes are written (atomically, named by their SHA-256) before the
message is recorded, and recorded before it is interpreted. The record and the folder's cursor
are written in one transaction, so a crash anywhere loses nothing: the next poll fetches again
what was not recorded, and the de-duplication by content hash and Message-ID makes a re-fetch
(reconnect, UIDVALIDITY change, the same mail in two folders) harmless. Interpretation is
idempotent too: a reply event names its message, and a message is never filed twice.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from tinydb.table import Document

from foibot.rules import classify as classify_mod
from foibot.mail import parse as mailparse
from foibot.app import App
from foibot.campaign import Request
from foibot.errors import UsageError
from foibot.mail.imap import Cursor, Mailbox, batches, with_reconnect
from foibot.rules.matching import Match, MatchIndex, match
from foibot.rules.status import is_open
from foibot.store import atomic_write_bytes, write_once
from foibot.timeutil import iso_utc

Progress = Callable[[int, int], None]


@dataclass
class PollSummary:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    triage: int = 0
    bounce: int = 0
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.new} new: {self.matched} matched, {self.triage} triage, {self.bounce} bounce"
        if self.duplicates:
            text += f" ({self.duplicates} already stored)"
        return text


# --- the message index ------------------------------------------------------------------------
class MailIndex:
    """``mail.json``: one record per distinct message, the folders' cursors, learned senders."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.store = app.store

    @property
    def account(self) -> str:
        imap = self.app.config.imap
        return f"{imap.username}@{imap.host}:{imap.port}"

    def cursor(self, folder: str) -> Cursor | None:
        with self.store.db(self.store.mail_path, write=False) as db:
            for doc in db.table("cursors").all():
                if doc["account"] == self.account and doc["folder"] == folder:
                    return Cursor(doc["uidvalidity"], doc["last_uid"])
        return None

    def record_batch(self, folder: str, uidvalidity: int, fetched: dict[int, bytes],
                     *, now: datetime) -> tuple[list[str], int]:
        """Store raw bytes, then record the messages and move the cursor in one write.

        Returns the SHA-256 of the messages that are new, and the number of duplicates.
        """
        digests: dict[int, str] = {}
        for uid, raw in fetched.items():
            sha = hashlib.sha256(raw).hexdigest()
            write_once(self.store.raw_mail_path(sha), raw)
            digests[uid] = sha
        new: list[str] = []
        duplicates = 0
        with self.store.db(self.store.mail_path) as db:
            messages = db.table("messages")
            by_sha: dict[str, Document] = {doc["sha256"]: doc for doc in messages.all()}
            by_mid: dict[str, Document] = {
                doc["message_id"]: doc for doc in by_sha.values() if doc.get("message_id")}
            for uid in sorted(fetched):
                sha = digests[uid]
                source = {"folder": folder, "uidvalidity": uidvalidity, "uid": uid}
                mid = _message_id(fetched[uid])
                existing = by_sha.get(sha) or (by_mid.get(mid) if mid else None)
                if existing is not None:
                    duplicates += 1
                    if source not in existing["sources"]:
                        existing["sources"].append(source)
                        messages.update({"sources": existing["sources"]},
                                        doc_ids=[existing.doc_id])
                    continue
                values = {"sha256": sha, "message_id": mid, "size": len(fetched[uid]),
                          "received": iso_utc(now), "sources": [source], "status": "new"}
                doc = Document(values, doc_id=messages.insert(values))
                by_sha[sha] = doc
                if mid:
                    by_mid[mid] = doc
                new.append(sha)
            if fetched:
                _set_cursor(db.table("cursors"), self.account, folder,
                            Cursor(uidvalidity, max(fetched)))
        return new, duplicates

    def set_cursor(self, folder: str, cursor: Cursor) -> None:
        with self.store.db(self.store.mail_path) as db:
            _set_cursor(db.table("cursors"), self.account, folder, cursor)

    def pending(self) -> list[dict[str, Any]]:
        with self.store.db(self.store.mail_path, write=False) as db:
            return [doc for doc in db.table("messages").all() if doc.get("status") == "new"]

    def all(self) -> list[dict[str, Any]]:
        with self.store.db(self.store.mail_path, write=False) as db:
            return list(db.table("messages").all())

    def get(self, key: str) -> dict[str, Any]:
        """A message by SHA-256 prefix (as `triage` shows it) or Message-ID."""
        key = key.strip()
        found = [d for d in self.all()
                 if d["sha256"].startswith(key.lower()) or d.get("message_id") == key]
        if len(found) != 1:
            raise UsageError(f"no message {key!r}" if not found else f"{key!r} is ambiguous")
        return found[0]

    def update(self, sha: str, values: dict[str, Any]) -> None:
        self.update_many({sha: values})

    def update_many(self, values_by_sha: dict[str, dict[str, Any]]) -> None:
        """Update several records in one write of ``mail.json``."""
        if not values_by_sha:
            return
        with self.store.db(self.store.mail_path) as db:
            table = db.table("messages")
            for doc in table.all():
                if doc["sha256"] in values_by_sha:
                    table.update(values_by_sha[doc["sha256"]], doc_ids=[doc.doc_id])

    def learned_senders(self) -> dict[str, str]:
        with self.store.db(self.store.mail_path, write=False) as db:
            return {d["address"]: d["force"] for d in db.table("senders").all()}

    def learn_sender(self, address: str, force_id: str) -> None:
        with self.store.db(self.store.mail_path) as db:
            table = db.table("senders")
            table.remove(doc_ids=[d.doc_id for d in table.all() if d["address"] == address])
            table.insert({"address": address, "force": force_id})


def _set_cursor(table: Any, account: str, folder: str, cursor: Cursor) -> None:
    table.remove(doc_ids=[d.doc_id for d in table.all()
                          if d["account"] == account and d["folder"] == folder])
    table.insert({"account": account, "folder": folder, "uidvalidity": cursor.uidvalidity,
                  "last_uid": cursor.last_uid})


def _message_id(raw: bytes) -> str | None:
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    parsed = mailparse.parse(head + b"\r\n\r\n")
    return parsed.message_id


# --- fetching ---------------------------------------------------------------------------------
def folders(app: App) -> list[str]:
    imap = app.config.section("imap")
    names = [imap["folder"], *(imap["folders"] or [])]
    return list(dict.fromkeys(names))


def fetch(app: App, mailbox: Mailbox, *, progress: Progress | None = None) -> PollSummary:
    """Bring every new message of every configured folder into the store."""
    index = MailIndex(app)
    summary = PollSummary()
    size = app.config.section("imap")["batch_size"]
    for folder in folders(app):
        cursor = index.cursor(folder)
        def listing(folder: str = folder, cursor: Cursor | None = cursor) -> tuple[int, list[int]]:
            return mailbox.new_uids(folder, cursor)
        uidvalidity, uids = with_reconnect(mailbox, listing)
        if cursor is not None and cursor.uidvalidity != uidvalidity:
            cursor = None  # the server renumbered the folder: read it all again, de-duplicated
        done = 0
        for chunk in batches(uids, size):
            def get(chunk: list[int] = chunk) -> dict[int, bytes]:
                mailbox.new_uids(folder, cursor)  # (re)select the folder after a reconnect
                return mailbox.fetch(folder, chunk)
            fetched = with_reconnect(mailbox, get)
            new, dups = index.record_batch(folder, uidvalidity, fetched, now=app.now())
            summary.fetched += len(fetched)
            summary.new += len(new)
            summary.duplicates += dups
            with_reconnect(mailbox, lambda: mailbox.after_store(folder, sorted(fetched)))
            done += len(chunk)
            if progress:
                progress(done, len(uids))
        if not uids and cursor is None:
            index.set_cursor(folder, Cursor(uidvalidity, 0))
    return summary


# --- interpreting -----------------------------------------------------------------------------
def match_index(app: App, requests: list[Request]) -> MatchIndex:
    by_domain: dict[str, list[str]] = {}
    for force in app.registry.forces.values():
        if force.domain:
            by_domain.setdefault(force.domain, []).append(force.id)
    for req in requests:
        if req.email:
            by_domain.setdefault(req.email.rpartition("@")[2].lower(), [])
            if req.force.id not in by_domain[req.email.rpartition("@")[2].lower()]:
                by_domain[req.email.rpartition("@")[2].lower()].append(req.force.id)
    return MatchIndex.build(
        requests, open_refs={r.reference for r in requests if is_open(r)},
        reply_to=app.config.sender.reply_to if app.config.has("sender") else None,
        forces_by_domain=by_domain, learned=MailIndex(app).learned_senders(),
    )


def all_requests(app: App) -> list[Request]:
    return [r for name in app.campaigns.names() for r in app.campaigns.requests(name)]


def reply_event(doc: dict[str, Any], parsed: mailparse.ParsedEmail,
                result: classify_mod.Classification, found: Match,
                attachments: list[str]) -> dict[str, Any]:
    return {
        "message": doc["sha256"], "message_id": parsed.message_id,
        "kind": result.kind, "sections": list(result.sections),
        "evidence": list(result.evidence)[:8], "force_reference": result.force_reference,
        "ncnd": result.ncnd,
        "date": iso_utc(parsed.date) if parsed.date else None,
        "received": doc["received"], "from": parsed.from_addr, "subject": parsed.subject,
        "extension_until": result.extension_until.isoformat() if result.extension_until else None,
        "stated_due": result.stated_due.isoformat() if result.stated_due else None,
        "failed_recipient": result.failed_recipient, "bounce_reason": result.bounce_reason,
        "attachments": attachments, "matched_by": found.rule, "match_detail": found.detail,
    }


def save_attachments(app: App, sha: str, raw: bytes,
                     parsed: mailparse.ParsedEmail) -> list[str]:
    """Write attachments under ``attachments/<sha256>/`` with safe, never-overwritten names."""
    folder = app.store.root / "attachments" / sha
    names: list[str] = []
    for attachment, data in zip(parsed.attachments, mailparse.attachment_bytes(raw)):
        target = _free_name(folder, attachment.filename)
        atomic_write_bytes(target, data)
        names.append(target.name + (f" ({attachment.problem})" if attachment.problem else ""))
    return names


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, dot, ext = name.rpartition(".")
    n = 1
    while target.exists():
        n += 1
        target = folder / (f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")
    return target


def interpret(app: App, summary: PollSummary | None = None) -> PollSummary:
    """File and classify every stored message not yet interpreted."""
    summary = summary or PollSummary()
    index = MailIndex(app)
    pending = index.pending()
    if not pending:
        return summary
    requests = all_requests(app)
    by_ref = {r.reference: r for r in requests}
    mindex = match_index(app, requests)
    replies: dict[str, list[tuple[str, dict[str, Any]]]] = {}   # campaign -> (ref, data)
    records: dict[str, dict[str, Any]] = {}
    for doc in pending:
        raw = app.store.raw_mail_path(doc["sha256"]).read_bytes()
        parsed = mailparse.parse(raw)
        result = classify_mod.classify(parsed)
        found = match(
            recipients=[*parsed.to, *parsed.cc, *parsed.delivered_to],
            in_reply_to=parsed.in_reply_to, references=parsed.references,
            subject=parsed.subject, text=parsed.new_text, sender=parsed.from_addr, raw=raw,
            force_reference=result.force_reference, index=mindex,
        )
        attachments = save_attachments(app, doc["sha256"], raw, parsed)
        record = {"kind": result.kind, "from": parsed.from_addr, "subject": parsed.subject,
                  "match": found.detail, "attachments": attachments}
        if result.kind == "bounce":
            summary.bounce += 1
        if found.reference is None:
            records[doc["sha256"]] = {**record, "status": "triage"}
            summary.triage += 1
            continue
        request = by_ref[found.reference]
        data = reply_event(doc, parsed, result, found, attachments)
        replies.setdefault(request.campaign, []).append((request.reference, data))
        records[doc["sha256"]] = {**record, "status": "filed", "request": request.reference,
                                  "campaign": request.campaign}
        summary.matched += 1
        summary.events.append((request.reference, "reply", data))
    # Replies are filed (one write per campaign) before their messages are marked done (one
    # write of mail.json): a crash in between only means interpreting them again, and
    # file_replies never files a message twice.
    for campaign, entries in replies.items():
        file_replies(app, campaign, entries)
    index.update_many(records)
    return summary


def file_replies(app: App, campaign: str, entries: list[tuple[str, dict[str, Any]]]) -> int:
    """Append reply events, skipping any message already filed on its request."""
    def decide(requests: list[Request]) -> Iterable[tuple[str, str, dict[str, Any]]]:
        filed = {(r.reference, e.data.get("message")) for r in requests for e in r.events
                 if e.type == "reply"}
        for reference, data in entries:
            if (reference, data["message"]) not in filed:
                filed.add((reference, data["message"]))
                yield (reference, "reply", data)
    return len(app.campaigns.transact(campaign, lambda rs: list(decide(rs)), now=app.now()))


def file_reply(app: App, request: Request, data: dict[str, Any]) -> bool:
    """Append one reply event unless this message is already filed on the request."""
    return bool(file_replies(app, request.campaign, [(request.reference, data)]))


def poll(app: App, *, progress: Progress | None = None,
         mailbox: Mailbox | None = None) -> PollSummary:
    """One pass: fetch, store, interpret. A long-lived caller may keep ``mailbox`` open."""
    if mailbox is None:
        with Mailbox(app.config.imap) as own:
            return poll(app, progress=progress, mailbox=own)
    summary = fetch(app, mailbox, progress=progress)
    settle_uncertain(app, mailbox)
    save_sent(app, mailbox)
    return interpret(app, summary)


def assign(app: App, message_key: str, reference: str) -> Request:
    """File a triaged message under a request, and learn its sender for that force."""
    index = MailIndex(app)
    doc = index.get(message_key)
    request = app.campaigns.find(reference)
    raw = app.store.raw_mail_path(doc["sha256"]).read_bytes()
    parsed = mailparse.parse(raw)
    result = classify_mod.classify(parsed)
    found = Match(request.reference, "assigned", "assigned by the user")
    data = reply_event(doc, parsed, result, found, doc.get("attachments") or [])
    file_reply(app, request, data)
    index.update(doc["sha256"], {"status": "filed", "request": request.reference,
                                 "campaign": request.campaign})
    if parsed.from_addr:
        index.learn_sender(parsed.from_addr, request.force.id)
    return request


def settle_uncertain(app: App, mailbox: Mailbox) -> int:
    """Letters a crash left uncertain are settled by finding their Message-ID in Sent."""
    from foibot.mail.outbox import letter_state

    sent_folder = app.config.section("imap")["sent_folder"]
    if not sent_folder:
        return 0
    settled = 0
    for name in app.campaigns.names():
        waiting = []
        for req in app.campaigns.requests(name):
            keys = {str(e.data["key"]) for e in req.events if e.type == "sending"}
            for key in keys:
                st = letter_state(req, key)
                if st.state == "uncertain" and st.message_id:
                    waiting.append((req, key, st.message_id))
        if not waiting:
            continue
        found = mailbox.find_message_ids(sent_folder, [mid for _, _, mid in waiting])
        entries = [(req.reference, "sent", {"key": key, "message_id": mid,
                                            "response": f"found in {sent_folder}"})
                   for req, key, mid in waiting if mid in found]
        if entries:
            app.campaigns.append(name, entries, now=app.now())
            settled += len(entries)
    return settled


def save_sent(app: App, mailbox: Mailbox) -> int:
    """With ``save_sent``, put a copy of each letter sent into the Sent folder, as mail
    clients do, once (a ``saved`` event remembers it)."""
    imap = app.config.section("imap")
    folder = imap["sent_folder"]
    if not (folder and imap["save_sent"]):
        return 0
    saved = 0
    for name in app.campaigns.names():
        entries = []
        for req in app.campaigns.requests(name):
            done = {e.data.get("message_id") for e in req.events if e.type == "saved"}
            paths = {e.data.get("message_id"): e.data.get("path") for e in req.events
                     if e.type == "sending"}
            for event in req.events:
                mid = event.data.get("message_id")
                source = paths.get(mid)
                if event.type == "sent" and mid not in done and source:
                    path = app.store.resolve(source)
                    if path.exists():
                        mailbox.append(folder, path.read_bytes())
                        entries.append((req.reference, "saved", {"message_id": mid,
                                                                 "folder": folder}))
                        done.add(mid)
        if entries:
            app.campaigns.append(name, entries, now=app.now())
            saved += len(entries)
    return saved
