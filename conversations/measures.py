"""/measures: the unit's measures; updating status, responsible and deadline,
evaluating, and the leader's answer to a rep's proposal. See measures.mmd."""

from __future__ import annotations

from datetime import date
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
from bot.rules.access import UNIT_PARTIES, is_leader_of, rep_role_at
from bot.rules.dates import parse_date
from bot.rules.errors import DateParseError, InvalidMeasure, NotAllowed
from bot.rules.measures import EVALUATIONS, QUICK_STATUS, STATUS_ICONS, STATUSES
from bot.rules.themes import KINDS, THEMES
from bot.services import measures as service
from conversations import units
from conversations.common import callback_int, open_by_id, refuse
from conversations.measure_new import FIELD_LABELS, text_refusal
from storage.models import Measure

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_BY_DATE = N_("by {date}")
L_PROPOSAL_WAITING_FOR_THE_LEADER = N_("proposal, waiting for the leader")
L_PROPOSAL_DECLINED = N_("proposal declined")
L_MEASURES = N_("Measures")
L_STATUS = N_("Status")
L_EVALUATION = N_("Evaluation")
L_DECLINED_BECAUSE = N_("Declined because")
# What the history says of each kind of change.
CHANGE_LABELS = {
    "created": N_("Registered"), "status": N_("Status"), "quarterly": N_("Quarterly status"),
    "comment": N_("Comment"), "responsible": N_("Responsible"), "deadline": N_("Deadline"),
    "evaluation": N_("Evaluation"), "evaluation_why": N_("Why"), "proposal": N_("Proposal"),
}
PROPOSAL_OUTCOMES = {"accepted": N_("accepted"), "declined": N_("declined")}
L_HISTORY = N_("History")


DIALOG = "measure_edit"


def measure_line(t: Translator, m: Measure) -> str:
    line = (f"{STATUS_ICONS[m.status]} <b>{escape(m.title)}</b> – {t._(KINDS[m.kind])}, "
            f"{t._(THEMES[m.theme])}; {t._(L_BY_DATE, date=t.date(m.deadline))}")
    if m.proposal == "pending":
        line += f" ({t._(L_PROPOSAL_WAITING_FOR_THE_LEADER)})"
    elif m.proposal == "declined":
        line += f" ({t._(L_PROPOSAL_DECLINED)})"
    return line


async def show_list(update: Update, context: BotContext, unit_id: int) -> bool:
    """False (and the person told) when the list is not theirs to see."""
    t = context.t
    try:
        unit, measures, _ = await service.unit_measures(context.db, context.memberships, unit_id,
                                                        context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"list measures of unit {unit_id}")
        return False
    lines = [f"<b>{t._(L_MEASURES)} · {escape(unit.name)}</b>"]
    lines += [measure_line(t, m) for m in measures] or [t._("No measures yet.")]
    rows = [[Button(f"{STATUS_ICONS[m.status]} {m.title[:50]}", callback_data=f"me:{m.id}")] for m in measures]
    if is_leader_of(context.memberships, unit_id):
        rows.append([Button(t._("Register a measure"), callback_data=f"nm:{unit_id}")])
    elif rep_role_at(context.memberships, unit_id):
        rows.append([Button(t._("Propose a measure"), callback_data=f"np:{unit_id}")])
    await reply(update, "\n".join(lines), reply_markup=Keyboard(rows))
    return True


@members_only
async def measures_command(update: Update, context: BotContext) -> None:
    await units.with_unit(update, context, "ml")


def describe_change(t: Translator, field: str, new: str | None) -> str:
    """One history entry in the reader's language: the kind of change and its new value."""
    label = t._(CHANGE_LABELS[field]) if field in CHANGE_LABELS else field
    if new is None:
        return label
    if field == "status" and new in STATUSES:
        value = t._(STATUSES[new])
    elif field == "quarterly" and new in QUICK_STATUS:
        value = t._(QUICK_STATUS[new])
    elif field == "evaluation" and new in EVALUATIONS:
        value = t._(EVALUATIONS[new])
    elif field == "proposal" and new in PROPOSAL_OUTCOMES:
        value = t._(PROPOSAL_OUTCOMES[new])
    elif field == "deadline":
        try:
            value = t.date(date.fromisoformat(new))
        except ValueError:
            value = new
    else:
        value = new if len(new) <= 80 else new[:79] + "…"  # cut before escaping: never half an entity
    return f"{label}: {escape(value)}"


