"""Registering a measure (or a rep's proposal), one field at a time, with Back
at every step, /cancel anywhere, and the draft saved at every step. See
measure_new.mmd."""

from __future__ import annotations

import logging
from datetime import date
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.i18n import N_, Translator
from bot.identity import BotContext, members_only, reply
from bot.notify import notify
from bot.rules import idea_bank
from bot.rules.access import ROLE_NAMES, is_leader_of, rep_role_at
from bot.rules.dates import DateParseError, month_days, months_between, parse_date
from bot.rules.measures import LIMITS, deadline_problem, text_problem, visible
from bot.rules.themes import KINDS, THEMES
from bot.services import measures as service
from bot.services.followup import NotAllowed, people_of_unit
from conversations import units
from conversations.common import old_dialog_button, refuse

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_PROPOSED_MEASURE = N_("Proposed measure")
L_NEW_MEASURE = N_("New measure")


log = logging.getLogger(__name__)

DIALOG = "measure"
STEPS = ("theme", "kind", "title", "description", "responsible", "deadline", "summary")
TEXT_STEPS = ("title", "description", "responsible", "deadline")
FIELD_LABELS = {
    "theme": N_("Theme"), "kind": N_("Preserve or improve"), "title": N_("Title"),
    "description": N_("What we will do"), "responsible": N_("Responsible"), "deadline": N_("Deadline"),
}


# --- entry points ---

@members_only
async def new_measure_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "nm")


@members_only
async def propose_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "pr")


