"""One request as a person reads it: the whole story in time order, each reply's own words and
attachments, and the evidence foibot went on, found again in the text.

``show`` gives the classifier's snippets; a journalist needs what the force actually wrote.
The web view's request page and ``foibot read`` are both built from here, so a reply reads the
same wherever it is shown. Nothing here writes, and nothing here builds a path into the state
dir: raw mail comes from :attr:`Store.mail`, our letters from :meth:`CampaignStore.letter_bytes`.

Everything a reply carries (subject, sender, body, attachment names) was written by a stranger:
it is returned as plain text for the caller to escape, never as markup. HTML mail is already
text here (:func:`foibot.mail.parse.parse` renders it so).

    >>> highlight("We need you to clarify the dates.", ['text: "need you to clarify"'])
    [('We ', False), ('need you to clarify', True), (' the dates.', False)]
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from foibot.app import App
from foibot.errors import FoibotError, UsageError
from foibot.mail import parse as mailparse
from foibot.mail.attachments import decode_bytes
from foibot.mail.inflight import effective
from foibot.mail.parse import Attachment
from foibot.mail.readers import set_aside
from foibot.model import Event, Request
from foibot.rules.letter_state import letter_state
from foibot.rules.status import RequestStatus, derive, replies
from foibot.timeutil import from_iso, london
from foibot.views import timeline

MAX_TABLE_ROWS = 500
MAX_TABLE_COLUMNS = 40
MAX_TABLE_BYTES = 5 * 1024 * 1024
# Types a browser may show in place: raster images and PDF, each recognised by its first bytes
# as well as by its name, so an HTML page calling itself "report.pdf" is only ever a download.
_MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_EVIDENCE_QUOTE = re.compile(r'^(?:text|subject): "(.+?)(?:\.\.\.|…)?"$', re.S)


# --- a message's own words ------------------------------------------------------------------
@dataclass(frozen=True)
class MailText:
    """A stored message as text: who, what, when, its words and its attachments."""

    sha256: str
    sender: str
    sender_name: str
    subject: str
    date: datetime | None
    text: str                          # the whole body (HTML mail rendered as text)
    new_text: str                      # without the quoted copy of earlier mail
    attachments: tuple[Attachment, ...]
    problem: str | None = None         # why the message could not be read, if it could not
    attachments_read: bool = True      # False: set aside by its reader; they are not opened

    @property
    def id(self) -> str:
        """The short id ``triage`` shows and ``assign`` takes."""
        return self.sha256[:12]


def mail_text(app: App, message_key: str) -> MailText:
    """A stored message (SHA-256, a prefix of it, or Message-ID) as text. A message the store
    cannot give back is shown with the reason, so one missing file never hides a request."""
    message = app.store.mail.get(message_key)      # an unknown id is the caller's mistake
    try:
        raw = app.store.mail.raw(message)
    except FoibotError as exc:
        return MailText(message_key, "", "", "", None, "", "", (),
                        f"the message cannot be read from the store: {exc}")
    error = (message.interpreted or {}).get("error")
    if set_aside(error):
        # what stopped its reader (a PDF that loops, a sheet that eats memory) would stop
        # this page too: its words are shown, its attachments offered as downloads only
        parsed = mailparse.parse(raw, attachment_text=False)
        unread = tuple(replace(a, problem=f"not opened: foibot set this message aside "
                                          f"({error})") for a in parsed.attachments)
        return MailText(message.sha256, parsed.from_addr, parsed.from_name, parsed.subject,
                        parsed.date, parsed.text, parsed.new_text, unread,
                        attachments_read=False)
    parsed = mailparse.parse(raw)
    return MailText(message.sha256, parsed.from_addr, parsed.from_name, parsed.subject,
                    parsed.date, parsed.text, parsed.new_text, parsed.attachments)


def message_attachment(app: App, message_key: str, index: int) -> tuple[Attachment, bytes]:
    """Attachment ``index`` (1 = the first) of a stored message, with its bytes."""
    raw = app.store.mail.raw(app.store.mail.get(message_key))
    for number, (attachment, data) in enumerate(mailparse.attachment_payloads(raw), start=1):
        if number == index:
            return attachment, data
    raise UsageError(f"message {message_key[:12]} has no attachment {index}")


# --- replies --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReplyText:
    """One reply by email to a request, numbered as ``foibot read REF --reply N`` takes it."""

    number: int
    reference: str
    event: Event
    mail: MailText
    kind: str                  # the reading in force: the user's word if given, else foibot's
    classified: str            # foibot's own reading
    needs_review: bool
    confidence: float
    evidence: tuple[str, ...]

    @property
    def day(self) -> date:
        raw = self.event.data.get("date") or self.event.data.get("received")
        return london(from_iso(raw)).date() if raw else london(self.event.at).date()

    def segments(self) -> list[tuple[str, bool]]:
        """The text cut into runs, the evidence foibot quoted marked ``True``."""
        return highlight(self.mail.text, self.evidence)


def reply_events(request: Request) -> list[Event]:
    """The request's replies by email, in the order they were filed (reply 1 is the first)."""
    return [e for e in request.events if e.type == "reply"]


