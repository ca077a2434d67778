"""``foibot classify``: what kind of reply a raw ``.eml`` file is, and why."""

from __future__ import annotations

from pathlib import Path

import typer

from foibot.cli.common import print_json
from foibot.errors import UsageError
from foibot.mail.parse import parse
from foibot.rules.classify import Classification
from foibot.rules.classify import classify as classify_mail


def register(app: typer.Typer) -> None:
    @app.command()
    def classify(
        file: Path = typer.Argument(..., help="A raw message (.eml) as received."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object for scripts."),
    ) -> None:
        """Classify a reply: its kind, the sections cited as grounds, and the evidence."""
        mail = parse(_read(file))
        result = classify_mail(mail)
        if as_json:
            print_json({"file": str(file), "subject": mail.subject, **result.as_dict()})
            return
        for label, value in _lines(result):
            print(f"{label:<17}{value}")


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{file}: is a directory, expected an .eml file") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror or exc})") from None


def _lines(result: Classification) -> list[tuple[str, str]]:
    """The human view: the same facts as --json, empty ones left out."""
    data = result.as_dict()
    lines = [("kind", f"{result.kind} ({result.confidence})"),
             ("sections", ", ".join(result.sections) or "none")]
    for key in ("force_reference", "extension_until", "stated_due", "failed_recipient",
                "bounce_reason"):
        if data[key]:
            lines.append((key.replace("_", " "), str(data[key])))
    if result.ncnd:
        lines.append(("ncnd", "neither confirm nor deny"))
    evidence = result.evidence or ("none",)
    return lines + [("evidence" if i == 0 else "", item) for i, item in enumerate(evidence)]
