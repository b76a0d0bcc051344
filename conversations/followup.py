"""/followup: where the unit stands in the year, step by step, and marking a
step done with the parties. See followup.mmd."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.notify import notify
from bot.replies import reply
from bot.rules.access import ROLE_NAMES, UNIT_PARTIES, is_leader_of
from bot.rules.dates import parse_date
from bot.rules.errors import DateParseError, NotAllowed, YearChanged
from bot.rules.themes import KINDS, THEMES
from bot.services import followup as service
from bot.services.followup import Overview
from conversations import routes, units
from conversations.common import old_dialog_button, refuse

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_FORBEDRING_YEAR = N_("ForBedring {year}")
L_EARLIER_ANSWER = N_("before the leader changed it: {answer}")
L_PREPARE_NEXT = N_("Prepare ForBedring {year}")
L_BY_DATE = N_("by {date}")


log = logging.getLogger(__name__)

ANSWER_TEXT = {
    "took_part": "✔",
    "not_involved": "⚠",
    "acknowledged": "✔",
    "objected": "⚠",
}


def answer_label(t: Translator, answer: str | None) -> str:
    return {
        None: t._("not answered yet"),
        "took_part": t._("took part"),
        "not_involved": t._("was not involved"),
        "acknowledged": t._("acknowledged the plan"),
        "objected": t._("objects to the plan"),
    }[answer]


def answer_lines(t: Translator, answers) -> list[str]:
    """The reps' answers, objections included, never hidden."""
    lines = []
    for confirmation, name in answers:
        mark = ANSWER_TEXT.get(confirmation.answer, "…")
        line = f"   {mark} {t._(ROLE_NAMES[confirmation.role])} {escape(name)}: {answer_label(t, confirmation.answer)}"
        if confirmation.comment:
            line += f" – «{escape(confirmation.comment)}»"
        if confirmation.earlier_answer:
            earlier = answer_label(t, confirmation.earlier_answer)
            if confirmation.earlier_comment:
                earlier += f" – «{escape(confirmation.earlier_comment)}»"
            line += "\n      ⚠ " + t._(L_EARLIER_ANSWER, answer=earlier)
        lines.append(line)
    return lines


def overview_text(t: Translator, ov: Overview) -> str:
    lines = [f"<b>{t._(L_FORBEDRING_YEAR, year=ov.year)} · {escape(ov.unit.name)}</b>"]
    if ov.early:
        lines.append(t._("Next year's preparation can be recorded now; the rest of {year} starts when this "
                         "year's follow-up ends.", year=ov.year))
    for number, state in enumerate(ov.open_states, 1):
        title = t._(state.step.title)
        if state.done:
            when = f" – {t.date(state.done_on)}" if state.done_on else ""
            lines.append(f"✅ {number}. {title}{when}")
        else:
            lines.append(f"⬜ {number}. {title} – {t._(L_BY_DATE, date=t.date(state.due))}")
        lines += answer_lines(t, ov.answers_for(f"step:{state.step.key}"))
    following = ov.next
    lines.append("")
    if ov.early:
        return "\n".join(lines)
    if following is None:
        lines.append(t._("Every step is done. Well done!"))
    else:
        lines.append(t._("Next: {step}, by {date}.", step=t._(following.step.title), date=t.date(following.due)))
    return "\n".join(lines)


def year_suffix(ov: Overview) -> str:
    """Buttons about the next year's preparation carry that year; the working year's need none."""
    return f":{ov.year}" if ov.early else ""


def localized_overview_keyboard(t: Translator, ov: Overview) -> Keyboard:
    buttons = [Button(f"{'✅' if s.done else '⬜'} {t._(s.step.title)}",
                      callback_data=f"fs:{ov.unit.id}:{s.step.key}{year_suffix(ov)}") for s in ov.open_states]
    rows = [buttons[i:i + 2] for i in range(0, len(buttons), 2)]
    if ov.preparing:
        rows.append([Button(t._(L_PREPARE_NEXT, year=ov.preparing), callback_data=f"fu:{ov.unit.id}:{ov.preparing}")])
    if ov.early:
        rows.append([Button(t._("⬅ Back"), callback_data=f"fu:{ov.unit.id}")])
    return Keyboard(rows)


