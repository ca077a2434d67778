"""A campaign as data for other tools: CSV and JSON for the figures, iCalendar for the dates.

One row per force, the same columns in CSV and JSON, then two columns per answer key (the
figures recorded with ``foibot answer``): ``KEY``, the number counted in the totals (the figure,
or a range's lower end; empty for ``<5``, ``redacted`` or ``not held``), and ``KEY_raw``, what
the force wrote. The rules are in :mod:`foibot.rules.answers`.

Totals are kept apart from the rows, so a spreadsheet or script reading the rows sees only
forces: in the JSON, the ``totals`` object; beside a CSV file, a second CSV file
(``NAME.totals.csv``) with one row per figure. Each total says how many forces gave the
figure and what it leaves out, because "at least 999 across 32 forces (2 suppressed)" is the
honest way to report a partial national sum.

The iCalendar feed has one all-day event per request with a due date, on that date, with the
chase step the policy (``foibot/chase.py``) gives for the request in its description. Its UID
(``<reference>@foibot``) never changes, so a calendar that subscribes to the file updates the
event when a deadline moves instead of adding a second one. A request without a due date
(not sent yet, clock stopped for a clarification or fee, lapsed) has no event.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from foibot.app import App
from foibot.rules import answers, clock
from foibot.rules import policy as chase
from foibot.rules.status import RequestStatus
from foibot.store import atomic_write_bytes
from foibot.timeutil import iso_utc, london_date
from foibot.views import board as board_view

COLUMNS = (
    "force", "force_name", "regime", "reference", "state", "sent", "due", "stated_due",
    "last_reply_kind", "last_reply_date", "outcome", "sections", "force_reference",
    "days_to_answer", "chasers", "next_action",
)
TOTALS_COLUMNS = ("figure", "at_least", "forces", "ranges", "suppressed", "not_held",
                  "described")
# A spreadsheet runs a cell that starts with one of these as a formula; text from a force's
# email (their reference, say) must stay text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def days_to_answer(status: RequestStatus) -> int | None:
    """Working days from sending to the substantive answer; None until there is one."""
    if status.sent is None or status.outcome is None:
        return None
    return clock.working_days_between(status.sent, status.outcome.day, regime(status))


def regime(status: RequestStatus) -> clock.Regime:
    """The force's regime as the clock names it (the registry stores a plain string)."""
    return cast(clock.Regime, status.request.force.regime)


def row(status: RequestStatus) -> dict[str, Any]:
    """One force's export row (JSON types: lists, numbers, None), without answer columns."""
    d = status.as_dict()
    return {
        "force": d["force"], "force_name": d["force_name"], "regime": d["regime"],
        "reference": d["reference"], "state": d["state"], "sent": d["sent"], "due": d["due"],
        "stated_due": d["stated_due"], "last_reply_kind": d["last_reply_kind"],
        "last_reply_date": d["last_reply_date"], "outcome": d["outcome"],
        "sections": d["sections"], "force_reference": d["force_reference"],
        "days_to_answer": days_to_answer(status), "chasers": d["chasers"],
        "next_action": d["next_action"],
    }


@dataclass(frozen=True)
class Export:
    """Everything the exports write, computed once."""

    campaign: str
    today: date
    generated: datetime
    statuses: tuple[RequestStatus, ...]
    keys: tuple[str, ...]
    totals: dict[str, answers.Total]
    next_steps: dict[str, chase.Decision] = field(default_factory=dict)  # by reference

    @property
    def columns(self) -> tuple[str, ...]:
        return COLUMNS + tuple(c for k in self.keys for c in (k, k + answers.RAW_SUFFIX))

    def rows(self) -> list[dict[str, Any]]:
        return [{**row(st), **figures(st, self.keys)} for st in self.statuses]


def figures(status: RequestStatus, keys: tuple[str, ...]) -> dict[str, Any]:
    """A row's answer columns: the number counted and, beside it, what the force wrote."""
    found: dict[str, Any] = {}
    for key in keys:
        figure = status.answers.get(key)
        found[key] = figure.counted if figure else None
        found[key + answers.RAW_SUFFIX] = figure.raw if figure else None
    return found


