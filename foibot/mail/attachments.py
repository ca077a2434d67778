"""Turn the bytes of a mail part into text: charsets, HTML, PDF, DOCX, XLSX, CSV.

A police force's answer is often only in the attachment ("Please find attached our response"),
so the classifier needs the attachment's words. Everything here is best effort and never raises:
an encrypted or broken file yields ``(None, "encrypted PDF")`` or ``(None, "unreadable PDF: ...")``
so the problem can be shown to the user while the rest of the mail is still processed.

    >>> extract_text("data.csv", "text/csv", b"force,count\\nKent,3\\n")
    ('force,count\\nKent,3\\n', None)
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import zipfile
from xml.etree import ElementTree
from html.parser import HTMLParser
from pathlib import PurePosixPath

# pypdf reports every damaged file through logging; the problem string already says it.
logging.getLogger("pypdf").addHandler(logging.NullHandler())

MAX_TEXT_CHARS = 200_000
"""Extracted text is cut here: enough for any FOI letter, bounded for hostile files."""
MAX_INPUT_BYTES = 30 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_SHEET_ROWS = 5_000

# Labels that mail clients use for "western" text; in practice they all mean windows-1252
# (the WHATWG encoding standard maps latin-1 and ascii to it too).
_WESTERN = frozenset({"us-ascii", "ascii", "iso-8859-1", "latin-1", "latin1", "cp1252",
                      "windows-1252", "iso8859-1", "iso-8859-15", "cp819"})
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def decode_bytes(data: bytes, charset: str | None = None) -> str:
    """Decode mail text whose declared charset may be missing, unknown or wrong.

    A declared western charset (or none) is tried as UTF-8 first when the bytes are valid UTF-8,
    because mislabelled UTF-8 is common and latin-1 would silently turn "£" into "Â£". Otherwise
    the declared charset, then windows-1252, then UTF-8 with replacement characters.
    """
    label = (charset or "").strip().strip('"').lower()
    candidates: list[str] = []
    if not label or label in _WESTERN or not _known_codec(label):
        candidates += ["utf-8", "windows-1252"]
    else:
        candidates += [label, "windows-1252"]
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def _known_codec(label: str) -> bool:
    try:
        codecs.lookup(label)
    except (LookupError, ValueError):  # unknown, or not even a name ("utf-8\x00")
        return False
    return True


class _HTMLText(HTMLParser):
    """Collects the visible text of an HTML body, keeping its line structure.

    Text inside ``<blockquote>`` is prefixed with ``> `` so that the quoted copy of earlier mail
    can be recognised later exactly as in a plain-text reply.
    """

    _BREAKS = frozenset({"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                         "table", "ul", "ol", "hr", "pre", "address", "dt", "dd", "section",
                         "article", "header", "footer", "blockquote"})
    _CELLS = frozenset({"td", "th"})
    _HIDDEN = frozenset({"script", "style", "head", "title", "template", "noscript"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._hidden = 0
        self._quote = 0
        self._line_quote = 0
        self._pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self._hidden += 1
        elif tag == "br":
            self._newline(force=True)
        elif tag in self._BREAKS:
            self._newline()
            if tag == "blockquote":
                self._quote += 1
                self._line_quote = self._quote
            elif tag == "pre":
                self._pre += 1
        elif tag in self._CELLS:
            self._line.append("\t")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br" or tag == "hr":
            self._newline(force=True)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN:
            self._hidden = max(0, self._hidden - 1)
        elif tag in self._BREAKS and tag != "br":
            self._newline()
            if tag == "blockquote":
                self._quote = max(0, self._quote - 1)
                self._line_quote = self._quote
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)

    def handle_data(self, data: str) -> None:
        if self._hidden:
            return
        if self._pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._newline(force=True)
                self._line.append(part)
            return
        self._line.append(re.sub(r"\s+", " ", data))

    def _newline(self, *, force: bool = False) -> None:
        line = re.sub(r" {2,}", " ", "".join(self._line).replace("\xa0", " "))
        line = re.sub(r" *\t[ \t]*", "\t", line).strip("\t ")
        self._line = []
        if line or force:
            prefix = "> " * self._line_quote
            self.lines.append(prefix + line if line else prefix.rstrip())
        self._line_quote = self._quote

    def text(self) -> str:
        self._newline()
        out: list[str] = []
        for line in self.lines:
            if line.strip(" >") == "" and out and out[-1].strip(" >") == "":
                continue  # collapse runs of blank lines
            out.append(line)
        return "\n".join(out).strip("\n")


def html_to_text(html: str) -> str:
    """Visible text of an HTML document, with a line break for each ``<br>``, ``<p>``, ``<div>``,
    ``<tr>`` and friends (so "From:/Sent:" blocks and quoted replies stay recognisable)."""
    parser = _HTMLText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # html.parser is lenient; this guards against pathological input
        pass
    return parser.text()


def extract_text(filename: str, content_type: str, data: bytes) -> tuple[str | None, str | None]:
    """Return ``(text, problem)`` for an attachment; at most one is set, and it never raises.

    The file type is judged by extension first (forces send PDFs as application/octet-stream),
    then by content type. Types that carry no words (images, archives) give ``(None, None)``.
    """
    kind = _kind(filename, content_type)
    if kind is None:
        return None, None
    if len(data) > MAX_INPUT_BYTES:
        return None, f"too large to read ({len(data)} bytes)"
    reader = _READERS[kind]
    try:
        text, problem = reader(data)
    except Exception as exc:  # a hostile or broken file must never stop mail processing
        return None, f"unreadable {kind.upper()}: {_describe(exc)}"
    if text is not None:
        text = text[:MAX_TEXT_CHARS]
    return text, problem


def _kind(filename: str, content_type: str) -> str | None:
    suffix = PurePosixPath(filename.lower()).suffix.lstrip(".")
    ctype = content_type.lower()
    by_suffix = {"pdf": "pdf", "docx": "docx", "xlsx": "xlsx", "xlsm": "xlsx", "csv": "csv",
                 "txt": "txt", "htm": "html", "html": "html", "doc": "doc", "xls": "xls"}
    if suffix in by_suffix:
        return by_suffix[suffix]
    by_type = {
        "application/pdf": "pdf",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
        "text/csv": "csv",
        "text/plain": "txt",
        "text/html": "html",
        "application/msword": "doc",
        "application/vnd.ms-excel": "xls",
    }
    return by_type.get(ctype)


def _describe(exc: BaseException) -> str:
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {message}"[:200] if message else type(exc).__name__


def _read_pdf(data: bytes) -> tuple[str | None, str | None]:
    from pypdf import PdfReader  # imported here: most mail has no PDF

    reader = PdfReader(io.BytesIO(data), strict=False)
    if reader.is_encrypted:
        # Many forces "encrypt" with an empty user password just to forbid editing; those open.
        try:
            opened = reader.decrypt("")
        except Exception as exc:
            return None, f"encrypted PDF ({_describe(exc)})"
        if not opened:
            return None, "encrypted PDF"
    chunks: list[str] = []
    size = 0
    for page in reader.pages[:MAX_PDF_PAGES]:
        chunk = page.extract_text() or ""
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_TEXT_CHARS:
            break
    text = "\n".join(chunks).strip()
    if not text:
        return None, "PDF has no text layer (scanned image?)"
    return text, None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
MAX_XML_BYTES = 20 * 1024 * 1024
"""Uncompressed size read from any one part of a .docx/.xlsx (a zip bomb stops here)."""


def _part(archive: zipfile.ZipFile, name: str) -> bytes | None:
    """One part of an Office file, read up to :data:`MAX_XML_BYTES`."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    with archive.open(info) as fh:
        data = fh.read(MAX_XML_BYTES + 1)
    if len(data) > MAX_XML_BYTES:
        raise ValueError(f"{name} is larger than {MAX_XML_BYTES} bytes uncompressed")
    return data


