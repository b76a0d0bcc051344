"""Messages the bot sends on its own to someone other than the person it is answering.

Each is written in the recipient's language into the outbox (so it is never
lost) and then delivered at once by the sender, the one path for every
proactive message (bot/outbox.py).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Callable

from telegram import InlineKeyboardMarkup

from bot.i18n import Translator, translator
from bot.outbox import markup_json
from bot.rules.vocabulary import OutboxKind
from storage import outbox
from storage.models import OutboxMessage, Person


async def notify(context, person: Person, text: Callable[[Translator], str],
                 buttons: Callable[[Translator], InlineKeyboardMarkup | None] = lambda t: None) -> bool:
    """Queue a notice for `person` and try to deliver it now; True if it went out."""
    return await notify_from(context.application, person, text, buttons)


async def notify_from(application, person: Person, text: Callable[[Translator], str],
                      buttons: Callable[[Translator], InlineKeyboardMarkup | None] = lambda t: None) -> bool:
    """The same from a job, where there is an application but no update."""
    t = translator(person.language)
    now = application.bot_data["clock"].now()
    async with application.bot_data["db"].session() as session:
        message = await outbox.add(session, OutboxMessage(
            person_id=person.id, chat_id=person.telegram_user_id, kind=OutboxKind.NOTICE, text=text(t),
            reply_markup=markup_json(buttons(t)), not_before=now, created_at=now))
    return await application.bot_data["sender"].deliver_now(message.id)


HOLD = timedelta(minutes=30)


def held_notice(person: Person, text: Callable[[Translator], str],
                buttons: Callable[[Translator], InlineKeyboardMarkup | None], now, delay: timedelta = HOLD
                ) -> OutboxMessage:
    """A notice that waits, as an outbox row for the caller to write in its own transaction (with
    the change it tells of): sent by `release` with its final words, or by the sender as it is once
    `delay` has passed (a comment that never comes does not hold it back for good)."""
    t = translator(person.language)
    return OutboxMessage(person_id=person.id, chat_id=person.telegram_user_id, kind=OutboxKind.NOTICE, text=text(t),
                         reply_markup=markup_json(buttons(t)), not_before=now + delay, created_at=now)


async def release(context, message_id: int, person: Person, text: Callable[[Translator], str],
                  buttons: Callable[[Translator], InlineKeyboardMarkup | None] = lambda t: None) -> bool:
    """Send a held notice now, with its final words; nothing when it has gone already (one notice)."""
    t = translator(person.language)
    async with context.application.bot_data["db"].session() as session:
        if not await outbox.rewrite_pending(session, message_id, text(t), markup_json(buttons(t))):
            return False
    return await context.application.bot_data["sender"].deliver_now(message_id)
