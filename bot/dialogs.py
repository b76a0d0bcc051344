"""Multi-step dialogs whose state lives in the database.

A dialog's step and everything entered so far are one row (storage.dialogs),
written at every step, so a restart resumes where the person was. Buttons of a
dialog carry its token: a press on a button from an older dialog is known as
such and changes nothing.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from bot.identity import BotContext
from storage import dialogs as store


@dataclass
class Dialog:
    name: str
    step: str
    token: str
    data: dict = field(default_factory=dict)


def current(context: BotContext, name: str | None = None) -> Dialog | None:
    state = context.dialog_state
    if state is None or (name is not None and state.dialog != name):
        return None
    return Dialog(state.dialog, state.step, state.token, json.loads(state.data))


def with_token(context: BotContext, name: str, token: str) -> Dialog | None:
    """The person's open dialog if a button's token belongs to it."""
    dialog = current(context, name)
    return dialog if dialog is not None and dialog.token == token else None


async def save(context: BotContext, dialog: Dialog) -> None:
    async with context.db.session() as session:
        await store.put(session, context.person.id, dialog.name, dialog.step, dialog.token, dialog.data,
                        context.clock.now())


async def begin(context: BotContext, name: str, step: str, data: dict) -> Dialog:
    """Start a dialog, replacing any other one the person had open."""
    dialog = Dialog(name, step, secrets.token_hex(3), data)
    await save(context, dialog)
    return dialog


async def end(context: BotContext) -> bool:
    async with context.db.session() as session:
        return await store.clear(session, context.person.id)
