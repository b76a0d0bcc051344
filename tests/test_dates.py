"""Dates typed by hand: every accepted form, every refusal, and fuzzing."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.rules.dates import month_days, months_between, parse_date, parse_date_time
from bot.rules.errors import DateParseError

TODAY = date(2026, 11, 27)
MARCH_15 = date(2027, 3, 15)


@pytest.mark.parametrize("text, expected", [
    # Numeric, day first.
    ("15.03.2027", MARCH_15),
    ("15.3.2027", MARCH_15),
    ("15.3.27", MARCH_15),
    ("15.03", MARCH_15),
    ("15.3.", MARCH_15),
    ("15/3/2027", MARCH_15),
    ("15-3-27", MARCH_15),
    ("2027-03-15", MARCH_15),
    ("  15.03.2027 \n", MARCH_15),
    # Month names, day first.
    ("15. mars", MARCH_15),
    ("15 mars", MARCH_15),
    ("15. mars 2027", MARCH_15),
    ("15 mars 2027", MARCH_15),
    ("15.mars 2027", MARCH_15),
    ("15. MARS", MARCH_15),
    ("15 mar.", MARCH_15),
    ("15th March 2027", MARCH_15),
    ("1st jan", date(2027, 1, 1)),
    ("2nd feb. 2027", date(2027, 2, 2)),
    ("3rd april", date(2027, 4, 3)),
    ("4 apr", date(2027, 4, 4)),
    ("17. mai", date(2027, 5, 17)),
    ("17 may", date(2027, 5, 17)),
    ("1. juni", date(2027, 6, 1)),
    ("1 june", date(2027, 6, 1)),
    ("1 jun.", date(2027, 6, 1)),
    ("1. juli", date(2027, 7, 1)),
    ("1 july", date(2027, 7, 1)),
    ("1 jul", date(2027, 7, 1)),
    ("1. august", date(2027, 8, 1)),
    ("1 aug.", date(2027, 8, 1)),
    ("1. september", date(2027, 9, 1)),
    ("1 sept.", date(2027, 9, 1)),
    ("1 sep", date(2027, 9, 1)),
    ("1. oktober", date(2027, 10, 1)),
    ("1 october", date(2027, 10, 1)),
    ("1. okt.", date(2027, 10, 1)),
    ("1 oct", date(2027, 10, 1)),
    ("30. november", date(2026, 11, 30)),
    ("30 nov", date(2026, 11, 30)),
    ("24. desember", date(2026, 12, 24)),
    ("24 december", date(2026, 12, 24)),
    ("24. des.", date(2026, 12, 24)),
    ("24 dec", date(2026, 12, 24)),
    ("1. januar 2028", date(2028, 1, 1)),
    ("1 january", date(2027, 1, 1)),
    ("1. februar", date(2027, 2, 1)),
    ("1 february", date(2027, 2, 1)),
    ("15 march", MARCH_15),
    # English order.
    ("March 15", MARCH_15),
    ("March 15, 2027", MARCH_15),
    ("march 15th", MARCH_15),
    ("Mar. 15 2027", MARCH_15),
    # No year: the next occurrence, today included.
    ("27.11", TODAY),
    ("26.11", date(2027, 11, 26)),
    ("29.2", date(2028, 2, 29)),
    # Words.
    ("i dag", TODAY),
    ("idag", TODAY),
    ("I  DAG", TODAY),
    ("today", TODAY),
    ("i morgen", date(2026, 11, 28)),
    ("imorgen", date(2026, 11, 28)),
    ("Tomorrow", date(2026, 11, 28)),
])
def test_accepted_forms(text, expected):
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text, reason", [
    ("31.02.2027", "no_such_day"),
    ("29.2.2027", "no_such_day"),
    ("31. april", "no_such_day"),
    ("30.02", "no_such_day"),
    ("2027-02-30", "no_such_day"),
    ("", "format"),
    ("   ", "format"),
    ("soon", "format"),
    ("15.13.2027", "format"),
    ("32.01.2027", "format"),
    ("0.1.2027", "format"),
    ("15.3-2027", "format"),
    ("15 foo 2027", "format"),
    ("15.03.0000", "format"),
    ("x" * 5000, "format"),
    ("\x00\x07", "format"),
    ("😀" * 50, "format"),
    ("١٥.٠٣.٢٠٢٧", "format"),  # Arabic-Indic digits
])
def test_refused(text, reason):
    with pytest.raises(DateParseError) as caught:
        parse_date(text, TODAY)
    assert caught.value.reason == reason


def test_edges_of_the_calendar_are_refused_not_crashed():
    with pytest.raises(DateParseError):
        parse_date("tomorrow", date.max)
    with pytest.raises(DateParseError):
        parse_date("1.1", date.max)


def test_month_days():
    assert month_days(2027, 1) == 31
    assert month_days(2027, 2) == 28
    assert month_days(2028, 2) == 29
    assert month_days(2027, 4) == 30


def test_months_between():
    assert months_between(date(2026, 11, 27), date(2027, 2, 1)) == [
        (2026, 11), (2026, 12), (2027, 1), (2027, 2)]
    assert months_between(date(2027, 3, 1), date(2027, 3, 31)) == [(2027, 3)]
    assert months_between(date(2027, 3, 2), date(2027, 3, 1)) == []


@given(st.text(max_size=300))
def test_any_text_gives_a_date_or_a_date_parse_error(text):
    try:
        assert isinstance(parse_date(text, TODAY), date)
    except DateParseError as error:
        assert error.reason in ("format", "no_such_day")


@pytest.mark.parametrize("text, expected", [
    ("28.4", date(2026, 4, 28)),
    ("27.11", date(2026, 11, 27)),
    ("15. desember", date(2025, 12, 15)),
    ("i går", date(2026, 11, 26)),
    ("yesterday", date(2026, 11, 26)),
    ("3.3.2027", date(2027, 3, 3)),  # an explicit year is taken as written
])
def test_past_dates_without_a_year_are_the_last_occurrence(text, expected):
    assert parse_date(text, date(2026, 11, 27), past=True) == expected


def test_a_date_and_a_time_of_day():
    assert parse_date_time("15.03 14:30", TODAY) == (parse_date("15.03", TODAY), time(14, 30))
    assert parse_date_time(" i morgen 9.00 ", TODAY) == (TODAY + timedelta(days=1), time(9, 0))
    for text in ("15.03", "15.03 24:00", "15.03 12:60", "31.02 12:00", "14:30"):
        with pytest.raises(DateParseError):
            parse_date_time(text, TODAY)
