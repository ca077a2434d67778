"""Building police replies to letters foibot really sent (for inbox, status and demo tests)."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

from foibot.model import Request
from foibot.letters.followup import original


def reply_to(request: Request, body: str, *, subject: str | None = None, sender: str | None = None,
             date: datetime | None = None, thread: bool = True, to: str | None = None,
             headers: dict[str, str] | None = None,
             attachment: tuple[str, str, bytes] | None = None) -> bytes:
    """A reply from ``request``'s force, threaded to our letter unless ``thread`` is False."""
    mid, orig_subject = original(request)
    msg = EmailMessage()
    domain = (request.email or "force.police.uk").rpartition("@")[2]
    msg["From"] = sender or f"Freedom of Information <foi@{domain}>"
    msg["To"] = to or "Jane Reporter <jane@newsroom.example>"
    msg["Subject"] = subject if subject is not None else f"RE: {orig_subject}"
    msg["Date"] = format_datetime(date or datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc))
    msg["Message-ID"] = make_msgid(domain=domain)
    if thread and mid:
        msg["In-Reply-To"] = mid
        msg["References"] = mid
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if attachment:
        name, ctype, data = attachment
        maintype, subtype = ctype.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


ACK = ("Thank you for your request for information, which was received on {day}. "
       "Your request is being dealt with under the terms of the Freedom of Information Act 2000 "
       "and you will receive a response within 20 working days.")
SUCCESS = ("Please find below our response to your Freedom of Information request.\n\n"
           "We can confirm that the information you requested is held by the force and is "
           "provided in full below.\n\nYear  Officers investigated\n2015  4\n2016  7\n")
REFUSAL = ("We estimate that the cost of complying with this request would exceed the "
           "appropriate limit of £450 (18 hours). This letter is a refusal notice under "
           "section 12 of the Freedom of Information Act 2000.")
CLARIFY = ("Before we can proceed, we need you to clarify your request. Could you please clarify "
           "what you mean by 'offensive'? The time limit will not start until we receive your "
           "clarification.")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def big_sheet() -> bytes:
    """A spreadsheet of 5,000 rows: a real attachment that takes a second or more to read."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    for row in range(5000):
        book.active.append([f"cell {row} {column}" for column in range(30)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
