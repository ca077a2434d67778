"""Realistic replies for the ingest benchmarks: what a campaign's mailbox fills with.

Mixed sizes and kinds, as a campaign of thousands of requests receives them: automatic
acknowledgements, answers with a table in the text, refusals citing the cost limit, covering
notes with the answer in a PDF, a Word document or a spreadsheet, out-of-office replies and
the odd bounce; threaded to the requests (In-Reply-To our Message-ID), or only carrying our
reference, or neither. Deterministic for a given seed.
"""

from __future__ import annotations

import io
import random
from email.message import EmailMessage
from email.utils import format_datetime

from bench.common import NOW

ACK = ("Thank you for your request for information, which was received on {day}. Your "
       "request has been logged under reference {their} and you will receive a response "
       "within 20 working days.")
TABLE = ("I can confirm that the information you have requested is held by the force. I am "
         "able to disclose the located information to you as follows.\n\nYear  Officers\n"
         + "".join(f"{y}  {n}\n" for y, n in zip(range(2015, 2025), range(3, 40, 4))))
REFUSAL = ("I can confirm that the information is held, however it cannot be disclosed. "
           "Locating it would mean reviewing about 1,400 case files, which would exceed the "
           "appropriate limit of 18 hours (section 12(1)). This letter is a refusal notice.")
COVER = "Please find attached our response to your request for information."
AWAY = "I am out of the office on annual leave until Monday with no access to email."


def _pdf(text: str) -> bytes:
    """A small one-page PDF whose text pypdf can extract."""
    body = ("BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(
        f"({line}) '" for line in text.replace("(", "[").replace(")", "]").split("\n"))
            + " ET").encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(body) + body + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


def _xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Year", "Investigated", "Dismissed"])
    for year in range(2015, 2025):
        sheet.append([year, year % 17 + 3, year % 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _docx(text: str) -> bytes:
    import docx

    document = docx.Document()
    for paragraph in text.split("\n"):
        document.add_paragraph(paragraph)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


class Replies:
    """``replies[i]`` is the i-th reply, as raw bytes, to one of ``references``."""

    def __init__(self, references: list[str], *, seed: int = 2026) -> None:
        self.references = references
        self.seed = seed
        self.pdf = _pdf(TABLE)
        self.xlsx = _xlsx()
        self.docx = _docx(REFUSAL)

    def make(self, i: int) -> bytes:
        rng = random.Random(self.seed * 1_000_003 + i)
        ref = self.references[i % len(self.references)]
        their = f"FOI {2026}/{i:05d}"
        kind = rng.choices(["ack", "table", "refusal", "pdf", "docx", "xlsx", "away", "plain"],
                           weights=[30, 20, 15, 10, 5, 5, 5, 10])[0]
        msg = EmailMessage()
        domain = f"body{i % 997:05d}.example"
        msg["From"] = f"Freedom of Information <foi@{domain}>"
        msg["To"] = "Jane Reporter <jane@newsroom.example>"
        msg["Subject"] = (f"Automatic reply: {ref}" if kind == "away"
                          else f"RE: Freedom of Information request {ref} ({their})")
        msg["Date"] = format_datetime(NOW)
        msg["Message-ID"] = f"<bench-{self.seed}-{i}@{domain}>"
        if rng.random() < 0.7:
            msg["In-Reply-To"] = f"<foibot.{ref}.request.bench@newsroom.example>"
        if kind == "away":
            msg["Auto-Submitted"] = "auto-replied"
        text = {"ack": ACK.format(day="1 December 2026", their=their), "table": TABLE,
                "refusal": REFUSAL, "away": AWAY,
                "plain": "We do not hold the information you have requested."}.get(kind, COVER)
        padding = " ".join(["Information Rights Unit."] * rng.randint(0, 60))
        msg.set_content(f"Dear Ms Reporter,\n\n{text}\n\nYours sincerely\n{padding}\n")
        if kind == "pdf":
            msg.add_attachment(self.pdf, maintype="application", subtype="pdf",
                               filename=f"{their.replace('/', '-')} Response.pdf")
        elif kind == "docx":
            msg.add_attachment(self.docx, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.wordprocessingml"
                                       ".document", filename="Response.docx")
        elif kind == "xlsx":
            msg.add_attachment(self.xlsx, maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename="Figures.xlsx")
        return msg.as_bytes()