def detail_text(t: Translator, view: service.MeasureView, tz) -> str:
    m = view.measure
    lines = [f"<b>{escape(m.title)}</b>",
             f"{t._(FIELD_LABELS['theme'])}: {t._(THEMES[m.theme])} ({t._(KINDS[m.kind])})",
             f"{t._(FIELD_LABELS['description'])}: {escape(m.description)}",
             f"{t._(FIELD_LABELS['responsible'])}: {escape(m.responsible)}",
             f"{t._(FIELD_LABELS['deadline'])}: {t.date(m.deadline)}",
             f"{t._(L_STATUS)}: {STATUS_ICONS[m.status]} {t._(STATUSES[m.status])}"]
    if m.evaluation:
        lines.append(f"{t._(L_EVALUATION)}: {t._(EVALUATIONS[m.evaluation])} – {escape(m.evaluation_why or '')}")
    if m.decline_reason:
        lines.append(f"{t._(L_DECLINED_BECAUSE)}: {escape(m.decline_reason)}")
    if view.last_update:
        lines.append(t._("Last update: {date}", date=t.date(view.last_update.astimezone(tz).date())))
    if view.history:
        lines.append("")
        lines.append(f"<b>{t._(L_HISTORY)}</b>")
        for event, name in view.history[-10:]:
            when = t.date(event.at.astimezone(tz).date())
            change = describe_change(t, event.field, event.new)
            comment = f" «{escape(event.comment)}»" if event.comment else ""
            lines.append(f"{when} · {escape(name)} · {change}{comment}")
    return "\n".join(lines)


def detail_keyboard(t: Translator, view: service.MeasureView) -> Keyboard:
    m, rows = view.measure, []
    if view.can_edit and m.proposal == "pending":
        rows.append([Button(t._("Accept"), callback_data=f"pa:{m.id}:accept"),
                     Button(t._("Decline"), callback_data=f"pa:{m.id}:decline")])
    elif view.can_edit and m.proposal != "declined":
        rows.append([Button(t._(STATUSES[s]), callback_data=f"mu:{m.id}:s:{s}") for s in STATUSES if s != m.status])
        rows.append([Button(t._("Responsible"), callback_data=f"mu:{m.id}:responsible"),
                     Button(t._("Deadline"), callback_data=f"mu:{m.id}:deadline")])
        rows.append([Button(t._("Evaluate"), callback_data=f"mu:{m.id}:evaluate"),
                     Button(t._("History"), callback_data=f"mu:{m.id}:history")])
    else:
        rows.append([Button(t._("History"), callback_data=f"mu:{m.id}:history")])
    rows.append([Button(t._("⬅ Back"), callback_data=f"ml:{view.unit.id}")])
    return Keyboard(rows)


async def show_detail(update: Update, context: BotContext, measure_id: int, history: bool = False) -> bool:
    """False (and the person told) when the measure is not theirs to see. The button
    press is answered by the caller: one answer per press."""
    try:
        view = await service.view(context.db, context.memberships, measure_id, with_history=history)
    except NotAllowed:
        await refuse(update, context, f"view measure {measure_id}")
        return False
    await reply(update, detail_text(context.t, view, context.settings.bot_timezone),
                reply_markup=detail_keyboard(context.t, view))
    return True


@members_only
async def list_button(update: Update, context: BotContext) -> None:
    """ml:<unit>"""
    await open_by_id(update, context, show_list)


@members_only
async def detail_button(update: Update, context: BotContext) -> None:
    """me:<measure>"""
    await open_by_id(update, context, show_detail)


