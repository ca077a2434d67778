"""``foibot demo``: a whole 44-force campaign over real protocols, in under a minute.

The demo starts a real SMTP server and a real IMAP server on loopback, creates a campaign to the
44 forces of the ``default`` group, sends every letter over SMTP, and then plays the forces:
each simulated force delivers its replies into the IMAP mailbox as real MIME messages on the
working day its script says (acknowledgements, a clarification question, an extension, full and
partial answers with spreadsheets, refusals citing s.12 and s.40(2), not held, a bounce, an
out-of-office). A simulated clock (``FOIBOT_NOW``, never the system time) moves day by day
through the statutory period; each day foibot polls and chases exactly as ``foibot run`` would.
By the end 32 forces have answered and 12 have not, as in the story that prompted foibot: 999
officers investigated for misusing social media, and only 32 of the 44 forces asked answered.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Callable, Sequence

from foibot.app import App
from foibot.errors import UsageError
from foibot.letters.followup import original
from foibot.mail import inbox
from foibot.mail.imap import Mailbox
from foibot.model import Request
from foibot.rules import clock
from foibot.rules.status import Board
from foibot.timeutil import LONDON, pinned_now

QUESTION = ("the number of police officers and staff investigated for posting offensive or "
            "inappropriate material on social media, for each year from 2015 to date, and how "
            "many of those investigations led to dismissal")
TOPIC = "officers investigated over social media posts"
START = datetime(2026, 12, 1, 10, 0, tzinfo=LONDON)   # a Tuesday; the count runs over Christmas
DAYS = 44                                              # working days played after sending

# Figures disclosed by the 27 forces that give numbers: they add up to the story's 999.
FIGURES = [88, 61, 12, 47, 9, 33, 117, 15, 22, 41, 7, 54, 19, 28, 36, 11, 73, 25, 30, 17,
           44, 21, 58, 14, 39, 27, 51]



@dataclass(frozen=True)
class Step:
    day: int          # working day after sending on which the force acts
    kind: str         # what it sends: ack, clarification, extension, successful, csv, xlsx,
                      # partial, refusal, not_held, bounce, ooo


# The script: one line per force of the default group, in registry order (44 forces).
# 32 answer (22 in full, 5 in part, 3 refuse under s.12, 2 do not hold it); 12 do not
# (7 silent, 3 acknowledge only, 1 bounce, 1 out-of-office).
SCRIPTS: list[tuple[Step, ...]] = [
    (Step(1, "ack"), Step(12, "successful")),
    (Step(2, "bounce"),),
    (Step(1, "ack"), Step(18, "xlsx")),
    (Step(15, "successful"),),
    (Step(1, "ack"),),
    (Step(2, "ack"), Step(19, "partial")),
    (),
    (Step(1, "ack"), Step(9, "successful")),
    (Step(20, "refusal"),),
    (Step(1, "ack"), Step(4, "clarification"), Step(14, "successful")),
    (Step(3, "ack"), Step(16, "csv")),
    (Step(1, "ooo"),),
    (Step(1, "ack"), Step(11, "successful")),
    (Step(17, "partial"),),
    (),
    (Step(1, "ack"), Step(19, "successful")),
    (Step(2, "ack"), Step(13, "not_held")),
    (Step(1, "ack"), Step(20, "xlsx")),
    (Step(1, "ack"),),
    (Step(6, "successful"),),
    (Step(1, "ack"), Step(18, "extension"), Step(31, "successful")),
    (),
    (Step(1, "ack"), Step(10, "successful")),
    (Step(19, "refusal"),),
    (Step(2, "ack"), Step(17, "successful")),
    (Step(1, "ack"), Step(22, "successful")),
    (),
    (Step(1, "ack"), Step(14, "partial")),
    (Step(8, "successful"),),
    (Step(1, "ack"), Step(20, "csv")),
    (Step(1, "ack"),),
    (Step(1, "ack"), Step(12, "not_held")),
    (Step(16, "successful"),),
    (),
    (Step(1, "ack"), Step(18, "partial")),
    (Step(1, "ack"), Step(15, "xlsx")),
    (Step(2, "ack"), Step(20, "refusal")),
    (),
    (Step(1, "ack"), Step(7, "successful")),
    (Step(1, "ack"), Step(19, "partial")),
    (Step(13, "successful"),),
    (),
    (Step(1, "ack"), Step(21, "xlsx")),
    (Step(1, "ack"), Step(17, "successful")),
]
assert len(SCRIPTS) == 44

SUBSTANTIVE_STEPS = {"successful", "csv", "xlsx", "partial", "refusal", "not_held"}
CLARIFICATION_TEXT = ("By 'offensive or inappropriate material' I mean any post that led to a "
                      "misconduct investigation under the Standards of Professional Behaviour, "
                      "whatever the platform.")


# --- the forces' replies ----------------------------------------------------------------------
def _table(figures: list[int]) -> str:
    years = range(2015, 2015 + len(figures))
    return "\n".join(f"{y}    {n}" for y, n in zip(years, figures))


def _spread(total: int) -> list[int]:
    """A force's total split over the years 2015-2026, deterministically."""
    weights = [1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 2, 2]
    parts = [total * w // sum(weights) for w in weights]
    parts[-1] += total - sum(parts)
    return parts


def _bodies(kind: str, force: str, theirs: str, total: int, due: date | None) -> str:
    t = _table(_spread(total))
    if kind == "ack":
        return (f"Dear Jane Reporter,\n\nThank you for your request for information, which was "
                f"received by {force} and has been logged under reference {theirs}.\n\n"
                f"Your request will be dealt with under the Freedom of Information Act 2000 and "
                f"we aim to respond by {due:%d %B %Y}.\n\nFreedom of Information Unit\n{force}")
    if kind == "clarification":
        return ("Dear Jane Reporter,\n\nBefore we can respond to your request we need you to "
                "clarify what you mean by 'offensive or inappropriate material'. Please could you "
                "clarify which types of posts you are interested in. The 20 working days will "
                "not start until we receive your clarification.\n\nDisclosure Team")
    if kind == "extension":
        return ("Dear Jane Reporter,\n\nWe are considering the public interest test under "
                "section 10(3) of the Freedom of Information Act 2000 and need further time to "
                "consider the public interest. We now aim to respond by {until}.\n\nInformation "
                "Rights Unit")
    if kind == "successful":
        return (f"Dear Jane Reporter,\n\n{force} has now completed its search for the "
                f"information you requested. The information is provided in full below.\n\n"
                f"Year    Officers and staff investigated\n{t}\n\nTotal: {total}\n\n"
                f"Yours sincerely,\nFreedom of Information Officer")
    if kind in ("csv", "xlsx"):
        return ("Dear Jane Reporter,\n\nPlease find attached our response to your Freedom of "
                "Information request, with the information you asked for in the spreadsheet.\n\n"
                "Kind regards,\nInformation Management")
    if kind == "partial":
        return (f"Dear Jane Reporter,\n\nPlease find below the information we hold. Some of the "
                f"information is provided below; the number of dismissals is withheld under "
                f"section 40(2) of the Freedom of Information Act 2000 (personal information), "
                f"as the numbers are small enough to identify individuals.\n\n{t}\n\n"
                f"This letter is a partial refusal notice.\n\nData Protection and FOI Team")
    if kind == "refusal":
        return ("Dear Jane Reporter,\n\nWe estimate that the cost of complying with your request "
                "would exceed the appropriate limit of £450 (18 hours). This letter is a refusal "
                "notice under section 12 of the Freedom of Information Act 2000. To help you "
                "narrow your request, you may wish to ask for a shorter period.\n\nIf you are "
                "dissatisfied you may ask for an internal review within 40 working days.\n\n"
                "Central Disclosure Unit")
    if kind == "not_held":
        return ("Dear Jane Reporter,\n\nHaving searched our systems, we can confirm that the "
                "information you requested is not held by the force: social media misconduct is "
                "not recorded as a separate category.\n\nFreedom of Information Team")
    if kind == "ooo":
        return ("Thank you for your email. I am out of the office on annual leave until "
                "Monday 4 January 2027 with no access to email. For urgent matters please "
                "contact the main switchboard.")
    raise ValueError(kind)


def build_reply(request: Request, step: Step, *, when: datetime, index: int, total: int,
                due: date | None, until: date | None = None) -> bytes:
    """A real MIME reply from the simulated force, threaded to the letter foibot sent."""
    mid, subject = original(request)
    force = request.force.name
    domain = (request.email or "police.uk").rpartition("@")[2].lower()
    theirs = f"FOI {when.year}/{1000 + index * 37:05d}"
    msg = EmailMessage()
    if step.kind == "bounce":
        return _bounce(request, mid, subject, when)
    msg["From"] = (f"{force} <freedom.of.information@{domain}>" if step.kind != "ooo"
                   else f"Sam Officer <sam.officer@{domain}>")
    msg["To"] = f"Jane Reporter <jane+{request.reference.lower()}@newsroom.example>"
    prefix = {"ack": "Acknowledgement", "ooo": "Automatic reply"}.get(step.kind, "RE")
    msg["Subject"] = f"{prefix}: {subject}" + (f" [{theirs}]" if step.kind != "ooo" else "")
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=domain)
    if mid:
        msg["In-Reply-To"] = mid
        msg["References"] = mid
    if step.kind in ("ack", "ooo"):
        msg["Auto-Submitted"] = "auto-replied"
    body = _bodies(step.kind, force, theirs, total, due)
    if step.kind == "extension":
        body = body.format(until=f"{until:%d %B %Y}" if until else "")
    msg.set_content(body)
    if step.kind in ("csv", "xlsx"):
        rows = [("Year", "Officers and staff investigated")] + [
            (str(2015 + i), n) for i, n in enumerate(_spread(total))] + [("Total", total)]
        name = f"FOI {theirs.split()[-1].replace('/', '-')} Response"
        if step.kind == "csv":
            buf = io.StringIO()
            csv.writer(buf).writerows(rows)
            msg.add_attachment(buf.getvalue().encode(), maintype="text", subtype="csv",
                               filename=f"{name}.csv")
        else:
            msg.add_attachment(_xlsx(rows), maintype="application",
                               subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                               filename=f"{name}.xlsx")
    return msg.as_bytes()


