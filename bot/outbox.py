"""The one path for every message the bot sends on its own.

Messages are first written to the outbox table (so nothing is lost), then the
sender delivers them, paced below Telegram's limits: `rate` messages a second
overall and one a second per chat. On 429 it waits at least `retry_after`; on
403 the person is marked inactive and skipped from then on; a 400 is recorded
as failed with the reason; network errors are retried with backoff.

Guarantee when the process is killed: at-least-once. A row is marked
'sending' just before its one API call and 'sent' just after; rows found in
'sending' at start are sent again. Only one API call is in flight at a time
(a lock shared by the passes and the notices of the process),
so a kill duplicates at most one message.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.rules.vocabulary import AttachmentKind, OutboxKind, OutboxState
from bot.rules.workdays import may_remind_now, next_reminder_time
from storage import outbox as store
from storage.database import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# Kinds that keep to working days and daytime.
DAYTIME_KINDS = (OutboxKind.REMINDER, OutboxKind.BROADCAST)


def markup_json(markup: InlineKeyboardMarkup | None) -> str | None:
    return json.dumps(markup.to_dict()) if markup is not None else None


class Sender:
    def __init__(self, bot: Bot, db: Database, tz, clock=None, rate: float = 25.0, per_chat: float = 1.0,
                 monotonic=time.monotonic, sleep=asyncio.sleep):
        self.bot, self.db, self.tz, self.clock = bot, db, tz, clock
        self.interval = 1.0 / rate
        # The last `rate` send times: the next send waits until the oldest is a second old,
        # so no one-second window ever holds more than `rate` messages.
        self._recent: deque[float] = deque(maxlen=max(1, int(rate)))
        self.per_chat = per_chat
        self.monotonic, self.sleep = monotonic, sleep
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._last_in_chat: dict[int, float] = {}
        self._one_in_flight = asyncio.Lock()

    def now(self) -> datetime:
        return self.clock.now() if self.clock else datetime.now(timezone.utc)

    async def recover(self) -> int:
        async with self.db.session() as session:
            count = await store.reset_in_flight(session)
        if count:
            log.warning("%s message(s) were in flight when the bot stopped; sending them again", count)
        return count

    async def _wait_for_slot(self, chat_id: int) -> None:
        """Keep to the overall rate, the per-chat rate and any 429 pause. The slot is
        reserved before sleeping, so concurrent callers (a notice during a pass) never share one."""
        now = self.monotonic()
        ready = max(now, self._next_slot, self._paused_until,
                    self._last_in_chat.get(chat_id, -1e9) + self.per_chat)
        if len(self._recent) == self._recent.maxlen:
            ready = max(ready, self._recent[0] + 1.0)
        self._recent.append(ready)
        self._next_slot = ready + self.interval
        self._last_in_chat[chat_id] = ready
        if ready > now:
            await self.sleep(ready - now)

    async def send_due(self, limit: int = 500, now: datetime | None = None) -> int:
        """Send what is due now; returns how many were sent. Safe to call repeatedly and
        concurrently: each row is claimed before it is sent."""
        now = now or self.now()
        async with self.db.session() as session:
            rows = await store.due(session, now, limit)
        sent = 0
        for row in rows:
            if row.kind in DAYTIME_KINDS and not may_remind_now(now.astimezone(self.tz)):
                later = next_reminder_time(now.astimezone(self.tz)).astimezone(timezone.utc)
                async with self.db.session() as session:
                    await store.give_back(session, row.id, later)
                continue
            outcome = await self._deliver(row, now)
            if outcome == "sent":
                sent += 1
            elif outcome == "pause":
                break
        return sent

    async def deliver_now(self, message_id: int) -> bool:
        """Send one message right away (a notice following a person's action); it does
        not wait for a running pass, only for its own slot."""
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, message_id)
        return row is not None and row.state == OutboxState.PENDING and await self._deliver(row, self.now()) == "sent"

    async def _deliver(self, row: OutboxMessage, now: datetime) -> str:
        async with self.db.session() as session:
            if not await store.active(session, row.person_id):
                await store.finish(session, row.id, OutboxState.BLOCKED, now, "person is inactive")
                return "skipped"
            if not await store.claim(session, row.id):
                return "skipped"
        await self._wait_for_slot(row.chat_id)
        # One API call at a time until its outcome is recorded, whichever pass or notice makes it:
        # so a kill can leave at most one message sent but not marked sent.
        async with self._one_in_flight:
            return await self._call_and_record(row, now)

    async def _call_and_record(self, row: OutboxMessage, now: datetime) -> str:
        markup = InlineKeyboardMarkup.de_json(json.loads(row.reply_markup), self.bot) if row.reply_markup else None
        try:
            if row.attachment_kind == AttachmentKind.PHOTO:
                message = await self.bot.send_photo(row.chat_id, row.attachment_file_id, caption=row.text,
                                                    reply_markup=markup)
            elif row.attachment_kind == AttachmentKind.DOCUMENT:
                message = await self.bot.send_document(row.chat_id, row.attachment_file_id, caption=row.text,
                                                       reply_markup=markup)
            else:
                message = await self.bot.send_message(row.chat_id, row.text, reply_markup=markup)
        except RetryAfter as exc:
            wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, timedelta) else float(exc.retry_after)
            self._paused_until = self.monotonic() + wait
            log.warning("Telegram asks us to wait %.0f s (429); pausing the outbox", wait)
            async with self.db.session() as session:
                await store.give_back(session, row.id, self.now() + timedelta(seconds=wait), undo_attempt=True)
            return "pause"
        except Forbidden:
            log.info("person %s has blocked the bot: marked inactive", row.person_id)
            async with self.db.session() as session:
                await store.finish(session, row.id, OutboxState.BLOCKED, now, "blocked by the person")
                await store.block_person(session, row.person_id)
            return "blocked"
        except BadRequest as exc:
            log.warning("outbox message %s refused by Telegram: %s", row.id, exc.message)
            async with self.db.session() as session:
                await store.finish(session, row.id, OutboxState.FAILED, now, exc.message[:500])
            return "failed"
        except Exception as exc:  # noqa: BLE001 - anything else must not leave the row stuck in 'sending'
            # A timeout is ambiguous (it may have arrived); sending again is the at-least-once choice.
            if not isinstance(exc, (TimedOut, NetworkError)):
                log.warning("outbox message %s: unexpected error, will retry", row.id, exc_info=exc)
            async with self.db.session() as session:
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    await store.finish(session, row.id, OutboxState.FAILED, now, f"network: {exc}"[:500])
                    return "failed"
                backoff = timedelta(seconds=min(2 ** (row.attempts + 1), 300))
                await store.give_back(session, row.id, self.now() + backoff)
            return "retry"
        async with self.db.session() as session:
            await store.finish(session, row.id, OutboxState.SENT, now, telegram_message_id=message.message_id)
        return "sent"

    async def run_forever(self, idle: float = 1.0) -> None:
        await self.recover()
        while True:
            try:
                sent = await self.send_due()
            except Exception:  # keep the sender alive; the row stays in the outbox
                log.exception("outbox pass failed")
                sent = 0
            if not sent:
                await asyncio.sleep(idle)