async def load_overview(update: Update, context: BotContext, unit_id: int,
                        year: int | None = None) -> Overview | None:
    try:
        return await service.overview(context.db, context.memberships, unit_id, context.clock.today(),
                                      context.settings.bot_timezone, year)
    except NotAllowed:
        await refuse(update, context, f"view unit {unit_id}")
        return None


async def show_followup(update: Update, context: BotContext, unit_id: int) -> None:
    ov = await load_overview(update, context, unit_id)
    if ov is not None:
        await reply(update, overview_text(context.t, ov), reply_markup=localized_overview_keyboard(context.t, ov))


@members_only
async def followup_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "fu")


async def answer_query(update: Update, context: BotContext) -> None:
    if update.callback_query and not context.press_answered:
        await context.answer_press(update)


@members_only
async def followup_button(update: Update, context: BotContext) -> None:
    """fu:<unit>[:<year>] (the overview) and fs:<unit>:<step>[:<year>] (one step); a year is
    given only for the next year's preparation, and checked like everything else."""
    parts = update.callback_query.data.split(":")
    year_part = parts[2] if parts[0] == "fu" and len(parts) == 3 else parts[3] if len(parts) == 4 else None
    if len(parts) < 2 or not parts[1].isdigit() or (year_part is not None and not year_part.isdigit()):
        await refuse(update, context, f"use button {update.callback_query.data!r}")
        return
    unit_id = int(parts[1])
    ov = await load_overview(update, context, unit_id, int(year_part) if year_part else None)
    if ov is None:
        return
    if parts[0] == "fu" or len(parts) < 3:
        await answer_query(update, context)
        await reply(update, overview_text(context.t, ov), reply_markup=localized_overview_keyboard(context.t, ov))
        return
    await show_step(update, context, unit_id, parts[2], ov)


async def show_step(update: Update, context: BotContext, unit_id: int, step_key: str,
                    ov: Overview | None = None) -> None:
    ov = ov or await load_overview(update, context, unit_id)
    if ov is None:
        return
    state = next((s for s in ov.open_states if s.step.key == step_key), None)
    if state is None:
        await refuse(update, context, f"open step {step_key!r}")
        return
    await answer_query(update, context)
    await reply(update, step_text(context.t, ov, state), reply_markup=step_keyboard(context, ov, state))


def step_text(t: Translator, ov: Overview, state) -> str:
    step = state.step
    number = ov.method.number(step.key)
    lines = [f"<b>{number}. {t._(step.title)}</b>", t._(step.guidance), ""]
    if state.done:
        lines.append(t._("Done: {date}", date=t.date(state.done_on)) if state.done_on else t._("Done"))
        record = ov.records.get(step.key)
        if record and record.parties:
            lines.append(t._("Took part: {parties}",
                             parties=", ".join(t._(ROLE_NAMES[r]) for r in record.parties.split(","))))
    else:
        lines.append(t._("Not done yet – by {date}", date=t.date(state.due)))
    lines += answer_lines(t, ov.answers_for(f"step:{step.key}"))
    if step.completion == "areas":
        for area in ov.areas:
            lines.append(f"• {t._(KINDS[area.kind])}: {t._(THEMES[area.theme])} – {escape(area.why)}")
    return "\n".join(lines)


