"""A per-person throttle, first of all handlers (bot/app.py, group -200).

A person who sends more than `limit` updates within `window` gets one "slow down" answer;
their further updates are dropped (ApplicationHandlerStop) before the identity loader, so
they cost no database work, until the window has passed. Other people are not delayed by
one person's burst.

Kept in memory (a restart forgets it, which is harmless) with a bounded number of people:
the least recently active are forgotten first, and their windows have long passed by then.
"""

from __future__ import annotations

import enum
from collections import OrderedDict
from datetime import datetime, timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.i18n import translator
from bot.rules.language import guess_language

MAX_PEOPLE = 10_000


class Verdict(enum.Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: answered once with "slow down"
    DROP = "drop"


class Throttle:
    """A fixed window per person: it starts at their first update and lasts `window`."""

    def __init__(self, limit: int, window_seconds: float, max_people: int = MAX_PEOPLE):
        self.limit = limit
        self.window = timedelta(seconds=window_seconds)
        self.max_people = max_people
        self._people: OrderedDict[int, list] = OrderedDict()  # id -> [window start, count]

    def __len__(self) -> int:
        return len(self._people)

    def check(self, person: int, now: datetime) -> Verdict:
        entry = self._people.get(person)
        if entry is None or now - entry[0] >= self.window:
            entry = [now, 0]
        entry[1] += 1
        self._people[person] = entry
        self._people.move_to_end(person)
        while len(self._people) > self.max_people:
            self._people.popitem(last=False)
        if entry[1] <= self.limit:
            return Verdict.ALLOW
        return Verdict.WARN if entry[1] == self.limit + 1 else Verdict.DROP

    def wait_seconds(self, person: int, now: datetime) -> int:
        entry = self._people.get(person)
        if entry is None:
            return 0
        return max(1, int((entry[0] + self.window - now).total_seconds() + 0.999))


async def throttle_updates(update: Update, context) -> None:
    """TypeHandler callback: lets an update through, or answers once and drops the rest."""
    user = update.effective_user
    throttle: Throttle | None = context.bot_data.get("throttle")
    if user is None or throttle is None:
        return
    now = context.clock.now()
    verdict = throttle.check(user.id, now)
    if verdict is Verdict.ALLOW:
        return
    if verdict is Verdict.WARN:
        # The person is not loaded yet (that is the point): Telegram's language guess it is.
        t = translator(guess_language(user.language_code, context.settings.default_language))
        seconds = throttle.wait_seconds(user.id, now)
        text = t.ngettext("You are sending more than I can answer. Please wait {n} second, then go on.",
                          "You are sending more than I can answer. Please wait {n} seconds, then go on.",
                          seconds)
        if update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, text)
    # Dropped without a word (not even a call to Telegram), until the window has passed.
    raise ApplicationHandlerStop
