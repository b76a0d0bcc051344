"""/language and the first-contact language choice.

The same buttons serve both: pressing one stores the choice (it outlives
restarts), and the first time also shows the privacy notice and the menu.
Someone whose language Telegram told is welcomed in it at once (conversations/
start.py), with a "change language" button; a language chosen from there also
brings the privacy notice and the menu again, in the new language.
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
CHANGE = "change"  # lang:change: the welcome's button, which shows the choice
AFTER_WELCOME = "welcome"  # lang:nn:welcome: chosen from the welcome


def language_keyboard(current: str | None = None, after_welcome: bool = False) -> InlineKeyboardMarkup:
    suffix = f":{AFTER_WELCOME}" if after_welcome else ""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(("✓ " if code == current else "") + LANGUAGE_NAMES[code],
                             callback_data=f"{CALLBACK_PREFIX}{code}{suffix}")
        for code in LANGUAGES
    ]])


def change_language_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    """The welcome's one button; the globe tells what it is even to someone who does not
    read the language Telegram guessed."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        "🌐 " + context.t._("Change language"), callback_data=f"{CALLBACK_PREFIX}{CHANGE}")]])


def privacy_text(context: BotContext) -> str:
    return context.t._(
        "<b>Privacy</b>\nI store your name on Telegram, your Telegram user id, your language and "
        "your roles, and what you register about your unit's follow-up work, with who changed "
        "what and when. I never store survey answers or anything about anyone's health or "
        "sick leave.\n\nPlease don't write names or health details about colleagues in your messages."
    )


async def ask_language(update: Update, context: BotContext, greeting: str = "",
                       after_welcome: bool = False) -> None:
    prompt = context.t._("Which language do you want me to use?")
    await reply(update, f"{greeting}\n\n{prompt}" if greeting else prompt,
                reply_markup=language_keyboard(context.person.language if context.person else None,
                                               after_welcome))


@members_only
async def language_command(update: Update, context: BotContext) -> None:
    await ask_language(update, context)


@members_only
async def language_chosen(update: Update, context: BotContext) -> None:
    query = update.callback_query
    value = query.data.removeprefix(CALLBACK_PREFIX)
    if value == CHANGE:
        await context.answer_press(update)
        await ask_language(update, context, after_welcome=True)
        return
    language, _, origin = value.partition(":")
    if language not in LANGUAGES or origin not in ("", AFTER_WELCOME):
        log.warning("user %s sent an unknown language %r", update.effective_user.id, value)
        await context.answer_press(update, context.t._("That choice is not available."), show_alert=True)
        return
    # Chosen from the welcome: the privacy notice and the menu came in Telegram's language.
    first_time = not context.person.language_chosen or origin == AFTER_WELCOME
    await profile.choose_language(context.db, context.person.id, language)
    context.person.language, context.person.language_chosen = language, True
    context.use_language(language)
    await context.answer_press(update)
    await query.edit_message_text(context.t._("Language: {language}", language=LANGUAGE_NAMES[language]))
    await set_person_menu(context.bot, update.effective_chat.id, context.memberships, language)
    if first_time:
        await reply(update, privacy_text(context))
        await reply(update, menu_text(context))
