"""Dates as people type them: Norwegian first, English as well."""

from __future__ import annotations

import calendar
import re
from datetime import date, time, timedelta

from bot.rules.errors import DateParseError


_MONTH_NAMES = [
    ("januar", "january", "jan"),
    ("februar", "february", "feb"),
    ("mars", "march", "mar"),
    ("april", "apr"),
    ("mai", "may"),
    ("juni", "june", "jun"),
    ("juli", "july", "jul"),
    ("august", "aug"),
    ("september", "sept", "sep"),
    ("oktober", "october", "okt", "oct"),
    ("november", "nov"),
    ("desember", "december", "des", "dec"),
]
MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names}

RELATIVE = {"i dag": 0, "idag": 0, "today": 0, "i morgen": 1, "imorgen": 1, "tomorrow": 1,
            "i går": -1, "igår": -1, "i gar": -1, "yesterday": -1}

# re.ASCII so \d means 0-9 only, not every script's digits.
_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
# The separator must be the same both times, so "15.3-27" is not a date.
_NUMERIC = re.compile(r"(\d{1,2})([./-])(\d{1,2})(?:\2(\d{2}|\d{4}))?\.?", re.ASCII)
_SUFFIX = r"(?:st|nd|rd|th)?"
_DAY_MONTH = re.compile(rf"(\d{{1,2}}){_SUFFIX}\.? ?([a-z]+)\.?(?:,? (\d{{4}}))?", re.ASCII)
_MONTH_DAY = re.compile(rf"([a-z]+)\.? (\d{{1,2}}){_SUFFIX}(?:,? (\d{{4}}))?", re.ASCII)

# Longer than any real date: refuse before running regexes over pasted essays.
_MAX_LENGTH = 40
_DATE_TIME = re.compile(r"^(.*\S)\s+(\d{1,2})[:.](\d{2})$")


def parse_date(text: str, today: date, past: bool = False) -> date:
    """Parse how Norwegians (and English speakers) write a date. Raises DateParseError.

    Without a year the date is the next time the day comes round, or with
    `past` (for something that has happened) the last time it did."""
    cleaned = " ".join(text.lower().split())
    if len(cleaned) > _MAX_LENGTH:
        raise DateParseError("format")
    if cleaned in RELATIVE:
        try:
            return today + timedelta(days=RELATIVE[cleaned])
        except OverflowError:  # tomorrow of date.max, yesterday of date.min
            raise DateParseError("no_such_day") from None

    if m := _ISO.fullmatch(cleaned):
        return _make(int(m[2]), int(m[3]), int(m[1]), today, past)
    if m := _NUMERIC.fullmatch(cleaned):
        return _make(int(m[3]), int(m[1]), _year(m[4]), today, past)
    if m := _DAY_MONTH.fullmatch(cleaned):
        return _make(_month(m[2]), int(m[1]), _year(m[3]), today, past)
    if m := _MONTH_DAY.fullmatch(cleaned):
        return _make(_month(m[1]), int(m[2]), _year(m[3]), today, past)
    raise DateParseError("format")


def _year(digits: str | None) -> int | None:
    if digits is None:
        return None
    # Two digits mean this century: nobody books follow-ups in 1927.
    return int(digits) + (2000 if len(digits) == 2 else 0)


def _month(name: str) -> int:
    if name not in MONTHS:
        raise DateParseError("format")
    return MONTHS[name]


def _make(month: int, day: int, year: int | None, today: date, past: bool = False) -> date:
    # Out-of-range numbers are typos; a real month with too few days is "no such day".
    if not 1 <= month <= 12 or not 1 <= day <= 31 or (year is not None and year < 1):
        raise DateParseError("format")
    if year is not None:
        try:
            return date(year, month, day)
        except ValueError:
            raise DateParseError("no_such_day") from None
    if day > month_days(2000, month):  # not even in a leap year
        raise DateParseError("no_such_day")
    # No year: the next (or last) time this day comes round; 29.02 may be up to 8 years off.
    years = (range(today.year, max(today.year - 9, 0), -1) if past
             else range(today.year, min(today.year + 9, date.max.year + 1)))
    for candidate_year in years:
        try:
            candidate = date(candidate_year, month, day)
        except ValueError:
            continue
        if (candidate <= today) if past else (candidate >= today):
            return candidate
    raise DateParseError("no_such_day")


def parse_date_time(text: str, today: date) -> tuple[date, time]:
    """A date and then a time of day ("15.03 14:30", "i morgen 9.00"), the date as parse_date
    reads it. Raises DateParseError."""
    match = _DATE_TIME.match(text.strip())
    if not match or not (0 <= int(match[2]) <= 23 and 0 <= int(match[3]) <= 59):
        raise DateParseError("format")
    return parse_date(match[1], today), time(int(match[2]), int(match[3]))


def month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def months_between(first: date, last: date) -> list[tuple[int, int]]:
    """(year, month) pairs from first's month to last's month, both included."""
    if last < first:
        return []
    months = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
