"""The figures a campaign collects: parsing what a force disclosed, and adding it up.

A campaign exists for its numbers ("how many officers were investigated"). Each force's figures
are recorded as ``answer`` events (``foibot answer FOI-7KQ2M allegations=126 dismissed=3``);
a later figure for the same key replaces the earlier one. Totals are honest about gaps: a sum
over the forces that gave a figure is "at least" the national figure, never the figure.

    >>> parse_pairs(["allegations=126", "rate=0.5"])
    {'allegations': 126, 'rate': 0.5}
    >>> totals([{"allegations": 126}, {}, {"allegations": 3}])["allegations"].describe()
    'at least 129 across 2 forces'

Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from foibot.errors import UsageError

Number = int | float

KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
# Plain numbers, optionally with thousands grouped by commas as police tables print them.
_INT_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_FLOAT_RE = re.compile(r"^[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d+$")

# Export columns an answer key must not shadow in a CSV header.
RESERVED_KEYS = frozenset({
    "force", "force_name", "regime", "reference", "state", "sent", "due", "stated_due",
    "last_reply_kind", "last_reply_date", "outcome", "sections", "force_reference",
    "days_to_answer", "chasers", "next_action", "answers", "totals",
})


def parse_number(text: str, *, key: str = "value") -> Number:
    """``"126"`` -> 126, ``"1,234"`` -> 1234, ``"2.5"`` -> 2.5; anything else is a usage error."""
    raw = text.strip()
    if _INT_RE.match(raw):
        return int(raw.replace(",", ""))
    if _FLOAT_RE.match(raw):
        value = float(raw.replace(",", ""))
        if math.isfinite(value):
            return value
    raise UsageError(f"{key}={text!r}: the value must be a number (e.g. {key}=126)")


def parse_pairs(pairs: Sequence[str]) -> dict[str, Number]:
    """``KEY=VALUE`` arguments to a dict of numbers; a repeated key keeps its last value."""
    if not pairs:
        raise UsageError("give at least one KEY=VALUE (e.g. allegations=126)")
    values: dict[str, Number] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep:
            raise UsageError(f"{pair!r}: expected KEY=VALUE (e.g. allegations=126)")
        if not KEY_RE.match(key):
            raise UsageError(
                f"{pair!r}: a key starts with a letter and has only letters, digits, '_', '-', '.'"
            )
        if key.lower() in RESERVED_KEYS:
            raise UsageError(f"{pair!r}: {key!r} is the name of an export column; choose another")
        values[key] = parse_number(value, key=key)
    return values


def format_number(value: Number) -> str:
    """``126`` -> ``"126"``, ``2.0`` -> ``"2"``, ``0.125`` -> ``"0.125"`` (no float noise)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


@dataclass(frozen=True)
class Total:
    """The sum of one figure over the forces that gave it, and how many did."""

    key: str
    sum: Number
    forces: int

    def describe(self) -> str:
        noun = "force" if self.forces == 1 else "forces"
        return f"at least {format_number(self.sum)} across {self.forces} {noun}"

    def as_dict(self) -> dict[str, Number]:
        return {"sum": self.sum, "forces": self.forces}


def keys(rows: Iterable[Mapping[str, Number]]) -> list[str]:
    """Every answer key, in the order first seen (the order the user recorded them)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def totals(rows: Iterable[Mapping[str, Number]]) -> dict[str, Total]:
    """Per key: the sum over the rows that have it, and the number of such rows."""
    rows = list(rows)
    result: dict[str, Total] = {}
    for key in keys(rows):
        given = [row[key] for row in rows if key in row]
        result[key] = Total(key, sum(given), len(given))
    return result
