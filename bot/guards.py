"""Guards put in front of handlers: who may reach them at all."""

from __future__ import annotations

import functools
import logging

from telegram import Update

from bot.identity import BotContext

log = logging.getLogger(__name__)


def members_only(handler):
    """Refuse, with a clear answer, anyone who holds no membership."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext, *args):
        if not context.is_member:
            log.info("refused %s for user %s: not a member", handler.__name__, update.effective_user.id)
            text = context.t._(
                "I don't know you yet. To use this bot you need an invite link from your "
                "leader or the administrator in your health trust."
            )
            await context.tell(update, text)
            return None
        return await handler(update, context, *args)

    return wrapper


def known_only(handler):
    """Refuse, with a clear answer, anyone the bot does not know (no person row)."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext, *args):
        if context.person is None:
            log.info("refused %s for user %s: unknown", handler.__name__, update.effective_user.id)
            await context.tell(update, context.t._(
                "I don't know you yet. To use this bot you need an invite link from your "
                "leader or the administrator in your health trust."))
            return None
        return await handler(update, context, *args)

    return wrapper
