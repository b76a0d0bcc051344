"""What happens to anything no other handler took."""

from __future__ import annotations

import logging

from telegram import Update

from bot import dialogs
from bot.guards import members_only
from bot.identity import BotContext
from bot.replies import reply
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
    await context.answer_press(update,
        context.t._("That button is no longer in use. Send /start to see your menu."), show_alert=True
    )


def text_router(steps: dict):
    """Typed text goes to the dialog the person has open (its state is in the
    database, so this works across restarts); otherwise to `unknown_message`."""

    async def route_text(update: Update, context: BotContext) -> None:
        dialog = dialogs.current(context) if context.is_member else None
        handler = steps.get(dialog.name) if dialog else None
        if handler is None:
            await unknown_message(update, context)
            return
        await handler(update, context, dialog)

    return route_text


def media_router(steps: dict):
    """A photo or a document goes to the open dialog if the screen it is on takes one
    (Screen.media; `steps` maps a dialog's name to engine.media_step); otherwise it gets
    the answer any unwanted message gets."""

    @members_only
    async def route_media(update: Update, context: BotContext) -> None:
        dialog = dialogs.current(context)
        handler = steps.get(dialog.name) if dialog else None
        if handler is None or not await handler(update, context, dialog):
            await unknown_message(update, context)

    return route_media


@members_only
async def cancel_command(update: Update, context: BotContext) -> None:
    had_dialog = await dialogs.end(context)
    await reply(update, context.t._("Cancelled. Nothing was changed.") if had_dialog
                else context.t._("There was nothing to cancel."))
