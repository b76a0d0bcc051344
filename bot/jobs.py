"""Scheduled work. Nothing callable is stored: the jobs are registered at every
start, and a sweep missed while the bot was down runs at start (catch-up).
Every process schedules them; only the active worker (bot/leadership.py) does
the work, and one that becomes active catches up at once."""

from __future__ import annotations

import logging
from datetime import datetime, time

from telegram.ext import Application, ContextTypes

from bot.notify import notify_from
from bot.rules.vocabulary import OutboxState
from bot.rules.workdays import QUIET_FROM, is_working_day
from bot.services import broadcasts, privacy, reminders

log = logging.getLogger(__name__)


async def sweep_if_due(application: Application, now: datetime | None = None):
    """Today's reminder sweep, once, on a working day, after the sweep time and
    before the evening. Returns the result, or None when nothing was to be done."""
    settings, db = application.bot_data["settings"], application.bot_data["db"]
    if not application.bot_data["leadership"].active:  # a standby: the active worker sweeps
        return None
    tz = settings.bot_timezone
    now = now or application.bot_data["clock"].now()
    local = now.astimezone(tz)
    if not is_working_day(local.date()) or local.time() >= QUIET_FROM:
        return None
    if not await reminders.due_for_catch_up(db, now, tz, settings.nudge_time):
        return None
    result = await reminders.sweep(db, now, tz, reminders.rules_from(settings))
    await reminders.mark_swept(db, now, tz, result)
    log.info("reminder sweep: %s new reminder(s), %s digest(s)", result.recorded, result.digests)
    await application.bot_data["sender"].send_due(now=now)
    return result


async def _sweep_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await sweep_if_due(context.application)


async def broadcasts_tick(application: Application, now: datetime | None = None) -> None:
    """Fan out announcements whose time has come; tell authors when delivery is finished."""
    db = application.bot_data["db"]
    if not application.bot_data["leadership"].active:  # a standby: the active worker fans out
        return
    now = now or application.bot_data["clock"].now()
    for broadcast_id in await broadcasts.send_due(db, now):
        log.info("announcement %s is in the outbox", broadcast_id)
    for broadcast, counts in await broadcasts.finish(db, now):
        author = await broadcasts.author_of(db, broadcast)
        if author is None:
            continue
        await notify_from(application, author, lambda t, b=broadcast, c=counts: t._(
            "Your announcement #{id} is delivered: {sent}, {failed}, {blocked}.", id=b.id,
            sent=t.ngettext("{n} sent", "{n} sent", c.get(OutboxState.SENT, 0)),
            failed=t.ngettext("{n} failed", "{n} failed", c.get(OutboxState.FAILED, 0)),
            blocked=t.ngettext("{n} blocked the bot", "{n} blocked the bot", c.get(OutboxState.BLOCKED, 0))))


async def _broadcasts_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await broadcasts_tick(context.application)


async def retention_if_due(application: Application, now: datetime | None = None):
    """The daily retention sweep (README "Privacy and data"), once a day, any day: old failed
    invite codes, the text of old sent messages, abandoned drafts, people long without a role.
    Returns what it did, or None when it has run today already."""
    settings, db = application.bot_data["settings"], application.bot_data["db"]
    if not application.bot_data["leadership"].active:  # a standby: the active worker does it
        return None
    now = now or application.bot_data["clock"].now()
    return await privacy.retention_if_due(db, privacy.retention_from(settings), now,
                                          now.astimezone(settings.bot_timezone).date())


async def _retention_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await retention_if_due(context.application)


RETENTION_TIME = time(3, 30)  # at night, when nobody is waiting for an answer


def schedule(application: Application) -> None:
    settings = application.bot_data["settings"]
    queue = application.job_queue
    if queue is None:
        return
    at = settings.nudge_time.replace(tzinfo=settings.bot_timezone)
    # A generous grace time: a sweep delayed by a busy loop still runs; sweep_if_due never runs twice a day.
    queue.run_daily(_sweep_job, time=at, name="reminder sweep", job_kwargs={"misfire_grace_time": 6 * 3600})
    queue.run_once(_sweep_job, when=5, name="catch-up sweep")
    queue.run_repeating(_broadcasts_job, interval=20, first=3, name="announcements")
    queue.run_daily(_retention_job, time=RETENTION_TIME.replace(tzinfo=settings.bot_timezone), name="retention",
                    job_kwargs={"misfire_grace_time": 12 * 3600})
    queue.run_once(_retention_job, when=30, name="catch-up retention")  # a night missed while down


async def catch_up(application: Application) -> None:
    """A process that has just become the active worker does what a standby left undone."""
    await sweep_if_due(application)
    await broadcasts_tick(application)
    await retention_if_due(application)
