"""The statutory clock: when a police force must answer, and why.

Every date here is counted the way the Acts count it, and carries the lines a person needs to
check it by hand: the rule, the day the count starts, and each weekday that was not counted.

- FOIA 2000 s.10(1): answer no later than the 20th working day following the date of receipt.
  s.10(6): a working day is any day other than Saturday, Sunday, Christmas Day, Good Friday or a
  bank holiday in *any* part of the UK (ICO LTT47), so St Patrick's Day or St Andrew's Day stops
  the clock for every FOIA force. ``holidays.UK()`` without a subdivision is not UK-wide, hence
  the union of England, Wales, Scotland and Northern Ireland.
- FOISA 2002 s.10 and s.73 (Police Scotland): 20 working days; only Scotland's bank holidays
  count, so Easter Monday is a working day.

The module is pure: no clock. Callers pass ``today`` in. Holiday tables come from the
``holidays`` package (through the table :mod:`foibot.rules.bank_holidays` ships) and are built
once per (regime, year), because a status view computes the deadlines of every request at once.

    >>> add_working_days(date(2026, 12, 1), 20, "foia").due
    datetime.date(2026, 12, 31)
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from types import MappingProxyType
from typing import Literal, get_args

from dateutil.easter import easter

from foibot.errors import UsageError
from foibot.rules import bank_holidays
from foibot.timeutil import london_date

Regime = Literal["foia", "foisa"]
Pause = Literal["clarification", "fee"]
REGIMES: tuple[Regime, ...] = get_args(Regime)
FactKind = Literal[
    "received",
    "clarification_requested",
    "clarification_received",
    "fee_notice",
    "fee_paid",
    "extension",
]

RESPONSE_DAYS = 20
LONG_OVERDUE_DAYS = 40  # WhatDoTheyKnow's "very overdue"
PIT_MAX_DAYS = 40  # ICO: a public interest extension should not take the total beyond this
REVIEW_DAYS = 20
REVIEW_MAX_DAYS = 40
REVIEW_REQUEST_DAYS = 40
FEE_MONTHS = 3

NO_FOISA_EXTENSION = "FOISA has no public interest extension: the statutory date stands"

_ONE_DAY = timedelta(days=1)
_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_WEEKEND_NAMES = {5: "Saturday", 6: "Sunday"}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun",
                "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # fmt: skip
_NATIONS = (("ENG", "England"), ("WLS", "Wales"), ("SCT", "Scotland"), ("NIR", "NI"))


@dataclass(frozen=True)
class _Law:
    """The wording and citations of one regime, so explanations name the right Act."""

    response: str
    working_days: str
    clarification: str
    clarified: str
    fee: str
    fee_lapse: str
    review: str
    review_request: str


_LAWS: dict[Regime, _Law] = {
    "foia": _Law(
        response="FOIA 2000 s.10(1): 20 working days after receipt",
        working_days=(
            "Working days (s.10(6)): not Saturday, Sunday, Christmas Day, Good Friday "
            "or a bank holiday in any part of the UK (ICO LTT47)"
        ),
        clarification="FOIA 2000 s.1(3), s.10(6); ICO LTT137",
        clarified="FOIA 2000 s.1(3), s.10(6): 20 working days after the clarification was received",
        fee="FOIA 2000 s.10(2)",
        fee_lapse="FOIA 2000 s.9(2)",
        review=(
            "FOIA 2000: no statutory limit for an internal review; the ICO expects "
            "20 working days, 40 at most (s.45 code of practice)"
        ),
        review_request=(
            "FOIA 2000: no statutory limit; the s.45 code of practice expects a review to be "
            "asked for within 40 working days of the response"
        ),
    ),
    "foisa": _Law(
        response="FOISA 2002 s.10(1): 20 working days after receipt",
        working_days=(
            "Working days (s.73): not Saturday, Sunday, Christmas Day or a bank holiday in Scotland"
        ),
        clarification="FOISA 2002 s.1(3), s.10(1)(b)",
        clarified=(
            "FOISA 2002 s.1(3), s.10(1)(b): 20 working days after the clarification was received"
        ),
        fee="FOISA 2002 s.10(2)",
        fee_lapse="FOISA 2002 s.9",
        review="FOISA 2002 s.21(1): 20 working days after receipt of the requirement for review",
        review_request=(
            "FOISA 2002 s.20: a review may be required within 40 working days after the response"
        ),
    ),
}


def format_day(day: date) -> str:
    """``Fri 25 Dec 2026``: the form used in every explanation (locale-independent)."""
    return f"{_DAY_NAMES[day.weekday()]} {day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


# --- Which days are working days ---------------------------------------------------------


def _tidy(name: str) -> str:
    return name.replace("Saint ", "St ").replace(" (observed)", " (substitute day)")


def _join(nations: Sequence[str]) -> str:
    return nations[0] if len(nations) == 1 else f"{', '.join(nations[:-1])} and {nations[-1]}"


@cache
def _bank_holidays(regime: Regime, year: int) -> Mapping[date, str]:
    """The bank holidays of one year that stop the clock, each with the reason to show.

    For FOIA a holiday in only some nations is labelled with them, since it surprises readers
    that e.g. St Patrick's Day moves an English force's deadline.
    """
    nations = _NATIONS if regime == "foia" else (("SCT", "Scotland"),)
    by_day: dict[date, dict[str, list[str]]] = {}
    for code, nation in nations:
        for day, joined in _uk(code, year).items():
            for name in joined.split("; "):
                by_day.setdefault(day, {}).setdefault(_tidy(name), []).append(nation)
    labels = {}
    for day, names in by_day.items():
        parts = []
        for name, where in names.items():
            if regime == "foia" and len(where) < len(_NATIONS):
                # "Battle of the Boyne (substitute day; NI; counts for FOIA)"
                base, substitute, _ = name.partition(" (substitute day)")
                note = "substitute day; " if substitute else ""
                parts.append(f"{base} ({note}{_join(where)}; counts for FOIA)")
            else:
                parts.append(name)
        labels[day] = " / ".join(parts)
    return MappingProxyType(labels)


@cache
def _good_friday(year: int) -> date:
    return easter(year) - timedelta(days=2)


def _uk(subdivision: str, year: int) -> Mapping[date, str]:
    return bank_holidays.of(subdivision, year)


@cache
def table_years() -> tuple[int, int]:
    """The years the installed ``holidays`` tables cover for the UK (1872 to 2100 today)."""
    return bank_holidays.years()


class OutsideCalendar(UsageError):
    """A day outside the years whose bank holidays foibot knows: no working day can be
    counted there (``foibot due 9999-12-31``)."""

    def __init__(self, day: date) -> None:
        first, last = table_years()
        super().__init__(f"{day}: outside the years whose bank holidays foibot knows "
                         f"({first} to {last}); no deadline can be counted there")


@dataclass(frozen=True)
class Calendar:
    """The days that are not working days under one regime.

    ``extra_holidays`` holds bank holidays proclaimed after the installed ``holidays`` package
    was released (a royal funeral, a coronation), so a campaign need not wait for an upgrade.
    """

    regime: Regime
    extra_holidays: tuple[tuple[date, str], ...] = ()

    def __post_init__(self) -> None:
        _check_regime(self.regime)

    def reason(self, day: date) -> str | None:
        """Why ``day`` is not a working day, or None when it is one."""
        first, last = table_years()
        if not first <= day.year <= last:
            raise OutsideCalendar(day)
        return _reason(self, day)

    def _reason(self, day: date) -> str | None:
        for extra, name in self.extra_holidays:
            if extra == day:
                return name
        # Named in the Acts themselves, so they never depend on the holiday tables.
        if day.month == 12 and day.day == 25:
            return "Christmas Day"
        if self.regime == "foia" and day == _good_friday(day.year):
            return "Good Friday"
        holiday = _bank_holidays(self.regime, day.year).get(day)
        if holiday is not None:
            return holiday
        return _WEEKEND_NAMES.get(day.weekday())

    def is_working(self, day: date) -> bool:
        return self.reason(day) is None


# A board of 5,000 requests asks about the same few hundred days over and over; the answers
# never change for a given calendar, so they are kept.
@lru_cache(maxsize=16384)
def _reason(cal: Calendar, day: date) -> str | None:
    return cal._reason(day)


def _check_regime(regime: str) -> None:
    if regime not in REGIMES:
        raise ValueError(f"unknown regime {regime!r}: expected one of {', '.join(REGIMES)}")


_STANDARD = {regime: Calendar(regime) for regime in REGIMES}


def _calendar(regime: Regime, calendar: Calendar | None) -> Calendar:
    if calendar is None:
        _check_regime(regime)
        return _STANDARD[regime]
    if calendar.regime != regime:
        raise ValueError(f"a {calendar.regime} calendar cannot count {regime} days")
    return calendar


def is_working_day(day: date, regime: Regime, *, calendar: Calendar | None = None) -> bool:
    return _calendar(regime, calendar).is_working(day)


def non_working_reason(
    day: date, regime: Regime, *, calendar: Calendar | None = None
) -> str | None:
    """Why ``day`` does not count: ``"Christmas Day"``, ``"Saturday"``, ...; None if it does.

    ``"St Patrick's Day (NI; counts for FOIA)"`` names the nations of a one-nation holiday.
    """
    return _calendar(regime, calendar).reason(day)


def receipt_date(when: date | datetime) -> date:
    """The date of receipt: the calendar day in London on which the request arrived.

    An email at 23:30 UTC on a summer evening arrived at 00:30 BST the next day.
    """
    if isinstance(when, datetime):
        if when.tzinfo is None:
            raise ValueError(f"{when.isoformat()} has no UTC offset; the London day is ambiguous")
        return london_date(when)
    return when


# --- Counting -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Walk:
    """One count of working days, with what was passed over on the way."""

    due: date
    skipped: tuple[tuple[date, str], ...]  # non-working weekdays, with why
    weekend_days: int

    def lines(self) -> list[str]:
        out = [f"{format_day(day)}: {why}" for day, why in self.skipped]
        if self.weekend_days:
            out.append(f"{_plural(self.weekend_days, 'weekend day')} not counted")
        return out


@lru_cache(maxsize=8192)
def _walk(start: date, n: int, cal: Calendar, pauses: tuple[tuple[date, date], ...] = ()) -> _Walk:
    """Count ``n`` working days strictly after ``start``, skipping days inside ``pauses``.

    Kept per arguments: a board counts from the same few dates for many requests."""
    if n < 0:
        raise ValueError(f"cannot count {n} working days")
    skipped: list[tuple[date, str]] = []
    weekend_days = 0
    day, counted = start, 0
    while counted < n:
        day += _ONE_DAY
        why = cal.reason(day)
        if why is not None:
            if day.weekday() >= 5:
                weekend_days += 1
            else:
                skipped.append((day, why))
        elif not any(first <= day <= last for first, last in pauses):
            counted += 1
    return _Walk(day, tuple(skipped), weekend_days)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _received_line(day: date, cal: Calendar, *, what: str = "Received") -> str:
    why = cal.reason(day)
    if why is None:
        return f"{what} {format_day(day)}; the count starts the next day"
    return f"{what} {format_day(day)} ({why}, not a working day); the count starts the next day"


@dataclass(frozen=True)
class Deadline:
    """A computed date and how it was reached.

    ``due`` is None while the clock is stopped (waiting for clarification or an unpaid fee,
    named in ``paused``) or when the request lapsed for want of the fee.
    """

    due: date | None
    regime: Regime
    start: date | None  # the day the current period counts from
    rule: str
    explanation: tuple[str, ...]
    warnings: tuple[str, ...] = ()
    paused: Pause | None = None
    lapsed: bool = False

    def explain(self) -> list[str]:
        """The explanation followed by any warnings, ready to print."""
        return [*self.explanation, *(f"Warning: {warning}" for warning in self.warnings)]


def add_working_days(
    start: date,
    n: int,
    regime: Regime,
    *,
    rule: str | None = None,
    calendar: Calendar | None = None,
) -> Deadline:
    """The ``n``-th working day strictly after ``start``."""
    cal = _calendar(regime, calendar)
    walk = _walk(start, n, cal)
    rule = rule or f"{n} working days after {format_day(start)}"
    lines = [rule, _LAWS[regime].working_days, _received_line(start, cal, what="Counted from")]
    lines += [*walk.lines(), f"Working day {n}: {format_day(walk.due)}"]
    return Deadline(walk.due, regime, start, rule, tuple(lines))


def working_days_between(
    start: date, end: date, regime: Regime, *, calendar: Calendar | None = None
) -> int:
    """Working days in (start, end]; negative when ``end`` is before ``start``."""
    cal = _calendar(regime, calendar)
    if end < start:
        return -_working_between(end, start, cal)
    return _working_between(start, end, cal)


@lru_cache(maxsize=8192)
def _working_between(start: date, end: date, cal: Calendar) -> int:
    count, day = 0, start
    while day < end:
        day += _ONE_DAY
        count += cal.is_working(day)
    return count


def fee_period_end(notice: date) -> date:
    """The last day of the three months beginning with the day of the fees notice.

    Notice on 9 Dec gives 8 Mar; when the month has no corresponding day (30 Nov gives no
    30 Feb) the period runs to the month's last day.
    """
    month_index = notice.month - 1 + FEE_MONTHS
    year, month = notice.year + month_index // 12, month_index % 12 + 1
    last = _gregorian.monthrange(year, month)[1]
    if notice.day > last:
        return date(year, month, last)
    return date(year, month, notice.day) - _ONE_DAY


# --- The response deadline from a request's history -------------------------------------------


@dataclass(frozen=True)
class ClockFact:
    """One event in a request's history that moves the clock.

    ``until`` is the date a force gave when it extended for the public interest test, if any.
    """

    kind: FactKind
    day: date
    until: date | None = None


def response_deadline(
    regime: Regime,
    facts: Sequence[ClockFact],
    *,
    today: date | None = None,
    calendar: Calendar | None = None,
) -> Deadline:
    """When the force must answer, given what has happened so far (facts oldest first).

    ``today`` is needed only to tell whether an unpaid fee has lapsed.
    """
    return _response_deadline(regime, tuple(facts), today, _calendar(regime, calendar))


# A campaign's requests mostly share their facts (sent the same day, answered or not): the
# board of 5,000 computes a few dozen distinct deadlines, so each is kept (the rule is pure).
@lru_cache(maxsize=4096)
def _response_deadline(regime: Regime, facts: tuple[ClockFact, ...], today: date | None,
                       cal: Calendar) -> Deadline:
    law = _LAWS[regime]
    history = sorted(facts, key=lambda fact: fact.day)  # stable: same-day facts keep their order
    if not history or history[0].kind != "received":
        raise ValueError("a request's clock starts with its 'received' fact")
    start = history[0].day
    rule = law.response
    lines = [law.response, law.working_days, _received_line(start, cal)]
    warnings: list[str] = []
    pauses: list[tuple[date, date]] = []
    fee_notice: date | None = None
    asked: date | None = None
    extension: ClockFact | None = None

    for fact in history[1:]:
        day = format_day(fact.day)
        if fact.kind == "received":
            warnings.append(
                f"a second receipt on {fact.day} was ignored; the clock runs from {start}"
            )
        elif fact.kind == "clarification_requested":
            asked = fact.day
            lines.append(f"Clarification asked {day}: the clock stops ({law.clarification})")
        elif fact.kind == "clarification_received":
            # Restart even when no request for it is on record: a missed request is likelier
            # than an unasked clarification, and chasing a force that is not late is worse.
            if asked is None:
                warnings.append(
                    f"clarification reached the force on {fact.day} but no request for it "
                    f"is on record; the clock restarts anyway ({law.clarification})"
                )
            # A new period: pauses and extensions of the old one no longer matter.
            asked, start, rule = None, fact.day, law.clarified
            pauses, fee_notice, extension = [], None, None
            lines.append(
                f"Clarification received {day}: a new period of 20 working days starts "
                f"the next day ({law.clarification})"
            )
        elif fact.kind == "fee_notice":
            if fee_notice is not None:
                warnings.append(f"a second fee notice on {fact.day} was ignored")
                continue
            fee_notice = fact.day
            lines.append(f"Fee notice {day}: the clock stops until the fee is paid ({law.fee})")
        elif fact.kind == "fee_paid":
            if fee_notice is None:
                warnings.append(f"a fee paid on {fact.day} without a fee notice was ignored")
                continue
            if fact.day > fee_period_end(fee_notice):
                return _lapsed(regime, start, rule, lines, warnings, fee_notice, law, paid=fact.day)
            paused_days = working_days_between(
                fee_notice - _ONE_DAY, fact.day, regime, calendar=cal
            )
            lines.append(
                f"Fee paid {day}: {_plural(paused_days, 'working day')} from the notice "
                f"to the payment not counted ({law.fee})"
            )
            pauses.append((fee_notice, fact.day))
            fee_notice = None
        elif fact.kind == "extension":
            extension = fact
        else:
            raise ValueError(f"unknown clock fact {fact.kind!r}")

    if asked is not None:
        lines.append("No due date while the force waits for clarification")
        return Deadline(
            None, regime, None, rule, tuple(lines), tuple(warnings), paused="clarification"
        )
    if fee_notice is not None:
        end = fee_period_end(fee_notice)
        if today is not None and today > end:
            return _lapsed(regime, start, rule, lines, warnings, fee_notice, law, paid=None)
        lines.append(
            f"No due date until the fee is paid; unpaid after {format_day(end)}, "
            f"the request lapses ({law.fee_lapse})"
        )
        return Deadline(None, regime, start, rule, tuple(lines), tuple(warnings), paused="fee")

    walk = _walk(start, RESPONSE_DAYS, cal, tuple(pauses))
    if pauses:
        unpaused = _walk(start, RESPONSE_DAYS, cal).due
        warnings += [
            f"the fee notice of {first} came after the deadline {unpaused} had passed"
            for first, _ in pauses
            if first > unpaused
        ]
    lines += [*walk.lines(), f"Working day {RESPONSE_DAYS}: {format_day(walk.due)}"]
    deadline = Deadline(walk.due, regime, start, rule, tuple(lines), tuple(warnings))
    if extension is not None:
        deadline = pit_extension(
            deadline, until=extension.until, notified=extension.day, calendar=cal
        )
    return deadline


def _lapsed(
    regime: Regime,
    start: date,
    rule: str,
    lines: list[str],
    warnings: list[str],
    notice: date,
    law: _Law,
    *,
    paid: date | None,
) -> Deadline:
    end = format_day(fee_period_end(notice))
    if paid is None:
        lines.append(f"Fee not paid by {end}: the request lapsed ({law.fee_lapse})")
    else:
        lines.append(
            f"Fee paid {format_day(paid)}, after {end}: the force need not answer ({law.fee_lapse})"
        )
    return Deadline(None, regime, start, rule, tuple(lines), tuple(warnings), lapsed=True)


def pit_extension(
    deadline: Deadline,
    *,
    until: date | None = None,
    days: int | None = None,
    notified: date | None = None,
    calendar: Calendar | None = None,
) -> Deadline:
    """Extend a response deadline for the public interest test (FOIA 2000 s.10(3)).

    The new date is the one the force gave (``until``); without one, ``days`` (20 by default)
    further working days after the statutory date. FOISA has no such extension: the deadline
    stays and a warning says so.
    """
    if deadline.due is None or deadline.start is None:
        return deadline  # nothing runs while the clock is stopped
    if deadline.regime == "foisa":
        return replace(deadline, warnings=(*deadline.warnings, NO_FOISA_EXTENSION))
    if until is not None and days is not None:
        raise ValueError("an extension has either a date or a number of days, not both")
    cal = _calendar(deadline.regime, calendar)
    statutory, start = deadline.due, deadline.start
    lines = list(deadline.explanation)
    warnings = list(deadline.warnings)
    if notified is not None and notified > statutory:
        warnings.append(
            f"the extension was notified on {notified}, after the statutory date {statutory} "
            "(s.17(2): it must be claimed within the 20 working days)"
        )
    if until is None:
        extra = RESPONSE_DAYS if days is None else days
        walk = _walk(statutory, extra, cal)
        due = walk.due
        lines.append(f"Public interest extension (FOIA 2000 s.10(3)): {extra} further working days")
        lines += walk.lines()
    elif until < statutory:
        due = statutory
        warnings.append(
            f"the force's extension date {until} is before the statutory date {statutory}"
        )
        lines.append(
            f"Public interest extension (FOIA 2000 s.10(3)) to {format_day(until)} ignored"
        )
    else:
        due = until
        lines.append(
            f"Public interest extension (FOIA 2000 s.10(3)) to {format_day(until)}, "
            "the date the force gave"
        )
    total = working_days_between(start, due, deadline.regime, calendar=cal)
    lines.append(f"Extended to {format_day(due)}: {total} working days after {format_day(start)}")
    if total > PIT_MAX_DAYS:
        warnings.append(
            f"{total} working days from receipt exceeds ICO guidance "
            f"(no more than {PIT_MAX_DAYS} in total)"
        )
    return replace(
        deadline,
        due=due,
        rule="FOIA 2000 s.10(3): public interest extension",
        explanation=tuple(lines),
        warnings=tuple(warnings),
    )


# --- Reviews, overdue, stated dates ---------------------------------------------------------


def review_deadline(
    regime: Regime, review_received: date, *, calendar: Calendar | None = None
) -> Deadline:
    """When an internal review should be answered.

    FOISA s.21(1) sets 20 working days. FOIA sets no limit: the ICO expects 20, 40 at most,
    and the explanation gives both dates.
    """
    cal = _calendar(regime, calendar)
    law = _LAWS[regime]
    deadline = add_working_days(review_received, REVIEW_DAYS, regime, rule=law.review, calendar=cal)
    if regime == "foisa":
        return deadline
    at_most = _walk(review_received, REVIEW_MAX_DAYS, cal).due
    line = f"At most (ICO), working day {REVIEW_MAX_DAYS}: {format_day(at_most)}"
    return replace(deadline, explanation=(*deadline.explanation, line))


def review_request_window(
    regime: Regime, response_day: date, *, calendar: Calendar | None = None
) -> Deadline:
    """The last day the requester may ask for a review: 40 working days after the response."""
    rule = _LAWS[regime].review_request
    return add_working_days(response_day, REVIEW_REQUEST_DAYS, regime, rule=rule, calendar=calendar)


def long_overdue_date(regime: Regime, received: date, *, calendar: Calendar | None = None) -> date:
    """The 40th working day after receipt; after it a request is long overdue."""
    return _walk(received, LONG_OVERDUE_DAYS, _calendar(regime, calendar)).due


@dataclass(frozen=True)
class Standing:
    """Where a deadline stands on a given day."""

    overdue: bool
    long_overdue: bool
    working_days_left: int
    working_days_late: int


def standing(
    deadline: Deadline, received: date, today: date, *, calendar: Calendar | None = None
) -> Standing:
    """Overdue once ``today`` is after the due date; long overdue after 40 working days.

    A stopped clock (clarification, unpaid fee) or a lapsed request is never overdue.
    """
    return _standing(deadline, received, today, _calendar(deadline.regime, calendar))


@lru_cache(maxsize=4096)
def _standing(deadline: Deadline, received: date, today: date, cal: Calendar) -> Standing:
    if deadline.due is None:
        return Standing(overdue=False, long_overdue=False, working_days_left=0, working_days_late=0)
    between = working_days_between(today, deadline.due, deadline.regime, calendar=cal)
    overdue = today > deadline.due
    return Standing(
        overdue=overdue,
        long_overdue=overdue and today > long_overdue_date(deadline.regime, received, calendar=cal),
        working_days_left=max(between, 0),
        working_days_late=max(-between, 0),
    )


def compare_stated(
    stated: date, deadline: Deadline, *, calendar: Calendar | None = None
) -> str | None:
    """Say where each date comes from when a force's own due date differs from foibot's count
    under the Act; None when they agree.

    Forces often count England's holidays only. Their date is recorded, but the Act's counts:
    ``"the force's letter gives 2027-01-20; foibot's count under the Act gives 2027-01-21
    (the force's date is 1 working day earlier)"``.
    """
    theirs = f"the force's letter gives {stated}"
    if deadline.due is None:
        state = (
            "the request lapsed" if deadline.lapsed else f"the clock is stopped ({deadline.paused})"
        )
        return f"{theirs}; under the Act there is no date now: {state}"
    if stated == deadline.due:
        return None
    apart = abs(working_days_between(deadline.due, stated, deadline.regime, calendar=calendar))
    direction = "earlier" if stated < deadline.due else "later"
    return (f"{theirs}; foibot's count under the Act gives {deadline.due} "
            f"(the force's date is {_plural(apart, 'working day')} {direction})")