def _office(data: bytes, kind: str) -> zipfile.ZipFile | str:
    if data.startswith(_OLE_MAGIC):
        return f"encrypted {kind}"     # a password-protected Office file is an OLE container
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return f"unreadable {kind}: not a zip container"


def _read_docx(data: bytes) -> tuple[str | None, str | None]:
    """The paragraphs of a Word document, and its tables a row to a line (cells by tabs).

    Read straight from ``word/document.xml`` with the standard library: a tenth of the time
    python-docx takes to build its object model, for the same words."""
    archive = _office(data, "DOCX")
    if isinstance(archive, str):
        return None, archive
    with archive:
        xml = _part(archive, "word/document.xml")
    if xml is None:
        return None, "unreadable DOCX: no word/document.xml"
    body = ElementTree.fromstring(xml).find(f"{_W}body")
    lines: list[str] = []
    for block in body if body is not None else ():
        if block.tag == f"{_W}p":
            lines.append(_paragraph(block))
        elif block.tag == f"{_W}tbl":
            for row in block.iter(f"{_W}tr"):
                lines.append("\t".join(" ".join(_paragraph(p) for p in cell.iter(f"{_W}p"))
                                       for cell in row.iter(f"{_W}tc")))
    return "\n".join(lines).strip(), None


def _paragraph(paragraph: ElementTree.Element) -> str:
    out = []
    for node in paragraph.iter():
        if node.tag == f"{_W}t" and node.text:
            out.append(node.text)
        elif node.tag == f"{_W}tab":
            out.append("\t")
        elif node.tag in (f"{_W}br", f"{_W}cr"):
            out.append("\n")
    return "".join(out)


