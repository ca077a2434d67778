"""The injected clock: nothing in foibot reads the system time except through ``now()``.

``FOIBOT_NOW`` overrides the system clock for every command, so a user can ask "what would
happen on 2 April?" and tests can move time deterministically. It is an ISO date-time with an
offset (``2027-04-02T09:00:00+01:00``) or a plain date (``2027-04-02``), which means midnight
at the start of that day in London.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

from foibot.errors import UsageError

LONDON = ZoneInfo("Europe/London")
NOW_ENV = "FOIBOT_NOW"


def parse_instant(text: str, *, what: str = "date-time") -> datetime:
    """Parse an ISO date-time that carries an offset; return it in UTC."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{what}: expected an ISO date-time with offset, got {text!r}") from None
    if value.tzinfo is None:
        raise UsageError(f"{what}: {text!r} has no UTC offset (e.g. 2026-04-02T09:00:00+01:00)")
    return value.astimezone(timezone.utc)


NOW_FORMS = ("a date (2027-01-20, London midnight) or a date-time with offset "
             "(2027-01-20T10:00:00+00:00)")


def parse_now(text: str) -> datetime:
    """``FOIBOT_NOW``'s value: a date-time with offset, or a date taken as London midnight.

    >>> parse_now("2027-01-20").isoformat()
    '2027-01-20T00:00:00+00:00'
    >>> parse_now("2027-07-01").isoformat()
    '2027-06-30T23:00:00+00:00'
    """
    raw = text.strip()
    try:
        if len(raw) == 10 and "T" not in raw:
            return london_midnight(date.fromisoformat(raw))
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{NOW_ENV}={text!r}: expected {NOW_FORMS}") from None
    if value.tzinfo is None:
        raise UsageError(f"{NOW_ENV}={text!r} has no UTC offset: expected {NOW_FORMS}")
    return value.astimezone(timezone.utc)


def now() -> datetime:
    """The current instant, timezone-aware UTC; ``FOIBOT_NOW`` wins when set."""
    override = os.environ.get(NOW_ENV)
    if override:
        return parse_now(override)
    return datetime.now(timezone.utc)


def london(instant: datetime) -> datetime:
    return instant.astimezone(LONDON)


@lru_cache(maxsize=1 << 16)
def london_date(instant: datetime) -> date:
    """The calendar day in Europe/London on which ``instant`` falls. Remembered: a board or a
    report asks it of the same events' times many times over, and the time-zone conversion
    costs ten times the look-up."""
    return instant.astimezone(LONDON).date()


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def short_day(day: date, *, year: bool = True) -> str:
    """``9 Dec 2026`` (``9 Dec`` without the year): the day as the board, the report and the
    timelines show it, in English whatever the locale, and without ``strftime``, which a
    report of thousands of requests calls tens of thousands of times."""
    month = MONTHS[day.month - 1]
    return f"{day.day} {month} {day.year}" if year else f"{day.day} {month}"


def london_midnight(day: date) -> datetime:
    """The instant (UTC) the London day ``day`` begins: ``london_date(t) < day`` exactly when
    ``t`` is before it, so a long history is cut at a day without converting every instant.

    >>> london_midnight(date(2027, 7, 1)).isoformat()
    '2027-06-30T23:00:00+00:00'
    """
    return datetime(day.year, day.month, day.day, tzinfo=LONDON).astimezone(timezone.utc)


def today() -> date:
    return london_date(now())


def parse_when(text: str, *, what: str = "date") -> date:
    """An ISO date (taken as a London date) or an ISO date-time with offset (converted to
    London)."""
    text = text.strip()
    if "T" not in text and " " not in text:
        try:
            return date.fromisoformat(text) if len(text) == 10 else date.fromisoformat("")
        except ValueError:
            raise UsageError(
                f"{what}: expected an ISO date like 2026-12-01, got {text!r}") from None
    return london_date(parse_instant(text, what=what))


def iso_utc(instant: datetime) -> str:
    return instant.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


@contextmanager
def pinned_now(instant: datetime | str) -> Iterator[None]:
    """Set the injected clock (``FOIBOT_NOW``) for the code inside, then restore it.

    The demo moves through a campaign with it; nothing else in foibot changes the clock.
    """
    before = os.environ.get(NOW_ENV)
    os.environ[NOW_ENV] = instant if isinstance(instant, str) else instant.isoformat()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(NOW_ENV, None)
        else:
            os.environ[NOW_ENV] = before
