"""Choosing areas to preserve and improve, and the optional theme scores that
suggest them. Started from the "Choose areas" step of /followup. See areas.mmd."""

from __future__ import annotations

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.guards import members_only
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import is_leader_of
from bot.rules.errors import NotAllowed
from bot.rules.themes import KINDS, THEMES, suggest_areas
from bot.services import followup as service
from conversations.common import old_dialog_button, refuse
from conversations.followup import show_step
from conversations.measure_new import text_refusal

THEME_KEYS = list(THEMES)


def _leader_unit(update: Update, context: BotContext) -> int | None:
    parts = update.callback_query.data.split(":")
    if len(parts) >= 2 and parts[1].isdigit() and is_leader_of(context.memberships, int(parts[1])):
        return int(parts[1])
    return None


@members_only
async def add_area_button(update: Update, context: BotContext) -> None:
    """ar:<unit>:<kind>[:<theme>]"""
    parts = update.callback_query.data.split(":")
    unit_id = _leader_unit(update, context)
    if unit_id is None or len(parts) < 3 or parts[2] not in KINDS:
        await refuse(update, context, f"add an area with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    t = context.t
    if len(parts) == 4 and parts[3] in THEMES:
        dialog = await dialogs.begin(context, "area", "why", {"unit": unit_id, "kind": parts[2], "theme": parts[3]})
        await ask_why(update, context, dialog)
        return
    dialog = await dialogs.begin(context, "area", "theme", {"unit": unit_id, "kind": parts[2]})
    buttons = [Button(t._(label), callback_data=f"ad:{dialog.token}:{key}") for key, label in THEMES.items()]
    await reply(update, t._("Which theme is the area to {kind} about?", kind=t._(KINDS[parts[2]])),
                reply_markup=Keyboard([buttons[i:i + 2] for i in range(0, len(buttons), 2)]))


async def ask_why(update: Update, context: BotContext, dialog, problem: str = "") -> None:
    t = context.t
    text = t._("{theme}: why this area? Write a short reason (at most 1000 characters).",
               theme=t._(THEMES[dialog.data["theme"]]))
    await reply(update, f"{problem}\n\n{text}" if problem else text)


@members_only
async def theme_button(update: Update, context: BotContext) -> None:
    """ad:<token>:<theme>"""
    parts = update.callback_query.data.split(":")
    dialog = dialogs.with_token(context, "area", parts[1]) if len(parts) == 3 else None
    if dialog is None or dialog.step != "theme" or parts[2] not in THEMES:
        await old_dialog_button(update, context)
        return
    await context.answer_press(update)
    dialog.data["theme"], dialog.step = parts[2], "why"
    await dialogs.save(context, dialog)
    await ask_why(update, context, dialog)


async def area_text(update: Update, context: BotContext, dialog) -> None:
    t = context.t
    if dialog.step != "why":
        await reply(update, t._("Please use the buttons for this step."))
        return
    if refusal := text_refusal(t, "why", update.message.text):
        await ask_why(update, context, dialog, refusal)
        return
    data = dialog.data
    try:
        await service.add_area(context.db, context.memberships, context.person.id, data["unit"], data["kind"],
                               data["theme"], update.message.text.strip(), context.clock.now(),
                               context.clock.today())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"add an area to unit {data['unit']}")
        return
    await dialogs.end(context)
    await reply(update, t._("Saved: an area to {kind} – {theme}.", kind=t._(KINDS[data["kind"]]),
                            theme=t._(THEMES[data["theme"]])),
                reply_markup=Keyboard([[Button(t._("See the step"), callback_data=f"fs:{data['unit']}:areas")]]))


@members_only
async def remove_area_button(update: Update, context: BotContext) -> None:
    """ax:<area>"""
    parts = update.callback_query.data.split(":")
    try:
        if len(parts) != 2 or not parts[1].isdigit():
            raise NotAllowed(update.callback_query.data)
        unit_id = await service.remove_area(context.db, context.memberships, context.person.id, int(parts[1]))
    except NotAllowed:
        await refuse(update, context, f"remove an area with {update.callback_query.data!r}")
        return
    await context.answer_press(update, context.t._("Removed."))
    await show_step(update, context, unit_id, "areas")


