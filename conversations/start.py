"""/start: joining with an invite code, or the menu.

See start.mmd for the flow.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone
from html import escape

from telegram import Update

from bot.identity import BotContext, load_identity
from bot.menus import set_person_menu
from bot.replies import reply
from bot.rules.access import ROLE_NAMES
from bot.rules.language import told_language
from bot.services import profile
from bot.services.joining import JoinOutcome, redeem
from conversations import members
from conversations.help import access_text, show_menu
from conversations.language import ask_language, change_language_keyboard, privacy_text

log = logging.getLogger(__name__)


async def start_command(update: Update, context: BotContext) -> None:
    if context.args:
        await join(update, context, context.args[0])
    elif not context.is_member:
        await reply(update, access_text(context))
    elif not context.person.language_chosen:
        await ask_language(update, context)
    else:
        await show_menu(update, context)


async def join(update: Update, context: BotContext, code: str) -> None:
    user = update.effective_user
    result = await redeem(context.db, user.id, user.full_name, context.t.language, code,
                          datetime.now(timezone.utc), joined_at=context.clock.now())
    t = context.t
    log.info("join attempt by user %s: %s", user.id, result.outcome)
    role = t._(ROLE_NAMES[result.role]) if result.role else ""
    place = escape(result.place) if result.place else t._("the whole country")

    if result.outcome is JoinOutcome.THROTTLED:
        minutes = max(1, math.ceil(result.wait.total_seconds() / 60))
        await reply(update, t.ngettext(
            "Too many wrong codes. Please wait {n} minute and try again.",
            "Too many wrong codes. Please wait {n} minutes and try again.", minutes))
        return
    refusals = {
        JoinOutcome.UNKNOWN: t._("I don't recognise that invite code. Check that you opened the "
                                 "whole link, or ask for a new one."),
        JoinOutcome.EXPIRED: t._("That invite link has expired. Ask the person who sent it for a new one."),
        JoinOutcome.REVOKED: t._("That invite link has been withdrawn. Ask the person who sent it for a new one."),
        JoinOutcome.USED_UP: t._("That invite link has already been used. Each link works only as many "
                                 "times as it was made for; ask for a new one."),
    }
    if result.outcome in refusals:
        await reply(update, refusals[result.outcome])
        return
    if result.outcome is JoinOutcome.ALREADY_MEMBER:
        await reply(update, t._("You are already registered as {role}: {place}.", role=role, place=place))
        return

    # Joined. Reload who they are now, so menus and answers include the new role.
    await load_identity(update, context)
    await welcome(update, context, result)
    if result.handover is not None:
        # A new leader in place of another: the outgoing leader and the reps are told, and the
        # new leader gets the handover summary (conversations/members.py).
        await members.send_handover(update, context, result.handover)


async def welcome(update: Update, context: BotContext, result) -> None:
    user = update.effective_user
    if context.person.language_chosen:
        await reply(update, welcome_text(context, result.role, result.place))
        await set_person_menu(context.bot, update.effective_chat.id, context.memberships, context.t.language)
        await show_menu(update, context)
        return
    told = told_language(user.language_code)
    if told is None:
        await ask_language(update, context, greeting=welcome_text(context, result.role, result.place))
        return
    # Telegram told the language: take it as the choice and welcome them in it at once,
    # with a button to change it.
    await profile.choose_language(context.db, context.person.id, told)
    context.person.language, context.person.language_chosen = told, True
    context.use_language(told)
    await reply(update, welcome_text(context, result.role, result.place),
                reply_markup=change_language_keyboard(context))
    await set_person_menu(context.bot, update.effective_chat.id, context.memberships, told)
    await reply(update, privacy_text(context))
    await show_menu(update, context)


def welcome_text(context: BotContext, role: str, place: str | None) -> str:
    t = context.t
    return t._("Welcome! You are now registered as {role}: {place}.", role=t._(ROLE_NAMES[role]),
               place=escape(place) if place else t._("the whole country"))