def step_keyboard(context: BotContext, ov: Overview, state) -> Keyboard:
    t, unit_id, step = context.t, ov.unit.id, state.step
    rows = []
    if is_leader_of(context.memberships, unit_id):
        if step.completion == "marked":
            label = t._("Change date or parties") if state.done else t._("Mark as done")
            rows.append([Button(label, callback_data=f"fm:{unit_id}:{step.key}{year_suffix(ov)}")])
        elif step.completion == "areas":
            rows.append([Button(t._("Add an area to preserve"), callback_data=routes.ADD_AREA.build(unit_id, "preserve")),
                         Button(t._("Add an area to improve"), callback_data=routes.ADD_AREA.build(unit_id, "improve"))])
            rows.append([Button(t._("Enter theme scores"), callback_data=routes.SCORES.build(unit_id))])
            rows += [[Button(t._("Remove: {theme}", theme=t._(THEMES[area.theme])),
                             callback_data=routes.REMOVE_AREA.build(area.id))]
                     for area in ov.areas]
        elif step.completion in ("measures", "status", "evaluation"):
            rows.append([Button(t._("Register a measure"), callback_data=f"nm:{unit_id}"),
                         Button(t._("The measures"), callback_data=f"ml:{unit_id}")])
        elif step.completion == "plan":
            rows.append([Button(t._("Show the plan"), callback_data=f"pl:{unit_id}")])
    rows.append([Button(t._("⬅ Back"), callback_data=f"fu:{unit_id}{year_suffix(ov)}")])
    return Keyboard(rows)


# --- marking a step done: dialog "mark" (date, then parties) ---

def party_keyboard(t: Translator, dialog: dialogs.Dialog) -> Keyboard:
    chosen = dialog.data["parties"]
    rows = [[Button(("☑ " if role in chosen else "☐ ") + t._(ROLE_NAMES[role]),
                    callback_data=f"mk:{dialog.token}:p:{role}")]
            for role in ("safety_rep", "union_rep")]
    rows.append([Button(t._("⬅ Back"), callback_data=f"mk:{dialog.token}:back"),
                 Button(t._("Save"), callback_data=f"mk:{dialog.token}:save")])
    return Keyboard(rows)


def date_keyboard(t: Translator, dialog: dialogs.Dialog, today: date) -> Keyboard:
    return Keyboard([
        [Button(t._("Today"), callback_data=f"mk:{dialog.token}:d:{today:%Y%m%d}"),
         Button(t._("Yesterday"), callback_data=f"mk:{dialog.token}:d:{today - timedelta(days=1):%Y%m%d}")],
        [Button(t._("Cancel"), callback_data=f"mk:{dialog.token}:cancel")],
    ])


async def ask_date(update: Update, context: BotContext, dialog: dialogs.Dialog, problem: str = "") -> None:
    t = context.t
    text = t._("When did it happen? Write the date (for example 14.03.2027) or choose:")
    await reply(update, f"{problem}\n\n{text}" if problem else text,
                reply_markup=date_keyboard(t, dialog, context.clock.today()))


async def ask_parties(update: Update, context: BotContext, dialog: dialogs.Dialog) -> None:
    t = context.t
    await reply(update, t._("Date: {date}. Who took part besides you? Tap to change, then Save.",
                            date=t.date(date.fromisoformat(dialog.data["date"]))),
                reply_markup=party_keyboard(t, dialog))


@members_only
async def mark_start(update: Update, context: BotContext) -> None:
    """fm:<unit>:<step>[:<year>]"""
    parts = update.callback_query.data.split(":")
    if (len(parts) not in (3, 4) or not parts[1].isdigit() or not is_leader_of(context.memberships, int(parts[1]))
            or (len(parts) == 4 and not parts[3].isdigit())):
        await refuse(update, context, f"mark a step with {update.callback_query.data!r}")
        return
    ov = await load_overview(update, context, int(parts[1]), int(parts[3]) if len(parts) == 4 else None)
    if ov is None:
        return
    step = next((s.step for s in ov.open_states if s.step.key == parts[2]), None)
    if step is None or step.completion != "marked":
        await refuse(update, context, f"mark step {parts[2]!r}")
        return
    await answer_query(update, context)
    # The year is kept: a step begun on 31 January is not saved into the year that begins on 1 February.
    data = {"unit": int(parts[1]), "step": parts[2], "parties": ["safety_rep", "union_rep"], "year": ov.year}
    dialog = await dialogs.begin(context, "mark", "date", data)
    await ask_date(update, context, dialog)


