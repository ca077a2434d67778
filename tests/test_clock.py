"""The statutory clock against dates counted by hand.

Every row of DEADLINES was counted on a printed calendar with the gov.uk bank holiday lists for
England and Wales, Scotland and Northern Ireland, then recounted by a separate ten-line loop over
those hand-typed lists (not foibot's code), and the lists were compared with what the
``holidays`` package prints for 2025-2028. Bank holidays on weekdays used below:

    2025  E&W/NI: 1 Jan, Fri 18 Apr GF, Mon 21 Apr EM, 5 May, 26 May, 25 Aug, Thu 25 Dec, Fri 26 Dec
          Scotland: 1-2 Jan, 18 Apr, 5 May, 26 May, Mon 4 Aug, Mon 1 Dec (St Andrew's), 25-26 Dec
          NI only: Mon 17 Mar (St Patrick's), Mon 14 Jul (Boyne, 12th a Saturday)
    2026  E&W/NI: Thu 1 Jan, Fri 3 Apr GF, Mon 6 Apr EM, 4 May, 25 May, 31 Aug, Fri 25 Dec,
          Mon 28 Dec
          Scotland: 1 Jan, Fri 2 Jan, 3 Apr, 4 May, 25 May, Mon 15 Jun (World Cup), Mon 3 Aug,
          Mon 30 Nov (St Andrew's), 25 Dec, 28 Dec
          NI only: Tue 17 Mar, Mon 13 Jul (12th a Sunday)
    2027  E&W/NI: Fri 1 Jan, Fri 26 Mar GF, Mon 29 Mar EM, 3 May, 31 May, 30 Aug, Mon 27 Dec,
          Tue 28 Dec
          Scotland: 1 Jan, Mon 4 Jan (2 Jan a Saturday), 26 Mar, 3 May, 31 May, 2 Aug, Tue 30 Nov,
          27-28 Dec;  NI only: Wed 17 Mar, Mon 12 Jul
    2028  all: Mon 3 Jan (1 Jan a Saturday); Scotland: Tue 4 Jan (2 Jan a Sunday)

In the comments "+n" is the running count of working days after receipt.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from foibot.rules.clock import (
    NO_FOISA_EXTENSION,
    REGIMES,
    Calendar,
    ClockFact,
    Deadline,
    Regime,
    add_working_days,
    compare_stated,
    fee_period_end,
    is_working_day,
    long_overdue_date,
    non_working_reason,
    pit_extension,
    receipt_date,
    response_deadline,
    review_deadline,
    review_request_window,
    standing,
    working_days_between,
)

D = date.fromisoformat


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def due_for(regime: Regime, received: date | datetime) -> Deadline:
    return response_deadline(regime, [ClockFact("received", receipt_date(received))])


DEADLINES = [
    # --- Christmas and New Year ----------------------------------------------------------
    # Tue 1 Dec 2026: Dec 2-4 +3, 7-11 +8, 14-18 +13, 21-24 +17, Fri 25 Christmas and Mon 28
    # Boxing Day substitute skipped, 29 +18, 30 +19, Thu 31 +20.
    pytest.param("foia", D("2026-12-01"), D("2026-12-31"), id="foia-christmas-2026"),
    # Same count for Scotland: 25 and 28 Dec are Scottish holidays too.
    pytest.param("foisa", D("2026-12-01"), D("2026-12-31"), id="foisa-christmas-2026"),
    # Wed 10 Dec 2025: 11-12 +2, 15-19 +7, 22-24 +10, Thu 25 and Fri 26 skipped, 29-31 +13,
    # Thu 1 Jan and Fri 2 Jan 2026 skipped (2 Jan is Scottish, so counts for FOIA), 5-9 +18,
    # 12 +19, Tue 13 +20.
    pytest.param("foia", D("2025-12-10"), D("2026-01-13"), id="foia-christmas-2025"),
    # Scotland has 25, 26 Dec, 1 and 2 Jan too: the same count.
    pytest.param("foisa", D("2025-12-10"), D("2026-01-13"), id="foisa-christmas-2025"),
    # Sat 20 Dec 2025 (a Saturday receipt, FOISA): 22-24 +3, 25-26 skipped, 29-31 +6, 1-2 Jan
    # skipped, 5-9 +11, 12-16 +16, 19-22 +20 -> Thu 22 Jan 2026.
    pytest.param("foisa", D("2025-12-20"), D("2026-01-22"), id="foisa-saturday-new-year-2026"),
    # Wed 1 Dec 2027: 2-3 +2, 6-10 +7, 13-17 +12, 20-24 +17, Mon 27 (Christmas substitute) and
    # Tue 28 (Boxing Day substitute) skipped, 29 +18, 30 +19, Fri 31 +20.
    pytest.param("foia", D("2027-12-01"), D("2027-12-31"), id="foia-christmas-2027"),
    # Wed 15 Dec 2027: 16-17 +2, 20-24 +7, 27-28 skipped, 29-31 +10, Mon 3 Jan 2028 (New Year
    # substitute) and Tue 4 Jan (Scotland's 2 Jan substitute, counts for FOIA) skipped,
    # 5-7 +13, 10-14 +18, 17 +19, Tue 18 +20.
    pytest.param("foia", D("2027-12-15"), D("2028-01-18"), id="foia-new-year-2028"),
    pytest.param("foisa", D("2027-12-15"), D("2028-01-18"), id="foisa-new-year-2028"),
    # Fri 18 Dec 2026: 21-24 +4, 25 and 28 skipped, 29-31 +7, Fri 1 Jan 2027 and Mon 4 Jan
    # (Scotland's 2 Jan substitute) skipped, 5-8 +11, 11-15 +16, 18-21 +20 -> Thu 21 Jan.
    # (Counting England's holidays only would give Wed 20 Jan.)
    pytest.param("foia", D("2026-12-18"), D("2027-01-21"), id="foia-new-year-2027"),
    pytest.param("foisa", D("2026-12-18"), D("2027-01-21"), id="foisa-new-year-2027"),
    # --- Easter: FOISA counts Easter Monday --------------------------------------------------
    # Fri 20 Mar 2026: 23-27 +5, 30-31 +7, 1-2 Apr +9, Fri 3 GF and Mon 6 EM skipped,
    # 7-10 +13, 13-17 +18, 20 +19, Tue 21 Apr +20.
    pytest.param("foia", D("2026-03-20"), D("2026-04-21"), id="foia-easter-2026"),
    # Scotland: only Good Friday skipped; Mon 6 Apr +10, 7-10 +14, 13-17 +19, Mon 20 +20.
    pytest.param("foisa", D("2026-03-20"), D("2026-04-20"), id="foisa-easter-2026"),
    # Tue 1 Apr 2025: 2-4 +3, 7-11 +8, 14-17 +12, Fri 18 GF and Mon 21 EM skipped, 22-25 +16,
    # 28-30 +19, Thu 1 May +20.
    pytest.param("foia", D("2025-04-01"), D("2025-05-01"), id="foia-easter-2025"),
    # Scotland: 21 Apr counts, 21-25 +17, 28-30 +20 -> Wed 30 Apr.
    pytest.param("foisa", D("2025-04-01"), D("2025-04-30"), id="foisa-easter-2025"),
    # Wed 10 Mar 2027: 11-12 +2, 15-16 +4, Wed 17 St Patrick's skipped, 18-19 +6, 22-25 +10,
    # Fri 26 GF and Mon 29 EM skipped, 30-31 +12, 1-2 Apr +14, 5-9 +19, Mon 12 Apr +20.
    pytest.param("foia", D("2027-03-10"), D("2027-04-12"), id="foia-easter-and-st-patrick-2027"),
    # Scotland: 17 Mar and 29 Mar count: 11-12 +2, 15-19 +7, 22-25 +11, 29-31 +14, 1-2 Apr +16,
    # 5-8 +20 -> Thu 8 Apr.
    pytest.param("foisa", D("2027-03-10"), D("2027-04-08"), id="foisa-easter-2027"),
    # --- One nation's holidays count for every FOIA force ---------------------------------------
    # Mon 2 Mar 2026: 3-6 +4, 9-13 +9, 16 +10, Tue 17 St Patrick's skipped, 18-20 +13,
    # 23-27 +18, 30 +19, Tue 31 +20.
    pytest.param("foia", D("2026-03-02"), D("2026-03-31"), id="foia-st-patrick-2026"),
    # Scotland: 17 Mar counts: 3-6 +4, 9-13 +9, 16-20 +14, 23-27 +19, Mon 30 +20.
    pytest.param("foisa", D("2026-03-02"), D("2026-03-30"), id="foisa-st-patrick-2026"),
    # Mon 3 Mar 2025: 4-7 +4, 10-14 +9, Mon 17 skipped, 18-21 +13, 24-28 +18, 31 +19, Tue 1 Apr +20.
    pytest.param("foia", D("2025-03-03"), D("2025-04-01"), id="foia-st-patrick-2025"),
    # Wed 1 Jul 2026: 2-3 +2, 6-10 +7, Mon 13 Jul (Boyne substitute, NI) skipped, 14-17 +11,
    # 20-24 +16, 27-30 +20 -> Thu 30 Jul.
    pytest.param("foia", D("2026-07-01"), D("2026-07-30"), id="foia-twelfth-2026"),
    # Scotland: 13 Jul counts: 13-17 +12, 20-24 +17, 27-29 +20 -> Wed 29 Jul.
    pytest.param("foisa", D("2026-07-01"), D("2026-07-29"), id="foisa-twelfth-2026"),
    # Tue 1 Jul 2025: 2-4 +3, 7-11 +8, Mon 14 Jul skipped, 15-18 +12, 21-25 +17, 28-30 +20.
    pytest.param("foia", D("2025-07-01"), D("2025-07-30"), id="foia-twelfth-2025"),
    # Thu 10 Jul 2025: 11 +1, Mon 14 Jul skipped, 15-18 +5, 21-25 +10, 28 Jul-1 Aug +15,
    # Mon 4 Aug (Scotland) skipped, 5-8 +19, Mon 11 Aug +20.
    pytest.param("foia", D("2025-07-10"), D("2025-08-11"), id="foia-twelfth-and-august-2025"),
    # Mon 27 Jul 2026: 28-31 +4, Mon 3 Aug (Scotland's summer holiday) skipped, 4-7 +8,
    # 10-14 +13, 17-21 +18, 24-25 +20 -> Tue 25 Aug.
    pytest.param("foia", D("2026-07-27"), D("2026-08-25"), id="foia-scottish-august-2026"),
    pytest.param("foisa", D("2026-07-27"), D("2026-08-25"), id="foisa-scottish-august-2026"),
    # Mon 10 Aug 2026: 11-14 +4, 17-21 +9, 24-28 +14, Mon 31 Aug (E&W/NI) skipped, 1-4 Sep +18,
    # 7-8 +20 -> Tue 8 Sep.
    pytest.param("foia", D("2026-08-10"), D("2026-09-08"), id="foia-late-august-2026"),
    # Scotland: 31 Aug counts (+15), 1-4 Sep +19, Mon 7 Sep +20.
    pytest.param("foisa", D("2026-08-10"), D("2026-09-07"), id="foisa-late-august-2026"),
    # Mon 16 Nov 2026: 17-20 +4, 23-27 +9, Mon 30 Nov St Andrew's skipped, 1-4 Dec +13,
    # 7-11 +18, 14-15 +20 -> Tue 15 Dec. Scotland's own holiday: the same for FOISA.
    pytest.param("foia", D("2026-11-16"), D("2026-12-15"), id="foia-st-andrew-2026"),
    pytest.param("foisa", D("2026-11-16"), D("2026-12-15"), id="foisa-st-andrew-2026"),
    # Thu 20 Nov 2025: 21 +1, 24-28 +6, Mon 1 Dec (St Andrew's substitute, 30 Nov a Sunday)
    # skipped, 2-5 +10, 8-12 +15, 15-19 +20 -> Fri 19 Dec.
    pytest.param("foia", D("2025-11-20"), D("2025-12-19"), id="foia-st-andrew-substitute-2025"),
    pytest.param("foisa", D("2025-11-20"), D("2025-12-19"), id="foisa-st-andrew-substitute-2025"),
    # Mon 1 Jun 2026: 2-5 +4, 8-12 +9, Mon 15 Jun (Scotland's World Cup holiday, proclaimed
    # under the 1971 Act) skipped, 16-19 +13, 22-26 +18, 29-30 +20 -> Tue 30 Jun.
    pytest.param("foia", D("2026-06-01"), D("2026-06-30"), id="foia-world-cup-2026"),
    # Fri 1 May 2026: Mon 4 May skipped, 5-8 +4, 11-15 +9, 18-22 +14, Mon 25 May skipped,
    # 26-29 +18, 1-2 Jun +20 -> Tue 2 Jun.
    pytest.param("foia", D("2026-05-01"), D("2026-06-02"), id="foia-may-2026"),
    # --- Receipt on a non-working day ----------------------------------------------------
    # Sat 5 Dec 2026: 7-11 +5, 14-18 +10, 21-24 +14, 25 and 28 skipped, 29-31 +17, 1 and 4 Jan
    # skipped, 5-7 +20 -> Thu 7 Jan 2027.
    pytest.param("foia", D("2026-12-05"), D("2027-01-07"), id="foia-saturday"),
    # Sun 6 Dec 2026: the same count as Saturday.
    pytest.param("foia", D("2026-12-06"), D("2027-01-07"), id="foia-sunday"),
    # Mon 7 Dec 2026 for contrast: 8-11 +4, ..., 5-8 Jan +20 -> Fri 8 Jan.
    pytest.param("foia", D("2026-12-07"), D("2027-01-08"), id="foia-monday-after-weekend"),
    # Mon 25 May 2026 (Spring bank holiday): 26-29 +4, 1-5 Jun +9, 8-12 +14, 15 skipped,
    # 16-19 +18, 22-23 +20 -> Tue 23 Jun.
    pytest.param("foia", D("2026-05-25"), D("2026-06-23"), id="foia-bank-holiday"),
    # Mon 6 Apr 2026 (Easter Monday): 7-10 +4, 13-17 +9, 20-24 +14, 27-30 +18, 1 May +19,
    # Mon 4 May skipped, Tue 5 May +20. In Scotland 6 Apr is a working day but the receipt
    # day never counts, so FOISA gives the same date.
    pytest.param("foia", D("2026-04-06"), D("2026-05-05"), id="foia-easter-monday-receipt"),
    pytest.param("foisa", D("2026-04-06"), D("2026-05-05"), id="foisa-easter-monday-receipt"),
    # --- Late-evening UTC receipts: the London day decides --------------------------------
    # Thu 9 Jul 2026 23:30 UTC = Fri 10 Jul 00:30 BST: Mon 13 Jul skipped, 14-17 +4, 20-24 +9,
    # 27-31 +14, Mon 3 Aug skipped, 4-7 +18, 10-11 +20 -> Tue 11 Aug (Thu 9 would give 10 Aug).
    pytest.param("foia", utc("2026-07-09T23:30:00+00:00"), D("2026-08-11"), id="foia-bst-evening"),
    # Thu 22 Oct 2026 23:30 UTC, still BST (ends Sun 25 Oct) = Fri 23 Oct: 26-30 +5, 2-6 Nov +10,
    # 9-13 +15, 16-20 +20 -> Fri 20 Nov.
    pytest.param(
        "foia", utc("2026-10-22T23:30:00+00:00"), D("2026-11-20"), id="foia-before-bst-ends"
    ),
    # Thu 29 Oct 2026 23:30 UTC, now GMT = Thu 29 Oct: 30 +1, 2-6 Nov +6, 9-13 +11, 16-20 +16,
    # 23-26 +20 -> Thu 26 Nov (Fri 30 Oct would give 27 Nov).
    pytest.param(
        "foia", utc("2026-10-29T23:30:00+00:00"), D("2026-11-26"), id="foia-after-bst-ends"
    ),
    # Thu 26 Mar 2026 23:30 UTC, still GMT (BST starts Sun 29 Mar) = Thu 26 Mar: 27 +1, 30-31 +3,
    # 1-2 Apr +5, 3 and 6 skipped, 7-10 +9, 13-17 +14, 20-24 +19, Mon 27 Apr +20.
    pytest.param(
        "foia", utc("2026-03-26T23:30:00+00:00"), D("2026-04-27"), id="foia-before-bst-starts"
    ),
    # Wed 1 Apr 2026 23:30 UTC, now BST = Thu 2 Apr 00:30: 3 and 6 skipped, 7-10 +4, 13-17 +9,
    # 20-24 +14, 27-30 +18, 1 May +19, 4 May skipped, Tue 5 May +20 (Wed 1 Apr gives 1 May).
    pytest.param(
        "foia", utc("2026-04-01T23:30:00+00:00"), D("2026-05-05"), id="foia-after-bst-starts"
    ),
]


@pytest.mark.parametrize(("regime", "received", "expected"), DEADLINES)
def test_response_deadline_matches_hand_count(
    regime: Regime, received: date | datetime, expected: date
) -> None:
    deadline = due_for(regime, received)
    assert deadline.due == expected
    assert working_days_between(receipt_date(received), expected, regime) == 20


def test_christmas_lines_explain_the_skipped_days() -> None:
    lines = due_for("foia", D("2026-12-01")).explanation
    assert lines[0] == "FOIA 2000 s.10(1): 20 working days after receipt"
    assert "Received Tue 1 Dec 2026; the count starts the next day" in lines
    assert "Fri 25 Dec 2026: Christmas Day" in lines
    assert "Mon 28 Dec 2026: Boxing Day (substitute day)" in lines
    assert "8 weekend days not counted" in lines
    assert lines[-1] == "Working day 20: Thu 31 Dec 2026"


def test_one_nation_holidays_say_why_they_count_for_foia() -> None:
    lines = due_for("foia", D("2026-03-02")).explanation
    assert "Tue 17 Mar 2026: St Patrick's Day (NI; counts for FOIA)" in lines
    lines = due_for("foia", D("2026-11-16")).explanation
    assert "Mon 30 Nov 2026: St Andrew's Day (Scotland; counts for FOIA)" in lines
    lines = due_for("foia", D("2026-03-20")).explanation
    assert "Fri 3 Apr 2026: Good Friday" in lines
    assert "Mon 6 Apr 2026: Easter Monday (England, Wales and NI; counts for FOIA)" in lines


def test_foisa_explanation_cites_foisa_and_skips_no_easter_monday() -> None:
    deadline = due_for("foisa", D("2026-03-20"))
    assert deadline.rule == "FOISA 2002 s.10(1): 20 working days after receipt"
    assert not any("Easter Monday" in line for line in deadline.explanation)
    assert "Fri 3 Apr 2026: Good Friday" in deadline.explanation


def test_receipt_on_a_weekend_says_it_is_not_a_working_day() -> None:
    lines = due_for("foia", D("2026-12-05")).explanation
    assert (
        "Received Sat 5 Dec 2026 (Saturday, not a working day); the count starts the next day"
        in lines
    )


@pytest.mark.parametrize(
    ("regime", "day", "reason"),
    [
        ("foia", D("2026-12-25"), "Christmas Day"),
        ("foisa", D("2026-12-25"), "Christmas Day"),
        ("foia", D("2026-04-03"), "Good Friday"),
        ("foia", D("2026-03-17"), "St Patrick's Day (NI; counts for FOIA)"),
        ("foisa", D("2026-03-17"), None),
        ("foisa", D("2026-04-06"), None),  # Easter Monday is a working day in Scotland
        ("foisa", D("2026-11-30"), "St Andrew's Day"),
        ("foia", D("2026-01-02"), "New Year Holiday (Scotland; counts for FOIA)"),
        ("foia", D("2026-12-28"), "Boxing Day (substitute day)"),
        ("foia", D("2026-12-05"), "Saturday"),
        ("foia", D("2026-12-06"), "Sunday"),
        ("foia", D("2026-12-01"), None),
    ],
)
def test_non_working_reason(regime: Regime, day: date, reason: str | None) -> None:
    assert non_working_reason(day, regime) == reason
    assert is_working_day(day, regime) is (reason is None)


@pytest.mark.parametrize(
    ("when", "day"),
    [
        (D("2026-12-01"), D("2026-12-01")),
        (utc("2026-07-10T23:30:00+00:00"), D("2026-07-11")),  # BST: already Saturday in London
        (utc("2026-12-10T23:30:00+00:00"), D("2026-12-10")),  # GMT: still Thursday
        (datetime.fromisoformat("2026-07-11T00:30:00+01:00"), D("2026-07-11")),
        (utc("2026-10-25T00:30:00+00:00"), D("2026-10-25")),  # 01:30 BST on the changeover night
    ],
)
def test_receipt_date_is_the_london_day(when: date | datetime, day: date) -> None:
    assert receipt_date(when) == day


def test_receipt_date_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="no UTC offset"):
        receipt_date(datetime(2026, 7, 10, 23, 30))


def test_unknown_regime_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown regime"):
        add_working_days(D("2026-12-01"), 20, "gdpr")  # type: ignore[arg-type]


# --- Clarification, fees, extensions --------------------------------------------------------


def test_clarification_stops_the_clock_then_restarts_it() -> None:
    asked = [
        ClockFact("received", D("2026-03-02")),
        ClockFact("clarification_requested", D("2026-03-05")),
    ]
    waiting = response_deadline("foia", asked)
    assert waiting.due is None and waiting.paused == "clarification" and waiting.start is None
    # Clarification on Mon 16 Mar 2026: Tue 17 St Patrick's skipped, 18-20 +3, 23-27 +8,
    # 30-31 +10, 1-2 Apr +12, 3 and 6 skipped, 7-10 +16, 13-16 +20 -> Thu 16 Apr.
    restarted = response_deadline(
        "foia", [*asked, ClockFact("clarification_received", D("2026-03-16"))]
    )
    assert restarted.due == D("2026-04-16")
    assert restarted.start == D("2026-03-16")
    assert restarted.paused is None
    assert restarted.rule.startswith("FOIA 2000 s.1(3)")


def test_clarification_without_a_recorded_request_restarts_with_a_warning() -> None:
    facts = [
        ClockFact("received", D("2026-12-01")),
        ClockFact("clarification_received", D("2026-12-10")),
    ]
    deadline = response_deadline("foia", facts)
    # Thu 10 Dec 2026: 11 +1, 14-18 +6, 21-24 +10, 25 and 28 off, 29-31 +13, 1 and 4 Jan off,
    # 5-8 Jan +17, 11-13 +20 -> Wed 13 Jan 2027.
    assert deadline.due == D("2027-01-13")
    assert any("no request for it is on record" in w for w in deadline.warnings)


FEE_FACTS = [ClockFact("received", D("2026-12-01")), ClockFact("fee_notice", D("2026-12-09"))]


def test_fee_pause_moves_the_deadline_by_the_working_days_paused() -> None:
    # Notice Wed 9 Dec, paid Mon 14 Dec 2026: 9, 10, 11 and 14 Dec (4 working days) are
    # disregarded (s.10(2) counts both ends), so Thu 31 Dec moves 4 working days on, past 1 and
    # 4 Jan: 5, 6, 7, 8 Jan -> Fri 8 Jan 2027.
    deadline = response_deadline("foia", [*FEE_FACTS, ClockFact("fee_paid", D("2026-12-14"))])
    assert deadline.due == D("2027-01-08")
    assert any(
        "4 working days from the notice to the payment not counted" in line
        for line in deadline.explanation
    )


def test_unpaid_fee_has_no_deadline_then_lapses_after_three_months() -> None:
    # Three months beginning with Wed 9 Dec 2026 end on Mon 8 Mar 2027.
    assert fee_period_end(D("2026-12-09")) == D("2027-03-08")
    waiting = response_deadline("foia", FEE_FACTS, today=D("2027-03-08"))
    assert waiting.due is None and waiting.paused == "fee" and not waiting.lapsed
    lapsed = response_deadline("foia", FEE_FACTS, today=D("2027-03-09"))
    assert lapsed.due is None and lapsed.lapsed and lapsed.paused is None


def test_fee_paid_too_late_lapses() -> None:
    late = response_deadline("foia", [*FEE_FACTS, ClockFact("fee_paid", D("2027-03-10"))])
    assert late.lapsed and late.due is None


def test_fee_period_without_a_corresponding_day_runs_to_month_end() -> None:
    assert fee_period_end(D("2026-11-30")) == D("2027-02-28")
    assert fee_period_end(D("2026-10-31")) == D("2027-01-30")


def test_extension_without_a_date_adds_20_working_days() -> None:
    # Thu 31 Dec 2026 + 20: 1 and 4 Jan skipped, 5-8 +4, 11-15 +9, 18-22 +14, 25-29 +19,
    # Mon 1 Feb 2027 +20: 40 working days from receipt, within ICO guidance.
    facts = [ClockFact("received", D("2026-12-01")), ClockFact("extension", D("2026-12-30"))]
    deadline = response_deadline("foia", facts)
    assert deadline.due == D("2027-02-01")
    assert deadline.warnings == ()
    assert deadline.rule == "FOIA 2000 s.10(3): public interest extension"


def test_extension_to_a_date_beyond_40_working_days_is_flagged() -> None:
    # 1 Dec 2026 to 1 Mar 2027: 20 in Dec, 19 in Jan (1 and 4 Jan off), 20 in Feb, 1 in Mar = 60.
    facts = [
        ClockFact("received", D("2026-12-01")),
        ClockFact("extension", D("2026-12-30"), until=D("2027-03-01")),
    ]
    deadline = response_deadline("foia", facts)
    assert deadline.due == D("2027-03-01")
    assert any("60 working days" in w and "exceeds ICO guidance" in w for w in deadline.warnings)


def test_extension_claimed_after_the_deadline_is_flagged() -> None:
    facts = [ClockFact("received", D("2026-12-01")), ClockFact("extension", D("2027-01-05"))]
    assert any("after the statutory date" in w for w in response_deadline("foia", facts).warnings)


def test_foisa_has_no_public_interest_extension() -> None:
    facts = [
        ClockFact("received", D("2026-12-01")),
        ClockFact("extension", D("2026-12-30"), until=D("2027-02-01")),
    ]
    deadline = response_deadline("foisa", facts)
    assert deadline.due == D("2026-12-31")
    assert NO_FOISA_EXTENSION in deadline.warnings
    assert "FOISA has no public interest extension" in NO_FOISA_EXTENSION


def test_extension_by_days() -> None:
    # 31 Dec 2026 + 25 working days: ... Mon 1 Feb +20, 2-5 Feb +24, Mon 8 Feb +25 (45 in all).
    extended = pit_extension(due_for("foia", D("2026-12-01")), days=25)
    assert extended.due == D("2027-02-08")
    assert any("45 working days" in w for w in extended.warnings)


def test_history_must_start_with_receipt() -> None:
    with pytest.raises(ValueError, match="received"):
        response_deadline("foia", [ClockFact("fee_notice", D("2026-12-01"))])


# --- Reviews, overdue, stated dates ---------------------------------------------------------


def test_foisa_review_is_20_working_days_by_statute() -> None:
    deadline = review_deadline("foisa", D("2026-11-16"))
    assert deadline.due == D("2026-12-15")
    assert deadline.rule.startswith("FOISA 2002 s.21(1)")


def test_foia_review_says_there_is_no_statutory_limit() -> None:
    deadline = review_deadline("foia", D("2026-12-01"))
    assert deadline.due == D("2026-12-31")
    assert "no statutory limit" in deadline.rule
    assert "At most (ICO), working day 40: Mon 1 Feb 2027" in deadline.explanation


def test_review_request_window_is_40_working_days() -> None:
    # 1 Dec 2026 + 40 in Scotland: 20 by 31 Dec, 1 and 4 Jan off, 5-29 Jan +39, Mon 1 Feb +40.
    window = review_request_window("foisa", D("2026-12-01"))
    assert window.due == D("2027-02-01")
    assert window.rule.startswith("FOISA 2002 s.20")


def test_standing_on_either_side_of_the_deadline() -> None:
    deadline = due_for(
        "foia", D("2026-12-01")
    )  # due Thu 31 Dec 2026; long overdue after 1 Feb 2027
    assert long_overdue_date("foia", D("2026-12-01")) == D("2027-02-01")
    before = standing(deadline, D("2026-12-01"), D("2026-12-21"))
    assert (before.overdue, before.working_days_left, before.working_days_late) == (False, 6, 0)
    on_the_day = standing(deadline, D("2026-12-01"), D("2026-12-31"))
    assert not on_the_day.overdue and on_the_day.working_days_left == 0
    late = standing(deadline, D("2026-12-01"), D("2027-01-07"))  # 5, 6, 7 Jan
    assert (late.overdue, late.long_overdue, late.working_days_late) == (True, False, 3)
    assert not standing(deadline, D("2026-12-01"), D("2027-02-01")).long_overdue
    assert standing(deadline, D("2026-12-01"), D("2027-02-02")).long_overdue


def test_stopped_clock_is_never_overdue() -> None:
    waiting = response_deadline("foia", FEE_FACTS)
    assert standing(waiting, D("2026-12-01"), D("2027-02-02")) == standing(
        waiting, D("2026-12-01"), D("2026-12-02")
    )
    assert not standing(waiting, D("2026-12-01"), D("2027-02-02")).overdue


def test_compare_stated_names_both_dates() -> None:
    deadline = due_for("foia", D("2026-12-18"))  # 21 Jan 2027; England-only counting gives 20 Jan
    # each date says where it comes from, and "earlier" is the force's date against the Act's
    assert compare_stated(D("2027-01-20"), deadline) == (
        "the force's letter gives 2027-01-20; foibot's count under the Act gives 2027-01-21 "
        "(the force's date is 1 working day earlier)"
    )
    assert compare_stated(D("2027-01-21"), deadline) is None
    later = compare_stated(D("2027-01-25"), deadline)
    assert later is not None and later.endswith("(the force's date is 2 working days later)")


def test_extra_proclaimed_holiday_moves_the_date() -> None:
    royal = Calendar("foia", extra_holidays=((D("2026-12-30"), "A proclaimed bank holiday"),))
    deadline = add_working_days(D("2026-12-01"), 20, "foia", calendar=royal)
    assert deadline.due == D("2027-01-05")
    assert "Wed 30 Dec 2026: A proclaimed bank holiday" in deadline.explanation


def test_working_days_between_is_signed() -> None:
    assert working_days_between(D("2026-12-24"), D("2026-12-29"), "foia") == 1
    assert working_days_between(D("2026-12-29"), D("2026-12-24"), "foia") == -1
    assert working_days_between(D("2026-12-24"), D("2026-12-24"), "foia") == 0


# --- Properties ---------------------------------------------------------------------------

receipts = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
regimes = st.sampled_from(REGIMES)


@settings(max_examples=150, deadline=None)
@given(received=receipts, regime=regimes)
def test_due_date_is_the_20th_working_day_after_receipt(received: date, regime: Regime) -> None:
    due = due_for(regime, received).due
    assert due is not None and due > received
    assert is_working_day(due, regime)
    assert working_days_between(received, due, regime) == 20


@settings(max_examples=150, deadline=None)
@given(received=receipts)
def test_foia_is_never_earlier_than_foisa(received: date) -> None:
    foia, foisa = due_for("foia", received).due, due_for("foisa", received).due
    assert foia is not None and foisa is not None and foia >= foisa


@settings(max_examples=100, deadline=None)
@given(received=receipts, regime=regimes, paused=st.integers(min_value=0, max_value=30))
def test_fee_pause_never_brings_the_deadline_forward(
    received: date, regime: Regime, paused: int
) -> None:
    notice = received + timedelta(days=3)
    facts = [
        ClockFact("received", received),
        ClockFact("fee_notice", notice),
        ClockFact("fee_paid", notice + timedelta(days=paused)),
    ]
    unpaused = due_for(regime, received).due
    due = response_deadline(regime, facts).due
    assert due is not None and unpaused is not None and due >= unpaused
    assert is_working_day(due, regime)


def test_shipped_bank_holidays_are_what_the_holidays_package_says() -> None:
    """foibot reads bank holidays from a table it ships (importing ``holidays`` costs 0.2 s a
    command); the table must say exactly what the installed package says, every nation and
    year. After upgrading ``holidays``: python -c 'from foibot.rules import bank_holidays as
    b; b.write_table()'."""
    from foibot.rules import bank_holidays

    shipped = bank_holidays._shipped()
    assert shipped, f"{bank_holidays.TABLE} is missing or unreadable"
    built = bank_holidays.build()
    assert shipped["days"] == built["days"], "bank_holidays.json is stale: rebuild it"
    assert shipped["package_years"] == built["package_years"]
    for nation in bank_holidays.NATIONS:
        for year in (2005, 2026, 2100):
            assert dict(bank_holidays.of(nation, year)) == \
                dict(bank_holidays.from_package(nation, year)), (nation, year)


def test_years_outside_the_shipped_table_ask_the_holidays_package() -> None:
    from foibot.rules import bank_holidays

    assert bank_holidays.FIRST > 1990
    days = bank_holidays.of("ENG", 1990)
    assert date(1990, 12, 25) in days and date(1990, 4, 13) in days   # Christmas, Good Friday
    # Fri 21, Mon 24, (Christmas, Boxing Day), Thu 27, Fri 28, Mon 31: counted by hand
    counted = add_working_days(date(1990, 12, 20), 5, "foia")
    assert counted.due == date(1990, 12, 31)
    assert "Wed 26 Dec 1990: Boxing Day" in counted.explanation
