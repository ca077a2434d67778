"""A demo-built state dir for the web view's tests, and what they share.

``web_state`` plays the demo's 44-force campaign through aiosmtpd and pymap (as
``tests/test_status.py``'s ``played`` does), then one more morning of mail arrives and is
polled: a clarification question, a reply foibot cannot read with confidence (with a PDF and an
image attached), a hostile reply, and two messages for triage, one of them hostile. It is built
once per test process; every test module copies it (``WebState.copy_to``), so tests that change
state never see each other's changes.
"""

from __future__ import annotations

import re
import shutil
import struct
import warnings
import zlib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone
from pathlib import Path

import pytest

with warnings.catch_warnings():     # Starlette would rather its test client used httpx2
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from foibot import demo
from foibot.app import App
from foibot.demo.script import SCRIPTS
from foibot.mail import inbox, review
from foibot.mail.imap import Mailbox
from foibot.timeutil import pinned_now
from foibot.web.app import create_app
from tests.helpers import QUESTION, write_config
from tests.replies import CLARIFY, reply_to

MORNING = datetime(2027, 2, 8, 9, 0, tzinfo=timezone.utc)    # the Monday after the demo ends
POLL_AT = "2027-02-08T10:00:00+00:00"
NOW = "2027-02-08T12:00:00+00:00"
CAMPAIGN = "sm"
BASE_URL = "http://127.0.0.1"
# Each of these would change the page's title, or add an element, if it ever ran.
PWNED = "pwned"
SCRIPT = f"<script>document.title='{PWNED}';document.body.append('{PWNED}')</script>"
IMG = f"\"><img src=x id=\"{PWNED}\" onerror=\"document.title='{PWNED}'\">"
JS_LINK = f"javascript:document.title='{PWNED}'"
HOSTILE_NAME = f"{IMG}{SCRIPT}.html"
ESCAPE = "\x1b]0;pwned\x07\x1b[2J"       # would retitle and clear a terminal
VAGUE = ("Dear Jane,\n\nWe have looked into this matter and enclose our letter.\n\nRegards,\n"
         "Records Office")
TRIAGE_TEXT = ("Dear Ms Reporter,\n\nI work in the disclosure team at Thames Valley Police and I "
               "am writing from my own address about your request for information.\n\nJo")


