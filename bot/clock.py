"""The bot's clock. Everything that asks "what day is it?" asks this, so the
demo and the tests can move time."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: ZoneInfo):
        self.tz = tz
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Aware UTC."""
        return datetime.now(timezone.utc) + self.offset

    def today(self) -> date:
        """Today in the bot's time zone."""
        return self.now().astimezone(self.tz).date()

    def set_today(self, day: date) -> None:
        """Jump to the same time of day on another day (demo and tests)."""
        real = datetime.now(timezone.utc)
        self.offset = timedelta(days=(day - real.astimezone(self.tz).date()).days)

    def set_now(self, moment: datetime) -> None:
        """Jump to an exact moment; the clock keeps running from there (tests)."""
        self.offset = moment - datetime.now(timezone.utc)
