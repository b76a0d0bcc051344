"""Messages the bot sends on its own to someone other than the person it is answering.

Each is written in the recipient's language. This is the one place such
messages leave; the outbox (nudges issue) will take over delivery here.
"""

from __future__ import annotations

import logging
from typing import Callable

from telegram import Bot, InlineKeyboardMarkup
from telegram.error import Forbidden, TelegramError

from bot.i18n import Translator, translator
from storage.models import Person

log = logging.getLogger(__name__)


async def notify(bot: Bot, person: Person, text: Callable[[Translator], str],
                 buttons: Callable[[Translator], InlineKeyboardMarkup | None] = lambda t: None) -> bool:
    t = translator(person.language)
    try:
        await bot.send_message(person.telegram_user_id, text(t), reply_markup=buttons(t))
        return True
    except Forbidden:
        log.info("person %s has blocked the bot; message not delivered", person.id)
    except TelegramError as exc:
        log.warning("could not message person %s: %s", person.id, exc)
    return False
