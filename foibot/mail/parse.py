"""Raw mail bytes -> :class:`ParsedEmail`: the only place in foibot that understands MIME.

Police forces answer from Outlook, Exchange auto-responders, case-management systems and
mail gateways, so the mail is often odd: mislabelled charsets, HTML-only bodies, RFC 2047
filenames, delivery reports. :func:`parse` turns any of it into plain values once, at the edge,
and never raises; what it had to work around is listed in ``ParsedEmail.defects``.

    >>> mail = parse(b"From: FOI <foi@kent.police.uk>\\r\\nSubject: FOI 2026/0123\\r\\n\\r\\nHello")
    >>> mail.from_addr, mail.subject, mail.text
    ('foi@kent.police.uk', 'FOI 2026/0123', 'Hello')
"""

from __future__ import annotations

import email
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.header import Header, decode_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from types import MappingProxyType

from foibot.mail.attachments import decode_bytes, extract_text, html_to_text

MAX_FILENAME_CHARS = 150

HEADERS_OF_INTEREST = (
    "auto-submitted",
    "x-autoreply",
    "x-autorespond",
    "x-auto-response-suppress",
    "precedence",
    "content-type",
    "return-path",
    "x-failed-recipients",
    "list-id",
    "x-mailer",
    "reply-to",
    "sender",
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    """Safe to use as a file name: basename only, no control characters, no leading dots."""
    original_filename: str | None
    content_type: str
    size: int
    sha256: str
    text: str | None
    problem: str | None


@dataclass(frozen=True)
class DeliveryStatus:
    """One per-recipient block of a ``message/delivery-status`` part (RFC 3464)."""

    recipient: str | None
    action: str | None
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_addr: str
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]
    date: datetime | None
    headers: Mapping[str, str]
    text: str
    new_text: str
    attachments: tuple[Attachment, ...]
    is_dsn: bool
    defects: tuple[str, ...]
    delivery_status: tuple[DeliveryStatus, ...] = ()
    message: Message | None = field(default=None, compare=False, repr=False)
    """The parsed ``email.message.Message``, for tools that read raw MIME (bounce detectors)."""


def parse(raw: bytes, *, attachment_text: bool = True) -> ParsedEmail:
    """Parse one raw message. Never raises, whatever the bytes: what it had to work around is
    in ``defects``, and a message the parser cannot take apart at all still yields its headers'
    words and its bytes as text, with the reason in ``defects``.

    ``attachment_text=False`` leaves the attachments' text unread (``text`` None): for showing
    a message whose reading was cut short (see :mod:`foibot.mail.readers`) without running
    into what stopped it again."""
    try:
        return _parse(raw, attachment_text)
    except Exception as exc:  # noqa: BLE001 - the promise: one message never stops a poll
        return _unparsed(raw, exc)


def _unparsed(raw: bytes, exc: BaseException) -> ParsedEmail:
    """The little that can be read from bytes the MIME parser could not take apart."""
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    fields: dict[str, str] = {}
    for line in re.split(rb"\n(?![ \t])", head):
        name, sep, value = line.partition(b":")
        if sep and name.strip():
            key = name.strip().decode("ascii", "replace").lower()
            fields.setdefault(key, decode_header_value(decode_bytes(value.strip())))
    from_name, from_addr = parseaddr(fields.get("from", ""))
    text = decode_bytes(body)[:200_000]
    return ParsedEmail(
        message_id=_first_msgid(fields.get("message-id", "")),
        in_reply_to=_first_msgid(fields.get("in-reply-to", "")),
        references=tuple(re.findall(r"<[^<>\s]+>", fields.get("references", ""))),
        subject=fields.get("subject", ""), from_addr=from_addr.strip().lower(),
        from_name=from_name.strip(), to=(), cc=(), delivered_to=(), date=None,
        headers=MappingProxyType({k: v for k, v in fields.items() if k in HEADERS_OF_INTEREST}),
        text=text, new_text=strip_quoted(text), attachments=(), is_dsn=False,
        defects=(f"unparseable: {type(exc).__name__}: {exc}"[:300],),
    )