def _xlsx(rows: Sequence[tuple[object, object]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Disclosure"
    ws.append(["Information provided in full under the Freedom of Information Act 2000"])
    for row in rows:
        ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _bounce(request: Request, mid: str | None, subject: str | None, when: datetime) -> bytes:
    rcpt = request.email
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.newsroom.example>\r\n"
        "To: jane@newsroom.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {format_datetime(when)}\r\n"
        f"Message-ID: {make_msgid(domain='mx.newsroom.example')}\r\n"
        "Auto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="DSN"\r\n\r\n'
        "--DSN\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is the mail system at host mx.newsroom.example.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{rcpt}>: host mail.police.uk said: 550 5.1.1 <{rcpt}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n\r\n"
        "--DSN\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.newsroom.example\r\n\r\n"
        f"Final-Recipient: rfc822; {rcpt}\r\nOriginal-Recipient: rfc822;{rcpt}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{rcpt}>: Recipient address rejected: "
        "User unknown\r\n\r\n"
        "--DSN\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Jane Reporter <jane@newsroom.example>\r\nTo: {rcpt}\r\n"
        f"Subject: {subject}\r\nMessage-ID: {mid}\r\n\r\n"
        "--DSN--\r\n"
    ).encode()


# --- playing the campaign ---------------------------------------------------------------------
def working_days(start: date, count: int) -> list[date]:
    """The first ``count`` FOIA working days after ``start``."""
    days: list[date] = []
    day = start
    while len(days) < count:
        day += timedelta(days=1)
        if clock.is_working_day(day, "foia"):
            days.append(day)
    return days


@dataclass
class DemoResult:
    state_dir: Path
    report: Path
    board: "Board"
    responded: int
    total: int


Say = Callable[[str], None]


def play(app: App, name: str, deliver: Callable[[bytes], None], *, say: Say = lambda _: None,
         start: datetime = START, days: int = DAYS) -> None:
    """Send the campaign at ``start``, then play each working day: replies, poll, chase."""
    from foibot.letters import batch

    with pinned_now(start):
        report = batch.send(app, batch.request_letters(app, name))
    say(f"{start:%a %d %b %Y}: sent {len(report.sent)} letters over SMTP")
    requests = app.campaigns.requests(name)
    figures = iter(FIGURES)
    totals = {r.reference: (next(figures) if any(s.kind in ("successful", "csv", "xlsx", "partial")
                                                   for s in script) else 0)
              for r, script in zip(requests, SCRIPTS)}
    received = start.date()
    with Mailbox(app.config.imap) as mailbox:
        _play_days(app, name, deliver, say, requests, totals, received, days, mailbox)


def _play_days(app: App, name: str, deliver: Callable[[bytes], None], say: Say,
               requests: list[Request], totals: dict[str, int], received: date, days: int,
               mailbox: "Mailbox") -> None:
    from foibot.letters.followup import clarify

    for n, day in enumerate(working_days(received, days), start=1):
        morning = datetime.combine(day, time(9, 0), LONDON)
        arrivals = 0
        for i, (request, script) in enumerate(zip(requests, SCRIPTS)):
            for step in script:
                if step.day != n:
                    continue
                request = next(r for r in app.campaigns.requests(name)
                               if r.reference == request.reference)
                due = clock.add_working_days(received, 20, "foia").due
                until = working_days(day, 20)[-1] if step.kind == "extension" else None
                deliver(build_reply(request, step, when=morning, index=i,
                                    total=totals[request.reference], due=due, until=until))
                arrivals += 1
        with pinned_now(morning + timedelta(minutes=15)):
            summary = inbox.poll(app, mailbox=mailbox) if arrivals else inbox.PollSummary()
            for ref, kind in summary.filed:
                if kind == "clarification":
                    clarify(app, ref, CLARIFICATION_TEXT)
                    say(f"{day:%a %d %b}: {ref} asked for clarification; foibot sent it")
                if kind in ("successful", "partially_successful") and totals.get(ref):
                    app.campaigns.append_one(
                        _campaign_of(app, ref), ref, "answer",
                        {"values": {"investigated": totals[ref]}}, now=app.now())
        if arrivals:
            noun = "reply arrives" if arrivals == 1 else "replies arrive"
            say(f"{day:%a %d %b}: {arrivals} {noun}; poll: {summary.line()}")
        with pinned_now(datetime.combine(day, time(9, 30), LONDON)):
            chased = _chase(app, name)
        if chased:
            say(f"{day:%a %d %b}: {chased}")


def _campaign_of(app: App, reference: str) -> str:
    return app.campaigns.find(reference).campaign


def _chase(app: App, name: str) -> str:
    """The chase job of `foibot run`, as it runs on a working morning."""
    from foibot.letters.chasers import run_chase

    outcomes = run_chase(app, name, send=True)
    chasers = [o for o in outcomes if o.result == "sent"]
    drafts = [o for o in outcomes if o.result == "drafted"]
    parts = []
    if chasers:
        steps = sorted({o.decision.key or "" for o in chasers})
        parts.append(f"sent {len(chasers)} chasers ({', '.join(steps)})")
    if drafts:
        parts.append(f"drafted {len(drafts)} internal review requests for you to check")
    return "; ".join(parts)


CAMPAIGN = "social-media"
CONFIG_MARK = "# written by `foibot demo`"


def prepare(state: Path) -> Path:
    """The folder ``--state`` names, made if need be, exactly where it was given (a relative
    path is relative to the current directory); one line saying why not otherwise. A folder
    holding the demo's campaign already, or another config.toml, is never written over."""
    if state.exists() and not state.is_dir():
        raise UsageError(f"--state {state}: that is a file; give a folder for the demo's state")
    try:
        state.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"--state {state}: cannot create that folder "
                         f"({exc.strerror or exc})") from None
    config = state / "config.toml"
    if (state / "state" / "campaigns" / CAMPAIGN / "campaign.json").exists():
        raise UsageError(f"--state {state}: it holds a demo campaign already; give a new "
                         f"folder (look at that one with foibot --config {config} status)")
    if config.exists() and not config.read_text(encoding="utf-8",
                                                errors="replace").startswith(CONFIG_MARK):
        raise UsageError(f"--state {state}: {config} is not the demo's; give a new folder")
    probe = state / ".foibot-demo-write-test"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"--state {state}: cannot write there ({exc.strerror or exc})") from None
    return state


