"""Telegram's command menus: per language for everyone, per person for members."""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import LANGUAGES, translator
from bot.rules.access import CommandSpec, commands_for, default_commands

log = logging.getLogger(__name__)


def _bot_commands(specs: list[CommandSpec], language: str) -> list[BotCommand]:
    t = translator(language)
    return [BotCommand(spec.name_in(language), t._(spec.description)) for spec in specs]


async def set_default_menus(bot: Bot, default_language: str) -> None:
    """The menu people see before they join, in their client language."""
    specs = default_commands()
    await bot.set_my_commands(_bot_commands(specs, default_language))
    for language in LANGUAGES:
        await bot.set_my_commands(_bot_commands(specs, language), language_code=language)
    # Most Norwegian clients report "no" rather than "nb".
    await bot.set_my_commands(_bot_commands(specs, "nb"), language_code="no")


async def set_person_menu(bot: Bot, chat_id: int, memberships, language: str) -> None:
    """A member's own menu in their chosen language, with the commands of their roles."""
    try:
        await bot.set_my_commands(_bot_commands(commands_for(memberships), language),
                                  scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:  # a menu is a convenience; never fail the answer for it
        log.warning("could not set the menu for chat %s: %s", chat_id, exc)
