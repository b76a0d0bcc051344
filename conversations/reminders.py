"""Answers to reminders: one-tap quarterly status, snoozing, /settings, and the
level above reminding a unit's leader. See reminders.mmd."""

from __future__ import annotations

from datetime import timedelta
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot.guards import members_only
from bot.identity import BotContext
from bot.notify import notify
from bot.replies import reply
from bot.rules.access import is_leader_of
from bot.rules.errors import NotAllowed
from bot.rules.measures import QUICK_STATUS
from bot.rules.labels import short_label
from bot.rules.nudges import GROUPS, REMINDERS_TITLE, gets_plan_reminders
from bot.rules.vocabulary import QuarterlyStatus, Role
from bot.services import followup as followup_service
from bot.services import measures as measure_service
from bot.services import profile
from bot.services import raised as raised_service
from bot.services import reminders as service
from conversations import routes, stuck
from conversations.common import refuse
from conversations.measures import ask_deadline

SNOOZE_DAYS = 7


@members_only
async def quick_status_button(update: Update, context: BotContext, press) -> None:
    """A one-tap status (done, on track, stuck, dropped), straight from the reminder."""
    query = update.callback_query
    try:
        outcome = await measure_service.quarterly_status(context.db, context.memberships, context.person.id,
                                                         press.measure, press.status, context.clock.now(),
                                                         context.clock.today())
    except NotAllowed:
        await refuse(update, context, f"give a status with {query.data!r}")
        return
    t, measure = context.t, outcome.measure
    label = t._(QUICK_STATUS[press.status])
    if not outcome.saved and not is_leader_of(context.memberships, measure.unit_id):
        # The member responsible (not the leader): the leader sets a new deadline.
        await context.answer_press(update, t._("“{title}” was due {date}. Ask the leader to give it a new deadline.",
                                               title=measure.title, date=t.date(measure.deadline)), show_alert=True)
        return
    if not outcome.saved:
        # On track past its deadline: it is saved with a new deadline (the step /measures uses), the buttons stay.
        await context.answer_press(update)
        await ask_deadline(update, context, press.measure, quarterly=press.status, why=t._(
            "“{title}” was due {date}. To go on with it, give it a new deadline.",
            title=escape(measure.title), date=t.date(measure.deadline)))
        return
    await context.answer_press(update, t._("Saved: {status}", status=label))
    # Replace that measure's four buttons by what was chosen; the others stay.
    rows = []
    for row in query.message.reply_markup.inline_keyboard:
        pressed = (routes.QUICK_STATUS_PRESS.parse(b.callback_data) for b in row)
        if any(p is not None and p.measure == press.measure for p in pressed):
            rows.append([Button(f"✓ {label}: {short_label(measure.title, 40)}",
                                callback_data=routes.MEASURE.build(press.measure))])
        else:
            rows.append(list(row))
    await query.edit_message_reply_markup(Keyboard(rows))
    if press.status == QuarterlyStatus.STUCK and is_leader_of(context.memberships, measure.unit_id):
        await stuck.ask_what_is_stuck(update, context, press.measure)


def settings_text(context: BotContext) -> str:
    t, person = context.t, context.person
    muted = set(filter(None, person.muted_reminders.split(",")))
    # Only leaders get the plan-deadline reminders: nobody else is told about them.
    lines = [f"<b>{t._(REMINDERS_TITLE)}</b>",
             t._("Reminders about the action plan deadline always come. The others you can turn off:")
             if gets_plan_reminders(context.memberships) else t._("You can turn these reminders off:")]
    lines += [f"{'🔕' if g in muted else '🔔'} {t._(label)}" for g, label in GROUPS.items()]
    if person.snoozed_until and person.snoozed_until > context.clock.today():
        lines.append(t._("Paused until {date}.", date=t.date(person.snoozed_until)))
    return "\n".join(lines)


