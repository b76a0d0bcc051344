"""/members (nb /medlemmer, nn /medlemer): admins and the leaders above the units see who
holds which role, end a role, and make a handover invite for a new leader. Plain buttons
(typed routes in conversations/routes.py); every press is checked again against the
database and the person's scope, whatever its data says.

    /members ── the person's regions or trusts (MEMBERS_REGION, MEMBERS_TRUST) ──> a trust's
        units, a page at a time (MEMBERS_TRUST) ──> a unit's members (MEMBERS_UNIT)
    a unit's members ── End: <name> (MEMBER_END) ──> are you sure? ── Yes, end it
        (MEMBER_END_YES) ──> ended, the person told; ⬅ Back (MEMBERS_UNIT)
    a unit's members ── New leader in place of <name> (HANDOVER) ──> an invite link

Also the new leader's handover summary, sent when they join (conversations/start.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard
from telegram import Update

from bot.guards import members_only
from bot.i18n import Translator
from bot.identity import BotContext
from bot.replies import reply
from bot.rules.access import ROLE_NAMES
from bot.rules.errors import InviteError, MemberError, NotAllowed
from bot.rules.labels import short_label
from bot.rules.measures import STATUSES
from bot.rules.members import manager_scopes, manages_members
from bot.rules.privacy import former_name
from bot.rules.vocabulary import Role, Scope
from bot.services import invites as invite_service
from bot.services import members as service
from conversations import routes
from conversations.common import page_of, refuse
from conversations.followup import L_BY_DATE, answer_label
from conversations.measures import measure_line

PAGE = 30
HANDOVER_VALID = timedelta(days=14)


async def _no_scope(update: Update, context: BotContext, what: str) -> None:
    await refuse(update, context, what)


async def deliver(context: BotContext, notice_ids: list[int]) -> None:
    """The notices a change queued, sent now (the outbox keeps any that cannot go yet)."""
    sender = context.application.bot_data["sender"]
    for notice_id in notice_ids:
        await sender.deliver_now(notice_id)


@members_only
async def members_command(update: Update, context: BotContext) -> None:
    t = context.t
    if not manages_members(context.memberships):
        await reply(update, t._("Only administrators and the leaders above the units can see and end "
                                "people's roles."))
        return
    found = manager_scopes(context.memberships)
    if found == [(Scope.NATIONAL.value, None)]:
        rows = [[Button(name, callback_data=routes.MEMBERS_REGION.build(region_id))]
                for region_id, name in await service.regions(context.db)]
        await reply(update, t._("Whose roles? Choose a region."), reply_markup=Keyboard(rows))
        return
    if len(found) == 1 and found[0][0] == Scope.TRUST:
        return await show_trust(update, context, found[0][1], 0)
    if len(found) == 1:
        return await show_region(update, context, found[0][1])
    trusts = {trust_id: name for trust_id, name, _ in await service.trusts(context.db)}
    regions = dict(await service.regions(context.db))
    rows = [[Button(regions.get(place_id, "–"), callback_data=routes.MEMBERS_REGION.build(place_id))]
            if kind == Scope.REGION else
            [Button(trusts.get(place_id, "–"), callback_data=routes.MEMBERS_TRUST.build(place_id))]
            for kind, place_id in found]
    await reply(update, t._("Whose roles? Choose a region or a health trust."), reply_markup=Keyboard(rows))


async def show_region(update: Update, context: BotContext, region_id: int) -> None:
    try:
        name = await service.region_name(context.db, context.memberships, region_id)
    except NotAllowed:
        return await _no_scope(update, context, f"list members of region {region_id}")
    await _answer(update, context)
    rows = [[Button(trust_name, callback_data=routes.MEMBERS_TRUST.build(trust_id))]
            for trust_id, trust_name, _ in await service.trusts(context.db, region_id)]
    await reply(update, context.t._("{region}: choose a health trust.", region=escape(name)),
                reply_markup=Keyboard(rows))


async def show_trust(update: Update, context: BotContext, trust_id: int, page: int) -> None:
    t = context.t
    try:
        name, units = await service.trust_units(context.db, context.memberships, trust_id)
    except NotAllowed:
        return await _no_scope(update, context, f"list members of trust {trust_id}")
    await _answer(update, context)
    shown, page, pages = page_of(units, page, PAGE)
    rows = [[Button(short_label(unit_name, 60), callback_data=routes.MEMBERS_UNIT.build(unit_id))]
            for unit_id, unit_name in shown]
    nav = []
    if page > 0:
        nav.append(Button(t._("⬅ Previous"), callback_data=routes.MEMBERS_TRUST.build(trust_id, page - 1)))
    if page + 1 < pages:
        nav.append(Button(t._("Next ➡"), callback_data=routes.MEMBERS_TRUST.build(trust_id, page + 1)))
    if nav:
        rows.append(nav)
    text = t._("{trust}: choose a unit.", trust=escape(name))
    if not units:
        text = t._("{trust} has no units yet.", trust=escape(name))
    await reply(update, text, reply_markup=Keyboard(rows))


async def _answer(update: Update, context: BotContext) -> None:
    if update.callback_query and not context.press_answered:
        await context.answer_press(update)


@members_only
async def region_button(update: Update, context: BotContext, press) -> None:
    await show_region(update, context, press.region)


@members_only
async def trust_button(update: Update, context: BotContext, press) -> None:
    await show_trust(update, context, press.trust, press.page or 0)


def role_name(t: Translator, role: str) -> str:
    return t._(ROLE_NAMES[role])


async def show_unit(update: Update, context: BotContext, unit_id: int) -> None:
    t = context.t
    try:
        unit, rows = await service.unit_members(context.db, context.memberships, unit_id)
    except NotAllowed:
        return await _no_scope(update, context, f"list members of unit {unit_id}")
    await _answer(update, context)
    lines = [f"<b>{escape(unit.name)}, {escape(unit.trust_name)}</b>"]
    if not rows:
        lines.append(t._("Nobody holds a role here yet."))
    for row in rows:
        line = f"• {role_name(t, row.role)}: {escape(row.name)}"
        if not row.active:
            line += " (" + t._("inactive") + ")"
        lines.append(line)
    buttons = [[Button(t._("End: {name} ({role})", name=short_label(row.name, 30), role=role_name(t, row.role)),
                       callback_data=routes.MEMBER_END.build(row.id))] for row in rows]
    buttons += [[Button(t._("New leader in place of {name}", name=short_label(row.name, 30)),
                        callback_data=routes.HANDOVER.build(unit.id, row.person_id))]
                for row in rows if row.role == Role.LEADER]
    buttons.append([Button(t._("⬅ Back"), callback_data=routes.MEMBERS_TRUST.build(unit.trust_id))])
    await reply(update, "\n".join(lines), reply_markup=Keyboard(buttons))


@members_only
async def unit_button(update: Update, context: BotContext, press) -> None:
    await show_unit(update, context, press.unit)


async def _membership(update: Update, context: BotContext, membership_id: int):
    try:
        return await service.membership(context.db, context.memberships, membership_id)
    except MemberError:
        await context.tell(update, context.t._("That role has already ended; nothing was changed."))
    except NotAllowed:
        await refuse(update, context, f"end membership {membership_id}")
    return None


def _where(t: Translator, place: str | None) -> str:
    return escape(place) if place else t._("the whole country")


@members_only
async def end_button(update: Update, context: BotContext, press) -> None:
    """Are you sure? (routes.MEMBER_END)"""
    t = context.t
    row = await _membership(update, context, press.membership)
    if row is None:
        return
    await _answer(update, context)
    text = t._("End {name}'s role as {role} at {place}? They are told. Their open dialogs about the unit "
               "are closed and their reminders about it stop. The unit's plan and measures stay with the unit.",
               name=escape(row.name), role=role_name(t, row.role), place=_where(t, row.place))
    buttons = [[Button(t._("Yes, end it"), callback_data=routes.MEMBER_END_YES.build(row.id))]]
    if row.unit_id is not None:
        buttons.append([Button(t._("⬅ Back"), callback_data=routes.MEMBERS_UNIT.build(row.unit_id))])
    await reply(update, text, reply_markup=Keyboard(buttons))


@members_only
async def end_yes_button(update: Update, context: BotContext, press) -> None:
    """End it (routes.MEMBER_END_YES): checked again against the database and the person's scope."""
    t = context.t
    try:
        ending = await service.end_memberships(
            context.db, [press.membership], actor=f"person:{context.person.id}", now=context.clock.now(),
            actor_memberships=context.memberships, actor_person_id=context.person.id)
    except service.OwnAdminRole:
        await context.tell(update, t._("You cannot end your own administrator role here. Another "
                                       "administrator, or the command line, can."))
        return
    except MemberError:
        await context.tell(update, t._("That role has already ended; nothing was changed."))
        return
    except NotAllowed:
        await refuse(update, context, f"end membership {press.membership}")
        return
    await _answer(update, context)
    row = ending.ended[0]
    buttons = [[Button(t._("⬅ Back"), callback_data=routes.MEMBERS_UNIT.build(row.unit_id))]] \
        if row.unit_id is not None else []
    await reply(update, t._("Done: {name}'s role as {role} at {place} has ended. They are told.",
                            name=escape(row.name), role=role_name(t, row.role), place=_where(t, row.place)),
                reply_markup=Keyboard(buttons))
    await deliver(context, ending.notice_ids)