def check_done_date(t: Translator, day: date, today: date) -> str | None:
    if day > today:
        return t._("That date is in the future. A step is marked done after it has happened.")
    if day.year < today.year - 1:
        return t._("That date is too long ago for this year's follow-up.")
    return None


async def mark_text(update: Update, context: BotContext, dialog: dialogs.Dialog) -> None:
    t = context.t
    if dialog.step != "date":
        await ask_parties(update, context, dialog)
        return
    try:
        day = parse_date(update.message.text, context.clock.today(), past=True)
    except DateParseError:
        await ask_date(update, context, dialog, t._("I could not read that as a date."))
        return
    await accept_date(update, context, dialog, day)


async def accept_date(update: Update, context: BotContext, dialog: dialogs.Dialog, day: date) -> None:
    problem = check_done_date(context.t, day, context.clock.today())
    if problem:
        await ask_date(update, context, dialog, problem)
        return
    dialog.data["date"], dialog.step = day.isoformat(), "parties"
    await dialogs.save(context, dialog)
    await ask_parties(update, context, dialog)


@members_only
async def mark_button(update: Update, context: BotContext) -> None:
    """mk:<token>:<action>[:<value>]"""
    query = update.callback_query
    parts = query.data.split(":")
    dialog = dialogs.with_token(context, "mark", parts[1]) if len(parts) >= 3 else None
    if dialog is None:
        await old_dialog_button(update, context)
        return
    await context.answer_press(update)
    action, value = parts[2], parts[3] if len(parts) > 3 else ""
    if action == "cancel":
        await dialogs.end(context)
        await reply(update, context.t._("Cancelled. Nothing was changed."))
    elif action == "d" and dialog.step == "date":
        try:
            day = date(int(value[:4]), int(value[4:6]), int(value[6:8]))
        except ValueError:
            await ask_date(update, context, dialog)
            return
        await accept_date(update, context, dialog, day)
    elif action == "p" and dialog.step == "parties" and value in ("safety_rep", "union_rep"):
        parties = dialog.data["parties"]
        parties.remove(value) if value in parties else parties.append(value)
        await dialogs.save(context, dialog)
        await query.edit_message_reply_markup(party_keyboard(context.t, dialog))
    elif action == "back":
        dialog.step = "date"
        await dialogs.save(context, dialog)
        await ask_date(update, context, dialog)
    elif action == "save" and dialog.step == "parties":
        await save_mark(update, context, dialog)
    else:
        await (ask_date if dialog.step == "date" else ask_parties)(update, context, dialog)


async def save_mark(update: Update, context: BotContext, dialog: dialogs.Dialog) -> None:
    t = context.t
    unit_id, step_key, day = dialog.data["unit"], dialog.data["step"], date.fromisoformat(dialog.data["date"])
    parties = ["leader"] + [p for p in ("safety_rep", "union_rep") if p in dialog.data["parties"]]
    try:
        to_ask = await service.mark_step(context.db, context.memberships, context.person.id, unit_id, step_key,
                                         day, parties, context.clock.now(), context.clock.today(),
                                         dialog.data.get("year"))
    except YearChanged:
        await dialogs.end(context)
        await reply(update, t._("A new survey year has begun since you started; nothing was saved. "
                                "Open /followup to see the new year."))
        return
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"mark step {step_key} on unit {unit_id}")
        return
    await dialogs.end(context)
    ov = await load_overview(update, context, unit_id, dialog.data.get("year"))
    if ov is None:
        return
    step = ov.method.step(step_key)
    leader = escape(context.person.name)
    for rep, role, confirmation_id in to_ask:
        await notify(
            context, rep,
            lambda rt, role=role: rt._(
                "{leader} has marked “{step}” as done ({date}) for {unit}. Did you take part?",
                leader=leader, step=rt._(step.title), date=rt.date(day), unit=escape(ov.unit.name)),
            lambda rt, cid=confirmation_id: Keyboard([[
                Button(rt._("I took part"), callback_data=f"cf:{cid}:took_part"),
                Button(rt._("I was not involved"), callback_data=f"cf:{cid}:not_involved"),
            ]]),
        )
    saved = t._("Saved: “{step}” done {date}.", step=t._(step.title), date=t.date(day))
    if to_ask:
        saved += " " + t.ngettext("{n} representative is asked to confirm.",
                                  "{n} representatives are asked to confirm.", len(to_ask))
    await reply(update, saved)
    await reply(update, overview_text(t, ov), reply_markup=localized_overview_keyboard(t, ov))


