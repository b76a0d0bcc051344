"""Years that continue (plain buttons, typed routes in conversations/routes.py):

    a new survey year has begun, last year's measures still open ──> one message, a row of
        buttons per measure: ➡ carry on into the new year, or close it with its evaluation
        (✅ worked / 🟡 partly / ❌ did not work; ✅ Close for a measure evaluated already)
        (CARRY_OVER, leader; the message is redrawn with the measures left)
    /followup, /measures and the reminder of the new year ── "Last year's open measures"
        (CARRY_LIST) ──> that message

The plans of earlier years (/plan 2026, PLAN_YEAR) and the theme changes are in conversations/plan.py."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules import years as rules
from bot.rules.errors import NotAllowed
from bot.rules.measures import EVALUATIONS, STATUS_ICONS
from bot.rules.themes import KINDS, THEMES
from bot.services import years as service
from conversations import routes
from conversations.common import refuse

L_BEGUN = N_("ForBedring {year} has begun")
L_OPEN_FROM = N_("Last year's open measures")
L_CARRIED = N_("carried on from {year}")
L_CARRIED_INTO = N_("carried on into {year}")
L_THEME_CHANGE = N_("{theme} {change} since the {year} results")
L_WORKED = N_("worked: {evaluation}")
WORKED = {"yes": N_("yes"), "partly": N_("partly"), "no": N_("no")}
SHORT = {rules.CARRY_ON: "➡", "yes": "✅", "partly": "🟡", "no": "❌", rules.CLOSE: "✅"}


def carry_over_text(t: Translator, co: service.CarryOver) -> str:
    if not co.measures:
        return t._("Every measure from {year} is decided: carried on into {new} or closed.",
                   year=co.from_year, new=co.year)
    lines = [f"<b>{t._(L_BEGUN, year=co.year)} · {escape(co.unit.name)}</b>",
             t.ngettext("{n} measure from {year} is still open. Carry it on into {new}, or close it with "
                        "its evaluation (one tap):",
                        "{n} measures from {year} are still open. Carry each on into {new}, or close it with "
                        "its evaluation (one tap each):", len(co.measures), year=co.from_year, new=co.year),
             t._("➡ carry on · ✅ worked · 🟡 partly worked · ❌ did not work"), ""]
    for number, m in enumerate(co.measures, 1):
        line = (f"{number}. {STATUS_ICONS.get(m.status, '🔄')} <b>{escape(m.title)}</b> – {t._(KINDS[m.kind])}, "
                f"{t._(THEMES[m.theme])}")
        if m.evaluation:
            line += f" ({t._(EVALUATIONS[m.evaluation])})"
        lines.append(line)
    lines += ["", t._("Carried measures keep their history and status.")]
    return "\n".join(lines)


def carry_over_keyboard(t: Translator, co: service.CarryOver) -> Keyboard:
    rows = []
    for number, m in enumerate(co.measures, 1):
        rows.append([Button(f"{number} {SHORT[c]}" + (f" {co.year}" if c == rules.CARRY_ON else ""),
                            callback_data=routes.CARRY_OVER.build(m.id, c))
                     for c in rules.carry_choices(m.evaluation is not None)])
    return Keyboard(rows)


async def show_carry_over(update: Update, context: BotContext, unit_id: int, edit: bool = False) -> bool:
    try:
        co = await service.carry_over(context.db, context.memberships, unit_id, context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"carry over the measures of unit {unit_id}")
        return False
    text, markup = carry_over_text(context.t, co), carry_over_keyboard(context.t, co)
    if edit and update.callback_query:
        await update.callback_query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)
    else:
        await reply(update, text, reply_markup=markup)
    return True


@members_only
async def list_button(update: Update, context: BotContext, press) -> None:
    """Last year's open measures (routes.CARRY_LIST)."""
    if await show_carry_over(update, context, press.unit):
        await context.answer_press(update)


@members_only
async def carry_button(update: Update, context: BotContext, press) -> None:
    """One tap on one measure (routes.CARRY_OVER): checked in the service, whatever the button says."""
    t = context.t
    try:
        measure = await service.decide(context.db, context.memberships, context.person.id, press.measure,
                                       press.choice, context.clock.now(), context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"carry over with {update.callback_query.data!r}")
        return
    said = (t._("“{title}” goes on in {year}.", title=measure.title, year=measure.year)
            if press.choice == rules.CARRY_ON else t._("“{title}” is closed.", title=measure.title))
    await context.answer_press(update, said)
    await show_carry_over(update, context, measure.unit_id, edit=True)


def carry_over_row(t: Translator, unit_id: int, waiting: int) -> tuple[str, list[Button]] | None:
    """The line and button /followup and /measures show while last year's measures wait."""
    if not waiting:
        return None
    return (t.ngettext("⚠ {n} measure from last year is still open: carry it on or close it.",
                       "⚠ {n} measures from last year are still open: carry them on or close them.", waiting),
            [Button(t._(L_OPEN_FROM), callback_data=routes.CARRY_LIST.build(unit_id))])


def theme_change_text(t: Translator, m, changes: dict[int, int]) -> str:
    """"worked: yes · Teamwork climate +5 since the 2026 results" for an evaluated measure."""
    if not m.evaluation:
        return ""
    text = t._(L_WORKED, evaluation=t._(WORKED[m.evaluation]))
    if m.id in changes:
        text += " · " + t._(L_THEME_CHANGE, theme=t._(THEMES[m.theme]), change=rules.signed(changes[m.id]),
                            year=m.year)
    return text
