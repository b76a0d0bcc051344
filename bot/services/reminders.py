"""The reminder sweep: what is due, recorded once, one digest a day per person.

The sweep knows what is due, to whom, about which unit or measure, and which buttons
are wanted, as plain data (`Digest`); it holds no Telegram. The words, the HTML and the
buttons' data are the conversations' (conversations/reminder_texts.py), installed by the
composition root with `use_renderer`."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Callable

from bot.rules import nudges
from bot.rules.cycle import current_year, cycle_from, default_cycle
from bot.rules.measures import QUICK_STATUS
from bot.rules.vocabulary import Answer, MeasureStatus, OutboxKind, Role, Scope
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


# --- what a digest says, as data ---

@dataclass(frozen=True)
class Action:
    """A button wanted in a digest: what it does (`kind`), to what (`target`: a unit,
    measure or confirmation id) and, for some kinds, a value (an answer, a step, a status).

    Kinds: open_measure, measure_title (value: its title), quick_status (value: a QUICK_STATUS
    key), answer (value: the answer), open_followup, open_step (value: the step), open_plan,
    remind_leader (value: the unit's name), list_measures, snooze, settings."""

    kind: str
    target: int = 0
    value: str = ""


@dataclass(frozen=True)
class Item:
    """One reminder of a digest. Which fields are set depends on the reason (a key of
    nudges.REASONS); `found` is False when what it was about is gone (it then says nothing)."""

    reason: str
    found: bool = True
    unit: str = ""  # the unit's name
    measure: str = ""  # measure_due, measure_overdue: the measure's title
    on: date | None = None  # the date the reminder names: a deadline, or when a rep was asked
    about: str = ""  # confirm_pending: "plan" or "step:<key>"
    more: bool = False  # status: more open measures than one-tap rows
    rows: tuple[tuple[Action, ...], ...] = ()


@dataclass(frozen=True)
class Digest:
    """A person's reminders of the day, and the buttons below them."""

    person_id: int
    language: str
    items: tuple[Item, ...]
    rows: tuple[tuple[Action, ...], ...] = field(
        default=((Action("snooze"), Action("settings")),))


# The wording of a digest: (text, reply markup as JSON), from conversations/reminder_texts.py.
Render = Callable[[Digest], tuple[str, "str | None"]]
_render: Render | None = None


def use_renderer(render: Render) -> None:
    """Set how digests are worded (bot/app.py, the composition root, does it once)."""
    global _render
    _render = render


@dataclass
class SweepResult:
    recorded: int
    digests: int


async def sweep(db: Database, now: datetime, tz, rules: nudges.ReminderRules,
                render: Render | None = None) -> SweepResult:
    """Find what is due today, record it (once), and write each person's digest."""
    render = render or _render
    if render is None:
        raise RuntimeError("no digest renderer: bot.app.build_application installs it with use_renderer")
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
            text, markup = render(await digest_for(session, person, chosen))
            message = OutboxMessage(
                key=f"digest:{person.id}:{today.isoformat()}", person_id=person.id,
                chat_id=person.telegram_user_id, kind=OutboxKind.REMINDER, text=text, reply_markup=markup,
                not_before=next_reminder_time(now.astimezone(tz)).astimezone(timezone.utc), created_at=now,
            )
            digests += await store.add_digest(session, message, chosen)
    return SweepResult(recorded, digests)


def _id(subject: str) -> int:
    return int(subject.split(":")[1])


async def digest_for(session, person: Person, reminders: list[Reminder]) -> Digest:
    """What a person's digest is about, as data: names, dates and the buttons wanted."""
    units, measures, confirmations = await store.names_for_digest(
        session,
        {_id(r.subject) for r in reminders if r.subject.startswith("unit:")},
        {_id(r.subject) for r in reminders if r.subject.startswith("measure:")},
        {_id(r.subject) for r in reminders if r.subject.startswith("confirmation:")},
    )
    return Digest(person.id, person.language,
                  tuple([await _item(session, r, measures, confirmations) for r in reminders]))


async def _item(session, r: Reminder, measures, confirmations) -> Item:
    if r.subject.startswith("measure:"):
        m = measures.get(_id(r.subject))
        if m is None:
            return Item(r.reason, found=False)
        return Item(r.reason, measure=m.title, on=m.deadline, rows=((Action("open_measure", m.id),),))
    if r.subject.startswith("confirmation:"):
        c = confirmations.get(_id(r.subject))
        if c is None:
            return Item(r.reason, found=False)
        followup = await session.get(UnitFollowup, c.followup_id)
        unit = await unit_info(session, followup.unit_id)
        answers = ((Answer.ACKNOWLEDGED, Answer.OBJECTED) if c.subject == "plan"
                   else (Answer.TOOK_PART, Answer.NOT_INVOLVED))
        return Item(r.reason, unit=unit.name, on=c.requested_at.date(), about=c.subject,
                    rows=(tuple(Action("answer", c.id, answer) for answer in answers),))

    unit_id = _id(r.subject)
    unit = await unit_info(session, unit_id)
    year = int(r.period[:4])
    cycle = await cycle_for_trust(session, unit.trust_id, year)
    if r.reason == "results":
        return Item(r.reason, unit=unit.name, rows=((Action("open_followup", unit_id),),))
    if r.reason in ("review_late", "feedback_late"):
        step = "review" if r.reason == "review_late" else "feedback"
        return Item(r.reason, unit=unit.name, rows=((Action("open_step", unit_id, step),),))
    if r.reason in ("plan_14", "plan_3", "plan_overdue"):
        return Item(r.reason, unit=unit.name, on=cycle.plan_deadline, rows=((Action("open_plan", unit_id),),))
    if r.reason == "plan_escalated":
        return Item(r.reason, unit=unit.name, on=cycle.plan_deadline, rows=((Action("remind_leader", unit_id, unit.name),),))
    if r.reason == "status":
        followup = await followup_for(session, unit_id, year)
        open_ = [m for m in await unit_measures(session, unit_id, followup.year, include_proposals=False)
                 if m.status in (MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)]
        rows: list[tuple[Action, ...]] = []
        for m in open_[:MAX_STATUS_MEASURES]:
            rows.append((Action("measure_title", m.id, m.title),))
            rows.append(tuple(Action("quick_status", m.id, key) for key in QUICK_STATUS))
        return Item(r.reason, unit=unit.name, more=len(open_) > MAX_STATUS_MEASURES, rows=tuple(rows))
    # evaluation
    return Item(r.reason, unit=unit.name, on=cycle.evaluation_deadline, rows=((Action("list_measures", unit_id),),))


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
    return trust_id is not None and any(m.role == Role.LEADER and m.scope == Scope.TRUST and m.trust_id == trust_id
                                        for m in memberships)


async def unit_trust(db: Database, unit_id: int) -> int | None:
    async with db.session() as session:
        return await store.trust_of_unit(session, unit_id)