@members_only
async def handover_button(update: Update, context: BotContext, press) -> None:
    """An invite for a new leader of the unit in place of one of its leaders (routes.HANDOVER)."""
    t = context.t
    try:
        unit, rows = await service.unit_members(context.db, context.memberships, press.unit)
    except NotAllowed:
        return await refuse(update, context, f"hand over unit {press.unit}")
    outgoing = next((r for r in rows if r.person_id == press.person and r.role == Role.LEADER), None)
    if outgoing is None:
        await context.tell(update, t._("That person is not a leader of this unit any more; nothing was made."))
        return
    try:
        new = await invite_service.create_invite(
            context.db, role=Role.LEADER, scope=Scope.UNIT, place_code=None, trust_code=None, unit_id=unit.id,
            # Real time, as joining checks it (conversations/start.py).
            expires_in=HANDOVER_VALID, uses=1, created_by=f"person:{context.person.id}", now=datetime.now(timezone.utc),
            replaces=outgoing.person_id)
    except InviteError:
        await context.tell(update, t._("That person is not a leader of this unit any more; nothing was made."))
        return
    await _answer(update, context)
    link = f"https://t.me/{context.bot.username}?start={new.code}"
    await reply(update, t._(
        "Send this link to the new leader of {unit}. When they join, {name}'s role as leader there ends, "
        "the reps are told who the new leader is, and the new leader gets a summary of where the unit "
        "stands. The link works once, until {date}.", unit=escape(unit.name), name=escape(outgoing.name),
        date=t.date(new.invite.expires_at.astimezone(context.settings.bot_timezone).date())))
    await reply(update, escape(link))


