"""/plan: the unit's action plan for the year; the leader submits it and the
reps acknowledge or object. See plan.mmd."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot.guards import members_only
from bot.i18n import N_, Translator
from bot.identity import BotContext
from bot.notify import notify
from bot.replies import reply
from bot.rules.access import UNIT_PARTIES, is_leader_of, roles_of, units_with_role
from bot.rules.errors import NotAllowed, PlanIncomplete, PlanWarnings
from bot.rules.methods import OBJECTIONS
from bot.rules.themes import KINDS, THEMES
from bot.rules.vocabulary import Answer, ProposalState, Role
from bot.services import followup as service
from bot.services import measures as measure_service
from bot.services import privacy as privacy_service
from bot.services import years as years_service
from bot.services.followup import Overview
from conversations import routes, units, years
from conversations.common import refuse
from conversations.followup import answer_lines
from conversations.measures import measure_line

# Texts used inside f-strings, where Babel's extractor cannot see them.
L_ACTION_PLAN_YEAR = N_("Action plan {year}")
L_STEPS = N_("Steps")
L_AREAS = N_("Areas")
L_MEASURES = N_("Measures")
PLAN_WARNINGS = {
    "review": N_("The review with the parties is not marked done."),
    "feedback": N_("The feedback meeting is not marked done."),
    "objection": N_("A representative has an objection you have not answered."),
}
L_OTHER_MEASURES = N_("Measures outside the chosen areas")
L_PLAN_OF = N_("Plan {year}")



def plan_text(t: Translator, ov: Overview, measures, last_updates, tz, changes: dict[int, int] | None = None) -> str:
    lines = [f"<b>{t._(L_ACTION_PLAN_YEAR, year=ov.year)} · {escape(ov.unit.name)} ({escape(ov.unit.trust_name)})</b>"]
    if ov.plan_submitted_at:
        lines.append(t._("Submitted {date}.", date=t.date(ov.plan_submitted_at.astimezone(tz).date())))
        lines += answer_lines(t, ov.answers_for("plan"))
    else:
        lines.append(t._("Not submitted yet (deadline {date}).", date=t.date(ov.cycle.plan_deadline)))
    lines += ["", f"<b>{t._(L_STEPS)}</b>"]
    for number, state in enumerate(ov.states, 1):
        when = t.date(state.done_on) if state.done_on else (t._("done") if state.done else
                                                             t._("by {date}", date=t.date(state.due)))
        lines.append(f"{'✅' if state.done else '⬜'} {number}. {t._(state.step.title)} – {when}")
        lines += answer_lines(t, ov.answers_for(f"step:{state.step.key}"))
    lines += ["", f"<b>{t._(L_AREAS)}</b>"]
    lines += area_and_measure_lines(t, ov, measures, last_updates, tz, changes or {})
    return "\n".join(lines)


def area_and_measure_lines(t: Translator, ov: Overview, measures, last_updates, tz, changes) -> list[str]:
    """The measures under the areas they serve (same kind and theme), then those outside the areas."""
    def lines_of(m) -> list[str]:
        found = ["   " + measure_line(t, m)]
        if m.year > ov.year:  # an earlier year's plan shows it as it stood when carried on out of it
            found[0] += f" ({t._(years.L_CARRIED_INTO, year=ov.year + 1)})"
        elif m.first_year is not None and m.first_year < m.year:
            found[0] += f" ({t._(years.L_CARRIED, year=m.first_year)})"
        if worked := years.theme_change_text(t, m, changes):
            found.append("      " + worked)
        if m.id in last_updates:
            found.append("      " + t._("Last update: {date}", date=t.date(last_updates[m.id].astimezone(tz).date())))
        return found

    lines, placed = [], set()
    for a in ov.areas:
        lines.append(f"• {t._(KINDS[a.kind])}: {t._(THEMES[a.theme])} – {escape(a.why)}")
        under = [m for m in measures if (m.kind, m.theme) == (a.kind, a.theme) and m.id not in placed]
        placed.update(m.id for m in under)
        for m in under:
            lines += lines_of(m)
        if not under:
            lines.append("   " + t._("No measure for this area yet."))
    if not ov.areas:
        lines.append(t._("No areas chosen yet."))
    rest = [m for m in measures if m.id not in placed]
    lines += ["", f"<b>{t._(L_OTHER_MEASURES) if ov.areas else t._(L_MEASURES)}</b>"]
    for m in rest:
        lines += [line.removeprefix("   ") if i == 0 else line for i, line in enumerate(lines_of(m))]
    if not measures:
        lines.append(t._("No measures yet."))
    elif not rest:
        lines.append(t._("None: every measure serves a chosen area."))
    return lines


async def show_plan(update: Update, context: BotContext, unit_id: int, year: int | None = None) -> bool:
    """False (and the person told) when the plan is not theirs to see. `year`: an earlier year's
    plan (history, nothing to submit); the year the unit works on now by default."""
    t, today, tz = context.t, context.clock.today(), context.settings.bot_timezone
    try:
        working, earlier = await years_service.plan_years(context.db, context.memberships, unit_id, today)
        if year is not None and year != working and year not in earlier:
            await context.tell(update, t._("There is no plan for {year}.", year=year))
            return False
        ov = await service.overview(context.db, context.memberships, unit_id, today, tz, year, history=True)
        _, measures, last_updates = await measure_service.unit_measures(context.db, context.memberships,
                                                                        unit_id, today, ov.year)
    except NotAllowed:
        await refuse(update, context, f"view the plan of unit {unit_id}")
        return False
    # Someone outside the unit (a leader above it, an admin) opening its plan is audited.
    await privacy_service.note_plan_view(context.db, context.memberships, context.person.id, unit_id)
    measures = [m for m in measures if m.proposal in (None, ProposalState.ACCEPTED)]
    changes = await years_service.theme_changes(context.db, unit_id, measures)
    rows = []
    if is_leader_of(context.memberships, unit_id) and ov.year == working:
        label = t._("Submit again (asks the reps again)") if ov.plan_submitted_at else t._("Submit the plan")
        rows.append([Button(label, callback_data=routes.SUBMIT_PLAN.build(unit_id))])
        rows += [[Button(t._("Answer {name}'s objection", name=name),
                         callback_data=routes.ANSWER_OBJECTION.build(c.id))]
                 for c, name in ov.confirmations
                 if name and not c.leader_reply and (c.answer in OBJECTIONS or c.earlier_answer in OBJECTIONS)]
        if ov.plan_submitted_at:  # "you said, we did" (conversations/staff_summary.py)
            rows.append([Button(t._("Summary for the staff"), callback_data=routes.STAFF_SUMMARY.build(unit_id))])
    # Every other year's plan one tap away.
    others = [y for y in [working] + earlier if y != ov.year]
    if others:
        buttons = [Button(t._(L_PLAN_OF, year=y), callback_data=routes.PLAN.build(unit_id, None if y == working else y))
                   for y in others]
        rows += [buttons[i:i + 3] for i in range(0, len(buttons), 3)]
    await reply(update, plan_text(t, ov, measures, last_updates, tz, changes),
                reply_markup=Keyboard(rows) if rows else None)
    return True


@members_only
async def plan_command(update: Update, context: BotContext) -> None:
    if len(context.args) == 2:
        unit_id = await service.unit_by_codes(context.db, context.args[0], context.args[1])
        if unit_id is None:
            await reply(update, context.t._("No unit {unit} in trust {trust}.", unit=escape(context.args[1]),
                                            trust=escape(context.args[0])))
            return
        await show_plan(update, context, unit_id)
    elif len(context.args) == 1:
        await plan_of_year(update, context, context.args[0])
    elif Role.ADMIN in roles_of(context.memberships) and not set(roles_of(context.memberships)) & UNIT_PARTIES:
        await reply(update, context.t._("Write /plan TRUST_CODE UNIT_CODE, for example /plan HB MED1."))
    else:
        await units.with_unit(update, context, "pl")


async def plan_of_year(update: Update, context: BotContext, typed: str) -> None:
    """/plan 2026: that year's plan of the person's unit (asked which, with several)."""
    t = context.t
    year = int(typed) if typed.isdigit() and len(typed) == 4 else None
    if year is None:
        await reply(update, t._("Write /plan, or /plan with a year, for example /plan 2026."))
        return
    unit_ids = units_with_role(context.memberships, tuple(r.value for r in UNIT_PARTIES))
    if not unit_ids:
        await reply(update, t._("You have no unit where you can do this."))
    elif len(unit_ids) == 1:
        await show_plan(update, context, unit_ids[0], year)
    else:
        names = {m.unit_id: m.place for m in context.memberships if m.unit_id in unit_ids}
        await reply(update, t._("Which unit?"), reply_markup=Keyboard(
            [[Button(names[u] or str(u), callback_data=routes.PLAN.build(u, year))] for u in unit_ids]))


@members_only
async def plan_button(update: Update, context: BotContext, press) -> None:
    """A unit's plan (routes.PLAN); the press is answered once the plan is shown."""
    if await show_plan(update, context, press.unit, press.year):
        await context.answer_press(update)


