"""The one path for every message the bot sends on its own.

Messages are first written to the outbox table (so nothing is lost), then the
sender delivers them, paced below Telegram's limits: `rate` messages in any
one-second window overall and one call per `per_chat` seconds to a chat. The
limits are kept on the times calls actually ended (a call has reached Telegram
by the time it returns), so network jitter cannot squeeze two calls together.
The next message sent is the first one whose chat is free: one busy chat never
holds up the others.

On 429 everyone waits at least `retry_after`; on 403 the person is marked
inactive and skipped from then on; a 400 is recorded as failed with the
reason; network errors and 5xx are retried with backoff until the message has
been failing for `give_up_after` (a day by default), so an outage of minutes or
hours loses nothing.

Guarantee when the process is killed: at-least-once. A row is leased
('sending', with its worker and an end time) just before its one API call and
marked 'sent' just after; only a lease that has run out is taken back, at
start and while running. Only one API call is in flight at a time, so a kill
duplicates at most one message. A graceful stop claims nothing new and lets
the call in flight finish and be marked; a database error after the call is
retried without calling again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import time
from collections import deque
from datetime import datetime, timedelta, timezone

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.rules.vocabulary import AttachmentKind, OutboxKind, OutboxState
from bot.rules.workdays import may_remind_now, next_reminder_time
from storage import outbox as store
from storage.database import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

# Kinds that keep to working days and daytime.
DAYTIME_KINDS = (OutboxKind.REMINDER, OutboxKind.BROADCAST)
LEASE = timedelta(seconds=30)
GIVE_UP_AFTER = timedelta(hours=24)
LONGEST_BACKOFF = 60.0  # seconds: after an outage, everything is out within a minute of the API's return
MARK_RETRY_LIMIT = 300.0  # seconds spent retrying a 'sent' mark before the lease takes over


def markup_json(markup: InlineKeyboardMarkup | None) -> str | None:
    return json.dumps(markup.to_dict()) if markup is not None else None


def worker_name() -> str:
    """Names this process in leases and in `forbedring-bot status`."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(2)}"