def settings_keyboard(context: BotContext) -> Keyboard:
    t, person = context.t, context.person
    muted = set(filter(None, person.muted_reminders.split(",")))
    rows = [[Button(("🔔 " if g not in muted else "🔕 ") + t._(label), callback_data=routes.SETTINGS.build("mute", g))]
            for g, label in GROUPS.items()]
    if person.snoozed_until and person.snoozed_until > context.clock.today():
        rows.append([Button(t._("Resume reminders now"), callback_data=routes.SETTINGS.build("resume"))])
    else:
        rows.append([Button(t._("Remind me in a week"), callback_data=routes.SETTINGS.build("snooze"))])
    return Keyboard(rows)


@members_only
async def settings_command(update: Update, context: BotContext) -> None:
    await reply(update, settings_text(context), reply_markup=settings_keyboard(context))


async def snooze(update: Update, context: BotContext, press) -> None:
    t, person = context.t, context.person
    until = context.clock.today() + timedelta(days=SNOOZE_DAYS)
    await profile.set_reminders(context.db, person.id, snoozed_until=until)
    person.snoozed_until = until
    paused = (t._("Paused until {date}. Reminders about the plan deadline still come.", date=t.date(until))
              if gets_plan_reminders(context.memberships) else t._("Paused until {date}.", date=t.date(until)))
    await context.answer_press(update, paused, show_alert=True)


async def resume(update: Update, context: BotContext, press) -> None:
    await profile.set_reminders(context.db, context.person.id, snoozed_until=None)
    context.person.snoozed_until = None
    await redraw_settings(update, context)


async def toggle_mute(update: Update, context: BotContext, press) -> None:
    person = context.person
    if press.group is None:
        await refuse(update, context, f"change settings with {update.callback_query.data!r}")
        return
    muted = set(filter(None, person.muted_reminders.split(","))) ^ {press.group}
    person.muted_reminders = ",".join(sorted(muted))
    await profile.set_reminders(context.db, person.id, muted=person.muted_reminders)
    await redraw_settings(update, context)


async def open_settings(update: Update, context: BotContext, press) -> None:
    await context.answer_press(update)
    await reply(update, settings_text(context), reply_markup=settings_keyboard(context))


async def redraw_settings(update: Update, context: BotContext) -> None:
    await context.answer_press(update)
    await update.callback_query.edit_message_text(settings_text(context), reply_markup=settings_keyboard(context))


SETTINGS_ACTIONS = {"snooze": snooze, "resume": resume, "mute": toggle_mute, "settings": open_settings}


@members_only
async def settings_button(update: Update, context: BotContext, press) -> None:
    """Snooze, resume, open the settings, or mute a group – always about the person pressing."""
    await SETTINGS_ACTIONS[press.action](update, context, press)


@members_only
async def remind_leader_button(update: Update, context: BotContext, press) -> None:
    """A leader above (of the trust, or of a leader group above the unit) asks the unit's leader about the plan."""
    unit_id = press.unit
    trust_id = await service.unit_trust(context.db, unit_id)
    if not (service.is_above(context.memberships, trust_id)
            or await raised_service.leads_group_above(context.db, context.memberships, unit_id)):
        await refuse(update, context, f"remind the leader of unit {unit_id}")
        return
    if await followup_service.plan_submitted(context.db, unit_id, context.clock.today()):
        await context.answer_press(update, context.t._("The plan has been submitted since; nobody was reminded."),
                                   show_alert=True)
        return
    name = escape(context.person.name)
    leaders = await service.people_for_units(context.db, unit_id, (Role.LEADER,))
    for leader in leaders:
        await notify(context, leader, lambda rt: rt._(
            "{name}, at the level above, asks about your unit's action plan: it is past its deadline. "
            "Open /plan to finish and submit it.", name=name))
    await context.answer_press(update, context.t.ngettext(
        "{n} leader reminded.", "{n} leaders reminded.", len(leaders)), show_alert=True)