@members_only
async def submit_button(update: Update, context: BotContext, press) -> None:
    """Submit the plan (routes.SUBMIT_PLAN), leader only (checked in the service)."""
    t, unit_id = context.t, press.unit
    try:
        to_ask = await service.submit_plan(context.db, context.memberships, context.person.id, unit_id,
                                           context.clock.now(), context.clock.today(), anyway=press.anyway == "go")
    except NotAllowed:
        await refuse(update, context, f"submit the plan with {update.callback_query.data!r}")
        return
    except PlanIncomplete:
        await context.answer_press(update, t._(
            "The plan needs at least one measure to preserve and one to improve before it can be submitted."),
            show_alert=True)
        return
    except PlanWarnings as found:
        await context.answer_press(update)
        await reply(update, "\n".join([t._("Before you submit the plan:")] +
                                      [f"⚠ {t._(PLAN_WARNINGS[w])}" for w in found.warnings]),
                    reply_markup=Keyboard([[Button(t._("Submit anyway"),
                                                   callback_data=routes.SUBMIT_PLAN.build(unit_id, "go"))]]))
        return
    await context.answer_press(update)
    leader = escape(context.person.name)
    for rep, _, confirmation_id in to_ask:
        await notify(
            context, rep,
            lambda rt: rt._("{leader} has submitted the action plan. Please read it (/plan) and acknowledge it, "
                            "or object with a comment.", leader=leader),
            lambda rt, cid=confirmation_id: Keyboard([[
                Button(rt._("Acknowledge"), callback_data=routes.CONFIRMATION.build(cid, Answer.ACKNOWLEDGED)),
                Button(rt._("Object"), callback_data=routes.CONFIRMATION.build(cid, Answer.OBJECTED)),
            ]]),
        )
    await reply(update, t._("The plan is submitted.") + " " + t.ngettext(
        "{n} representative is asked to acknowledge it.", "{n} representatives are asked to acknowledge it.",
        len(to_ask)))
    await show_plan(update, context, unit_id)


units.register("pl", tuple(r.value for r in UNIT_PARTIES), show_plan)
