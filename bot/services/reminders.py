"""The reminder sweep: what is due, recorded once, one digest a day per person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from html import escape

from telegram import InlineKeyboardButton as Button
from telegram import InlineKeyboardMarkup as Keyboard

from bot.i18n import Translator, translator
from bot.outbox import markup_json
from bot.rules import nudges
from bot.rules.cycle import current_year, cycle_from, default_cycle
from bot.rules.methods import FORBEDRING
from bot.rules.measures import QUICK_STATUS
from bot.rules.workdays import next_reminder_time
from bot.services.cycles import cycle_for_trust
from bot.settings import Settings
from storage import reminders as store
from storage.database import Database
from storage.followup import followup_for, unit_info, unit_people
from storage.measures import unit_measures
from storage.models import OutboxMessage, Person, Reminder, UnitFollowup

MAX_STATUS_MEASURES = 8  # one-tap rows in one message; the rest via /measures
SWEEP = "reminder_sweep"


def rules_from(settings: Settings) -> nudges.ReminderRules:
    return nudges.ReminderRules(review_after_results=settings.review_reminder_days,
                                feedback_after_results=settings.feedback_reminder_days,
                                escalate_after_deadline=settings.escalation_days)


def _cycle_of(year: int, row):
    return cycle_from(row) if row is not None else default_cycle(year)


@dataclass
class SweepResult:
    recorded: int
    digests: int


async def sweep(db: Database, now: datetime, tz, rules: nudges.ReminderRules) -> SweepResult:
    """Find what is due today, record it (once), and write each person's digest."""
    today = now.astimezone(tz).date()
    due: list[nudges.Due] = []
    async with db.session() as session:
        # Years overlap: last year's answers may still be missing, and from December next year's
        # preparation is asked about while this year's follow-up goes on.
        for year in (current_year(today) - 1, current_year(today), current_year(today) + 1):
            for situation in await store.situations(session, year, _cycle_of, nudges.UnitSituation,
                                                    nudges.OpenMeasure, nudges.PendingAnswer):
                due += nudges.due_reminders(situation, today, rules)
        recorded = await store.record_reminders(session, [
            {"key": d.key, "person_id": d.person_id, "reason": d.reason, "subject": d.subject,
             "period": d.period, "due_on": today, "created_at": now} for d in due])
        await store.drop_stale(session, {d.key for d in due})
    digests = 0
    async with db.session() as session:
        for person, reminders in (await store.pending_by_person(session)).values():
            muted = set(filter(None, person.muted_reminders.split(",")))
            chosen = [r for r in reminders if nudges.wanted(
                nudges.Due(r.person_id, r.reason, r.subject, r.period, 0), muted, person.snoozed_until, today)]
            if not chosen:
                continue
            text, markup = await render_digest(session, translator(person.language), chosen)
            message = OutboxMessage(
                key=f"digest:{person.id}:{today.isoformat()}", person_id=person.id,
                chat_id=person.telegram_user_id, kind="reminder", text=text, reply_markup=markup_json(markup),
                not_before=next_reminder_time(now.astimezone(tz)).astimezone(timezone.utc), created_at=now,
            )
            digests += await store.add_digest(session, message, chosen)
    return SweepResult(recorded, digests)


def _id(subject: str) -> int:
    return int(subject.split(":")[1])


async def render_digest(session, t: Translator, reminders: list[Reminder]) -> tuple[str, Keyboard]:
    units, measures, confirmations = await store.names_for_digest(
        session,
        {_id(r.subject) for r in reminders if r.subject.startswith("unit:")},
        {_id(r.subject) for r in reminders if r.subject.startswith("measure:")},
        {_id(r.subject) for r in reminders if r.subject.startswith("confirmation:")},
    )
    lines = [f"<b>{t._(nudges.REMINDERS_TITLE)}</b>"]
    rows: list[list[Button]] = []
    for r in reminders:
        title = t._(nudges.REASONS[r.reason][1])
        detail, buttons = await _reminder_detail(session, t, r, units, measures, confirmations)
        lines += ["", f"<b>{title}</b>", detail]
        rows += buttons
    rows.append([Button(t._("Remind me in a week"), callback_data="nz:snooze"),
                 Button(t._("Reminder settings"), callback_data="nz:settings")])
    return "\n".join(lines), Keyboard(rows)