@members_only
async def new_measure_button(update: Update, context: BotContext) -> None:
    """nm:<unit> from the follow-up or the measure list."""
    parts = update.callback_query.data.split(":")
    if len(parts) != 2 or not parts[1].isdigit() or not is_leader_of(context.memberships, int(parts[1])):
        await refuse(update, context, f"register a measure with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await start(update, context, int(parts[1]))


async def start(update: Update, context: BotContext, unit_id: int, proposal: bool = False) -> None:
    allowed = rep_role_at(context.memberships, unit_id) if proposal else is_leader_of(context.memberships, unit_id)
    if not allowed:  # the unit may come from a button ("Start again"): checked here, not trusted
        await refuse(update, context, f"start a measure for unit {unit_id}")
        return
    existing = dialogs.current(context, DIALOG)
    if existing is None and (existing := dialogs.set_aside(context)) is not None:
        await dialogs.end(context)  # the dialog holding the draft ends; the draft is open again
    if existing is not None:
        t = context.t
        title = escape(existing.data.get("title") or "…")
        await reply(update, t._("You have a measure you have not finished (“{title}”). Continue with it, or "
                                "start again?", title=title),
                    reply_markup=Keyboard([[
                        Button(t._("Continue"), callback_data=f"ms:{existing.token}:resume"),
                        Button(t._("Start again"), callback_data=f"ms:{existing.token}:restart:{unit_id}:"
                                                                 f"{int(proposal)}"),
                    ]]))
        return
    dialog = await dialogs.begin(context, DIALOG, "theme", {"unit": unit_id, "proposal": proposal})
    await ask(update, context, dialog)


async def start_proposal(update: Update, context: BotContext, unit_id: int) -> None:
    await start(update, context, unit_id, proposal=True)


# --- asking for each field ---

def back_button(t: Translator, dialog) -> Button:
    return Button(t._("⬅ Back"), callback_data=f"ms:{dialog.token}:back")


def theme_keyboard(t: Translator, token: str, prefix: str = "t") -> list[list[Button]]:
    buttons = [Button(t._(label), callback_data=f"ms:{token}:{prefix}:{key}") for key, label in THEMES.items()]
    return [buttons[i:i + 2] for i in range(0, len(buttons), 2)]


def picker_months(t: Translator, dialog, today: date, last: date) -> Keyboard:
    buttons = [Button(t.month_year(year, month), callback_data=f"ms:{dialog.token}:dm:{year}{month:02d}")
               for year, month in months_between(today, last)]
    rows = [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    return Keyboard(rows + [[back_button(t, dialog)]])


def picker_days(t: Translator, dialog, year: int, month: int, today: date, last: date) -> Keyboard:
    days = [date(year, month, d) for d in range(1, month_days(year, month) + 1)]
    buttons = [Button(str(d.day), callback_data=f"ms:{dialog.token}:dd:{d:%Y%m%d}") for d in days if today <= d <= last]
    rows = [buttons[i:i + 7] for i in range(0, len(buttons), 7)]
    return Keyboard(rows + [[Button(t._("⬅ Back"), callback_data=f"ms:{dialog.token}:pick")]])


def summary_text(t: Translator, data: dict) -> str:
    lines = [f"<b>{t._(L_PROPOSED_MEASURE) if data.get('proposal') else t._(L_NEW_MEASURE)}</b>",
             f"{t._(FIELD_LABELS['theme'])}: {t._(THEMES[data['theme']])}",
             f"{t._(FIELD_LABELS['kind'])}: {t._(KINDS[data['kind']])}",
             f"{t._(FIELD_LABELS['title'])}: {escape(data['title'])}",
             f"{t._(FIELD_LABELS['description'])}: {escape(data['description'])}",
             f"{t._(FIELD_LABELS['responsible'])}: {escape(data['responsible'])}",
             f"{t._(FIELD_LABELS['deadline'])}: {t.date(date.fromisoformat(data['deadline']))}"]
    return "\n".join(lines)


async def ask(update: Update, context: BotContext, dialog, problem: str = "") -> None:
    t, token, step = context.t, dialog.token, dialog.step
    rows: list[list[Button]] = []
    if step == "theme":
        text = t._("Which theme is the measure about?")
        rows = theme_keyboard(t, token) + [[Button(t._("Cancel"), callback_data=f"ms:{token}:cancel")]]
    elif step == "kind":
        text = t._("Is it about something to preserve or something to improve?")
        rows = [[Button(t._("Preserve"), callback_data=f"ms:{token}:k:preserve"),
                 Button(t._("Improve"), callback_data=f"ms:{token}:k:improve")], [back_button(t, dialog)]]
    elif step == "title":
        text = t._("Write a short title (at most {limit} characters).", limit=LIMITS["title"])
        rows = [[Button(t._("💡 Ideas"), callback_data=f"ms:{token}:ideas")], [back_button(t, dialog)]]
    elif step == "description":
        text = t._("What will you do, and how will you notice that it works? (at most {limit} characters)",
                   limit=LIMITS["description"])
        rows = [[back_button(t, dialog)]]
    elif step == "responsible":
        text = t._("Who is responsible? A name or a role – that person does not need to use the bot.")
        rows = [[back_button(t, dialog)]]
    elif step == "deadline":
        text = t._("By when? Write a date (for example 15.03.2027), or pick one.")
        rows = [[Button(t._("📅 Pick a date"), callback_data=f"ms:{token}:pick")], [back_button(t, dialog)]]
    else:
        text = summary_text(t, dialog.data)
        save_label = t._("Send to the leader") if dialog.data.get("proposal") else t._("Save")
        rows = [[Button(save_label, callback_data=f"ms:{token}:save")],
                [Button(t._("Change a field"), callback_data=f"ms:{token}:edit"),
                 Button(t._("Cancel"), callback_data=f"ms:{token}:cancel")]]
    if problem:
        text = f"{problem}\n\n{text}"
    await reply(update, text, reply_markup=Keyboard(rows))


async def advance(update: Update, context: BotContext, dialog) -> None:
    """After a field is set: the next field, or back to the card when changing one."""
    if dialog.data.pop("editing", False):
        dialog.step = "summary"
    else:
        dialog.step = STEPS[STEPS.index(dialog.step) + 1]
    await dialogs.save(context, dialog)
    await ask(update, context, dialog)


# --- typed answers ---

def text_refusal(t: Translator, field: str, text: str) -> str | None:
    problem = text_problem(field, text)
    if problem is None:
        return None
    kind, limit = problem
    if kind == "empty":
        return t._("That was empty. Please write something.")
    return t._("That is {length} characters; the limit is {limit}. Please shorten it – nothing was cut.",
               length=t.number(len(visible(text))), limit=t.number(limit))


async def deadline_refusal(context: BotContext, dialog, deadline: date) -> str | None:
    t, today = context.t, context.clock.today()
    last = await service.evaluation_deadline(context.db, dialog.data["unit"], today)
    problem = deadline_problem(deadline, today, last)
    if problem == "past":
        return t._("{date} has already passed. Choose a date from today on.", date=t.date(deadline))
    if problem == "after_evaluation":
        return t._("{date} is after this year's evaluation deadline ({last}). Choose an earlier date.",
                   date=t.date(deadline), last=t.date(last))
    return None


async def accept_deadline(update: Update, context: BotContext, dialog, deadline: date) -> None:
    """A typed or picked deadline: refused with the reason, or stored and on to the next step."""
    refusal = await deadline_refusal(context, dialog, deadline)
    if refusal:
        await ask(update, context, dialog, refusal)
        return
    dialog.data["deadline"] = deadline.isoformat()
    await advance(update, context, dialog)


async def on_text(update: Update, context: BotContext, dialog) -> None:
    t, text = context.t, update.message.text
    if dialog.step not in TEXT_STEPS:
        await ask(update, context, dialog, t._("Please use the buttons for this step."))
        return
    if dialog.step == "deadline":
        try:
            deadline = parse_date(text, context.clock.today())
        except DateParseError as error:
            message = (t._("There is no such day.") if error.reason == "no_such_day"
                       else t._("I could not read that as a date."))
            await ask(update, context, dialog, message)
            return
        await accept_deadline(update, context, dialog, deadline)
        return
    refusal = text_refusal(t, dialog.step, text)
    if refusal:
        await ask(update, context, dialog, refusal)
        return
    dialog.data[dialog.step] = text.strip()
    await advance(update, context, dialog)


# --- buttons: ms:<token>:<action>[:<value>...] ---

@members_only
async def on_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parts = query.data.split(":")
    dialog = dialogs.with_token(context, DIALOG, parts[1]) if len(parts) >= 3 else None
    t = context.t
    if dialog is None:
        await old_dialog_button(update, context)
        return
    await context.answer_press(update)
    action, values = parts[2], parts[3:]
    today = context.clock.today()
    if action == "cancel":
        await dialogs.end(context)
        await reply(update, t._("Cancelled. The measure was not saved."))
    elif action == "resume":
        await ask(update, context, dialog)
    elif action == "restart" and len(values) == 2 and values[0].isdigit():
        await dialogs.end(context)
        context.dialog_state = None
        await start(update, context, int(values[0]), proposal=values[1] == "1")
    elif action == "back":
        index = STEPS.index(dialog.step)
        dialog.step = "summary" if dialog.data.pop("editing", False) else STEPS[max(index - 1, 0)]
        await dialogs.save(context, dialog)
        await ask(update, context, dialog)
    elif action == "t" and values and values[0] in THEMES and dialog.step == "theme":
        dialog.data["theme"] = values[0]
        await advance(update, context, dialog)
    elif action == "k" and values and values[0] in KINDS and dialog.step == "kind":
        dialog.data["kind"] = values[0]
        await advance(update, context, dialog)
    elif action == "ideas" and dialog.step == "title":
        ideas = idea_bank.ideas_for(dialog.data["theme"])
        text = "\n\n".join([t._("Ideas to start from – pick one and change what you like:")] +
                           [f"<b>{escape(t._(i.title))}</b>\n{escape(t._(i.description))}" for i in ideas])
        rows = [[Button(t._(i.title)[:60], callback_data=f"ms:{dialog.token}:i:{i.key}")] for i in ideas]
        await reply(update, text, reply_markup=Keyboard(rows + [[back_button(t, dialog)]]))
    elif action == "i" and values and dialog.step == "title" and (idea := idea_bank.idea_by_key(values[0])):
        dialog.data["title"], dialog.data["description"] = t._(idea.title), t._(idea.description)
        dialog.step = "responsible"
        await dialogs.save(context, dialog)
        await reply(update, t._("Taken from the idea bank. You can change the title and text on the summary card."))
        await ask(update, context, dialog)
    elif action == "pick" and dialog.step == "deadline":
        last = await service.evaluation_deadline(context.db, dialog.data["unit"], today)
        await reply(update, t._("Choose the month:"), reply_markup=picker_months(t, dialog, today, last))
    elif action == "dm" and values and len(values[0]) == 6 and values[0].isdigit() and dialog.step == "deadline":
        last = await service.evaluation_deadline(context.db, dialog.data["unit"], today)
        year, month = int(values[0][:4]), int(values[0][4:])
        if not 1 <= month <= 12:
            await ask(update, context, dialog)
            return
        await reply(update, t._("Choose the day:"), reply_markup=picker_days(t, dialog, year, month, today, last))
    elif action == "dd" and values and dialog.step == "deadline":
        try:
            deadline = date(int(values[0][:4]), int(values[0][4:6]), int(values[0][6:8]))
        except ValueError:
            await ask(update, context, dialog)
            return
        await accept_deadline(update, context, dialog, deadline)
    elif action == "edit" and dialog.step == "summary":
        rows = [[Button(t._(FIELD_LABELS[f]), callback_data=f"ms:{dialog.token}:e:{f}")] for f in FIELD_LABELS]
        await reply(update, t._("Which field do you want to change?"),
                    reply_markup=Keyboard(rows + [[back_button(t, dialog)]]))
    elif action == "e" and values and values[0] in FIELD_LABELS and dialog.step == "summary":
        dialog.step, dialog.data["editing"] = values[0], True
        await dialogs.save(context, dialog)
        await ask(update, context, dialog)
    elif action == "save" and dialog.step == "summary":
        await save(update, context, dialog)
    else:
        await ask(update, context, dialog)


async def save(update: Update, context: BotContext, dialog) -> None:
    t, data = context.t, dialog.data
    try:
        measure = await service.create(context.db, context.memberships, context.person.id, data["unit"], data,
                                       bool(data.get("proposal")), context.clock.now(), context.clock.today(),
                                       draft_token=dialog.token)
    except service.DraftGone:
        await old_dialog_button(update, context)
        return
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"save a measure for unit {data.get('unit')}")
        return
    except service.Invalid as invalid:
        # Something changed since it was typed (e.g. the deadline passed): ask for that field again.
        dialog.step, dialog.data["editing"] = next(f for f in STEPS if f in invalid.problems), True
        await dialogs.save(context, dialog)
        await ask(update, context, dialog, t._("This needs to be changed before the measure can be saved."))
        return
    context.dialog_state = None  # closed with the save, in the same transaction
    if measure.proposal == "pending":
        await reply(update, t._("Your proposal is sent to the leader. You will hear what they decide."))
        await send_proposal_to_leaders(context, measure)
    else:
        await reply(update, t._("Saved: “{title}”. /measures shows the unit's measures.", title=escape(measure.title)),
                    reply_markup=Keyboard([[Button(t._("Register another"), callback_data=f"nm:{measure.unit_id}")]]))


async def send_proposal_to_leaders(context: BotContext, measure) -> None:
    role = rep_role_at(context.memberships, measure.unit_id)
    name = escape(context.person.name)
    data = {"theme": measure.theme, "kind": measure.kind, "title": measure.title, "description": measure.description,
            "responsible": measure.responsible, "deadline": measure.deadline.isoformat(), "proposal": True}
    for leader, _ in await people_of_unit(context.db, measure.unit_id, ("leader",)):
        await notify(
            context, leader,
            lambda rt: rt._("{role} {name} proposes a measure:", role=rt._(ROLE_NAMES[role]).capitalize(), name=name)
            + "\n\n" + summary_text(rt, data),
            lambda rt: Keyboard([[Button(rt._("Accept"), callback_data=f"pa:{measure.id}:accept"),
                                  Button(rt._("Decline"), callback_data=f"pa:{measure.id}:decline")]]),
        )


units.register("nm", ("leader",), start)
units.register("pr", ("safety_rep", "union_rep"), start_proposal)
