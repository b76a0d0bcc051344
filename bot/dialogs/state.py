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
    await store.put_alone(context.db, context.person.id, dialog.name, dialog.step, dialog.token, dialog.data,
                          context.clock.now())  # this write alone


# A measure draft is worth keeping: another dialog started meanwhile (marking a step, a
# comment) carries it along, and it is open again when that dialog ends.
KEPT_ASIDE = "measure"
ASIDE = "_set_aside"


def _aside_of(state) -> Dialog | None:
    aside = json.loads(state.data).get(ASIDE) if state is not None else None
    return Dialog(aside["dialog"], aside["step"], aside["token"], aside["data"]) if aside else None


def set_aside(context: BotContext) -> Dialog | None:
    """The measure draft the open dialog holds aside, if any."""
    return _aside_of(context.dialog_state)


async def begin(context: BotContext, name: str, step: str, data: dict) -> Dialog:
    """Start a dialog, replacing the one the person had open (a measure draft is set aside)."""
    dialog = Dialog(name, step, secrets.token_hex(3), data)
    if name == KEPT_ASIDE:  # replaces whatever was open (nothing of it is kept): no need to read it
        await store.replace_alone(context.db, context.person.id, name, step, dialog.token, data,
                                  context.clock.now())  # this write alone
        return dialog
    async with context.db.session() as session:
        previous = await store.get(session, context.person.id)
        if previous is not None:
            earlier = json.loads(previous.data)
            if previous.dialog == KEPT_ASIDE:
                data[ASIDE] = {"dialog": previous.dialog, "step": previous.step, "token": previous.token,
                               "data": earlier}
            elif ASIDE in earlier:
                data[ASIDE] = earlier[ASIDE]
        await store.put(session, context.person.id, name, step, dialog.token, data, context.clock.now(),
                        exists=previous is not None)
    return dialog


async def end(context: BotContext) -> bool:
    """End the open dialog; a measure draft set aside by it is open again."""
    async with context.db.session() as session:
        aside = _aside_of(await store.get(session, context.person.id))
        if aside is None:
            return await store.clear(session, context.person.id)
        await store.put(session, context.person.id, aside.name, aside.step, aside.token, aside.data, context.clock.now())
        return True