def run_demo(*, state: Path | None, say: Say) -> DemoResult:
    """The whole demo in a fresh (or the given) state dir; servers stopped on the way out."""
    from foibot.demo.sandbox import IMAP_PASSWORD, Sandbox

    root = prepare(Path(state)) if state else Path(tempfile.mkdtemp(prefix="foibot-demo-"))
    with Sandbox(root) as box:
        config = root / "config.toml"
        # the state dir is named relative to the config, so the folder can move as a whole
        config.write_text(box.config_text(Path("state")), encoding="utf-8")
        os.environ["FOIBOT_DEMO_IMAP_PASSWORD"] = IMAP_PASSWORD
        app = App.load(config)
        say(f"SMTP on 127.0.0.1:{box.smtp_port}, IMAP on 127.0.0.1:{box.imap_port}, "
            f"state in {root}")
        name = CAMPAIGN
        with pinned_now(START - timedelta(hours=1)):
            forces = app.registry.group("default")
            app.campaigns.create(name, forces=forces, group="default", template=None,
                                 variables={"question": QUESTION, "topic": TOPIC},
                                 now=app.now())
        play(app, name, box.deliver, say=say)
        end = datetime.combine(working_days(START.date(), DAYS)[-1], time(17, 0), LONDON)
        with pinned_now(end):
            from foibot.rules.status import board
            b = board(app.campaigns.requests(name), end.date())
            path = _report(app, name, root / "report.html")
    s = b.summary
    return DemoResult(root, path, b, s["responded"], s["total"])


def _report(app: App, name: str, path: Path) -> Path:
    from foibot.views.report import write

    write(app, name, path)
    return path
