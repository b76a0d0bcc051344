"""Errors: logged with the context needed to find them, answered politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.identity import BotContext, load_identity

log = logging.getLogger(__name__)


async def report_error(update: object, context: BotContext) -> None:
    if not isinstance(update, Update):
        log.error("error outside an update (job or network)", exc_info=context.error)
        return
    # Who and what kind of update, never the message text: it may hold personal details.
    kind = "button" if update.callback_query else "message" if update.message else "other"
    log.error(
        "error handling update %s (%s) from user %s in chat %s",
        update.update_id, kind,
        update.effective_user.id if update.effective_user else "-",
        update.effective_chat.id if update.effective_chat else "-",
        exc_info=context.error,
    )
    if update.effective_chat is None:
        return
    try:
        # PTB gives the error handler a fresh context: find the person's language again.
        await load_identity(update, context)
    except Exception:  # the database may be what failed; the default language will do
        log.warning("could not load the person to answer the error in their language")
    try:
        await update.effective_chat.send_message(context.t._(
            "Sorry, something went wrong on my side. What you had saved is kept; please try again."
        ))
    except TelegramError:
        log.warning("could not tell chat %s about the error", update.effective_chat.id)