# --- theme scores: one theme at a time, 0-100 or skip, then suggestions ---

@members_only
async def scores_button(update: Update, context: BotContext) -> None:
    """sc:<unit>"""
    unit_id = _leader_unit(update, context)
    if unit_id is None:
        await refuse(update, context, f"enter scores with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    dialog = await dialogs.begin(context, "scores", THEME_KEYS[0], {"unit": unit_id, "scores": {}})
    await ask_score(update, context, dialog)


async def ask_score(update: Update, context: BotContext, dialog, problem: str = "") -> None:
    t = context.t
    text = t._("The unit's score for {theme} (0–100)? Write the number, or Skip.",
               theme=t._(THEMES[dialog.step]))
    await reply(update, f"{problem}\n\n{text}" if problem else text,
                reply_markup=Keyboard([[Button(t._("Skip"), callback_data=f"sd:{dialog.token}:skip"),
                                        Button(t._("Cancel"), callback_data=f"sd:{dialog.token}:cancel")]]))


async def next_score(update: Update, context: BotContext, dialog) -> None:
    index = THEME_KEYS.index(dialog.step)
    if index + 1 < len(THEME_KEYS):
        dialog.step = THEME_KEYS[index + 1]
        await dialogs.save(context, dialog)
        await ask_score(update, context, dialog)
        return
    await dialogs.end(context)
    await show_suggestions(update, context, dialog.data["unit"], dialog.data["scores"])


async def score_text(update: Update, context: BotContext, dialog) -> None:
    t, text = context.t, update.message.text.strip().replace(",", ".")
    try:
        score = float(text)
    except ValueError:
        score = -1
    if not 0 <= score <= 100 or score != int(score):
        await ask_score(update, context, dialog, t._("Please write a whole number from 0 to 100."))
        return
    try:
        await service.save_score(context.db, context.memberships, context.person.id, dialog.data["unit"],
                                 dialog.step, int(score), context.clock.today())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"save scores for unit {dialog.data['unit']}")
        return
    dialog.data["scores"][dialog.step] = int(score)
    await next_score(update, context, dialog)


@members_only
async def score_button(update: Update, context: BotContext) -> None:
    """sd:<token>:skip|cancel"""
    parts = update.callback_query.data.split(":")
    dialog = dialogs.with_token(context, "scores", parts[1]) if len(parts) == 3 else None
    if dialog is None:
        await old_dialog_button(update, context)
        return
    await context.answer_press(update)
    if parts[2] == "cancel":
        await dialogs.end(context)
        await reply(update, context.t._("Stopped. The scores you entered are kept."))
    else:
        await next_score(update, context, dialog)


async def show_suggestions(update: Update, context: BotContext, unit_id: int, scores: dict[str, int]) -> None:
    t = context.t
    if len(scores) < 2:
        await reply(update, t._("Thank you. With fewer than two scores I cannot suggest areas."))
        return
    preserve, improve = suggest_areas(scores)
    def named(themes):
        return ", ".join(f"{t._(THEMES[k])} ({scores[k]})" for k in themes)
    text = "\n".join([t._("Thank you. From the scores:"),
                      t._("Suggested to improve (lowest): {themes}", themes=named(improve)),
                      t._("Suggested to preserve (highest): {themes}", themes=named(preserve)),
                      t._("Discuss them with the staff; choose an area below to give the reason.")])
    rows = [[Button(f"{t._(KINDS['improve'])}: {t._(THEMES[k])}", callback_data=f"ar:{unit_id}:improve:{k}")]
            for k in improve]
    rows += [[Button(f"{t._(KINDS['preserve'])}: {t._(THEMES[k])}", callback_data=f"ar:{unit_id}:preserve:{k}")]
             for k in preserve]
    await reply(update, text, reply_markup=Keyboard(rows))