def tiny_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer says ``text`` (pypdf reads it back)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def tiny_png(width: int = 24, height: int = 16) -> bytes:
    """A small solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\xd0\x40\x30" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                               0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def _hostile_headers(raw: bytes, sender: str, subject: str) -> bytes:
    """Put a stranger's From and Subject in as written: Python's email package would fold
    them into a broken header block (quotes and angle brackets), which is not the test."""
    quoted = sender.replace("\\", "\\\\").replace('"', '\\"')
    return (raw.replace(b"From: placeholder@evil.example",
                        f'From: "{quoted}" <someone@evil.example>'.encode())
               .replace(b"Subject: placeholder", f"Subject: {subject}".encode()))


def hostile_reply(request) -> bytes:
    """A reply whose every part a stranger controls tries to run script in the page."""
    from email import message_from_bytes, policy

    raw = reply_to(request, "placeholder", subject="placeholder",
                   sender="placeholder@evil.example", date=MORNING)
    msg = message_from_bytes(raw, policy=policy.default)
    msg.set_content(f"<html><body><p>Information not held.{ESCAPE}</p>{SCRIPT}{IMG}"
                    f"<a href=\"{JS_LINK}\">click</a></body></html>", subtype="html")
    msg.add_attachment(f"<html>{SCRIPT}</html>".encode(), maintype="text", subtype="html",
                       filename=HOSTILE_NAME)
    msg.add_attachment(f"<svg xmlns='http://www.w3.org/2000/svg'>{SCRIPT}</svg>".encode(),
                       maintype="image", subtype="svg+xml", filename="chart.svg")
    return _hostile_headers(msg.as_bytes(), IMG, f"{SCRIPT}{IMG} {JS_LINK}")


def triage_message(*, hostile: bool) -> bytes:
    msg = EmailMessage()
    msg["From"] = "placeholder@evil.example" if hostile else "Jo Bloggs <jo.bloggs@mail.example>"
    msg["Subject"] = "placeholder" if hostile else "About your information request"
    msg["To"] = "Jane Reporter <jane@newsroom.example>"
    msg["Date"] = format_datetime(MORNING)
    msg["Message-ID"] = make_msgid(domain="mail.example")
    if hostile:
        msg.set_content(f"<p>{SCRIPT}{IMG}<a href=\"{JS_LINK}\">x</a></p>", subtype="html")
        return _hostile_headers(msg.as_bytes(), IMG, f"{JS_LINK} {SCRIPT}")
    msg.set_content(TRIAGE_TEXT)
    return msg.as_bytes()


@dataclass(frozen=True)
class WebState:
    root: Path
    refs: dict[str, str]             # force id -> reference
    clarify: str                     # waiting on our answer to its question
    unsure: str                      # its latest reply needs review (PDF and PNG attached)
    hostile: str                     # a reply trying every trick
    spreadsheet: str                 # answered with an xlsx
    triage: str                      # message id of the friendly message in triage
    triage_hostile: str

    def copy_to(self, target: Path) -> Path:
        """A private copy (config and state); returns its config path."""
        shutil.copytree(self.root, target, dirs_exist_ok=True)
        return target / "config.toml"


_built: list[WebState] = []


def web_state(tmp_path_factory: pytest.TempPathFactory, smtp, pymap) -> WebState:
    """The demo-built state, made once per test process."""
    if not _built:
        _built.append(_build(tmp_path_factory.mktemp("web-state"), smtp, pymap))
    return _built[0]


def _build(root: Path, smtp, pymap) -> WebState:
    smtp.reset()
    pymap.empty()
    cfg = write_config(root, smtp=(smtp.host, smtp.port),
                       imap=(pymap.host, pymap.port, pymap.username, pymap.password))
    app = App.load(cfg)
    with pinned_now(demo.START):
        app.campaigns.create(CAMPAIGN, forces=app.registry.group("default"), group="default",
                             template=None, variables={"question": QUESTION}, now=app.now())
    demo.play(app, CAMPAIGN, pymap.deliver)
    requests = {r.force.id: r for r in app.campaigns.requests(CAMPAIGN)}
    silent = [r.force.id for r, script in zip(app.campaigns.requests(CAMPAIGN), SCRIPTS)
              if not script]
    clarify, unsure, hostile = silent[:3]
    pymap.deliver(reply_to(requests[clarify], CLARIFY, date=MORNING))
    pymap.deliver(_with_png(reply_to(requests[unsure], VAGUE, date=MORNING, attachment=(
        "scan.pdf", "application/pdf", tiny_pdf("Page 1")))))
    pymap.deliver(hostile_reply(requests[hostile]))
    pymap.deliver(triage_message(hostile=False))
    pymap.deliver(triage_message(hostile=True))
    with pinned_now(POLL_AT), Mailbox(app.config.imap) as mailbox:
        inbox.poll(app, mailbox=mailbox)
    app = App.load(cfg)
    # The classifier is not under test here: where it reads these differently, the reading is
    # pinned as a person would (``foibot mark``); the unsure one must stay unsure.
    for force, kind in ((clarify, "clarification"), (hostile, "not_held")):
        reply = [e for e in app.campaigns.find(requests[force].reference).events
                 if e.type == "reply"][-1]
        if reply.data.get("kind") != kind or reply.data.get("needs_review"):
            with pinned_now(POLL_AT):
                review.mark(app, requests[force].reference, kind)
    unsure_reply = [e for e in app.campaigns.find(requests[unsure].reference).events
                    if e.type == "reply"][-1]
    assert unsure_reply.data.get("needs_review"), "the vague reply must need review"
    mail = {m.interpreted.get("subject") if m.interpreted else None: m.id
            for m in app.store.mail.messages()}
    triage = mail["About your information request"]
    triage_hostile = next(v for k, v in mail.items() if k and k.startswith("javascript:"))
    spreadsheet = next(r.force.id for r in app.campaigns.requests(CAMPAIGN)
                       if any(".xlsx" in " ".join(e.data.get("attachments") or [])
                              for e in r.events))
    return WebState(root, {f: r.reference for f, r in requests.items()},
                    requests[clarify].reference, requests[unsure].reference,
                    requests[hostile].reference, requests[spreadsheet].reference,
                    triage, triage_hostile)


def _with_png(raw: bytes) -> bytes:
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    msg.add_attachment(tiny_png(), maintype="image", subtype="png", filename="photo.png")
    return msg.as_bytes()


def client(cfg: Path, *, token: str | None = None) -> TestClient:
    """The web view over ``cfg``'s state, in process, as a browser on this machine sees it."""
    return TestClient(create_app(App.load(cfg), token=token), base_url=BASE_URL,
                      follow_redirects=False)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
