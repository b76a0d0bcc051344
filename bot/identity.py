"""Who is this update from? Loaded from the database on every update, in one query.

`identify` runs first for every update (group -100 in bot/app.py): `load_identity`
puts the person, their memberships and their translator on the context (a person
marked inactive is only made active again by /start, and stopped otherwise);
handlers then ask bot/rules/access.py what this person may do. Replying lives
in bot/replies.py, the members-only guard in bot/guards.py.
"""

from __future__ import annotations

from telegram import MessageEntity, Update
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext, ExtBot

from bot.clock import Clock
from bot.i18n import Translator, translator
from bot.replies import reply
from bot.rules.language import guess_language
from storage import people
from storage.database import Database
from storage.dialogs import DialogRow
from storage.people import MembershipView, PersonRow


class BotContext(CallbackContext[ExtBot, dict, dict, dict]):
    """PTB's context plus who the update is from, fresh from the database."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None):
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self.person: PersonRow | None = None
        self.memberships: list[MembershipView] = []
        self.dialog_state: DialogRow | None = None
        self.t: Translator = translator(application.bot_data["settings"].default_language)
        self.press_answered = False
        self.per_update: dict = {}  # what one update looks up more than once (e.g. a unit's deadline)

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


async def _who(db: Database, telegram_user_id: int):
    """The person, their memberships and their dialog: one query (storage/people.py)."""
    return await people.load_who(db, telegram_user_id)


async def _who_at_start(db: Database, telegram_user_id: int):
    """The same for /start, which also makes a person marked inactive active again."""
    return await people.load_who(db, telegram_user_id, reactivate=True)


def is_start(update: Update) -> bool:
    """Is this update the /start command (with or without an invite code)?"""
    message = update.message
    if message is None or not message.text or not message.entities:
        return False
    first = message.entities[0]
    if first.type != MessageEntity.BOT_COMMAND or first.offset != 0:
        return False
    return message.text[1:first.length].split("@", 1)[0].lower() == "start"


async def identify(update: Update, context: BotContext) -> None:
    """Group -100 (bot/app.py): who the update is from. A person marked inactive (they blocked
    the bot) stays inactive until they send /start themselves: anything else they send gets one
    line saying so, and nothing else happens."""
    await load_identity(update, context)
    if context.person is None or context.person.active:
        return
    text = context.t._("You are marked as inactive, so I send you nothing. Send /start to use the bot again.")
    if update.callback_query is not None:
        await context.answer_press(update, text, show_alert=True)
    elif update.message is not None:
        await reply(update, text)
    raise ApplicationHandlerStop


async def load_identity(update: Update, context: BotContext) -> None:
    user = update.effective_user
    if user is None:
        return
    person, memberships, dialog_state = await (_who_at_start if is_start(update) else _who)(context.db, user.id)
    context.person = person
    context.memberships = memberships
    context.dialog_state = dialog_state
    context.use_language(
        person.language if person else guess_language(user.language_code, context.settings.default_language)
    )