def reply_texts(app: App, request: Request) -> list[ReplyText]:
    """Every reply by email of a request, read from the store, oldest first."""
    reading = {r.event.seq: r for r in replies(request.events)}
    found = []
    for number, event in enumerate(reply_events(request), start=1):
        now = reading.get(event.seq)
        data = event.data
        found.append(ReplyText(
            number, request.reference, event, _filed_text(app, str(data.get("message") or "")),
            now.kind if now else str(data.get("kind", "unknown")),
            str(data.get("kind", "unknown")), bool(now and now.needs_review),
            float(data.get("confidence") or 0.0), tuple(data.get("evidence") or ())))
    return found


def _filed_text(app: App, sha: str) -> MailText:
    try:
        return mail_text(app, sha)
    except UsageError as exc:     # a reply event naming a message the index does not have
        return MailText(sha, "", "", "", None, "", "", (), f"not in the mail store: {exc}")


def read_reply(app: App, reference: str, number: int | None = None) -> ReplyText:
    """Reply ``number`` (1 = the first) of a request, or its latest."""
    request = app.campaigns.find(reference)
    events = reply_events(request)
    if not events:
        raise UsageError(f"{request.reference} has no reply by email yet")
    if number is None:
        number = len(events)
    if not 1 <= number <= len(events):
        noun = "reply" if len(events) == 1 else "replies"
        raise UsageError(f"{request.reference} has {len(events)} {noun}; "
                         f"give --reply 1 to {len(events)}")
    return reply_texts(app, request)[number - 1]


def reply_attachment(app: App, reference: str, number: int,
                     index: int) -> tuple[Attachment, bytes]:
    """Attachment ``index`` (1 = the first) of reply ``number`` of a request: only mail filed
    under that request is reachable this way."""
    request = app.campaigns.find(reference)
    events = reply_events(request)
    if not 1 <= number <= len(events):
        raise UsageError(f"{request.reference} has no reply {number}")
    return message_attachment(app, str(events[number - 1].data.get("message") or ""), index)


# --- our letters ----------------------------------------------------------------------------
@dataclass(frozen=True)
class LetterText:
    """One of our letters, exactly as it was handed to the SMTP server."""

    key: str
    to: str
    subject: str
    text: str
    outcome: str               # sent, failed, deferred, or pending (no result recorded)
    detail: str                # the server's reply


def _letter(app: App, request: Request, sending: Event) -> LetterText:
    data = sending.data
    raw = app.campaigns.letter_bytes(request.campaign, data)
    mid = data.get("message_id")
    outcome, detail = "pending", ""
    for event in request.events:
        if event.seq > sending.seq and event.data.get("message_id") == mid:
            if event.type == "sent":
                outcome, detail = "sent", str(event.data.get("response") or "")
            elif event.type == "send_failed":
                outcome = "failed" if event.data.get("permanent") else "deferred"
                detail = str(event.data.get("response") or "")
    if raw is None:
        return LetterText(str(data.get("key", "")), str(data.get("to", "")),
                          str(data.get("subject", "")),
                          "(the letter's bytes cannot be found in the state dir)", outcome, detail)
    parsed = mailparse.parse(raw)
    return LetterText(str(data.get("key", "")), ", ".join(parsed.to) or str(data.get("to", "")),
                      parsed.subject, parsed.text, outcome, detail)


# --- the whole story ------------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One step of the story: a letter of ours, a reply, or another event, in London time."""

    at: datetime
    event: Event
    text: str
    letter: LetterText | None = None
    reply: ReplyText | None = None


@dataclass(frozen=True)
class DraftState:
    key: str
    kind: str
    subject: str
    letter: str                # the draft's state in the outbox: unsent, sending, sent, ...


@dataclass(frozen=True)
class RequestStory:
    request: Request
    status: RequestStatus
    summary: dict[str, Any]    # ``foibot show --json``: deadline explanation, warnings, ...
    entries: list[Entry]
    replies: list[ReplyText]
    question: ReplyText | None           # the clarification the force waits for us to answer
    drafts: list[DraftState] = field(default_factory=list)


_FOLDED = ("sent", "send_failed", "saved")   # shown with the letter they are about


def story(app: App, reference: str, today: date) -> RequestStory:
    """Everything the request page shows, in the order it happened."""
    request = app.campaigns.find(reference)
    status = derive(request, today)
    texts = reply_texts(app, request)
    by_seq = {r.event.seq: r for r in texts}
    entries = []
    for event in request.events:
        if event.type in _FOLDED:
            continue
        at = london(event.at)
        text = timeline.describe(event.type, event.data)
        if event.type == "sending":
            entries.append(Entry(at, event, text, letter=_letter(app, request, event)))
        elif event.seq in by_seq:
            reply = by_seq[event.seq]
            entries.append(Entry(london(reply.mail.date) if reply.mail.date else at, event,
                                 text, reply=reply))
        else:
            entries.append(Entry(at, event, text))
    question = None
    if status.state == "clarification":
        question = next((r for r in reversed(texts) if r.kind == "clarification"), None)
    return RequestStory(request, status, timeline.build(app, request, today), entries, texts,
                        question, _drafts(request))


