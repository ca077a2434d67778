"""``foibot read``: what a force wrote, in full, and its attachments."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer

from foibot.cli.common import console, load_app, print_json

if TYPE_CHECKING:
    from foibot.views.request import ReplyText


# A reply is a stranger's text: control characters (terminal escape sequences among them) are
# shown as "?" rather than obeyed by the terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _plain(text: str) -> str:
    return _CONTROL.sub("?", text.replace("\r\n", "\n"))


def _when(sent: datetime | None) -> str:
    """``2 Dec 2026 09:00 GMT``: when the force dated it, in UK time."""
    from foibot.timeutil import london, short_day

    if sent is None:
        return "-"
    here = london(sent)
    return f"{short_day(here.date())} {here:%H:%M %Z}"


def _as_dict(reply: ReplyText, total: int) -> dict[str, Any]:
    mail = reply.mail
    return {
        "reference": reply.reference, "reply": reply.number, "replies": total,
        "message": mail.id, "from": mail.sender, "from_name": mail.sender_name,
        "subject": mail.subject, "date": mail.date.isoformat() if mail.date else None,
        "kind": reply.kind, "classified": reply.classified, "confidence": reply.confidence,
        "needs_review": reply.needs_review, "evidence": list(reply.evidence),
        "text": mail.text, "problem": mail.problem,
        "attachments": [{"number": n, "filename": a.filename, "content_type": a.content_type,
                         "size": a.size, "problem": a.problem}
                        for n, a in enumerate(mail.attachments, start=1)],
    }


def register(app: typer.Typer) -> None:
    @app.command(short_help="Print a reply's full text and list its attachments.")
    def read(
        ctx: typer.Context,
        reference: str = typer.Argument(..., help="Request reference, e.g. FOI-7KQ2M."),
        reply: Optional[int] = typer.Option(
            None, "--reply", "-n", help="Which reply (1 = the first; default: the latest)."),
        save: Optional[Path] = typer.Option(None, "--save",
                                            help="Copy the attachments into this folder."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object, text included."),
    ) -> None:
        """Print a reply's full text (the latest, or --reply N) and list its attachments."""
        from foibot.mail.inbox import save_attachments
        from foibot.views.request import read_reply, reply_events
        from foibot.views.text import fold

        a = load_app(ctx)
        found = read_reply(a, reference, reply)
        total = len(reply_events(a.campaigns.find(reference)))
        saved = (save_attachments(a, found.mail.sha256, save)
                 if save and found.mail.attachments else [])
        if as_json:
            print_json({**_as_dict(found, total), "saved": [str(p) for p in saved]})
            return
        d = _as_dict(found, total)
        reading = d["kind"] + (f" (foibot read {d['classified']})" if d["kind"] != d["classified"]
                               else f" ({d['confidence']:.2f})")
        if d["needs_review"]:
            reading += "; needs review: foibot mark " + f"{d['reference']} KIND"
        lines = [f"{d['reference']}  reply {d['reply']} of {d['replies']}  ({d['message']})",
                 f"from: {d['from_name'] + ' ' if d['from_name'] else ''}<{d['from']}>",
                 f"date: {_when(found.mail.date)}", f"subject: {d['subject']}",
                 f"reads as: {reading}"]
        lines += [f"evidence: {e}" for e in d["evidence"][:4]]
        for line in fold([_plain(line) for line in lines], console.width):
            typer.echo(line)
        typer.echo("")
        body = _plain(d["problem"] or d["text"] or "(no text)").splitlines()
        typer.echo("\n".join(fold(body, console.width, hang=0, tables=True)))
        if d["attachments"]:
            typer.echo("")
            typer.echo("attachments:")
            for item in d["attachments"]:
                note = f"; {item['problem']}" if item["problem"] else ""
                typer.echo(f"  {item['number']}. {_plain(item['filename'])}  "
                           f"({item['content_type']}, {item['size']} bytes{note})")
            if not save:
                typer.echo(f"save them with: foibot read {d['reference']} --reply {d['reply']}"
                           " --save DIR")
        for path in saved:
            typer.echo(f"saved {path}")
