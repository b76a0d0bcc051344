"""What happens to anything no other handler took."""

from __future__ import annotations

import logging

from telegram import Update

from bot.identity import BotContext, reply
from conversations.help import access_text

log = logging.getLogger(__name__)


async def unknown_message(update: Update, context: BotContext) -> None:
    if not context.is_member:
        await reply(update, access_text(context))
        return
    await reply(update, context.t._("I didn't understand that. /help shows what you can do."))


async def stale_button(update: Update, context: BotContext) -> None:
    """A press on a button that no handler owns any more: say so, change nothing."""
    log.info("stale button %r from user %s", update.callback_query.data, update.effective_user.id)
    await update.callback_query.answer(
        context.t._("That button is no longer in use. Send /start to see your menu."), show_alert=True
    )
