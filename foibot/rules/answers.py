"""The figures a campaign collects: what a force disclosed, as it wrote it, and the honest sum.

A campaign exists for its numbers ("how many officers were investigated"). Each force's figures
are recorded as ``answer`` events (``foibot answer FOI-7KQ2M allegations=126 dismissed=<5``);
a later figure for the same key replaces the earlier one.

Forces do not always write a number. What foibot accepts, and what each counts for:

=====================  ============  ==========================================================
written                kind          in the total ("at least N")
=====================  ============  ==========================================================
``126``, ``1,234``     exact         the number
``10-15``, ``10 to     range         its lower end (10): the sum stays a floor; the export keeps
15``                                 both ends
``<5``, ``less than    suppressed    nothing: a small number withheld (0 to 4); it is shown as
5``, ``fewer than 5``                written and counted among the suppressed, never guessed
``*``, ``redacted``,   suppressed    nothing: withheld with no bound given
``withheld``
``not held``           not held      nothing: the force holds no such figure
=====================  ============  ==========================================================

A negative number is refused (these are counts and amounts). Totals are honest about the gaps:
``at least 129 across 2 forces (1 suppressed)``: the sum of the exact figures and the lower ends
of ranges, the forces that gave one, and how many withheld theirs or do not hold it. Exports
keep the raw text beside the number counted.

    >>> parse_pairs(["allegations=126", "rate=0.5", "dismissed=<5"])["dismissed"].kind
    'suppressed'
    >>> totals([{"allegations": 126}, {}, {"allegations": 3}])["allegations"].describe()
    'at least 129 across 2 forces'
    >>> totals([{"a": parse_figure("126")}, {"a": parse_figure("<5")},
    ...         {"a": parse_figure("10-15")}])["a"].describe()
    'at least 136 across 2 forces (1 of them a range, counted at its lower end; 1 suppressed)'

Pure: no I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from foibot.errors import UsageError

Number = int | float
Kind = Literal["exact", "range", "suppressed", "not_held"]

KEY_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
# Plain numbers, optionally with thousands grouped by commas as police tables print them.
_NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+"
_INT_RE = re.compile(r"^\+?(?:\d{1,3}(?:,\d{3})+|\d+)$")
_FLOAT_RE = re.compile(r"^\+?(?:\d{1,3}(?:,\d{3})+|\d+)?\.\d+$")
_NEGATIVE_RE = re.compile(rf"^-\s*(?:{_NUM})$")
_RANGE_RE = re.compile(rf"^({_NUM})\s*(?:-|–|—|to)\s*({_NUM})$", re.IGNORECASE)
_BELOW_RE = re.compile(rf"^(?:<|less than|fewer than|under)\s*({_NUM})$", re.IGNORECASE)
SUPPRESSED_WORDS = frozenset({"*", "**", "redacted", "withheld", "suppressed"})
NOT_HELD_WORDS = frozenset({"not held", "not-held", "not_held", "nh"})
RAW_SUFFIX = "_raw"
FORMS = "a number (126), a range (10-15), <5, * or redacted, or not held"

# Export columns an answer key must not shadow in a CSV header.
RESERVED_KEYS = frozenset({
    "force", "force_name", "regime", "reference", "state", "sent", "due", "stated_due",
    "last_reply_kind", "last_reply_date", "outcome", "sections", "force_reference",
    "days_to_answer", "chasers", "next_action", "answers", "totals",
})


@dataclass(frozen=True)
class Figure:
    """One figure as the force wrote it, and what it means for a total.

    ``low``/``high`` bound it where it is known (an exact number has both equal; ``<5`` is 0 to
    4; ``*`` has neither). :attr:`counted` is what it adds to an "at least" total.
    """

    raw: str
    kind: Kind
    low: Number | None = None
    high: Number | None = None

    @property
    def counted(self) -> Number | None:
        """The number this figure adds to the total: the figure, or a range's lower end; None
        for a suppressed figure (``<5``, ``*``) or one not held (shown, never summed)."""
        return self.low if self.kind in ("exact", "range") else None

    @property
    def value(self) -> Number | None:
        """The exact figure, or None when the force did not give one."""
        return self.low if self.kind == "exact" else None

    def __str__(self) -> str:
        return self.raw

    def as_dict(self) -> dict[str, Any]:
        return {"raw": self.raw, "kind": self.kind, "low": self.low, "high": self.high,
                "counted": self.counted}

    @classmethod
    def exact(cls, value: Number) -> "Figure":
        return cls(format_number(value), "exact", value, value)


def _number(text: str) -> Number:
    raw = text.strip().lstrip("+")
    if _INT_RE.match(raw):
        return int(raw.replace(",", ""))
    if _FLOAT_RE.match(raw):
        value = float(raw.replace(",", ""))
        if math.isfinite(value):
            return value
    raise ValueError(text)


def parse_number(text: str, *, key: str = "value") -> Number:
    """``"126"`` -> 126, ``"1,234"`` -> 1234, ``"2.5"`` -> 2.5; anything else is a usage error."""
    raw = text.strip()
    if _NEGATIVE_RE.match(raw):
        raise UsageError(f"{key}={text!r}: a figure cannot be negative")
    try:
        return _number(raw)
    except ValueError:
        raise UsageError(f"{key}={text!r}: the value must be a number (e.g. {key}=126)") from None


def parse_figure(text: str, *, key: str = "value") -> Figure:
    """What a force wrote, understood (see the module's table), or one line saying why not.

    >>> parse_figure("10 to 15")
    Figure(raw='10 to 15', kind='range', low=10, high=15)
    >>> parse_figure("<5")
    Figure(raw='<5', kind='suppressed', low=0, high=4)
    >>> parse_figure("Not held").kind
    'not_held'
    """
    raw = " ".join(text.split())
    folded = raw.lower()
    if folded in SUPPRESSED_WORDS:
        return Figure(raw, "suppressed")
    if folded in NOT_HELD_WORDS:
        return Figure(raw, "not_held")
    if _NEGATIVE_RE.match(raw):
        raise UsageError(f"{key}={text!r}: a figure cannot be negative")
    below = _BELOW_RE.match(raw)
    if below:
        bound = _number(below.group(1))
        if bound <= 0:
            raise UsageError(f"{key}={text!r}: nothing is below {format_number(bound)}")
        high: Number = bound - 1 if isinstance(bound, int) else bound
        return Figure(raw, "suppressed", 0, high)
    span = _RANGE_RE.match(raw)
    if span:
        low, top = _number(span.group(1)), _number(span.group(2))
        if low > top:
            raise UsageError(f"{key}={text!r}: a range goes from the smaller number to the larger")
        return Figure(raw, "range", low, top) if low != top else Figure(raw, "exact", low, low)
    try:
        value = _number(raw)
    except ValueError:
        raise UsageError(
            f"{key}={text!r}: the value must be a number, or what forces write: {FORMS}"
        ) from None
    return Figure(raw, "exact", value, value)


def parse_pairs(pairs: Sequence[str]) -> dict[str, Figure]:
    """``KEY=VALUE`` arguments to figures; a repeated key keeps its last value."""
    if not pairs:
        raise UsageError("give at least one KEY=VALUE (e.g. allegations=126)")
    values: dict[str, Figure] = {}
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
        if key.lower().endswith(RAW_SUFFIX):
            raise UsageError(f"{pair!r}: a key ending in {RAW_SUFFIX!r} would clash with the "
                             "export's column of raw values; choose another")
        values[key] = parse_figure(value, key=key)
    return values


def stored(figures: Mapping[str, Figure]) -> dict[str, Any]:
    """An ``answer`` event's data: ``values`` (the number counted, or None) and ``raw``."""
    return {"values": {k: f.counted for k, f in figures.items()},
            "raw": {k: f.raw for k, f in figures.items()}}


def from_event(data: Mapping[str, Any]) -> dict[str, Figure]:
    """The figures of an ``answer`` event (events written before ``raw`` existed hold plain
    numbers)."""
    raw = data.get("raw") or {}
    found: dict[str, Figure] = {}
    for key, value in (data.get("values") or {}).items():
        text = raw.get(key)
        if text is not None:
            try:
                found[key] = parse_figure(str(text), key=key)
                continue
            except UsageError:
                pass
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            found[key] = Figure.exact(value)
    return found


def format_number(value: Number) -> str:
    """``126`` -> ``"126"``, ``2.0`` -> ``"2"``, ``0.125`` -> ``"0.125"`` (no float noise)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.10g}"
    return str(value)


def _figure(value: Figure | Number) -> Figure:
    return value if isinstance(value, Figure) else Figure.exact(value)


@dataclass(frozen=True)
class Total:
    """The sum of one figure over the forces that gave it, and what the sum leaves out."""

    key: str
    sum: Number                 # exact figures plus the lower ends of ranges: "at least"
    forces: int                 # forces whose figure is in the sum
    ranges: int = 0             # of those, how many gave a range
    suppressed: int = 0         # forces that withheld it (<5, *, redacted)
    not_held: int = 0           # forces that do not hold it

    def describe(self) -> str:
        noun = "force" if self.forces == 1 else "forces"
        text = f"at least {format_number(self.sum)} across {self.forces} {noun}"
        notes = []
        if self.ranges:
            notes.append(f"{self.ranges} of them a range, counted at its lower end")
        if self.suppressed:
            notes.append(f"{self.suppressed} suppressed")
        if self.not_held:
            notes.append(f"{self.not_held} not held")
        return text + (f" ({'; '.join(notes)})" if notes else "")

    def as_dict(self) -> dict[str, Any]:
        return {"sum": self.sum, "forces": self.forces, "ranges": self.ranges,
                "suppressed": self.suppressed, "not_held": self.not_held,
                "text": self.describe()}


def keys(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every answer key, in the order first seen (the order the user recorded them)."""
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def totals(rows: Iterable[Mapping[str, Figure | Number]]) -> dict[str, Total]:
    """Per key: the "at least" sum over the rows that have it, and what it leaves out."""
    rows = list(rows)
    result: dict[str, Total] = {}
    for key in keys(rows):
        given = [_figure(row[key]) for row in rows if key in row]
        counted = [f for f in given if f.counted is not None]
        result[key] = Total(
            key, sum(f.counted for f in counted if f.counted is not None), len(counted),
            ranges=sum(1 for f in given if f.kind == "range"),
            suppressed=sum(1 for f in given if f.kind == "suppressed"),
            not_held=sum(1 for f in given if f.kind == "not_held"))
    return result
