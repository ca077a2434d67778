"""Receiving replies: fetch new mail, store it, then file and interpret it, message by message.

The order is the promise: a fetched batch's raw bytes are durable before the batch is recorded
in the mail index, the index and the folder's cursor are written before anything is
interpreted, and each message is parsed once, from the bytes in hand. A crash anywhere loses
nothing: the next poll fetches again what was not recorded (de-duplication by content hash and
Message-ID makes the re-fetch harmless) and interprets what was recorded but not interpreted.

Interpretation is per message: a message that cannot be parsed, classified or matched is
recorded with its error and shown in triage as unreadable, and the poll goes on to the next.
Filing is idempotent: a reply event names its message, and a message is never filed twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from foibot.app import App
from foibot.mail.imap import Mailbox, batches, with_reconnect
from foibot.mail.inflight import effective
from foibot.mail.readers import READ_LIMIT_SECONDS, Read, Reading, worker_count
from foibot.model import Request
from foibot.rules.letter_state import keys as letter_keys
from foibot.rules.letter_state import letter_state
from foibot.rules.matching import Match, MatchIndex, match
from foibot.store import Cursor, Source, StoredMessage, atomic_write_bytes

if TYPE_CHECKING:   # the parser and classifier load when mail is first read
    from foibot.rules import classify as classify_mod

Progress = Callable[[int, int], None]
log = logging.getLogger("foibot.inbox")


@dataclass
class PollSummary:
    fetched: int = 0
    new: int = 0
    duplicates: int = 0
    matched: int = 0
    triage: int = 0
    bounce: int = 0
    unreadable: int = 0
    filed: list[tuple[str, str]] = field(default_factory=list)   # (reference, kind) per reply
    warnings: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.new} new: {self.matched} matched, {self.triage} triage, {self.bounce} bounce"
        if self.unreadable:
            text += f", {self.unreadable} unreadable"
        if self.duplicates:
            text += f" ({self.duplicates} already stored)"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"new": self.new, "matched": self.matched, "triage": self.triage,
                "bounce": self.bounce, "unreadable": self.unreadable,
                "duplicates": self.duplicates, "warnings": self.warnings}


# --- fetching ---------------------------------------------------------------------------------
def poll(app: App, *, progress: Progress | None = None,
         mailbox: Mailbox | None = None) -> PollSummary:
    """One pass: fetch, store, interpret. A long-lived caller may keep ``mailbox`` open."""
    if mailbox is None:
        with Mailbox(app.config.imap) as own:
            return poll(app, progress=progress, mailbox=own)
    summary = PollSummary()
    with Interpreter(app, summary) as reader:
        reader.run(app.store.mail.pending())  # what a crash left stored but not interpreted
        fetch(app, mailbox, reader, summary, progress=progress)
    settle_uncertain(app, mailbox)
    save_sent(app, mailbox)
    app.campaigns.save_snapshots()
    return summary


def fetch(app: App, mailbox: Mailbox, reader: "Interpreter", summary: PollSummary, *,
          progress: Progress | None = None) -> None:
    """Bring every new message of every configured folder into the store, a batch at a time,
    each batch interpreted as soon as it is durable."""
    imap = app.config.imap
    mail = app.store.mail
    waiting: Callable[[], None] | None = None     # the batch being read while the next comes
    for folder in imap.all_folders:
        cursor = mail.cursor(imap.account, folder)

        def listing(folder: str = folder, cursor: Cursor | None = cursor) -> tuple[int, list[int]]:
            return mailbox.new_uids(folder, cursor)

        uidvalidity, uids = with_reconnect(mailbox, listing)
        done = 0
        for chunk in batches(uids, imap.batch_size):
            def get(chunk: list[int] = chunk, folder: str = folder) -> dict[int, bytes]:
                return mailbox.fetch(folder, chunk)

            fetched = with_reconnect(mailbox, get)
            stored = mail.store_batch(
                ((Source(folder, uidvalidity, uid), fetched[uid]) for uid in sorted(fetched)),
                now=app.now(), cursor=(imap.account, folder, Cursor(uidvalidity, max(chunk))))
            summary.fetched += len(fetched)
            summary.new += len(stored.new)
            summary.duplicates += stored.duplicates
            with_reconnect(mailbox, lambda: mailbox.after_store(folder, sorted(fetched)))
            raws = {m.sha256: fetched[m.sources[0]["uid"]] for m in stored.new}
            started = reader.start(stored.new, raws) if stored.new else None
            if waiting is not None:
                waiting()
            waiting = started
            done += len(chunk)
            if progress:
                progress(done, len(uids))
        if not uids and (cursor is None or cursor.uidvalidity != uidvalidity):
            mail.set_cursor(imap.account, folder, Cursor(uidvalidity, 0))
    if waiting is not None:
        waiting()


# --- interpreting -----------------------------------------------------------------------------
def all_requests(app: App) -> list[Request]:
    return [r for name in app.campaigns.names() for r in app.campaigns.requests(name)]


def match_index(app: App, requests: list[Request],
                force_refs: Iterable[tuple[str, str]] = ()) -> MatchIndex:
    from foibot.rules.status import is_open     # with the deadline rules: only when mail came

    by_domain: dict[str, list[str]] = {}
    for force in app.registry.forces.values():
        if force.domain:
            by_domain.setdefault(force.domain, []).append(force.id)
    for req in requests:
        if req.email:
            domain = req.email.rpartition("@")[2].lower()
            ids = by_domain.setdefault(domain, [])
            if req.force.id not in ids:
                ids.append(req.force.id)
    return MatchIndex.build(
        requests, open_refs={r.reference for r in requests if is_open(r)},
        reply_to=app.config.sender.reply_to if app.config.has("sender") else None,
        forces_by_domain=by_domain, learned=app.store.mail.learned_senders(),
        force_refs=force_refs,
    )


def reply_event(message: StoredMessage, found_read: Read, result: classify_mod.Classification,
                found: Match) -> dict[str, Any]:
    return {
        "message": message.sha256, "message_id": found_read.message_id,
        "kind": result.kind, "sections": list(result.sections),
        "evidence": list(result.evidence)[:8], "force_reference": result.force_reference,
        "ncnd": result.ncnd, "confidence": round(result.confidence, 2),
        "needs_review": result.needs_review,
        "date": found_read.date,
        "received": message.received, "from": found_read.sender, "subject": found_read.subject,
        "extension_until": result.extension_until.isoformat() if result.extension_until else None,
        "stated_due": result.stated_due.isoformat() if result.stated_due else None,
        "failed_recipient": result.failed_recipient, "bounce_reason": result.bounce_reason,
        "attachments": list(found_read.attachments),
        "matched_by": found.rule, "match_detail": found.detail,
    }


class Interpreter:
    """Files stored messages, one at a time, never stopped by one of them.

    Reading (parse, classify) is pure and, for a large batch, runs in a pool of processes,
    one per core, while the next batch is fetched; matching and filing, which need the state,
    run here.
    """

    def __init__(self, app: App, summary: PollSummary) -> None:
        self.app = app
        self.summary = summary
        self._index: MatchIndex | None = None
        self._by_ref: dict[str, Request] = {}
        self._examples: dict[str, list[classify_mod.Example]] = {}
        self._reading: list[Reading] = []
        imap = app.config.imap if app.config.has("imap") else None
        self.limit = imap.read_limit_seconds if imap else READ_LIMIT_SECONDS

    @property
    def _classify(self) -> Any:
        """The classifier, loaded when the first message is read (a poll with nothing new
        never pays for it), and before the pool forks (not once in every reader)."""
        from foibot.rules import classify

        return classify

    def __enter__(self) -> Interpreter:
        return self

    def __exit__(self, *exc: object) -> None:
        for reading in self._reading:
            reading.stop()        # interrupted: no reader outlives its poll
        self._reading.clear()

    def examples(self, force: str) -> list[classify_mod.Example]:
        if force not in self._examples:
            self._examples[force] = self.app.store.examples.for_force(force)
        return self._examples[force]

    def index(self) -> MatchIndex:
        if self._index is None:
            views = [self.app.campaigns.view(name, brief=True)
                     for name in self.app.campaigns.names()]
            requests = [r for view in views for r in view.requests()]
            self._by_ref = {r.reference: r for r in requests}
            self._index = match_index(self.app, requests, [
                (reference, theirs) for view in views if view.brief
                for theirs, reference in view.brief.force_refs.items()])
        return self._index

    def start(self, messages: list[StoredMessage], raws: dict[str, bytes]
              ) -> Callable[[], None]:
        """Begin reading a batch in worker processes (see :mod:`foibot.mail.readers`);
        returns what files it, once read."""
        items = [(m.sha256, raws.get(m.sha256) or self.app.store.mail.raw(m)) for m in messages]
        self._classify  # noqa: B018 - loaded here, before the readers fork
        reading = Reading(items, limit=self.limit, workers=worker_count(len(items)))
        self._reading.append(reading)

        def file() -> None:
            reads = reading.results()
            self._reading.remove(reading)
            self.file(messages, reads, raws)

        return file

    def run(self, messages: Iterable[StoredMessage], *,
            raws: dict[str, bytes] | None = None) -> None:
        messages = list(messages)
        if messages:
            self.start(messages, raws or {})()

    def file(self, messages: list[StoredMessage], reads: list[Read],
             raws: dict[str, bytes]) -> None:
        replies: dict[str, list[tuple[str, dict[str, Any]]]] = {}
        records: list[dict[str, Any]] = []
        for message, found_read in zip(messages, reads):
            record, filed = self.one(message, found_read, raws)
            records.append(record)
            if filed is not None:
                request, data = filed
                replies.setdefault(request.campaign, []).append((request.reference, data))
        # Replies are filed (one write per campaign) before the messages are recorded as
        # interpreted: a crash in between only means interpreting them again, and
        # file_replies never files a message twice.
        for campaign, entries in replies.items():
            file_replies(self.app, campaign, entries)
        self.app.store.mail.record_interpretations(records)

    def one(self, message: StoredMessage, found_read: Read, raws: dict[str, bytes]
            ) -> tuple[dict[str, Any], tuple[Request, dict[str, Any]] | None]:
        """File one message that was read: its interpretation record, and the reply to file."""
        record: dict[str, Any] = {"sha": message.sha256, "kind": None,
                                  "from": found_read.sender or None,
                                  "subject": found_read.subject or None, "why": None,
                                  "error": found_read.error}
        result = found_read.result
        if result is None:
            record["kind"] = "unreadable"
            self.summary.unreadable += 1
            self.summary.warnings.append(
                f"message {message.id} could not be read ({found_read.error}); it is stored "
                f"and listed in `foibot triage`")
            return record, None
        found = match(
            recipients=found_read.recipients, in_reply_to=found_read.in_reply_to,
            references=found_read.references, subject=found_read.subject,
            text=found_read.new_text, sender=found_read.sender,
            quoted_ids=found_read.quoted_ids, force_reference=result.force_reference,
            index=self.index(), reads_as_reply=self._classify.reads_as_reply(result))
        record["why"] = found.detail
        if found.reference is not None:
            request = self._by_ref[found.reference]
            examples = self.examples(request.force.id)
            if examples:       # the force's house style, as a person labelled it before
                raw = raws.get(message.sha256) or self.app.store.mail.raw(message)
                from foibot.mail.parse import parse

                result = self._classify.classify(parse(raw), examples=examples)
        record["kind"] = result.kind
        if result.kind == "bounce":
            self.summary.bounce += 1
        if found.reference is None:
            self.summary.triage += 1
            return record, None
        data = reply_event(message, found_read, result, found)
        self.summary.matched += 1
        self.summary.filed.append((request.reference, result.kind))
        self.index().learn(request.reference, result.force_reference)
        return record, (request, data)


def file_replies(app: App, campaign: str, entries: list[tuple[str, dict[str, Any]]]) -> int:
    """Append reply events, skipping any message already filed on its request."""
    def decide(view: Any) -> list[tuple[str, str, dict[str, Any]]]:
        added = []
        filed: set[tuple[str, str]] = set()
        for reference, data in entries:
            if (reference, data["message"]) in filed or view.brief.is_filed(reference,
                                                                             data["message"]):
                continue
            filed.add((reference, data["message"]))
            added.append((reference, "reply", data))
        return added
    return len(app.campaigns.transact(campaign, decide, now=app.now(), brief=True))


# --- attachments ------------------------------------------------------------------------------
def save_attachments(app: App, message_key: str, folder: Path) -> list[Path]:
    """Copy a stored message's attachments into ``folder`` under safe names that never
    overwrite a file already there."""
    raw = app.store.mail.raw(message_key)
    written = []
    from foibot.mail.parse import attachment_payloads

    for attachment, data in attachment_payloads(raw):
        target = _free_name(folder, attachment.filename)
        atomic_write_bytes(target, data)
        written.append(target)
    return written


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, dot, ext = name.rpartition(".")
    n = 1
    while target.exists():
        n += 1
        target = folder / (f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")
    return target


# --- our own letters in the mailbox -----------------------------------------------------------
def settle_uncertain(app: App, mailbox: Mailbox) -> int:
    """Letters a crash left uncertain are settled by finding their Message-ID in Sent."""
    sent_folder = app.config.imap.sent_folder
    if not sent_folder:
        return 0
    settled = 0
    for name in app.campaigns.names():
        waiting = []
        for req in app.campaigns.requests(name, brief=True):
            for key in letter_keys(req):
                st = letter_state(req, key)
                if effective(st) == "uncertain" and st.message_id:
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
    imap = app.config.imap
    folder = imap.sent_folder
    if not (folder and imap.save_sent):
        return 0
    saved = 0
    for name in app.campaigns.names():
        entries = []
        for req in app.campaigns.requests(name, brief=True):
            done = {e.data.get("message_id") for e in req.events if e.type == "saved"}
            intents = {e.data.get("message_id"): e.data for e in req.events
                       if e.type == "sending"}
            for event in req.events:
                mid = event.data.get("message_id")
                if event.type != "sent" or mid in done or mid not in intents:
                    continue
                raw = app.campaigns.letter_bytes(name, intents[mid])
                if raw is not None:
                    mailbox.append(folder, raw)
                    entries.append((req.reference, "saved", {"message_id": mid,
                                                             "folder": folder}))
                    done.add(mid)
        if entries:
            app.campaigns.append(name, entries, now=app.now())
            saved += len(entries)
    return saved

