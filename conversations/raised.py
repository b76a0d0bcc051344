"""/raised: the stuck measures the units below have raised to a leader above (the leaders of a
leader-group unit, and the leaders of a health trust). Each can be answered (the unit's leader
and reps are told) or taken on as a measure of the leader group's own. See raised.mmd."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot import dialogs
from bot.dialogs import engine
from bot.dialogs.spec import END, Action, DialogSpec, Done, Screen, Stay, View
from bot.guards import members_only
from bot.i18n import N_
from bot.identity import BotContext
from bot.notify import notify
from bot.replies import reply
from bot.rules.errors import AlreadySettled, InvalidMeasure, NotAllowed
from bot.rules.measures import LIMITS
from bot.services import raised as service
from conversations import routes
from conversations.common import refuse
from conversations.measure_new import text_refusal

L_RAISED = N_("Raised to you")
L_ANSWER = N_("Answer")
L_TAKE_ON = N_("Take it on")
L_ANSWERED_ALREADY = N_("It has been answered already, and an answer is never replaced. See it in /raised.")
SHOWN = 20  # problems in the list; the oldest answered ones fall off


def raised_text(t, rows, tz) -> str:
    lines = [f"<b>{t._(L_RAISED)}</b>"]
    for number, row in enumerate(rows, 1):
        problem = row.problem
        when = t.date(problem.raised_at.astimezone(tz).date())
        lines.append("")
        lines.append(f"{number}. <b>{escape(row.measure_title)}</b> – {escape(row.unit_name)}, {when}")
        if problem.what:
            lines.append(f"«{escape(problem.what)}»")
        if problem.answer:
            lines.append(t._("Answered: {answer}", answer=escape(problem.answer)))
        if problem.taken_measure_id:
            lines.append(t._("Taken on as a measure of the leader group."))
        if not problem.answer and not problem.taken_measure_id:
            lines.append(t._("Not answered yet."))
    return "\n".join(lines)


def raised_keyboard(t, rows) -> Keyboard | None:
    buttons = []
    for number, row in enumerate(rows, 1):
        problem = row.problem
        line = []
        if not problem.answer:  # answered once: never overwritten
            line.append(Button(f"{number}. {t._(L_ANSWER)}", callback_data=routes.RAISED_ANSWER.build(problem.id)))
        if not problem.taken_measure_id:
            line.append(Button(f"{number}. {t._(L_TAKE_ON)}", callback_data=routes.RAISED_TAKE_ON.build(problem.id)))
        if line:
            buttons.append(line)
    return Keyboard(buttons) if buttons else None


@members_only
async def raised_command(update: Update, context: BotContext) -> None:
    t = context.t
    if not await service.is_above_anyone(context.db, context.memberships):
        return await reply(update, t._("Raised problems go to the leaders of a leader group or a health trust. "
                                       "You are not one of them."))
    rows = (await service.visible_to(context.db, context.memberships))[:SHOWN]
    if not rows:
        return await reply(update, t._("Nothing has been raised to you."))
    await reply(update, raised_text(t, rows, context.settings.bot_timezone), reply_markup=raised_keyboard(t, rows))


@members_only
async def list_button(update: Update, context: BotContext, press) -> None:
    """The list, from a button of the weekly digest (routes.RAISED_LIST)."""
    await context.answer_press(update)
    await raised_command(update, context)


@members_only
async def answer_button(update: Update, context: BotContext, press) -> None:
    """Answer under a raised problem (routes.RAISED_ANSWER): the dialog's one screen."""
    try:
        problem = await service.check_may_handle(context.db, context.memberships, press.raised)
    except NotAllowed:
        return await refuse(update, context, f"answer raised problem {press.raised}")
    if problem.answer is not None:
        return await context.answer_press(update, context.t._(L_ANSWERED_ALREADY), show_alert=True)
    await context.answer_press(update)
    await engine.begin(update, context, SPEC, "answer", {"raised": problem.id})


@members_only
async def take_on_button(update: Update, context: BotContext, press) -> None:
    """Take it on (routes.RAISED_TAKE_ON): a measure of the leader group's own, the card shown."""
    from conversations.measures import show_detail

    t = context.t
    try:
        settled = await service.take_on(context.db, context.memberships, context.person.id, context.person.name,
                                        press.raised, context.clock.now(), context.clock.today())
    except NotAllowed:
        return await refuse(update, context, f"take on raised problem {press.raised}")
    except AlreadySettled:
        return await context.answer_press(update, t._(
            "It has been taken on already: it is a measure in the leader group's plan. Nothing new was made."),
            show_alert=True)
    except LookupError:
        return await context.answer_press(update, t._(
            "Only the leaders of a leader group can take it on: it becomes a measure of their group's plan."),
            show_alert=True)
    except InvalidMeasure:
        return await context.answer_press(update, t._(
            "This year's evaluation deadline has passed: there is no time left in the year to take it on."),
            show_alert=True)
    await context.answer_press(update)
    title = escape(settled.measure_title)
    for person in settled.recipients:
        await notify(context, person, lambda rt: rt._(
            "The leader group above has taken on “{title}” as a measure of its own.", title=title))
    await reply(update, t._("Taken on: “{title}” is now a measure in your leader group's plan. Set its "
                            "deadline and who is responsible on its card.", title=title))
    await show_detail(update, context, settled.taken.id)


# --- the answer dialog ---

def show_answer(turn):
    return View(turn.t._("Write your answer. The unit's leader and representatives will see it."))


async def take_answer(turn, message):
    t, context, raised_id = turn.t, turn.context, turn.data["raised"]
    if refusal := text_refusal(t, "comment", message.text):
        return Stay(refusal)
    try:
        settled = await service.answer(context.db, context.memberships, context.person.id, raised_id,
                                       message.text, context.clock.now())
    except NotAllowed:
        await dialogs.end(context)
        await refuse(turn.update, context, f"answer raised problem {raised_id}")
        return Done(closed=True)
    except AlreadySettled:
        await dialogs.end(context)
        await turn.say(t._("Someone above answered it meanwhile, so your answer was not saved (an answer is "
                           "never replaced). See theirs in /raised."))
        return Done(closed=True)
    await dialogs.end(context)
    title, answer = escape(settled.measure_title), escape(settled.problem.answer)
    for person in settled.recipients:
        await notify(context, person, lambda rt: rt._(
            "The leader group above has answered about “{title}”: {answer}", title=title, answer=answer))
    await turn.say(t.ngettext("Saved. {n} person in the unit is told.", "Saved. {n} people in the unit are told.",
                              len(settled.recipients)))
    return Done(closed=True)


SPEC = DialogSpec(
    name="raised_answer", prefix="rsd", module="raised",
    title="Answering a problem raised from a unit (/raised)",
    cancelled=N_("Cancelled. Nothing was changed."),
    entries=(("Answer under a raised problem in /raised (a leader above)", "answer"),),
    screens=(
        Screen("answer", "Your answer", show_answer, cancel=True,
               text=Action(take_answer, goes=(END,),
                           label=f"typed (≤ {LIMITS['comment']}); the unit's leader and reps are told")),
    ),
)
