"""When the bot may remind people: Norwegian working days, daytime only."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

import holidays

QUIET_FROM = time(20, 0)
QUIET_UNTIL = time(8, 0)


@lru_cache(maxsize=16)
def _norwegian_holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NO", years=year)


def is_working_day(day: date) -> bool:
    """Monday to Friday, and not a Norwegian public holiday (17 May, Easter, Christmas ...)."""
    return day.weekday() < 5 and day not in _norwegian_holidays(day.year)


def next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def may_remind_now(local: datetime) -> bool:
    """A working day, between 08:00 and 20:00 local time."""
    return is_working_day(local.date()) and QUIET_UNTIL <= local.time() < QUIET_FROM


def next_reminder_time(local: datetime) -> datetime:
    """The first moment from `local` on when reminders may be sent (same tz)."""
    if may_remind_now(local):
        return local
    day = local.date()
    if not (is_working_day(day) and local.time() < QUIET_UNTIL):
        day = next_working_day(day)
    return datetime.combine(day, QUIET_UNTIL, local.tzinfo)
