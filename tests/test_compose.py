"""A letter's wire bytes, written directly for speed, read back as the email package builds
them: same headers, same text, for the awkward inputs real campaigns have (Welsh names, long
subjects, long lines, dots and "From " at the start of a line)."""

from __future__ import annotations

import email
import email.policy
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime

import pytest

from foibot.mail.smtp import LONDON, compose, message_bytes, with_message_id
from foibot.settings import Sender

WHEN = datetime(2026, 7, 1, 9, 30, tzinfo=timezone.utc)
HEADERS = ("Subject", "Date", "Message-ID", "In-Reply-To", "References", "X-Foibot-Reference")

CASES = [
    dict(name="Jane Reporter", to="foi@kent.police.uk", subject="Freedom of Information request",
         body="Dear Kent Police,\n\nPlease provide the figures.\n\nJane\n"),
    dict(name="Siân Jones", to="Heddlu Dyfed-Powys <foi@dyfed-powys.police.uk>",
         subject="Cais Rhyddid Gwybodaeth: swyddogion â chyfryngau cymdeithasol – 2015 ymlaen",
         body="Annwyl Heddlu,\n\nCafé – “quotes”\n" + "x" * 100 + "\n.leading dot\nFrom here\n"),
    dict(name="O'Brien, Pat", to="foi@psni.police.uk",
         subject="A very long subject line that goes on and on about officers, social media, "
                 "misconduct hearings and outcomes since 2015, by year",
         body="Line with trailing spaces   \n\n\nTabs\there\r\nCRLF line\rold Mac line"),
    dict(name="Zoë", to="a@b.example, \"Ffion Ŵ\" <c@d.example>", subject="£ and €",
         body=""),
]


def _old(case: dict, **rest: object) -> EmailMessage:
    """The letter as :class:`EmailMessage` builds it (what foibot sent before)."""
    sender = rest["sender"]
    assert isinstance(sender, Sender)
    msg = EmailMessage()
    msg["From"] = f"{sender.name} <{sender.address}>"
    msg["To"] = case["to"]
    msg["Reply-To"] = f"{sender.name} <{sender.reply_address(str(rest['reference']))}>"
    msg["Subject"] = case["subject"]
    msg["Date"] = format_datetime(WHEN.astimezone(LONDON))
    msg["Message-ID"] = str(rest["message_id"])
    msg["In-Reply-To"] = "<their.1@kent.police.uk>"
    msg["References"] = "<ours.1@newsroom.example> <their.1@kent.police.uk>"
    msg["X-Foibot-Reference"] = str(rest["reference"])
    msg.set_content(case["body"])
    return msg


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["name"])
def test_composed_bytes_read_back_as_the_email_package_builds_them(case):
    sender = Sender(case["name"], "jane@newsroom.example", "", "jane+{ref}@newsroom.example")
    common = dict(sender=sender, reference="FOI-7K3QD", message_id="<foibot.FOI-7K3QD.x@n.e>")
    raw = compose(to=case["to"], subject=case["subject"], body=case["body"], date=WHEN,
                  in_reply_to="<their.1@kent.police.uk>",
                  references=["<ours.1@newsroom.example>", "<their.1@kent.police.uk>"], **common)
    ours = email.message_from_bytes(raw, policy=email.policy.default)
    theirs = email.message_from_bytes(message_bytes(_old(case, **common)),
                                      policy=email.policy.default)
    for name in HEADERS:
        assert str(ours[name]) == str(theirs[name]), name
    assert ours["To"].addresses == theirs["To"].addresses
    # the sender's name whole, even with a comma in it (which the old f-string split in two)
    assert [(a.display_name, a.addr_spec) for a in ours["From"].addresses] == [
        (case["name"], "jane@newsroom.example")]
    assert [(a.display_name, a.addr_spec) for a in ours["Reply-To"].addresses] == [
        (case["name"], "jane+foi-7k3qd@newsroom.example")]
    assert ours.get_content() == theirs.get_content()
    # on the wire: 7-bit, CRLF only, no line over 78 characters
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78
    assert not ours.defects


def test_a_line_break_in_a_header_is_refused():
    sender = Sender("Jane", "jane@newsroom.example")
    with pytest.raises(ValueError, match="line breaks"):
        compose(sender=sender, to="foi@kent.police.uk", subject="Hi\nBcc: x@evil.example",
                body="", reference="FOI-7K3QD", message_id="<a@b>", date=WHEN)


def test_with_message_id_replaces_only_the_header():
    raw = (b"From: a@b\r\nMessage-ID: <old@x>\r\nSubject: s\r\n\r\n"
           b"Message-ID: <in the body@x>\r\n")
    out = with_message_id(raw, "<new@x>")
    assert out == raw.replace(b"<old@x>", b"<new@x>")
    bare = b"From: a@b\r\n\r\nbody\r\n"
    assert with_message_id(bare, "<new@x>") == b"Message-ID: <new@x>\r\n" + bare
