"""Parsing raw mail once, at the edge: charsets, encodings, HTML, quoted text, attachments."""

from __future__ import annotations

import dataclasses
import hashlib
import io
from datetime import datetime, timezone
from email.message import EmailMessage, Message
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest

from foibot.mail.attachments import MAX_TEXT_CHARS, decode_bytes, extract_text, html_to_text
from foibot.mail.parse import attachment_payloads, parse, safe_filename, strip_quoted


def pdf_bytes(text: str, *, password: str | None = None) -> bytes:
    """A one-page PDF whose text layer is ``text`` (one line per line), built by hand."""
    shown = "".join(f"({line}) Tj 0 -14 Td " for line in text.split("\n"))
    stream = f"BT /F1 12 Tf 72 720 Td {shown}ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    if password is None:
        return bytes(out)
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(bytes(out))))
    writer.encrypt(password, algorithm="RC4-128")  # RC4 needs no optional crypto package
    locked = io.BytesIO()
    writer.write(locked)
    return locked.getvalue()


def docx_bytes(*paragraphs: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "2024", "17"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    import openpyxl

    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def raw_with_body(body: bytes, *, charset: str | None, cte: str = "8bit",
                  ctype: str = "text/plain") -> bytes:
    params = f"; charset={charset}" if charset else ""
    return (
        b"From: FOI Unit <FOI@Example.Police.UK>\r\nTo: jane@newsroom.example\r\n"
        b"Subject: Response\r\nMIME-Version: 1.0\r\n"
        + f"Content-Type: {ctype}{params}\r\nContent-Transfer-Encoding: {cte}\r\n\r\n".encode()
        + body
    )


# --- headers --------------------------------------------------------------------------------


def test_headers_addresses_ids_and_date() -> None:
    msg = EmailMessage()
    msg["From"] = '"Freedom of Information" <FOI@Kent.Police.UK>'
    msg["To"] = "Jane <jane+FOI-7K3QD@newsroom.example>, desk@newsroom.example"
    msg["Cc"] = "legal@newsroom.example"
    msg["Delivered-To"] = "jane@newsroom.example"
    msg["X-Original-To"] = "jane+FOI-7K3QD@newsroom.example"
    msg["Subject"] = "RE: FOI 2026/01234"
    msg["Date"] = "Tue, 06 Jan 2026 14:05:00 +0100"
    msg["Message-ID"] = "<reply-1@kent.police.uk>"
    msg["In-Reply-To"] = "<FOI-7K3QD.1@newsroom.example>"
    msg["References"] = "<a@x> <FOI-7K3QD.1@newsroom.example>"
    msg["Auto-Submitted"] = "auto-replied"
    msg["X-Unrelated"] = "ignored"
    msg.set_content("Thank you.")
    mail = parse(msg.as_bytes())
    assert mail.from_addr == "foi@kent.police.uk"
    assert mail.from_name == "Freedom of Information"
    assert mail.to == ("jane+foi-7k3qd@newsroom.example", "desk@newsroom.example")
    assert mail.cc == ("legal@newsroom.example",)
    assert mail.delivered_to == ("jane@newsroom.example", "jane+foi-7k3qd@newsroom.example")
    assert mail.message_id == "<reply-1@kent.police.uk>"
    assert mail.in_reply_to == "<FOI-7K3QD.1@newsroom.example>"
    assert mail.references == ("<a@x>", "<FOI-7K3QD.1@newsroom.example>")
    assert mail.date == datetime(2026, 1, 6, 13, 5, tzinfo=timezone.utc)
    assert mail.headers["auto-submitted"] == "auto-replied"
    assert "x-unrelated" not in mail.headers
    assert mail.text == "Thank you."


def test_missing_or_bad_date_is_none_and_recorded() -> None:
    assert parse(b"Subject: x\r\n\r\nbody").date is None
    mail = parse(b"Date: the day after tomorrow\r\nSubject: x\r\n\r\nbody")
    assert mail.date is None
    assert "unparseable Date header" in mail.defects


def test_rfc2047_headers_and_raw_8bit_headers() -> None:
    raw = (b"From: =?iso-8859-1?q?Sin=E9ad_O=27Brien?= <foi@psni.police.uk>\r\n"
           b"Subject: =?utf-8?B?UkU6IEZPSSDigJMgwqM0NTA=?= limit\r\n\r\nbody")
    mail = parse(raw)
    assert mail.from_name == "Sinéad O'Brien"
    assert mail.subject == "RE: FOI – £450 limit"
    mail = parse(b"Subject: Caf\xe9 costs \xa3450\r\n\r\nbody")
    assert mail.subject == "Café costs £450"


# --- bodies and charsets ---------------------------------------------------------------------


def test_quoted_printable_windows_1252() -> None:
    body = b"The cost would exceed =A3450 =96 about 18 hours=92 work.\r\n"
    mail = parse(raw_with_body(body, charset="windows-1252", cte="quoted-printable"))
    assert mail.text == "The cost would exceed £450 – about 18 hours’ work."


def test_base64_utf8() -> None:
    import base64

    body = base64.encodebytes("We do not hold this information — s.1(1)(a).".encode())
    mail = parse(raw_with_body(body, charset="utf-8", cte="base64"))
    assert mail.text == "We do not hold this information — s.1(1)(a)."


@pytest.mark.parametrize(
    ("body", "label"),
    [
        ("Cost: £450".encode("utf-8"), "iso-8859-1"),  # UTF-8 labelled latin-1
        ("Cost: £450".encode("cp1252"), "utf-8"),  # windows-1252 labelled UTF-8
        ("Cost: £450".encode("cp1252"), "us-ascii"),
        ("Cost: £450".encode("cp1252"), "x-no-such-charset"),
        ("Cost: £450".encode("cp1252"), None),
    ],
)
def test_mislabelled_charsets_still_decode(body: bytes, label: str | None) -> None:
    assert parse(raw_with_body(body, charset=label)).text == "Cost: £450"


def test_decode_bytes_last_resort_replaces() -> None:
    assert decode_bytes(b"\x81\x8d ok", "utf-8") == "\ufffd\ufffd ok"


def test_html_only_body_keeps_line_breaks() -> None:
    html = ("<html><head><style>p {color: red}</style><title>x</title></head><body>"
            "<p>Dear Ms Reporter,</p><div>Line one<br>Line&nbsp;two</div>"
            "<table><tr><td>Year</td><td>Count</td></tr><tr><td>2024</td><td>17</td></tr></table>"
            "<script>alert(1)</script><p>Yours &amp; sincerely</p></body></html>")
    mail = parse(raw_with_body(html.encode(), charset="utf-8", ctype="text/html"))
    assert mail.text.split("\n") == [
        "Dear Ms Reporter,", "Line one", "Line two", "Year\tCount", "2024\t17",
        "Yours & sincerely",
    ]


def test_alternative_prefers_plain_but_not_an_empty_one() -> None:
    both = MIMEMultipart("alternative")
    both.attach(MIMEText("plain words", "plain"))
    both.attach(MIMEText("<p>html words</p>", "html"))
    assert parse(both.as_bytes()).text == "plain words"
    empty_plain = MIMEMultipart("alternative")
    empty_plain.attach(MIMEText(" \r\n", "plain"))
    empty_plain.attach(MIMEText("<p>html words</p>", "html"))
    assert parse(empty_plain.as_bytes()).text == "html words"


def test_html_blockquote_is_marked_as_quote() -> None:
    html = "<p>Our reply.</p><blockquote><p>Your request</p><p>line 2</p></blockquote>"
    assert html_to_text(html).split("\n") == ["Our reply.", "> Your request", "> line 2"]


# --- quoted copy of earlier mail -------------------------------------------------------------

QUOTED_CASES = {
    "angle": "We do not hold it.\n\n> Please provide section 12 figures\n> thanks",
    "original": "We do not hold it.\n\n-----Original Message-----\nFrom: Jane\nPlease provide",
    "outlook": ("We do not hold it.\n\n________________________________\n"
                "From: Jane Reporter <jane@newsroom.example>\nSent: 05 January 2026 10:00\n"
                "To: FOI\nSubject: FOI-7K3QD\n\nPlease provide the figures (section 12)"),
    "outlook_bold": ("We do not hold it.\n\n*From:* Jane <jane@newsroom.example>\n"
                     "*Sent:* 05 January 2026\n*To:* FOI\n*Subject:* request\n\nPlease provide"),
    "wrote_wrapped": ("We do not hold it.\n\nOn Mon, 5 Jan 2026 at 10:00, Jane Reporter <\n"
                      "jane@newsroom.example> wrote:\nPlease provide the figures"),
}


@pytest.mark.parametrize("case", sorted(QUOTED_CASES))
def test_quoted_copy_is_removed(case: str) -> None:
    assert strip_quoted(QUOTED_CASES[case]) == "We do not hold it."


def test_bottom_posted_reply_is_kept() -> None:
    text = "On 5 Jan 2026, Jane wrote:\n> Please provide\n> figures\n\nThe figures are attached."
    assert strip_quoted(text) == "The figures are attached."


def test_a_from_line_in_the_letter_is_not_a_quote_header() -> None:
    text = "From: the Disclosure Unit\nWe do not hold it.\nSubject to the exemptions below"
    assert strip_quoted(text) == text


# --- attachments ----------------------------------------------------------------------------


def with_attachment(data: bytes, filename: str | None, ctype: str = "application/octet-stream",
                    *, body: str = "Please find attached our response.") -> Message:
    outer = MIMEMultipart()
    outer["Subject"] = "FOI response"
    outer.attach(MIMEText(body, "plain"))
    part = MIMEApplication(data, _subtype=ctype.split("/")[1])
    part.replace_header("Content-Type", ctype)
    if filename is not None:
        part.add_header("Content-Disposition", "attachment", filename=filename)
    else:
        part.add_header("Content-Disposition", "attachment")
    outer.attach(part)
    return outer


def test_pdf_docx_xlsx_csv_text_is_extracted() -> None:
    cases = [
        (pdf_bytes("Section 12 applies\nexceed the appropriate limit"), "Response.pdf",
         "exceed the appropriate limit"),
        (docx_bytes("We do not hold the information"), "Letter.docx", "2024\t17"),
        (xlsx_bytes([["Year", "Count"], [2024, 17]]), "Data.xlsx", "2024\t17"),
        ("Year,Count\n2024,£17\n".encode("cp1252"), "data.csv", "2024,£17"),
    ]
    for data, name, expected in cases:
        mail = parse(with_attachment(data, name).as_bytes())
        assert mail.text == "Please find attached our response."
        (attachment,) = mail.attachments
        assert attachment.filename == name
        assert attachment.size == len(data)
        assert attachment.sha256 == hashlib.sha256(data).hexdigest()
        assert attachment.problem is None, attachment.problem
        assert expected in (attachment.text or ""), (name, attachment.text)


def test_broken_and_encrypted_files_give_problems_not_exceptions() -> None:
    locked = parse(with_attachment(pdf_bytes("secret", password="pw"), "Response.pdf").as_bytes())
    assert locked.attachments[0].text is None
    assert locked.attachments[0].problem == "encrypted PDF"
    broken = parse(with_attachment(b"%PDF-1.7\nnot really", "Response.pdf").as_bytes())
    assert broken.attachments[0].text is None
    assert broken.attachments[0].problem.startswith("unreadable PDF")
    assert extract_text("x.docx", "", b"PK\x03\x04 truncated")[1].startswith("unreadable DOCX")
    assert extract_text("x.xlsx", "", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1...") == (
        None, "encrypted XLSX")
    assert extract_text("logo.png", "image/png", b"\x89PNG") == (None, None)


def test_extracted_text_is_capped() -> None:
    text, problem = extract_text("big.txt", "text/plain", b"x" * (MAX_TEXT_CHARS + 10))
    assert problem is None and len(text or "") == MAX_TEXT_CHARS


@pytest.mark.parametrize(
    ("hostile", "safe"),
    [
        ("../../x", "x"),
        ("/etc/passwd", "passwd"),
        ("C:\\Users\\x\\FOI Response.pdf", "FOI Response.pdf"),
        ("evil\x00name.pdf", "evil name.pdf"),
        ("..", "attachment.pdf"),
        (".htaccess", "htaccess"),
        ("", "attachment.pdf"),
        ("a\r\nb.pdf", "a b.pdf"),
        ("what?.pdf", "what_.pdf"),
    ],
)
def test_hostile_filenames_become_safe(hostile: str, safe: str) -> None:
    assert safe_filename(hostile, "application/pdf") == safe


def test_very_long_filename_keeps_its_extension() -> None:
    name = safe_filename("a" * 2000 + ".pdf")
    assert len(name) == 150 and name.endswith(".pdf")


def test_filenames_in_mail_rfc2231_rfc2047_and_missing() -> None:
    outer = with_attachment(b"data", None, "application/pdf")
    part = outer.get_payload()[1]
    part.set_param("filename", ("utf-8", "", "Réponse FOI/2026.pdf"), header="Content-Disposition")
    mail = parse(outer.as_bytes())
    assert mail.attachments[0].original_filename == "Réponse FOI/2026.pdf"
    assert mail.attachments[0].filename == "2026.pdf"

    outlook = with_attachment(b"data", "=?utf-8?B?UsOpcG9uc2UucGRm?=", "application/pdf")
    assert parse(outlook.as_bytes()).attachments[0].original_filename == "Réponse.pdf"

    unnamed = parse(with_attachment(b"data", None, "application/pdf").as_bytes())
    assert unnamed.attachments[0].original_filename is None
    assert unnamed.attachments[0].filename == "attachment.pdf"


def test_hostile_filename_in_mail_is_made_safe_and_original_kept() -> None:
    mail = parse(with_attachment(b"data", "../../../etc/cron.d/x", "text/plain").as_bytes())
    (attachment,) = mail.attachments
    assert attachment.filename == "x"
    assert attachment.original_filename == "../../../etc/cron.d/x"


def test_attachment_payloads_give_the_bytes_to_save() -> None:
    data = xlsx_bytes([["a"]])
    raw = with_attachment(data, "Data.xlsx").as_bytes()
    ((attachment, payload),) = list(attachment_payloads(raw))
    assert payload == data
    # the same attachment as parse() sees, but not opened: saving or downloading a file never
    # runs its reader (which a file that stopped a poll's reader would stop again)
    read = parse(raw).attachments[0]
    assert read.text and attachment.text is None and attachment.problem is None
    assert attachment == dataclasses.replace(read, text=None, problem=None)
    assert parse(raw, attachment_text=False).attachments == (attachment,)


def test_inline_logo_is_an_attachment_not_body() -> None:
    related = MIMEMultipart("related")
    related.attach(MIMEText("<p>We do not hold it.</p>", "html"))
    image = MIMEApplication(b"\x89PNG", _subtype="png")
    image.replace_header("Content-Type", "image/png")
    image.add_header("Content-ID", "<logo>")
    related.attach(image)
    mail = parse(related.as_bytes())
    assert mail.text == "We do not hold it."
    assert [a.content_type for a in mail.attachments] == ["image/png"]
    assert mail.attachments[0].filename == "attachment.png"


# --- delivery reports and malformed mail -----------------------------------------------------

DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.example>\r\n"
    b"To: jane@newsroom.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"MIME-Version: 1.0\r\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
    b"--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
    b"--B\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.example\r\n\r\n"
    b"Final-Recipient: rfc822; foi@old.pnn.police.uk\r\nAction: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
    b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
    b"From: jane@newsroom.example\r\nSubject: FOI-7K3QD\r\n\r\nPlease provide\r\n"
    b"--B--\r\n"
)