# --- the new leader's handover summary ---

def summary_text(t: Translator, summary: service.HandoverSummary, tz) -> str:
    ov = summary.overview
    finished = [s for s in ov.open_states if s.done]
    done = len(finished)
    lines = ["<b>" + t._("Handover: {unit}", unit=escape(ov.unit.name)) + "</b>",
             t.ngettext("ForBedring {year}: {done} of {n} step done.", "ForBedring {year}: {done} of {n} steps done.",
                        len(ov.open_states), year=ov.year, done=done)]
    if ov.plan_submitted_at:
        lines.append(t._("The action plan was submitted on {date}.",
                         date=t.date(ov.plan_submitted_at.astimezone(tz).date())))
    open_steps = [(n, s) for n, s in enumerate(ov.open_states, 1) if not s.done]
    lines += ["", "<b>" + t._("Open steps") + "</b>"]
    lines += [f"⬜ {n}. {t._(s.step.title)} – {t._(L_BY_DATE, date=t.date(s.due))}" for n, s in open_steps] \
        or [t._("None.")]
    lines += ["", "<b>" + t._("Open measures") + "</b>"]
    for m in summary.open_measures:
        line = f"{measure_line(t, m)}; {t._(STATUSES[m.status])}"
        if (last := summary.last_updates.get(m.id)) is not None:
            line += " – " + t._("last updated {date}", date=t.date(last.astimezone(tz).date()))
        lines.append(line)
    if not summary.open_measures:
        lines.append(t._("None."))
    lines += ["", "<b>" + t._("Open objections") + "</b>"]
    for confirmation, name in summary.objections:
        subject = confirmation.subject
        step = ov.method.step(subject.partition(":")[2]) if subject.startswith("step:") else None
        about = t._(step.title) if step else t._("the action plan")
        answer = confirmation.answer or confirmation.earlier_answer
        comment = confirmation.comment or confirmation.earlier_comment
        who = f"{role_name(t, confirmation.role)} {escape(name)}" if name else t._(former_name(confirmation.role))
        line = f"⚠ {who} – {about}: {answer_label(t, answer)}"
        if comment:
            line += f" – «{escape(comment)}»"
        lines.append(line)
    if not summary.objections:
        lines.append(t._("None."))
    lines += ["", t._("/followup shows the year step by step, /measures the measures.")]
    return "\n".join(lines)


async def send_handover(update: Update, context: BotContext, handover: service.Handover) -> None:
    """After a new leader joined with a handover invite: the outgoing leader and the reps are
    told (their notices are in the outbox), and the new leader gets the summary."""
    await deliver(context, handover.ending.notice_ids + handover.told)
    try:
        summary = await service.handover_summary(context.db, context.memberships, handover.unit_id,
                                                 context.clock.today(), context.settings.bot_timezone)
    except NotAllowed:
        return
    await reply(update, summary_text(context.t, summary, context.settings.bot_timezone))
