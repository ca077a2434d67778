"""``foibot classify``: what kind of reply raw ``.eml`` files are, how sure foibot is, and why."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from foibot.cli.common import print_json
from foibot.errors import UsageError

if TYPE_CHECKING:
    from foibot.rules.classify import Classification


def register(app: typer.Typer) -> None:
    @app.command(short_help="Classify .eml files: kind, confidence, evidence.")
    def classify(
        files: list[Path] = typer.Argument(
            ..., metavar="FILE.eml...",
            help="Raw messages as received; a directory means every .eml in it."),
        as_json: bool = typer.Option(
            False, "--json", help="One JSON object per file (one per line for several)."),
    ) -> None:
        """Classify replies: kind, confidence, whether a person should check it, the sections
        cited as grounds, and the evidence. Exits 2 if a file cannot be read (after the rest)."""
        from foibot.mail.parse import parse
        from foibot.rules.classify import classify as classify_mail

        paths = expand(files)
        failed = False
        for path in paths:
            try:
                mail = parse(read(path))
            except UsageError as exc:
                print(f"foibot: {exc}", file=sys.stderr)
                failed = True
                continue
            result = classify_mail(mail)
            data = {"file": str(path), "subject": mail.subject, **result.as_dict()}
            if as_json and len(paths) == 1:
                print_json(data)
            elif as_json:
                print(json.dumps(data, ensure_ascii=False), flush=True)
            else:
                if len(paths) > 1:
                    print(f"== {path}")
                for label, value in lines(result):
                    print(f"{label:<17}{value}")
        if failed:
            raise typer.Exit(2)


def expand(files: list[Path]) -> list[Path]:
    """The files to read: each file as given, each directory's ``.eml`` files in name order."""
    found: list[Path] = []
    for path in files:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.suffix.lower() == ".eml" and p.is_file())
            if not inside:
                raise UsageError(f"{path}: a directory with no .eml files")
            found += inside
        else:
            found.append(path)
    return found


def read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{file}: no such file") from None
    except IsADirectoryError:
        raise UsageError(f"{file}: is a directory, expected an .eml file") from None
    except OSError as exc:
        raise UsageError(f"{file}: cannot read ({exc.strerror or exc})") from None


def lines(result: Classification) -> list[tuple[str, str]]:
    """The human view: the same facts as --json, empty ones left out."""
    data = result.as_dict()
    review = ", needs review" if result.needs_review else ""
    out = [("kind", f"{result.kind} ({result.confidence:.2f}{review})"),
           ("sections", ", ".join(result.sections) or "none")]
    for key in ("force_reference", "extension_until", "stated_due", "failed_recipient",
                "bounce_reason"):
        if data[key]:
            out.append((key.replace("_", " "), str(data[key])))
    if result.ncnd:
        out.append(("ncnd", "neither confirm nor deny"))
    evidence = result.evidence or ("none",)
    return out + [("evidence" if i == 0 else "", item) for i, item in enumerate(evidence)]