def build(app: App, campaign: str) -> Export:
    now = app.now()
    today = london_date(now)
    statuses = tuple(board_view.load(app, campaign, today).rows)
    given = [st.answers for st in statuses]
    policy = app.config.chase
    steps = {st.request.reference: chase.decide(st, today, policy) for st in statuses}
    return Export(campaign, today, now, statuses, tuple(answers.keys(given)),
                  answers.totals(given), steps)


# --- CSV ------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return answers.format_number(value)
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def to_csv(export: Export) -> bytes:
    """One row per force and nothing else (the totals are :func:`totals_csv`)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(export.columns)
    for r in export.rows():
        writer.writerow(_cell(r[c]) for c in export.columns)
    return out.getvalue().encode("utf-8")


def totals_csv(export: Export) -> bytes:
    """One row per figure: the "at least" sum, the forces in it, and what it leaves out."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TOTALS_COLUMNS)
    for key, t in export.totals.items():
        writer.writerow([_cell(key), _cell(t.sum), t.forces, t.ranges, t.suppressed,
                         t.not_held, t.describe()])
    return out.getvalue().encode("utf-8")


def totals_path(csv_path: Path) -> Path:
    """Where the totals go beside a CSV export: ``sm.csv`` -> ``sm.totals.csv``."""
    return csv_path.with_name(f"{csv_path.stem}.totals{csv_path.suffix or '.csv'}")


# --- JSON -----------------------------------------------------------------------------------


def to_json(export: Export) -> dict[str, Any]:
    """The same rows as the CSV and, apart from them, ``totals: {key: {"sum": n, "forces": k,
    "ranges": r, "suppressed": s, "not_held": h, "text": "at least n across k forces"}}``."""
    return {
        "campaign": export.campaign,
        "generated": iso_utc(export.generated),
        "today": export.today.isoformat(),
        "columns": list(export.columns),
        "answer_keys": list(export.keys),
        "rows": export.rows(),
        "totals": {k: t.as_dict() for k, t in export.totals.items()},
    }


def json_bytes(export: Export) -> bytes:
    return (json.dumps(to_json(export), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


# --- iCalendar ------------------------------------------------------------------------------


def uid(reference: str) -> str:
    return f"{reference}@foibot"


def _description(status: RequestStatus, step: chase.Decision | None) -> str:
    lines = [f"State: {status.state}", f"Next action: {status.next_action}"]
    if step is not None and step.due_on is not None and step.action != "none":
        lines.append(f"Chase: {step.reason} (from {step.due_on.isoformat()})")
    elif step is not None and step.due_on is not None:
        lines.append(f"Next chase date: {step.due_on.isoformat()}")
    if status.sent:
        lines.append(f"Sent: {status.sent.isoformat()}")
    if status.stated_due and status.stated_due != status.due:
        lines.append(f"The force gave {status.stated_due.isoformat()}; the Act's date is this one")
    if status.force_reference:
        lines.append(f"Their reference: {status.force_reference}")
    if status.chasers:
        lines.append(f"Chasers sent: {len(status.chasers)}")
    if status.deadline:
        lines.append(status.deadline.rule)
    return "\n".join(lines)


def to_ics(export: Export) -> bytes:
    """One all-day VEVENT per request with a due date, on the due date."""
    import icalendar  # only a calendar export needs it

    cal = icalendar.Calendar()
    cal.add("prodid", "-//foibot//FOI deadlines//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"FOI deadlines: {export.campaign}")
    for status in export.statuses:
        due = status.due
        if due is None:
            continue
        r = status.request
        event = icalendar.Event()
        event.add("uid", uid(r.reference))
        event.add("dtstamp", export.generated)
        event.add("dtstart", due)
        event.add("dtend", due + timedelta(days=1))
        event.add("summary", f"FOI due: {r.force.name} ({r.reference})")
        event.add("description", _description(status, export.next_steps.get(r.reference)))
        event.add("categories", [f"foibot-{status.state}"])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return cal.to_ical()


# --- writing --------------------------------------------------------------------------------


def write(path: Path, data: bytes) -> Path:
    """Replace ``path`` atomically: a reader sees the old export or the new one, never half.

    Exports are made to be shared (a web server, a colleague's spreadsheet), so the file gets
    the permissions the user's umask gives a new file, not the private ones of state files.
    """
    atomic_write_bytes(path, data)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
    return path
