"""What the reminder sweep reads (in a few batch queries, not one per unit) and writes."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import MeasureStatus, ProposalState, ReminderState, Role, Scope
from storage.models import (
    Confirmation,
    JobRun,
    Measure,
    Membership,
    OutboxMessage,
    Person,
    Reminder,
    StepRecord,
    SurveyCycle,
    Unit,
    UnitFollowup,
)


async def situations(session: AsyncSession, year: int, cycle_of, situation_type, measure_type, answer_type):
    """One situation per unit for the survey year. `cycle_of(trust_id, row)` turns a
    SurveyCycle row (or None) into dates; the *_type arguments are the rule's classes."""
    units = (await session.exec(select(Unit.id, Unit.trust_id))).all()
    cycles = {row.trust_id: row for row in (await session.exec(select(SurveyCycle).where(SurveyCycle.year == year))).all()}
    followups = {f.unit_id: f for f in (await session.exec(select(UnitFollowup).where(UnitFollowup.year == year))).all()}
    by_followup = {f.id: f.unit_id for f in followups.values()}

    done: dict[int, set[str]] = defaultdict(set)
    if by_followup:
        for followup_id, step in (await session.exec(
                select(StepRecord.followup_id, StepRecord.step).where(StepRecord.followup_id.in_(list(by_followup))))).all():
            done[by_followup[followup_id]].add(step)

    leaders, reps, above = defaultdict(list), defaultdict(list), defaultdict(list)
    rows = (await session.exec(
        select(Membership.person_id, Membership.role, Membership.unit_id, Membership.trust_id, Membership.scope)
        .join(Person, Person.id == Membership.person_id).where(Person.active)
    )).all()
    for person_id, role, unit_id, trust_id, scope in rows:
        if unit_id is not None and role == Role.LEADER:
            leaders[unit_id].append(person_id)
        elif unit_id is not None and role in (Role.SAFETY_REP, Role.UNION_REP):
            reps[unit_id].append(person_id)
        elif scope == Scope.TRUST and role == Role.LEADER:
            above[trust_id].append(person_id)

    in_plan = (Measure.year == year) & (func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED)
    open_measures = defaultdict(list)
    for m in (await session.exec(select(Measure.id, Measure.unit_id, Measure.title, Measure.deadline)
                                 .where(in_plan, Measure.status.in_((MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS)))
                                 .order_by(Measure.deadline, Measure.id))).all():
        open_measures[m.unit_id].append(measure_type(m.id, m.title, m.deadline))
    unevaluated = dict((await session.exec(
        select(Measure.unit_id, func.count()).where(in_plan, Measure.status != MeasureStatus.DROPPED, Measure.evaluation.is_(None))
        .group_by(Measure.unit_id))).all())

    answers = defaultdict(list)
    if by_followup:
        for c in (await session.exec(select(Confirmation).where(
                Confirmation.followup_id.in_(list(by_followup)), Confirmation.answer.is_(None)))).all():
            answers[by_followup[c.followup_id]].append(answer_type(c.id, c.person_id, c.subject, c.requested_at.date()))

    result = []
    for unit_id, trust_id in units:
        followup = followups.get(unit_id)
        result.append(situation_type(
            unit_id=unit_id, year=year, cycle=cycle_of(year, cycles.get(trust_id)),
            done_steps=done[unit_id], plan_submitted=bool(followup and followup.plan_submitted_at),
            leaders=leaders[unit_id], reps=reps[unit_id], above=above[trust_id],
            open_measures=open_measures[unit_id], unevaluated=unevaluated.get(unit_id, 0),
            pending_answers=answers[unit_id],
        ))
    return result


def _insert_ignore(session: AsyncSession, model):
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql.insert(model) if dialect == "postgresql" else sqlite.insert(model)).on_conflict_do_nothing()


async def record_reminders(session: AsyncSession, rows: list[dict]) -> int:
    """Insert reminders that are not there yet; the unique key makes a rerun a no-op."""
    if not rows:
        return 0
    before = (await session.exec(select(func.count()).select_from(Reminder))).one()
    for start in range(0, len(rows), 500):
        await session.exec(_insert_ignore(session, Reminder).values(rows[start:start + 500]))
    return (await session.exec(select(func.count()).select_from(Reminder))).one() - before


async def drop_stale(session: AsyncSession, due_keys: set[str]) -> None:
    """Pending reminders that are no longer due (the step got done) are never sent."""
    pending = (await session.exec(select(Reminder.id, Reminder.key).where(Reminder.state == ReminderState.PENDING))).all()
    stale = [rid for rid, key in pending if key not in due_keys]
    for start in range(0, len(stale), 500):
        await session.exec(update(Reminder).where(Reminder.id.in_(stale[start:start + 500])).values(state=ReminderState.DROPPED))


async def pending_by_person(session: AsyncSession) -> dict[int, tuple[Person, list[Reminder]]]:
    rows = (await session.exec(
        select(Reminder, Person).join(Person, Person.id == Reminder.person_id)
        .where(Reminder.state == ReminderState.PENDING, Person.active).order_by(Reminder.person_id, Reminder.id)
    )).all()
    grouped: dict[int, tuple[Person, list[Reminder]]] = {}
    for reminder, person in rows:
        grouped.setdefault(person.id, (person, []))[1].append(reminder)
    return grouped


async def add_digest(session: AsyncSession, message: OutboxMessage, reminders: list[Reminder]) -> bool:
    """The day's one reminder message for a person; False if one exists already."""
    exists = (await session.exec(select(OutboxMessage.id).where(OutboxMessage.key == message.key))).first()
    if exists is not None:
        return False
    session.add(message)
    await session.flush()
    for reminder in reminders:
        reminder.state, reminder.outbox_id = ReminderState.SENT, message.id
    return True


async def names_for_digest(session: AsyncSession, unit_ids: set[int], measure_ids: set[int],
                           confirmation_ids: set[int]):
    units = dict((await session.exec(select(Unit.id, Unit.name).where(Unit.id.in_(unit_ids or {0})))).all())
    measures = {m.id: m for m in (await session.exec(select(Measure).where(Measure.id.in_(measure_ids or {0})))).all()}
    confirmations = {c.id: c for c in (await session.exec(
        select(Confirmation).where(Confirmation.id.in_(confirmation_ids or {0})))).all()}
    return units, measures, confirmations


async def trust_of_unit(session: AsyncSession, unit_id: int) -> int | None:
    return (await session.exec(select(Unit.trust_id).where(Unit.id == unit_id))).first()


async def last_run(session: AsyncSession, name: str) -> date | None:
    run = await session.get(JobRun, name)
    return run.last_day if run else None


async def mark_run(session: AsyncSession, name: str, day: date, now: datetime) -> None:
    run = await session.get(JobRun, name)
    if run is None:
        session.add(JobRun(name=name, last_day=day, ran_at=now))
    else:
        run.last_day, run.ran_at = day, now