@members_only
async def update_button(update: Update, context: BotContext) -> None:
    """mu:<measure>:s:<status> | responsible | deadline | evaluate | ev:<result> | history | skip"""
    query = update.callback_query
    parts = query.data.split(":")
    measure_id = callback_int(query.data)
    t, now = context.t, context.clock.now()
    if measure_id is None or len(parts) < 3:
        await refuse(update, context, f"use {query.data!r}")
        return
    action = parts[2]
    if action == "history":
        if await show_detail(update, context, measure_id, history=True):
            await context.answer_press(update)
        return
    try:
        # Every change is checked against the database in the service, whatever the button says.
        if action == "s" and len(parts) == 4:
            await service.set_status(context.db, context.memberships, context.person.id, measure_id, parts[3], now)
            await context.answer_press(update)
            await dialogs.begin(context, DIALOG, "comment", {"measure": measure_id})
            await reply(update, t._("Status saved: {status}. Add a comment if you like, or press Skip.",
                                    status=t._(STATUSES[parts[3]])),
                        reply_markup=Keyboard([[Button(t._("Skip"), callback_data=f"mu:{measure_id}:skip")]]))
            return
        if not (await service.view(context.db, context.memberships, measure_id)).can_edit:
            raise NotAllowed(f"change measure {measure_id}")
    except NotAllowed:
        await refuse(update, context, f"change measure {measure_id} with {query.data!r}")
        return
    await context.answer_press(update)
    if action == "skip":
        # Only the comment question about this measure ends; any other open dialog (a draft) is kept.
        open_dialog = dialogs.current(context, DIALOG)
        if open_dialog is not None and open_dialog.data.get("measure") == measure_id:
            await dialogs.end(context)
        await show_detail(update, context, measure_id)
    elif action == "responsible":
        await dialogs.begin(context, DIALOG, "responsible", {"measure": measure_id})
        await reply(update, t._("Who is responsible? A name or a role – that person does not need to use the bot."))
    elif action == "deadline":
        await ask_deadline(update, context, measure_id)
    elif action == "evaluate":
        await reply(update, t._("Did the measure work?"), reply_markup=Keyboard([[
            Button(t._(label), callback_data=f"mu:{measure_id}:ev:{key}") for key, label in EVALUATIONS.items()]]))
    elif action == "ev" and len(parts) == 4 and parts[3] in EVALUATIONS:
        await dialogs.begin(context, DIALOG, "why", {"measure": measure_id, "result": parts[3]})
        await reply(update, t._("Why? Write a few words about what you learned."))
    else:
        await show_detail(update, context, measure_id)


async def on_text(update: Update, context: BotContext, dialog) -> None:
    """Typed text for a change started from a measure's buttons."""
    t, text, now = context.t, update.message.text, context.clock.now()
    measure_id = dialog.data["measure"]
    field = {"comment": "comment", "responsible": "responsible", "why": "why"}.get(dialog.step)
    if field and (refusal := text_refusal(t, field, text)):
        await reply(update, refusal)
        return
    try:
        if dialog.step == "comment":
            await service.add_comment(context.db, context.memberships, context.person.id, measure_id, text, now)
        elif dialog.step == "responsible":
            await service.set_responsible(context.db, context.memberships, context.person.id, measure_id, text, now)
        elif dialog.step == "why":
            await service.evaluate(context.db, context.memberships, context.person.id, measure_id,
                                   dialog.data["result"], text, now)
        elif dialog.step == "deadline":
            try:
                deadline = parse_date(text, context.clock.today())
            except DateParseError:
                await reply(update, t._("I could not read that as a date.") + " " +
                            t._("By when? Write a date (for example 15.03.2027)."))
                return
            try:
                await service.set_deadline(context.db, context.memberships, context.person.id, measure_id,
                                           deadline, now, context.clock.today(), dialog.data.get("quarterly"))
            except InvalidMeasure as invalid:
                await reply(update, t._("{date} has already passed. Choose a date from today on.",
                                        date=t.date(deadline)) if invalid.problems == ["past"] else
                            t._("That date is after this year's evaluation deadline. Choose an earlier date."))
                return
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"change measure {measure_id}")
        return
    await dialogs.end(context)
    if dialog.step == "deadline" and dialog.data.get("quarterly") in QUICK_STATUS:
        await reply(update, t._("Saved: {status}, with the new deadline {date}.",
                                status=t._(QUICK_STATUS[dialog.data["quarterly"]]), date=t.date(deadline)))
    else:
        await reply(update, t._("Saved."))
    await show_detail(update, context, measure_id)