def _parse(raw: bytes, attachment_text: bool = True) -> ParsedEmail:
    defects: list[str] = []
    msg = email.message_from_bytes(raw)
    for part in msg.walk():
        defects.extend(type(defect).__name__ for defect in getattr(part, "defects", ()))

    body_parts, attachment_parts = _split_parts(msg)
    text = _body_text(body_parts, defects)
    sent = _date(msg, defects)
    from_name, from_addr = parseaddr(_header(msg, "from"))
    return ParsedEmail(
        message_id=_first_msgid(_header(msg, "message-id")),
        in_reply_to=_first_msgid(_header(msg, "in-reply-to")),
        references=tuple(re.findall(r"<[^<>\s]+>", _header(msg, "references"))),
        subject=_header(msg, "subject"),
        from_addr=from_addr.strip().lower(),
        from_name=from_name.strip(),
        to=_addresses(msg, "to"),
        cc=_addresses(msg, "cc"),
        delivered_to=_addresses(msg, "delivered-to", "x-original-to"),
        date=sent,
        headers=MappingProxyType(
            {name: _header(msg, name) for name in HEADERS_OF_INTEREST if msg.get(name) is not None}
        ),
        text=text,
        new_text=strip_quoted(text),
        attachments=tuple(_attachment(part, data, read=attachment_text)
                          for part, data in _payloads(attachment_parts)),
        is_dsn=msg.get_content_type() == "multipart/report"
        and str(msg.get_param("report-type") or "").lower() == "delivery-status",
        defects=tuple(dict.fromkeys(defects)),
        delivery_status=_delivery_status(msg),
        message=msg,
    )


def attachment_bytes(raw: bytes) -> Iterator[bytes]:
    """The decoded bytes of each attachment, in the order of ``parse(raw).attachments``
    (without extracting their text a second time)."""
    _, attachment_parts = _split_parts(email.message_from_bytes(raw))
    for _, data in _payloads(attachment_parts):
        yield data


def attachment_payloads(raw: bytes) -> Iterator[tuple[Attachment, bytes]]:
    """Each attachment with its decoded bytes, for saving to disk under ``Attachment.filename``."""
    _, attachment_parts = _split_parts(email.message_from_bytes(raw))
    for part, data in _payloads(attachment_parts):
        yield _attachment(part, data, read=False), data     # the bytes, not their text


# --- headers -------------------------------------------------------------------------------


def _header(msg: Message, name: str) -> str:
    """All occurrences of a header, RFC 2047-decoded and unfolded, joined by ", "."""
    values = msg.get_all(name) or []
    return ", ".join(decode_header_value(value) for value in values)


def decode_header_value(value: str | Header) -> str:
    """Decode RFC 2047 words (and raw 8-bit bytes) in a header, whatever their charset claims."""
    try:
        pieces = decode_header(value)
    except Exception:
        pieces = [(str(value), None)]
    out: list[str] = []
    for piece, charset in pieces:
        if isinstance(piece, bytes):
            out.append(decode_bytes(piece, charset))
        else:
            out.append(_fix_surrogates(piece))
    return re.sub(r"\s*[\r\n]+\s*", " ", "".join(out)).strip()