async def _reminder_detail(session, t: Translator, r: Reminder, units, measures, confirmations):

    if r.subject.startswith("measure:"):
        m = measures.get(_id(r.subject))
        if m is None:
            return "", []
        title, when = escape(m.title), t.date(m.deadline)
        text = (t._("“{title}” is due {date}.", title=title, date=when) if r.reason == "measure_due" else
                t._("“{title}” was due {date}. Update its status or its deadline.", title=title, date=when))
        return text, [[Button(t._("Open the measure"), callback_data=f"me:{m.id}")]]
    if r.subject.startswith("confirmation:"):
        c = confirmations.get(_id(r.subject))
        if c is None:
            return "", []
        followup = await session.get(UnitFollowup, c.followup_id)
        unit = await unit_info(session, followup.unit_id)
        if c.subject == "plan":
            what = t._("the action plan")
            answers = [("Acknowledge", "acknowledged"), ("Object", "objected")]
        else:
            step = FORBEDRING.step(c.subject.split(":", 1)[1])
            what = t._(step.title) if step else c.subject
            answers = [("I took part", "took_part"), ("I was not involved", "not_involved")]
        text = t._("You were asked on {date} about “{what}” for {unit}. Please answer:",
                   date=t.date(c.requested_at.date()), what=what, unit=escape(unit.name))
        return text, [[Button(t._(label), callback_data=f"cf:{c.id}:{answer}") for label, answer in answers]]

    unit_id = _id(r.subject)
    unit = await unit_info(session, unit_id)
    name = escape(unit.name)
    year = int(r.period[:4])
    cycle = await cycle_for_trust(session, unit.trust_id, year)
    if r.reason == "results":
        return (t._("{unit}: go through the results with the safety rep and the union rep first, before the "
                    "staff meeting.", unit=name), [[Button(t._("Open the follow-up"), callback_data=f"fu:{unit_id}")]])
    if r.reason in ("review_late", "feedback_late"):
        step = "review" if r.reason == "review_late" else "feedback"
        return (t._("{unit}: when it is done, mark the step done in the follow-up.", unit=name),
                [[Button(t._("Open the step"), callback_data=f"fs:{unit_id}:{step}")]])
    if r.reason in ("plan_14", "plan_3", "plan_overdue"):
        return (t._("{unit}: the deadline is {date}. It needs a measure to preserve and one to improve, then "
                    "submit it.", unit=name, date=t.date(cycle.plan_deadline)),
                [[Button(t._("Open the plan"), callback_data=f"pl:{unit_id}")]])
    if r.reason == "plan_escalated":
        return (t._("{unit} has not submitted its action plan (deadline {date}).", unit=name,
                    date=t.date(cycle.plan_deadline)),
                [[Button(t._("Remind the leader of {unit}", unit=unit.name[:40]), callback_data=f"ra:{unit_id}")]])
    if r.reason == "status":
        followup = await followup_for(session, unit_id, year)
        open_ = [m for m in await unit_measures(session, unit_id, followup.year, include_proposals=False)
                 if m.status in ("planned", "in_progress")]
        rows = []
        for m in open_[:MAX_STATUS_MEASURES]:
            rows.append([Button(m.title[:60], callback_data=f"me:{m.id}")])
            rows.append([Button(t._(label), callback_data=f"qs:{m.id}:{key}") for key, label in QUICK_STATUS.items()])
        text = t._("{unit}: give each open measure a short status – one tap each.", unit=name)
        if len(open_) > MAX_STATUS_MEASURES:
            text += " " + t._("The rest are in /measures.")
        return text, rows
    # evaluation
    return (t._("{unit}: some measures are not evaluated yet; the deadline is {date}.", unit=name,
                date=t.date(cycle.evaluation_deadline)),
            [[Button(t._("The measures"), callback_data=f"ml:{unit_id}")]])


async def due_for_catch_up(db: Database, now: datetime, tz, at) -> bool:
    """Has today's sweep not run although it should have (the bot was down at `at`)?"""
    local = now.astimezone(tz)
    async with db.session() as session:
        return await store.last_run(session, SWEEP) != local.date() and local.time() >= at


async def mark_swept(db: Database, now: datetime, tz) -> None:
    async with db.session() as session:
        await store.mark_run(session, SWEEP, now.astimezone(tz).date(), now)


async def people_for_units(db: Database, unit_id: int, roles: tuple[str, ...]) -> list[Person]:
    async with db.session() as session:
        return [p for p, _ in await unit_people(session, unit_id, roles)]


def is_above(memberships, trust_id: int | None) -> bool:
    return trust_id is not None and any(m.role == "leader" and m.scope == "trust" and m.trust_id == trust_id
                                        for m in memberships)


async def unit_trust(db: Database, unit_id: int) -> int | None:
    async with db.session() as session:
        return await store.trust_of_unit(session, unit_id)