async def ask_deadline(update: Update, context: BotContext, measure_id: int, why: str = "",
                       quarterly: str | None = None) -> None:
    """The "By when?" text step. With `quarterly`, that one-tap status waits for the new
    deadline and is saved together with it (see conversations/reminders.py)."""
    data = {"measure": measure_id} | ({"quarterly": quarterly} if quarterly else {})
    await dialogs.begin(context, DIALOG, "deadline", data)
    await reply(update, (why + " " if why else "") + context.t._("By when? Write a date (for example 15.03.2027)."))


# --- a rep's proposal: pa:<measure>:accept|decline, the reason typed ---

@members_only
async def proposal_button(update: Update, context: BotContext) -> None:
    query = update.callback_query
    parts = query.data.split(":")
    measure_id, t = callback_int(query.data), context.t
    if measure_id is None or len(parts) != 3 or parts[2] not in ("accept", "decline"):
        await refuse(update, context, f"use {query.data!r}")
        return
    try:
        if parts[2] == "accept":
            measure = await service.decide_proposal(context.db, context.memberships, context.person.id, measure_id,
                                                    True, context.clock.now())
        else:
            view = await service.view(context.db, context.memberships, measure_id)
            if not view.can_edit or view.measure.proposal != "pending":
                raise NotAllowed(f"decline proposal {measure_id}")
    except NotAllowed:
        await refuse(update, context, f"decide proposal {measure_id}")
        return
    await context.answer_press(update)
    if parts[2] == "accept":
        await reply(update, t._("Accepted: “{title}” is now in the plan.", title=escape(measure.title)))
        await tell_proposer(context, measure)
    else:
        await dialogs.begin(context, DIALOG, "decline", {"measure": measure_id})
        await reply(update, t._("Why do you decline it? The representative will see your answer."))


async def decline_text(update: Update, context: BotContext, dialog) -> None:
    t, text = context.t, update.message.text
    if refusal := text_refusal(t, "why", text):
        await reply(update, refusal)
        return
    try:
        measure = await service.decide_proposal(context.db, context.memberships, context.person.id,
                                                dialog.data["measure"], False, context.clock.now(), text)
    except NotAllowed:
        await dialogs.end(context)
        await refuse(update, context, f"decline proposal {dialog.data['measure']}")
        return
    await dialogs.end(context)
    await reply(update, t._("Declined. The representative is told why."))
    await tell_proposer(context, measure)


async def tell_proposer(context: BotContext, measure: Measure) -> None:
    from bot.services.followup import people_of_unit

    for person, _ in await people_of_unit(context.db, measure.unit_id, ("safety_rep", "union_rep")):
        if person.id != measure.proposed_by:
            continue
        title = escape(measure.title)
        if measure.proposal == "accepted":
            await notify(context, person, lambda rt: rt._(
                "Your proposal “{title}” was accepted and is now in the plan.", title=title))
        else:
            reason = escape(measure.decline_reason or "")
            await notify(context, person, lambda rt: rt._(
                "Your proposal “{title}” was declined: {reason}", title=title, reason=reason))


async def route_edit_text(update: Update, context: BotContext, dialog) -> None:
    await (decline_text if dialog.step == "decline" else on_text)(update, context, dialog)


@members_only
async def propose_button(update: Update, context: BotContext) -> None:
    """np:<unit> from the measure list of a rep."""
    from conversations.measure_new import start

    unit_id = callback_int(update.callback_query.data)
    if unit_id is None or not rep_role_at(context.memberships, unit_id):
        await refuse(update, context, f"propose with {update.callback_query.data!r}")
        return
    await context.answer_press(update)
    await start(update, context, unit_id, proposal=True)


units.register("ml", tuple(r.value for r in UNIT_PARTIES), show_list)
