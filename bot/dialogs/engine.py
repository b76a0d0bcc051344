"""Runs a dialog spec in the real Application: presses, typed text, Back, Cancel.

Every answer follows the same order: the person's dialog row is written first
(state.py), then the screen is sent, so a killed process resumes at the screen
the person last saw. A press whose token is not the open dialog's is an old
button and changes nothing; an action the shown screen does not offer, or a
value that does not parse, shows the screen again.
"""

from __future__ import annotations

import inspect
import json
import logging
from typing import Awaitable, Callable

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler

from bot.dialogs import state
from bot.dialogs.callbacks import Press, Route
from bot.dialogs.spec import BACK, CANCEL, END, Action, DialogSpec, Done, Go, Link, Restart, Return, Screen, Stay
from bot.guards import known_only, members_only
from bot.i18n import N_
from bot.identity import BotContext
from bot.replies import MESSAGE_LIMIT, reply

log = logging.getLogger(__name__)

TRAIL = "_trail"  # the screens the person came through, newest last (in the dialog's data)
L_BACK, L_CANCEL = N_("⬅ Back"), N_("Cancel")


class Turn:
    """One update inside a dialog: who, in which language, and the dialog's data."""

    def __init__(self, update: Update, context: BotContext, spec: DialogSpec, dialog: state.Dialog):
        self.update, self.context, self.spec, self.dialog = update, context, spec, dialog

    @property
    def t(self):
        return self.context.t

    @property
    def data(self) -> dict:
        return self.dialog.data

    @property
    def screen(self) -> str:
        return self.dialog.step

    def today(self):
        return self.context.clock.today()

    def came_through(self, screen: str) -> bool:
        """Whether the person reached this screen by way of `screen` (e.g. the summary card)."""
        return screen in self.dialog.data.get(TRAIL, [])

    async def say(self, text: str, reply_markup=None) -> None:
        await reply(self.update, text, reply_markup=reply_markup)


async def old_dialog_button(update: Update, context: BotContext) -> None:
    """A button of a dialog that has ended (or is someone else's): say so, change nothing."""
    await context.tell(update, context.t._("That button belongs to something you already finished or cancelled."))


L_REFUSED = N_("You cannot do that for this unit.")


async def refused(update: Update, context: BotContext, spec: DialogSpec) -> bool:
    """Whether the spec's `allowed` refuses this person now (said, logged; nothing changes)."""
    if spec.allowed is None or spec.allowed(context.memberships):
        return False
    log.warning("refused: user %s may no longer answer the %s dialog", update.effective_user.id, spec.name)
    await context.tell(update, context.t._(L_REFUSED))
    return True


# --- showing a screen ---

def _keyboard(turn: Turn, screen: Screen, rows) -> InlineKeyboardMarkup | None:
    t, route = turn.t, turn.spec.route
    built = []
    for row in rows:
        buttons = []
        for button in row:
            if isinstance(button, Link):
                buttons.append(InlineKeyboardButton(button.label, callback_data=button.data))
                continue
            action = screen.buttons.get(button.action)
            assert action is not None or button.action in (BACK, CANCEL), \
                f"{turn.spec.name}.{screen.name} shows a button for an action it does not accept: {button.action}"
            value = action.value.dump(button.value) if action and action.value and button.value is not None else None
            buttons.append(InlineKeyboardButton(button.label, callback_data=route.build(
                turn.dialog.token, button.action, value)))
        built.append(buttons)
    last = []
    if screen.back and turn.dialog.data.get(TRAIL):
        last.append(InlineKeyboardButton(t._(L_BACK), callback_data=route.build(turn.dialog.token, BACK)))
    if screen.cancel:
        last.append(InlineKeyboardButton(t._(L_CANCEL), callback_data=route.build(turn.dialog.token, CANCEL)))
    if last:
        built.append(last)
    return InlineKeyboardMarkup(built) if built else None


async def show(turn: Turn, problem: str = "", edit: bool = False) -> None:
    """Send the screen the dialog is on, with `problem` above it; `edit`: redraw it in the
    message whose button was pressed (sent anew if that message cannot be edited)."""
    screen = turn.spec.screen(turn.dialog.step)
    view = screen.show(turn)
    if inspect.isawaitable(view):
        view = await view
    text = f"{problem}\n\n{view.text}" if problem else view.text
    keyboard = _keyboard(turn, screen, view.rows)
    query = turn.update.callback_query
    if edit and query is not None and query.message is not None and len(text) <= MESSAGE_LIMIT:
        try:
            await query.edit_message_text(text, reply_markup=keyboard)
            return
        except BadRequest as error:
            if "not modified" in error.message:
                return
            log.info("could not redraw a screen in place (%s); sending it anew", error.message)
    await reply(turn.update, text, reply_markup=keyboard)