def test_dsn_is_read() -> None:
    mail = parse(DSN)
    assert mail.is_dsn
    assert mail.text == "Your message could not be delivered."
    (status,) = mail.delivery_status
    assert status.recipient == "foi@old.pnn.police.uk"
    assert status.action == "failed"
    assert status.status == "5.1.1"
    assert status.diagnostic == "550 5.1.1 User unknown"
    assert [a.content_type for a in mail.attachments] == ["message/rfc822"]


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage without headers",
        b"Content-Type: multipart/mixed\r\n\r\nno boundary at all",
        (b'Content-Type: multipart/mixed; boundary="X"\r\n\r\n--X\r\nContent-Type: text/plain\r\n'
         b"Content-Transfer-Encoding: base64\r\n\r\n!!!not base64\r\n"),
        (b"Content-Type: text/plain; charset=\"\r\nContent-Transfer-Encoding: quoted-printable"
         b"\r\n\r\nbroken =ZZ escape"),
        b'Content-Type: application/pdf; name="x.pdf"\r\n\r\n%PDF-1.4 no end',
        b'Content-Type: text/plain; charset="utf-8\x00"\r\n\r\nNUL in the charset name',
        b"Subject: =?x-bogus?q?=FF?= =?utf-8?B?not base64?=\r\nFrom: <>\r\n\r\nodd headers",
    ],
)
def test_malformed_mail_never_raises(raw: bytes) -> None:
    mail = parse(raw)
    assert isinstance(mail.text, str)
    assert isinstance(mail.defects, tuple)
    list(attachment_payloads(raw))


def test_defects_are_recorded() -> None:
    mail = parse(b"Content-Type: multipart/mixed\r\n\r\nno boundary at all")
    assert mail.defects