class Sender:
    def __init__(self, bot: Bot, db: Database, tz, clock=None, rate: float = 25.0, per_chat: float = 1.0,
                 monotonic=time.monotonic, sleep=asyncio.sleep, lease: timedelta = LEASE,
                 give_up_after: timedelta = GIVE_UP_AFTER, worker: str | None = None, may_send=lambda: True):
        self.bot, self.db, self.tz, self.clock = bot, db, tz, clock
        self.rate = rate
        # When the last `rate` calls ended: the next starts only once the oldest is a second old.
        self._recent: deque[float] = deque(maxlen=max(1, int(rate)))
        self.per_chat = per_chat
        self.monotonic, self.sleep = monotonic, sleep
        self.lease, self.give_up_after = lease, give_up_after
        self.worker = worker or worker_name()
        # False while this process is not the active worker (bot/leadership.py): nothing is claimed.
        self.may_send = may_send
        self._paused_until = 0.0
        self._chat_free_at: dict[int, float] = {}
        self._one_in_flight = asyncio.Lock()
        self._stopping = False
        self._last_take_back = -1e9

    def now(self) -> datetime:
        return self.clock.now() if self.clock else datetime.now(timezone.utc)

    async def recover(self) -> int:
        """Take back the rows whose lease ran out: a killed worker's message in flight."""
        async with self.db.session() as session:
            count = await store.take_back_expired(session, self.now())
        if count:
            log.warning("%s message(s) were left in flight by a stopped worker; sending them again", count)
        self._last_take_back = self.monotonic()
        return count

    def stop(self) -> None:
        """Claim nothing new; what is in flight finishes and is marked."""
        self._stopping = True

    # Pacing -------------------------------------------------------------------------------------

    def _chat_free(self, chat_id: int) -> float:
        return self._chat_free_at.get(chat_id, -1e9)

    def _global_ready(self) -> float:
        ready = self._paused_until
        if len(self._recent) == self._recent.maxlen:
            ready = max(ready, self._recent[0] + 1.0)
        return ready

    async def _wait_until(self, moment: float) -> None:
        now = self.monotonic()
        if moment > now:
            await self.sleep(moment - now)

    def _record_call_end(self, chat_id: int) -> None:
        ended = self.monotonic()
        self._recent.append(ended)
        self._chat_free_at[chat_id] = ended + self.per_chat

    # Sending ------------------------------------------------------------------------------------

    def _sending_allowed(self) -> bool:
        return not self._stopping and self.may_send()

    async def send_due(self, limit: int = 500, now: datetime | None = None) -> int:
        """Send what is due now; returns how many were sent. Safe to call repeatedly and
        concurrently: each row is claimed before it is sent."""
        now = now or self.now()
        if not self._sending_allowed():
            return 0
        async with self.db.session() as session:
            rows = await store.due(session, now, limit)
        waiting: deque[OutboxMessage] = deque(rows)
        sent = 0
        while waiting and self._sending_allowed():
            row = self._first_with_free_chat(waiting)
            if row is None:  # every chat with something waiting has just had a message
                await self._wait_until(min(self._chat_free(r.chat_id) for r in waiting))
                continue
            waiting.remove(row)
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

    def _first_with_free_chat(self, waiting: deque[OutboxMessage]) -> OutboxMessage | None:
        """The oldest message whose chat may have one now. A chat's own messages keep their
        order: its first waiting message is always met before its later ones."""
        now, seen = self.monotonic(), set()
        for row in waiting:
            if row.chat_id in seen:
                continue
            if self._chat_free(row.chat_id) <= now:
                return row
            seen.add(row.chat_id)
        return None

    async def deliver_now(self, message_id: int) -> bool:
        """Send one message right away (a notice following a person's action); it does
        not wait for a running pass, only for its own slot. A standby leaves it to the active worker."""
        if not self._sending_allowed():
            return False
        async with self.db.session() as session:
            row = await session.get(OutboxMessage, message_id)
        if row is None or row.state != OutboxState.PENDING:
            return False
        await self._wait_until(self._chat_free(row.chat_id))
        return await self._deliver(row, self.now()) == "sent"

    async def _deliver(self, row: OutboxMessage, now: datetime) -> str:
        async with self.db.session() as session:
            if not await store.active(session, row.person_id):
                await store.finish(session, row.id, OutboxState.BLOCKED, now, "person is inactive")
                return "skipped"
            if not await store.claim(session, row.id, self.worker, self.now() + self.lease):
                return "skipped"
        # One API call at a time until its outcome is recorded, whichever pass or notice makes it:
        # so a kill can leave at most one message sent but not marked sent. Shielded: a stop
        # (cancellation) waits for the call in flight to end and be marked.
        work = asyncio.ensure_future(self._paced_call(row, now))
        try:
            return await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.done():
                await asyncio.wait([work], timeout=MARK_RETRY_LIMIT + 30)
            raise

    async def _paced_call(self, row: OutboxMessage, now: datetime) -> str:
        async with self._one_in_flight:
            # A notice may have used the chat meanwhile; a 429 may have paused everyone.
            while (ready := max(self._global_ready(), self._chat_free(row.chat_id))) > self.monotonic():
                await self._wait_until(ready)
            try:
                message = await self._call(row)
            except Exception as exc:  # noqa: BLE001 - every failure is recorded, none leaves the row stuck
                self._record_call_end(row.chat_id)
                return await self._record_failure(row, now, exc)
            self._record_call_end(row.chat_id)
            await self._mark_sent(row, now, message.message_id)
            return "sent"

    async def _call(self, row: OutboxMessage):
        markup = InlineKeyboardMarkup.de_json(json.loads(row.reply_markup), self.bot) if row.reply_markup else None
        if row.attachment_kind == AttachmentKind.PHOTO:
            return await self.bot.send_photo(row.chat_id, row.attachment_file_id, caption=row.text,
                                             reply_markup=markup)
        if row.attachment_kind == AttachmentKind.DOCUMENT:
            return await self.bot.send_document(row.chat_id, row.attachment_file_id, caption=row.text,
                                                reply_markup=markup)
        return await self.bot.send_message(row.chat_id, row.text, reply_markup=markup)

    async def _mark_sent(self, row: OutboxMessage, now: datetime, telegram_message_id: int) -> None:
        """The message is out: record it, retrying through database errors (never calling again).
        If the database stays away longer than the lease, another worker may send it once more."""
        wait, started = 0.2, self.monotonic()
        while True:
            try:
                async with self.db.session() as session:
                    await store.finish(session, row.id, OutboxState.SENT, now,
                                       telegram_message_id=telegram_message_id)
                return
            except Exception as exc:  # noqa: BLE001 - a lost connection must not lose the mark
                if self.monotonic() - started > MARK_RETRY_LIMIT:
                    log.error("outbox message %s was sent but could not be marked sent: %s", row.id, exc)
                    return
                log.warning("outbox message %s was sent; marking it failed (%s), trying again in %.1f s",
                            row.id, type(exc).__name__, wait)
                await self.sleep(wait)
                wait = min(wait * 2, 5.0)

    async def _record_failure(self, row: OutboxMessage, now: datetime, exc: Exception) -> str:
        if isinstance(exc, RetryAfter):
            wait = exc.retry_after.total_seconds() if isinstance(exc.retry_after, timedelta) else float(exc.retry_after)
            self._paused_until = self.monotonic() + wait
            log.warning("Telegram asks us to wait %.0f s (429); pausing the outbox", wait)
            async with self.db.session() as session:
                await store.give_back(session, row.id, self.now() + timedelta(seconds=wait), undo_attempt=True)
            return "pause"
        if isinstance(exc, Forbidden):
            log.info("person %s has blocked the bot: marked inactive", row.person_id)
            async with self.db.session() as session:
                await store.finish(session, row.id, OutboxState.BLOCKED, now, "blocked by the person")
                await store.block_person(session, row.person_id)
            return "blocked"
        if isinstance(exc, BadRequest):
            log.warning("outbox message %s refused by Telegram: %s", row.id, exc.message)
            async with self.db.session() as session:
                await store.finish(session, row.id, OutboxState.FAILED, now, exc.message[:500])
            return "failed"
        # Network errors, timeouts (ambiguous: it may have arrived; sending again is the
        # at-least-once choice), 5xx and anything unexpected: again later, until too old.
        if not isinstance(exc, TelegramError):
            log.warning("outbox message %s: unexpected error, will retry", row.id, exc_info=exc)
        current = self.now()
        failing_since = row.failing_since or current
        async with self.db.session() as session:
            if current - failing_since >= self.give_up_after:
                await store.finish(session, row.id, OutboxState.FAILED, now, f"network: {exc}"[:500])
                return "failed"
            backoff = timedelta(seconds=min(2 ** row.attempts, LONGEST_BACKOFF))
            await store.give_back(session, row.id, current + backoff, failing_since=failing_since)
        return "retry"

    async def run_forever(self, idle: float = 1.0) -> None:
        """The sending loop of the active worker, until `stop()`. Expired leases are taken
        back every lease period while running, not only at start."""
        while not self._stopping:
            sent = 0
            try:
                if self.may_send() and self.monotonic() - self._last_take_back >= self.lease.total_seconds():
                    await self.recover()
                sent = await self.send_due()
            except Exception:  # keep the sender alive; the row stays in the outbox
                log.exception("outbox pass failed")
            if not sent and not self._stopping:
                await asyncio.sleep(idle)