# --- moving between screens ---

TRAIL_LIMIT = 40  # a person going round in circles never grows the row without end


def _move(dialog: state.Dialog, target: str, unwind: bool = False) -> None:
    trail = dialog.data.setdefault(TRAIL, [])
    if target == dialog.step:
        return
    if unwind and target in trail:
        del trail[len(trail) - 1 - trail[::-1].index(target):]
    else:
        trail.append(dialog.step)
        del trail[:-TRAIL_LIMIT]
    dialog.step = target


def _check(spec: DialogSpec, screen: Screen, action: Action | None, target: str, returning: bool = False) -> None:
    drawn = action.returns if returning else action.goes if action else ()
    if action is not None and target not in drawn:
        raise RuntimeError(f"{spec.name}.{screen.name}: an action led to {target!r}, which its spec does not "
                           f"draw ({'returns' if returning else 'goes'}={drawn})")


async def _apply(turn: Turn, screen: Screen, action: Action | None, outcome, before: str) -> None:
    context, dialog = turn.context, turn.dialog
    if isinstance(outcome, Go):
        _check(turn.spec, screen, action, outcome.screen, outcome.unwind)
        _move(dialog, outcome.screen, outcome.unwind)
        await state.save(context, dialog)
        await show(turn)
    elif isinstance(outcome, Return):
        trail = dialog.data.get(TRAIL) or []
        if trail:
            dialog.step = trail.pop()
            await state.save(context, dialog)
        await show(turn)
    elif isinstance(outcome, Stay):
        if json.dumps(dialog.data, sort_keys=True) != before:
            await state.save(context, dialog)
        await show(turn, outcome.problem, outcome.edit)
    elif isinstance(outcome, Restart):
        _check(turn.spec, screen, action, outcome.screen, returning=True)
        await state.end(context)
        context.dialog_state = None
        await begin(turn.update, context, turn.spec, outcome.screen, outcome.data)
    elif isinstance(outcome, Done):
        _check(turn.spec, screen, action, END)
        if outcome.closed:
            context.dialog_state = None
        else:
            await state.end(context)
    else:
        raise TypeError(f"{turn.spec.name}.{screen.name}: not an outcome: {outcome!r}")


async def _run(turn: Turn, screen: Screen, action: Action, value) -> None:
    before = json.dumps(turn.dialog.data, sort_keys=True)
    outcome = await action.run(turn, value)
    await _apply(turn, screen, action, outcome, before)


# --- entering a dialog ---

async def begin(update: Update, context: BotContext, spec: DialogSpec, screen: str, data: dict) -> Turn:
    """Open a new dialog at `screen` (replacing the open one; a measure draft is set aside)."""
    dialog = await state.begin(context, spec.name, screen, data)
    turn = Turn(update, context, spec, dialog)
    await show(turn)
    return turn


async def visit(update: Update, context: BotContext, spec: DialogSpec, dialog: state.Dialog, screen: str) -> None:
    """Take the person's open dialog to `screen` from outside it (a command found it open);
    Back there returns to where they were."""
    _move(dialog, screen)
    await state.save(context, dialog)
    await show(Turn(update, context, spec, dialog))


# --- handlers the Application registers (bot/app.py) ---

def press_handler(spec: DialogSpec):
    """The CallbackQueryHandler callback for every button of `spec`."""
    route = spec.route

    @(known_only if spec.for_known_people else members_only)
    async def on_press(update: Update, context: BotContext) -> None:
        press = route.parse(update.callback_query.data)
        dialog = state.with_token(context, spec.name, press.token) if press else None
        if dialog is None or not spec.has_screen(dialog.step):
            await old_dialog_button(update, context)
            return
        if await refused(update, context, spec):
            return
        await context.answer_press(update)
        turn = Turn(update, context, spec, dialog)
        screen = spec.screen(dialog.step)
        if press.action == BACK and screen.back:
            await _apply(turn, screen, None, Return(), "")
        elif press.action == CANCEL and screen.cancel:
            await state.end(context)
            await turn.say(context.t._(spec.cancelled))
        elif (action := screen.buttons.get(press.action)) is None:
            await show(turn)  # a button of another screen of this dialog: show where they are
        else:
            value = press.value
            if action.value is not None:
                value = action.value.load(value) if value is not None else None
                if value is None:
                    await show(turn)
                    return
            await _run(turn, screen, action, value)

    on_press.__name__ = f"{spec.name}_press"
    return on_press


def text_step(spec: DialogSpec):
    """What typed text does while this dialog is open (the text router calls it)."""

    async def on_text(update: Update, context: BotContext, dialog: state.Dialog) -> None:
        turn = Turn(update, context, spec, dialog)
        if not spec.has_screen(dialog.step):
            await state.end(context)  # a step this version no longer has: start over rather than fail
            await turn.say(context.t._(spec.cancelled))
            return
        if await refused(update, context, spec):
            return
        screen = spec.screen(dialog.step)
        if screen.text is None:
            await show(turn, context.t._("Please use the buttons for this step."))
            return
        await _run(turn, screen, screen.text, update.message)

    return on_text


