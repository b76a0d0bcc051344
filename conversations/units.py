"""Which unit? Asked when a person holds the needed role at several units."""

from __future__ import annotations

from typing import Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import units_with_role
from conversations import routes
from conversations.common import refuse

UnitAction = Callable[[Update, BotContext, int], Awaitable[None]]

# purpose code (in callback data) -> the action to run once a unit is chosen.
_ACTIONS: dict[str, tuple[tuple[str, ...], UnitAction]] = {}


def register(purpose: str, roles: tuple[str, ...], action: UnitAction) -> None:
    _ACTIONS[purpose] = (roles, action)


async def with_unit(update: Update, context: BotContext, purpose: str) -> None:
    """Run the purpose's action for the person's unit, asking first if there are several."""
    roles, action = _ACTIONS[purpose]
    unit_ids = units_with_role(context.memberships, roles)
    if not unit_ids:
        await reply(update, context.t._("You have no unit where you can do this."))
        return
    if len(unit_ids) == 1:
        await action(update, context, unit_ids[0])
        return
    names = {m.unit_id: m.place for m in context.memberships if m.unit_id in unit_ids}
    keyboard = [[InlineKeyboardButton(names[u] or str(u), callback_data=routes.UNIT_CHOSEN.build(purpose, u))]
                for u in unit_ids]
    await reply(update, context.t._("Which unit?"), reply_markup=InlineKeyboardMarkup(keyboard))


async def unit_chosen(update: Update, context: BotContext, press) -> None:
    """A unit chosen (routes.UNIT_CHOSEN): the purpose's action runs for it."""
    entry = _ACTIONS.get(press.purpose)
    # The choice is checked again: the button could be old or forged.
    if entry is None or press.unit not in units_with_role(context.memberships, entry[0]):
        await refuse(update, context, f"choose a unit with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await entry[1](update, context, press.unit)