def _drafts(request: Request) -> list[DraftState]:
    found: dict[str, DraftState] = {}
    for event in request.events:
        if event.type == "draft":
            key = str(event.data.get("key", ""))
            found[key] = DraftState(key, str(event.data.get("kind", "")),
                                    str(event.data.get("subject", "")),
                                    effective(letter_state(request, key)))
    return list(found.values())


# --- reading helpers (pure) -----------------------------------------------------------------
def evidence_phrases(evidence: tuple[str, ...] | list[str]) -> list[str]:
    """The words the classifier quoted (``text: "..."``), without its elision."""
    found = []
    for item in evidence:
        quoted = _EVIDENCE_QUOTE.match(item.strip())
        if quoted and quoted.group(1).strip():
            found.append(quoted.group(1).strip())
    return found


def highlight(text: str, evidence: tuple[str, ...] | list[str]) -> list[tuple[str, bool]]:
    """Cut ``text`` into runs, marking every place a quoted phrase of the evidence occurs
    (case and spacing as the classifier normalised them: any case, any whitespace)."""
    spans: list[tuple[int, int]] = []
    for phrase in evidence_phrases(evidence):
        pattern = r"\s+".join(re.escape(word) for word in phrase.split())
        spans += [(m.start(), m.end()) for m in re.finditer(pattern, text, re.I)
                  if m.end() > m.start()]
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    runs: list[tuple[str, bool]] = []
    at = 0
    for start, end in merged:
        if start > at:
            runs.append((text[at:start], False))
        runs.append((text[start:end], True))
        at = end
    if at < len(text) or not runs:
        runs.append((text[at:], False))
    return runs


def inline_type(data: bytes) -> str | None:
    """The media type to show an attachment in place with (a PDF or a raster image), judged
    by its bytes; None: it is only ever offered as a download."""
    for magic, media in _MAGIC:
        if data.startswith(magic):
            return media
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


@dataclass(frozen=True)
class Sheet:
    title: str
    rows: list[list[str]]
    truncated: bool


def table(attachment: Attachment, data: bytes) -> list[Sheet] | None:
    """A spreadsheet attachment (CSV or XLSX) as rows of text; None for anything else or for
    one that cannot be read (it is still there to download)."""
    name = attachment.filename.lower()
    if len(data) > MAX_TABLE_BYTES:
        return None
    try:
        if name.endswith(".csv") or attachment.content_type == "text/csv":
            return [_csv_sheet(attachment.filename, data)]
        if name.endswith((".xlsx", ".xlsm")) and zipfile.is_zipfile(io.BytesIO(data)):
            return _xlsx_sheets(data)
    except Exception:  # noqa: BLE001 - a hostile or broken file is shown as a download only
        return None
    return None


def _csv_sheet(title: str, data: bytes) -> Sheet:
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO(decode_bytes(data))):
        if len(rows) >= MAX_TABLE_ROWS:
            return Sheet(title, rows, True)
        rows.append([cell for cell in row[:MAX_TABLE_COLUMNS]])
    return Sheet(title, rows, False)


def _xlsx_sheets(data: bytes) -> list[Sheet]:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    sheets = []
    try:
        for ws in book.worksheets:
            rows: list[list[str]] = []
            truncated = False
            for row in ws.iter_rows(values_only=True, max_col=MAX_TABLE_COLUMNS):
                if len(rows) >= MAX_TABLE_ROWS:
                    truncated = True
                    break
                rows.append(["" if value is None else str(value) for value in row])
            while rows and not any(rows[-1]):
                rows.pop()
            width = max((max((i + 1 for i, cell in enumerate(row) if cell), default=0)
                         for row in rows), default=0)
            sheets.append(Sheet(str(ws.title), [row[:width] for row in rows], truncated))
    finally:
        book.close()
    return sheets


@dataclass(frozen=True)
class Preview:
    """How an attachment can be shown on the page besides its download link."""

    inline: str | None               # media type to show it in place with (PDF, image)
    sheets: list[Sheet] | None       # a spreadsheet's rows


def previews(app: App, mail: MailText) -> dict[int, Preview]:
    """Attachment number (1 = the first) -> how to show it, reading the message once."""
    if mail.problem or not mail.attachments or not mail.attachments_read:
        return {}
    try:
        raw = app.store.mail.raw(mail.sha256)
    except FoibotError:
        return {}
    return {number: Preview(inline_type(data), table(attachment, data))
            for number, (attachment, data)
            in enumerate(mailparse.attachment_payloads(raw), start=1)}