def _read_xlsx(data: bytes) -> tuple[str | None, str | None]:
    """Each sheet of a workbook, ``[name]`` then a row to a line (cells by tabs), values as
    stored (the last computed value of a formula). Read with the standard library: an order
    of magnitude faster than loading the workbook with openpyxl."""
    archive = _office(data, "XLSX")
    if isinstance(archive, str):
        return None, archive
    with archive:
        shared = _shared_strings(_part(archive, "xl/sharedStrings.xml"))
        sheets = _sheets(archive)
        lines: list[str] = []
        size = 0
        for title, path in sheets:
            xml = _part(archive, path)
            if xml is None:
                continue
            lines.append(f"[{title}]")
            for count, row in enumerate(ElementTree.fromstring(xml).iter(f"{_S}row")):
                if count >= MAX_SHEET_ROWS or size >= MAX_TEXT_CHARS:
                    break
                line = "\t".join(_cell(cell, shared) for cell in row.iter(f"{_S}c")).rstrip()
                lines.append(line)
                size += len(line)
    return "\n".join(lines).strip(), None


def _shared_strings(xml: bytes | None) -> list[str]:
    if xml is None:
        return []
    return ["".join(t.text or "" for t in item.iter(f"{_S}t"))
            for item in ElementTree.fromstring(xml).iter(f"{_S}si")]


def _sheets(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(title, part name) of each worksheet, in the workbook's order."""
    workbook, rels = _part(archive, "xl/workbook.xml"), _part(archive, "xl/_rels/workbook.xml.rels")
    if workbook is None:
        return []
    targets = {}
    if rels is not None:
        for rel in ElementTree.fromstring(rels).iter(f"{_PKG}Relationship"):
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            targets[rel.get("Id")] = target
    found = []
    for index, sheet in enumerate(ElementTree.fromstring(workbook).iter(f"{_S}sheet"), start=1):
        path = targets.get(sheet.get(f"{_R}id"), f"xl/worksheets/sheet{index}.xml")
        found.append((sheet.get("name", f"Sheet{index}"), path))
    return found


def _cell(cell: ElementTree.Element, shared: list[str]) -> str:
    kind = cell.get("t")
    if kind == "inlineStr":
        return "".join(t.text or "" for t in cell.iter(f"{_S}t"))
    value = cell.find(f"{_S}v")
    if value is None or value.text is None:
        return ""
    if kind == "s":
        index = int(value.text)
        return shared[index] if 0 <= index < len(shared) else ""
    if kind == "b":
        return "TRUE" if value.text == "1" else "FALSE"
    text = value.text
    if kind is None and text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        return text[:-2]            # 2019.0 as Excel stores it, 2019 as a person reads it
    return text


def _read_plain(data: bytes) -> tuple[str | None, str | None]:
    return decode_bytes(data), None


def _read_html(data: bytes) -> tuple[str | None, str | None]:
    return html_to_text(decode_bytes(data)), None


def _read_legacy(data: bytes) -> tuple[str | None, str | None]:
    return None, "legacy Office format not read (.doc/.xls)"


_READERS = {
    "pdf": _read_pdf,
    "docx": _read_docx,
    "xlsx": _read_xlsx,
    "csv": _read_plain,
    "txt": _read_plain,
    "html": _read_html,
    "doc": _read_legacy,
    "xls": _read_legacy,
}
