"""/language and the first-contact language choice.

The same buttons serve both: pressing one stores the choice (it outlives
restarts), and the first time also shows the privacy notice and the menu.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.guards import members_only
from bot.i18n import LANGUAGES
from bot.identity import BotContext
from bot.menus import set_person_menu
from bot.replies import reply
from bot.services import profile
from conversations.help import menu_text

log = logging.getLogger(__name__)

# Each language is named in itself, so anyone can find their own.
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
CALLBACK_PREFIX = "lang:"


def language_keyboard(current: str | None = None) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(("✓ " if code == current else "") + LANGUAGE_NAMES[code],
                             callback_data=f"{CALLBACK_PREFIX}{code}")
        for code in LANGUAGES
    ]])


def privacy_text(context: BotContext) -> str:
    return context.t._(
        "<b>Privacy</b>\nI store your name on Telegram, your Telegram user id, your language and "
        "your roles, and what you register about your unit's follow-up work, with who changed "
        "what and when. I never store survey answers or anything about anyone's health or "
        "sick leave.\n\nPlease don't write names or health details about colleagues in your messages."
    )


async def ask_language(update: Update, context: BotContext, greeting: str = "") -> None:
    prompt = context.t._("Which language do you want me to use?")
    await reply(update, f"{greeting}\n\n{prompt}" if greeting else prompt,
                reply_markup=language_keyboard(context.person.language if context.person else None))


@members_only
async def language_command(update: Update, context: BotContext) -> None:
    await ask_language(update, context)


@members_only
async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    language = query.data.removeprefix(CALLBACK_PREFIX)
    if language not in LANGUAGES:
        log.warning("user %s sent an unknown language %r", update.effective_user.id, language)
        await context.answer_press(update, context.t._("That choice is not available."), show_alert=True)
        return
    first_time = not context.person.language_chosen
    await profile.choose_language(context.db, context.person.id, language)
    context.person.language, context.person.language_chosen = language, True
    context.use_language(language)
    await context.answer_press(update)
    await query.edit_message_text(context.t._("Language: {language}", language=LANGUAGE_NAMES[language]))
    await set_person_menu(context.bot, update.effective_chat.id, context.memberships, language)
    if first_time:
        await reply(update, privacy_text(context))
        await reply(update, menu_text(context))
