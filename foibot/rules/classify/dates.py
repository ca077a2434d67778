"""Dates as British letters write them, and the deadline a letter states."""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {name: index for index, name in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"], start=1)}
_MONTH = (
    r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = re.compile(
    r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,? )?"
    r"(?:(\d{1,2})(?:st|nd|rd|th)?(?: of)? " + _MONTH + r",? (\d{4})"
    r"|" + _MONTH + r" (\d{1,2})(?:st|nd|rd|th)?,? (\d{4})"
    r"|(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})"
    r"|(\d{4})-(\d{2})-(\d{2}))"
)
# What may stand just before a date that is a deadline: "by", "no later than", "until", or
# "due date ... is" a few words earlier. "received by X on <date>" is therefore not one.
UNTIL = re.compile(
    r"(?:\b(?:by|until|before|no later than|on or before|extended to)[ ,-]*$)"
    r"|(?:\b(?:new date|deadline|new deadline)\b(?: \S+){0,4} ?$)"
)
DUE = re.compile(
    r"(?:\b(?:by|before|no later than|on or before|respond on)[ ,-]*$)"
    r"|(?:\b(?:due(?: date)?|deadline)\b(?: \S+){0,4} ?$)"
)


def date_after(text: str, lead: re.Pattern[str]) -> date | None:
    """The first date introduced by ``lead``: "by 15 January 2027", "due date is 01/12/2026"."""
    for found in _DATE.finditer(text):
        before = text[max(0, found.start() - 60) : found.start()]
        if lead.search(before):
            parsed = parse_date(found.group(0))
            if parsed:
                return parsed
    return None


def parse_date(text: str) -> date | None:
    """A date written as British letters write them: "15 January 2027", "15/01/2027"."""
    found = _DATE.search(text.lower())
    if not found:
        return None
    g = found.groups()
    try:
        if g[0]:
            return date(int(g[2]), _month(g[1]), int(g[0]))
        if g[3]:
            return date(int(g[5]), _month(g[3]), int(g[4]))
        if g[6]:
            return date(int(g[8]), int(g[7]), int(g[6]))
        return date(int(g[9]), int(g[10]), int(g[11]))
    except ValueError:
        return None


def _month(name: str) -> int:
    return next(index for full, index in _MONTHS.items() if full.startswith(name[:3]))
