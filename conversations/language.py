"""/language and the first-contact language choice.

The same buttons serve both: pressing one stores the choice (it outlives
restarts), and the first time also shows the privacy notice and the menu.
Someone whose language Telegram told is welcomed in it at once (conversations/
start.py), with a "change language" button; a language chosen from there also
brings the privacy notice and the menu again, in the new language.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.guards import members_only
from bot.i18n import LANGUAGES, N_
from bot.identity import BotContext
from bot.menus import set_person_menu
from bot.replies import reply
from bot.services import profile
from conversations import routes
from conversations.help import menu_text
from conversations.privacy import notice_text

# Each language is named in itself, so anyone can find their own.
LANGUAGE_NAMES = {"nb": "Bokmål", "nn": "Nynorsk", "en": "English"}
L_NOT_AVAILABLE = N_("That choice is not available.")  # a forged or unknown language (routes.LANGUAGE)


def language_keyboard(current: str | None = None, after_welcome: bool = False) -> InlineKeyboardMarkup:
    origin = routes.AFTER_WELCOME if after_welcome else None
    return InlineKeyboardMarkup([[
        InlineKeyboardButton(("✓ " if code == current else "") + LANGUAGE_NAMES[code],
                             callback_data=routes.LANGUAGE.build(code, origin))
        for code in LANGUAGES
    ]])


def change_language_keyboard(context: BotContext) -> InlineKeyboardMarkup:
    """The welcome's one button; the globe tells what it is even to someone who does not
    read the language Telegram guessed."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(
        "🌐 " + context.t._("Change language"), callback_data=routes.CHANGE_LANGUAGE.build())]])


def privacy_text(context: BotContext) -> str:
    """The full privacy notice, shown on joining (the same as /privacy)."""
    return notice_text(context.t, context.settings)


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
async def change_button(update: Update, context: BotContext, press) -> None:
    """The welcome's "change language" (routes.CHANGE_LANGUAGE): the choice."""
    await context.answer_press(update)
    await ask_language(update, context, after_welcome=True)


@members_only
async def language_chosen(update: Update, context: BotContext, press) -> None:
    """A language pressed (routes.LANGUAGE; an unknown one is refused before this runs)."""
    query, language = update.callback_query, press.language
    # Chosen from the welcome: the privacy notice and the menu came in Telegram's language.
    first_time = not context.person.language_chosen or press.origin == routes.AFTER_WELCOME
    await profile.choose_language(context.db, context.person.id, language)
    context.person.language, context.person.language_chosen = language, True
    context.use_language(language)
    await context.answer_press(update)
    await query.edit_message_text(context.t._("Language: {language}", language=LANGUAGE_NAMES[language]))
    await set_person_menu(context.bot, update.effective_chat.id, context.memberships, language)
    if first_time:
        await reply(update, privacy_text(context))
        await reply(update, menu_text(context))
