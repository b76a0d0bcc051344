"""Who is this update from? Loaded from the database on every update.

`load_identity` runs first for every update (group -100 in bot/app.py). It
puts the person, their memberships and their translator on the context;
handlers then ask bot/rules/access.py what this person may do.
"""

from __future__ import annotations

import functools
import logging

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.i18n import Translator, translator
from bot.rules.language import guess_language
from storage import dialogs, people
from storage.database import Database
from storage.models import DialogState, Person
from storage.people import MembershipView

log = logging.getLogger(__name__)


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB's context plus who the update is from, fresh from the database."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.person: Person | None = None
        self.memberships: list[MembershipView] = []
        self.dialog_state: DialogState | None = None
        self.t: Translator = translator(application.bot_data["settings"].default_language)
        self.press_answered = False

    async def tell(self, update: Update, text: str) -> None:
        """A refusal or a warning: a pop-up on a button press not yet answered, else in the chat."""
        if update.callback_query and not self.press_answered:
            await self.answer_press(update, text, show_alert=True)
        else:
            await reply(update, text)

    async def answer_press(self, update: Update, text: str | None = None, show_alert: bool = False) -> None:
        """Answer a button press (Telegram takes one answer per press); remembered, so that
        a later refusal knows to write in the chat instead."""
        self.press_answered = True
        await update.callback_query.answer(text, show_alert=show_alert)

    @property
    def db(self) -> Database:
        return self.application.bot_data["db"]

    @property
    def settings(self):
        return self.application.bot_data["settings"]

    @property
    def clock(self) -> Clock:
        return self.application.bot_data["clock"]

    @property
    def is_member(self) -> bool:
        return self.person is not None and bool(self.memberships)

    def use_language(self, language: str) -> None:
        self.t = translator(language)


async def load_identity(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    async with context.db.session() as session:
        person = await people.person_by_telegram_id(session, user.id)
        memberships = await people.memberships_of(session, person.id) if person else []
        dialog_state = await dialogs.get(session, person.id) if person else None
        if person is not None and not person.active:
            # They were marked inactive after blocking the bot; writing again means they are back.
            person.active = True
    context.person = person
    context.memberships = memberships
    context.dialog_state = dialog_state
    context.use_language(
        person.language if person else guess_language(user.language_code, context.settings.default_language)
    )


MESSAGE_LIMIT = 4000  # Telegram's is 4096; leave room


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Split at line breaks so that no part is longer than Telegram allows.
    Lines are whole, so an HTML tag (never spanning lines here) is never cut."""
    parts, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:  # a single over-long line: cut at the limit
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        if current and len(current) + 1 + len(line) > limit:
            parts.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    parts.append(current)
    return [p for p in parts if p.strip()] or [text]


async def reply(update: Update, text: str, reply_markup=None) -> None:
    """Answer in the chat the update came from, whether a message or a button press;
    long answers go as several messages, the buttons on the last."""
    parts = split_message(text)
    for part in parts[:-1]:
        await update.effective_chat.send_message(part)
    await update.effective_chat.send_message(parts[-1], reply_markup=reply_markup)


def members_only(handler):
    """Refuse, with a clear answer, anyone who holds no membership."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: BotContext):
        if not context.is_member:
            log.info("refused %s for user %s: not a member", handler.__name__, update.effective_user.id)
            text = context.t._(
                "I don't know you yet. To use this bot you need an invite link from your "
                "leader or the administrator in your health trust."
            )
            await context.tell(update, text)
            return None
        return await handler(update, context)

    return wrapper
