"""Small pieces conversations share: refusing, paging."""

from __future__ import annotations

import logging

from telegram import Update

from bot.identity import BotContext

log = logging.getLogger(__name__)


async def refuse(update: Update, context: BotContext, what: str) -> None:
    """Someone asked for something that is not theirs: say so, change nothing, log it."""
    log.warning("refused: user %s tried to %s", update.effective_user.id, what)
    await context.tell(update, context.t._("You cannot do that for this unit."))


def page_of(items: list, page: int, size: int) -> tuple[list, int, int]:
    """(the items on `page`, the page clamped to what exists, the number of pages)."""
    pages = max(1, (len(items) + size - 1) // size)
    page = min(max(page, 0), pages - 1)
    return items[page * size:(page + 1) * size], page, pages
