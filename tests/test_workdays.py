"""Working days and quiet hours for reminders."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.rules.workdays import (
    is_working_day,
    may_remind_now,
    next_reminder_time,
    next_working_day,
)

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize("day", [
    date(2027, 5, 17),  # Constitution Day (a Monday)
    date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1),
    date(2027, 3, 25), date(2027, 3, 26), date(2027, 3, 29),  # Maundy Thursday, Good Friday, Easter Monday
    date(2027, 5, 1),  # a Saturday anyway
    date(2026, 11, 28), date(2026, 11, 29),  # weekend
])
def test_no_reminders_on_weekends_and_holidays(day):
    assert not is_working_day(day)


def test_the_next_working_day():
    assert next_working_day(date(2027, 5, 14)) == date(2027, 5, 18)  # Friday -> past 17 May
    assert next_working_day(date(2026, 12, 23)) == date(2026, 12, 24)
    assert next_working_day(date(2027, 3, 24)) == date(2027, 3, 30)  # past Easter


def test_quiet_hours():
    assert may_remind_now(datetime(2026, 11, 27, 9, 0, tzinfo=OSLO))
    assert not may_remind_now(datetime(2026, 11, 27, 20, 0, tzinfo=OSLO))
    assert not may_remind_now(datetime(2026, 11, 27, 7, 59, tzinfo=OSLO))
    assert next_reminder_time(datetime(2026, 11, 27, 21, 0, tzinfo=OSLO)) == datetime(2026, 11, 30, 8, 0, tzinfo=OSLO)
    assert next_reminder_time(datetime(2026, 11, 30, 6, 0, tzinfo=OSLO)) == datetime(2026, 11, 30, 8, 0, tzinfo=OSLO)