# --- a rep answers: cf:<confirmation>:<answer>, then an optional comment ---



@members_only
async def confirmation_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parts = query.data.split(":")
    if len(parts) != 3 or not parts[1].isdigit():
        await refuse(update, context, f"answer with {query.data!r}")
        return
    try:
        confirmation = await service.answer(context.db, context.person.id, int(parts[1]), parts[2],
                                            context.clock.now())
    except NotAllowed:
        await refuse(update, context, f"answer confirmation {parts[1]}")
        return
    await context.answer_press(update)
    t = context.t
    await query.edit_message_reply_markup(None)
    if confirmation.answer in ("not_involved", "objected"):
        dialog = await dialogs.begin(context, "comment", "text", {"confirmation": confirmation.id})
        await reply(update, t._("Noted. Do you want to add a comment for the leader? Write it, or press Skip."),
                    reply_markup=Keyboard([[Button(t._("Skip"), callback_data=f"cc:{dialog.token}:skip")]]))
        await tell_leaders_about_objection(context, confirmation.id)
    else:
        await reply(update, t._("Thank you, your answer is saved."))


async def tell_leaders_about_objection(context: BotContext, confirmation_id: int, comment: str | None = None) -> None:
    found = await service.confirmation_context(context.db, confirmation_id)
    if found is None:
        return
    confirmation, unit = found
    name, role = escape(context.person.name), confirmation.role
    for leader, _ in await service.people_of_unit(context.db, unit.id, ("leader",)):
        await notify(context, leader, lambda rt: rt._(
            "{role} {name} ({unit}): {answer}.", role=rt._(ROLE_NAMES[role]).capitalize(), name=name,
            unit=escape(unit.name), answer=answer_label(rt, confirmation.answer))
            + (f" «{escape(comment)}»" if comment else ""))


async def comment_text(update: Update, context: BotContext, dialog: dialogs.Dialog) -> None:
    text = update.message.text.strip()
    t = context.t
    if not text or len(text) > 1000:
        await reply(update, t._("A comment must be 1–1000 characters. Write it again, or press Skip."),
                    reply_markup=Keyboard([[Button(t._("Skip"), callback_data=f"cc:{dialog.token}:skip")]]))
        return
    try:
        await service.comment(context.db, context.person.id, dialog.data["confirmation"], text)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, "comment on someone else's answer")
        return
    await dialogs.end(context)
    await tell_leaders_about_objection(context, dialog.data["confirmation"], text)
    await reply(update, t._("Thank you, your comment is saved and shown on the plan."))


@members_only
async def comment_button(update: Update, context: BotContext) -> None:
    """cc:<token>:skip"""
    parts = update.callback_query.data.split(":")
    if len(parts) < 2 or dialogs.with_token(context, "comment", parts[1]) is None:
        await old_dialog_button(update, context)
        return
    await context.answer_press(update)
    await dialogs.end(context)
    await reply(update, context.t._("Thank you, your answer is saved."))


units.register("fu", tuple(r.value for r in UNIT_PARTIES), show_followup)