def _fix_surrogates(text: str) -> str:
    """Headers with raw 8-bit bytes come back surrogate-escaped; decode those bytes properly."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"))


def _first_msgid(value: str) -> str | None:
    found = re.search(r"<[^<>\s]+>", value)
    if found:
        return found.group(0)
    return value.strip() or None


def _addresses(msg: Message, *names: str) -> tuple[str, ...]:
    values = [_header(msg, name) for name in names if msg.get(name) is not None]
    found: list[str] = []
    for _, address in getaddresses(values):
        address = address.strip().lower()
        if address and "@" in address and address not in found:
            found.append(address)
    return tuple(found)


def _date(msg: Message, defects: list[str]) -> datetime | None:
    value = msg.get("date")
    if value is None:
        return None
    try:
        parsed = parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        defects.append("unparseable Date header")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)  # "-0000": time in UTC, zone unknown
    return parsed.astimezone(timezone.utc)


# --- body ----------------------------------------------------------------------------------

# Machine-readable report parts: read by _delivery_status, neither body nor attachment.
_NON_BODY_LEAVES = (
    "message/delivery-status",
    "message/feedback-report",
    "message/disposition-notification",
)


def _is_attachment(part: Message) -> bool:
    # A header with raw 8-bit bytes comes back as a Header object, not a str (Apple Mail
    # writes attachment names that way): str() it before looking inside.
    disposition = str(part.get("content-disposition") or "").split(";")[0].strip().lower()
    try:
        named = part.get_filename() is not None
    except Exception:  # noqa: BLE001 - a broken parameter is simply no name
        named = "filename" in str(part.get("content-disposition") or "").lower()
    return disposition == "attachment" or named


def _split_parts(msg: Message) -> tuple[list[Message], list[Message]]:
    """Divide the leaves into body text parts and attachments.

    In ``multipart/alternative`` the plain-text part wins unless it is empty; elsewhere every
    inline text/plain or text/html leaf is body and everything else (images in
    ``multipart/related`` included) an attachment. A ``message/rfc822`` part (a forwarded mail,
    or our letter returned in a delivery report) is an attachment, never body.
    """
    body: list[Message] = []
    attachments: list[Message] = []

    def visit(part: Message) -> None:
        ctype = part.get_content_type()
        if ctype.startswith("message/") or ctype == "text/rfc822-headers":
            if ctype not in _NON_BODY_LEAVES:
                attachments.append(part)
            return
        if part.is_multipart():
            children = [child for child in part.get_payload() if isinstance(child, Message)]
            if ctype == "multipart/alternative" and children:
                chosen = _best_alternative(children)
                for child in children:
                    if child is chosen:
                        visit(child)
                    elif not child.get_content_type().startswith(("text/", "multipart/")):
                        attachments.append(child)  # e.g. a calendar invite alongside the text
                return
            for child in children:
                visit(child)
            return
        if ctype in ("text/plain", "text/html") and not _is_attachment(part):
            body.append(part)
        else:
            attachments.append(part)

    visit(msg)
    return body, attachments


def _best_alternative(children: list[Message]) -> Message:
    for child in children:
        if child.get_content_type() == "text/plain" and _part_text(child, []).strip():
            return child
    for child in children:
        if child.get_content_type() == "text/html" or child.is_multipart():
            return child
    return children[0]


def _part_text(part: Message, defects: list[str]) -> str:
    data = part.get_payload(decode=True)
    if not isinstance(data, bytes):
        data = str(part.get_payload()).encode("utf-8", "surrogateescape")
    charset = part.get_param("charset")
    if isinstance(charset, tuple):  # RFC 2231 form
        charset = charset[2]
    text = decode_bytes(data, charset if isinstance(charset, str) else None)
    if "\ufffd" in text:
        defects.append(f"undecodable bytes in {part.get_content_type()} part")
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _body_text(parts: list[Message], defects: list[str]) -> str:
    """Join the body parts; when a plain part is found, HTML duplicates of it are dropped."""
    texts = [_part_text(part, defects) for part in parts]
    plain = [t for p, t in zip(parts, texts) if p.get_content_type() == "text/plain" and t.strip()]
    chosen = plain or [t for t in texts if t.strip()]
    return "\n\n".join(text.strip("\n") for text in chosen).strip()


# --- quoted copy of earlier mail -----------------------------------------------------------

_CUT_MARKERS = (
    re.compile(r"^\s*-{2,}\s*original message\s*-{2,}", re.I),
    re.compile(r"^\s*-{2,}\s*forwarded message\s*-{2,}", re.I),
    re.compile(r"^\s*begin forwarded message:", re.I),
)
_OUTLOOK_FIELD = re.compile(r"^\s*\*?(from|sent|date|to|cc|subject)\s*:\*?\s", re.I)
_WROTE = re.compile(r"^\s*on\b.{0,300}\bwrote:?\s*$", re.I | re.S)


def strip_quoted(text: str) -> str:
    """The reply without the quoted copy of earlier mail.

    Removes ``>`` lines wherever they are, and cuts at the first "-----Original Message-----",
    Outlook "From: ... Sent: ... To: ... Subject:" block, or "On ... wrote:" line that is not
    followed by ``>`` lines (a top-posted reply quotes everything below that point).
    """
    lines = text.split("\n")
    kept: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if any(marker.match(line) for marker in _CUT_MARKERS) or _outlook_block(lines, index):
            break
        wrote = _wrote_line(lines, index)
        if wrote:
            following = next((rest for rest in lines[index + wrote :] if rest.strip()), "")
            if not following.lstrip().startswith(">"):
                break
            index += wrote
            continue
        if not line.lstrip().startswith(">"):
            kept.append(line)
        index += 1
    while kept and re.fullmatch(r"\s*_{5,}\s*|\s*", kept[-1]):
        kept.pop()  # the underline Outlook puts above a quoted header
    return "\n".join(kept).strip()


def _outlook_block(lines: list[str], index: int) -> bool:
    """A "From:" line followed closely by "Sent:"/"Date:" and "To:"/"Subject:" lines."""
    first = _OUTLOOK_FIELD.match(lines[index])
    if not first or first.group(1).lower() != "from":
        return False
    seen = set()
    for line in lines[index + 1 : index + 7]:
        field_match = _OUTLOOK_FIELD.match(line)
        if field_match:
            seen.add(field_match.group(1).lower())
    return bool(seen & {"sent", "date"}) and bool(seen & {"to", "subject"})


def _wrote_line(lines: list[str], index: int) -> int:
    """How many lines make up an "On <date>, <name> wrote:" header here (0 if none)."""
    if not re.match(r"^\s*on\b", lines[index], re.I):
        return 0
    for span in (1, 2, 3):
        chunk = " ".join(lines[index : index + span])
        if _WROTE.match(chunk):
            return span
    return 0


# --- attachments ---------------------------------------------------------------------------


def _payloads(parts: list[Message]) -> Iterator[tuple[Message, bytes]]:
    for part in parts:
        try:
            yield part, _payload(part)
        except Exception:  # noqa: BLE001 - a part that cannot be decoded is an empty one
            yield part, b""


def _payload(part: Message) -> bytes:
    if part.get_content_type().startswith("message/") or part.is_multipart():
        inner = part.get_payload()
        try:
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0].as_bytes()
            return part.as_bytes()
        except Exception:  # noqa: BLE001 - serialising odd MIME back can fail
            return str(part).encode("utf-8", "surrogateescape")
    decoded = part.get_payload(decode=True)
    return decoded if isinstance(decoded, bytes) else b""


def _attachment(part: Message, data: bytes, *, read: bool = True) -> Attachment:
    ctype = part.get_content_type()
    original = _original_filename(part)
    filename = safe_filename(original, ctype)
    if not read or ctype.startswith("message/") or ctype == "text/rfc822-headers":
        text, problem = None, None
    else:
        text, problem = extract_text(filename, ctype, data)
    return Attachment(
        filename=filename,
        original_filename=original,
        content_type=ctype,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        text=text,
        problem=problem,
    )


_RAW_NAME = re.compile(r'(?i)(?:^|;)\s*(file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))')


def _raw_filename(part: Message) -> str | None:
    """A name written in raw 8-bit bytes (not RFC 2047/2231 encoded), as Apple Mail does: the
    email package hands such a header back only with the bytes replaced, so read the raw
    header and decode its bytes ourselves."""
    found: dict[bool, str] = {}
    for header, value in part.raw_items():
        if header.lower() not in ("content-disposition", "content-type") or not isinstance(value, str):
            continue
        if not any("\udc80" <= char <= "\udcff" for char in value):
            continue
        for match in _RAW_NAME.finditer(re.sub(r"\s*[\r\n]+\s*", " ", value)):
            found.setdefault(bool(match.group(1)), match.group(2) or match.group(3) or "")
    name = found.get(True) or found.get(False)
    return _fix_surrogates(name) if name else None


def _original_filename(part: Message) -> str | None:
    raw = _raw_filename(part)
    if raw:
        return raw
    try:
        name = part.get_filename()  # handles RFC 2231 (filename*=utf-8''...)
    except Exception:
        name = None
    if name is None:
        return None
    name = decode_header_value(name) if "=?" in name else _fix_surrogates(name)
    return name or None


def safe_filename(name: str | None, content_type: str = "application/octet-stream") -> str:
    """A name that is safe to create in a directory: never a path, never hidden, never empty.

    >>> safe_filename("../../etc/passwd"), safe_filename("C:\\\\x\\\\FOI Response.pdf")
    ('passwd', 'FOI Response.pdf')
    """
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(
        " " if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Zl", "Zp") else char
        for char in base
    )
    base = re.sub(r'[<>:"|?*]', "_", base)
    base = re.sub(r"\s+", " ", base).strip().lstrip(".").strip().rstrip(". ")
    if not base:
        base = "attachment" + (mimetypes.guess_extension(content_type) or ".bin")
    if len(base) > MAX_FILENAME_CHARS:
        stem, dot, extension = base.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            base = stem[: MAX_FILENAME_CHARS - len(extension) - 1].rstrip() + "." + extension
        else:
            base = base[:MAX_FILENAME_CHARS]
    return base


# --- delivery reports ----------------------------------------------------------------------


def _delivery_status(msg: Message) -> tuple[DeliveryStatus, ...]:
    """The per-recipient blocks of every ``message/delivery-status`` part."""
    found: list[DeliveryStatus] = []
    for part in msg.walk():
        if part.get_content_type() != "message/delivery-status":
            continue
        blocks = part.get_payload()
        if not isinstance(blocks, list):
            blocks = [email.message_from_string(str(blocks))]
        for block in blocks:
            if not isinstance(block, Message):
                continue
            recipient = block.get("final-recipient") or block.get("original-recipient")
            if recipient is None and block.get("action") is None:
                continue  # the per-message block (Reporting-MTA, Arrival-Date)
            found.append(
                DeliveryStatus(
                    recipient=_dsn_address(recipient),
                    action=_dsn_value(block.get("action")),
                    status=_dsn_value(block.get("status")),
                    diagnostic=_dsn_text(block.get("diagnostic-code")),
                )
            )
    return tuple(found)


def _dsn_value(value: object) -> str | None:
    if value is None:
        return None
    return str(value).strip().lower() or None


def _dsn_text(value: object) -> str | None:
    if value is None:
        return None
    text = re.sub(r"\s+", " ", str(value)).strip()
    text = re.sub(r"^(smtp|x-\w+)\s*;\s*", "", text, flags=re.I)
    return text or None


def _dsn_address(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if ";" in text:
        text = text.split(";", 1)[1]
    return text.strip().strip("<>").strip() or None