def media_step(spec: DialogSpec):
    """What a photo or document does while this dialog is open; None if no screen takes one."""

    async def on_media(update: Update, context: BotContext, dialog: state.Dialog) -> bool:
        screen = spec.screen(dialog.step) if spec.has_screen(dialog.step) else None
        if screen is None or screen.media is None:
            return False
        if await refused(update, context, spec):
            return True
        await _run(Turn(update, context, spec, dialog), screen, screen.media, update.message)
        return True

    return on_media


# --- buttons outside dialogs ---

def route_handler(route: Route, handler: Callable[[Update, BotContext, Press], Awaitable[None]],
                  refusal: str = L_REFUSED):
    """A CallbackQueryHandler callback that parses `route`'s data for `handler`; malformed
    data is refused (`refusal`, an msgid), logged and changes nothing."""

    async def on_press(update: Update, context: BotContext) -> None:
        press = route.parse(update.callback_query.data)
        if press is None:
            log.warning("refused: user %s sent malformed button data %r", update.effective_user.id,
                        update.callback_query.data)
            await context.tell(update, context.t._(refusal))
            return
        await handler(update, context, press)

    on_press.__name__ = getattr(handler, "__name__", "on_press")
    return on_press


# --- every routed button in one handler ---

_ROUTE_PATTERN = re.compile(r"\^([a-z]{1,4})\(:\|\$\)")  # Route.pattern: ^prefix(:|$)


class PressRouter(BaseHandler):
    """The CallbackQueryHandlers of routed buttons (pattern `^prefix(:|$)`, callbacks.Route.pattern) as
    one handler: the data's prefix picks the callback in one look-up, instead of PTB trying one
    regular expression after another (some 50 for a dialog's button). A prefix belongs to one route."""

    def __init__(self, handlers: list[CallbackQueryHandler]):
        super().__init__(self._unused)
        self.callbacks: dict[str, object] = {}
        # PTB let a press with no data (and no game) through any CallbackQueryHandler with a pattern:
        # the first routed one had it, and still has.
        self.first = handlers[0].callback
        for handler in handlers:
            prefix = self.prefix_of(handler)
            assert prefix is not None and prefix not in self.callbacks, f"not one route's handler: {handler}"
            self.callbacks[prefix] = handler.callback

    @staticmethod
    def prefix_of(handler) -> str | None:
        """The route prefix a plain CallbackQueryHandler matches, or None when it is another kind."""
        if type(handler) is not CallbackQueryHandler or not handler.block or handler.pattern is None:
            return None
        pattern = handler.pattern.pattern if isinstance(handler.pattern, re.Pattern) else handler.pattern
        found = _ROUTE_PATTERN.fullmatch(pattern) if isinstance(pattern, str) else None
        return found.group(1) if found else None

    @staticmethod
    async def _unused(update, context) -> None:  # handle_update calls the route's own callback
        raise AssertionError("PressRouter has no callback of its own")

    def check_update(self, update: object):
        if not isinstance(update, Update) or update.callback_query is None:
            return None
        query = update.callback_query
        data = query.data
        if not data:
            return None if query.game_short_name else self.first
        if not isinstance(data, str):
            return None
        prefix, colon, _ = data.partition(":")
        if not colon and prefix.endswith("\n"):  # `^prefix(:|$)`: `$` matches before a last newline, too
            prefix = prefix[:-1]
        return self.callbacks.get(prefix)

    async def handle_update(self, update, application, check_result, context):
        return await check_result(update, context)


def routed_presses(handlers: list[BaseHandler]) -> list[BaseHandler]:
    """`handlers` with their route CallbackQueryHandlers made one PressRouter, where the first was."""
    routed = [h for h in handlers if PressRouter.prefix_of(h) is not None]
    if not routed:
        return list(handlers)
    # The router stands where the first was: a handler between them that may take a press (a stricter
    # pattern, `^ms:s$`) would now come after the routes it used to come before.
    first, last = handlers.index(routed[0]), handlers.index(routed[-1])
    passed = [h for h in handlers[first:last] if PressRouter.prefix_of(h) is None
              and not isinstance(h, (CommandHandler, MessageHandler))]
    if passed:
        raise ValueError(f"handlers between the routed buttons' would be passed by their router: {passed}")
    router, placed = PressRouter(routed), False
    result = []
    for handler in handlers:
        if PressRouter.prefix_of(handler) is None:
            result.append(handler)
        elif not placed:
            result.append(router)
            placed = True
    return result
