"""A unit's year: the follow-up record, marked steps, the reps' answers, areas and scores."""

from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import MeasureStatus, ProposalState
from storage.models import (
    Confirmation,
    FocusArea,
    HealthTrust,
    Measure,
    MeasureEvent,
    Membership,
    Person,
    StepRecord,
    ThemeScore,
    Unit,
    UnitFollowup,
)
from storage import hot
from storage.sqlite import INLINE_PREFIX


@dataclass(frozen=True)
class UnitInfo:
    id: int
    name: str
    code: str
    trust_id: int
    trust_name: str
    region_id: int


async def unit_info(session: AsyncSession, unit_id: int) -> UnitInfo | None:
    row = (await session.exec(
        select(Unit, HealthTrust.name, HealthTrust.region_id).join(HealthTrust).where(Unit.id == unit_id)
    )).first()
    if row is None:
        return None
    unit, trust_name, region_id = row
    return UnitInfo(unit.id, unit.name, unit.code, unit.trust_id, trust_name, region_id)


async def find_unit_by_codes(session: AsyncSession, trust_code: str, unit_code: str) -> int | None:
    return (await session.exec(
        select(Unit.id).join(HealthTrust).where(HealthTrust.code == trust_code, Unit.code == unit_code)
    )).first()


async def followup_for(session: AsyncSession, unit_id: int, year: int) -> UnitFollowup:
    """The unit's record for the year, made the first time it is needed. Two people of the unit
    may need it first at the same moment (updates run concurrently): the row is inserted only if
    it is still missing (ON CONFLICT DO NOTHING on unit and year), then read, so the second finds
    the first's row instead of failing on the unique key."""
    query = select(UnitFollowup).where(UnitFollowup.unit_id == unit_id, UnitFollowup.year == year)
    followup = (await session.exec(query)).first()
    if followup is None:
        dialect = session.bind.dialect.name if session.bind else "sqlite"
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(UnitFollowup).values(unit_id=unit_id, year=year).on_conflict_do_nothing() \
            .returning(UnitFollowup)
        made = (await session.exec(select(UnitFollowup).from_statement(statement))).first()
        followup = made[0] if made is not None else None
        if followup is None:  # the other one's
            followup = (await session.exec(query)).one()
    return followup


_FOLLOWUP_ID = select(UnitFollowup.id).where(UnitFollowup.unit_id == bindparam("unit"),
                                              UnitFollowup.year == bindparam("year")).prefix_with(INLINE_PREFIX)
_MAKE_FOLLOWUP = {dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(UnitFollowup.__table__).on_conflict_do_nothing()
                  .returning(UnitFollowup.id) for dialect in (postgresql, sqlite)}


async def followup_id_for(session: AsyncSession, unit_id: int, year: int) -> int:
    """`followup_for`'s id, with statements built once (Save asks it every time)."""
    connection = await session.connection()
    found = (await connection.execute(_FOLLOWUP_ID, {"unit": unit_id, "year": year})).scalar()
    if found is None:
        found = (await connection.execute(_MAKE_FOLLOWUP[connection.dialect.name],
                                          {"unit_id": unit_id, "year": year})).scalar()
        if found is None:  # the other one's
            found = (await connection.execute(_FOLLOWUP_ID, {"unit": unit_id, "year": year})).scalar_one()
    return found


async def step_records(session: AsyncSession, followup_id: int) -> dict[str, StepRecord]:
    query = select(StepRecord).where(StepRecord.followup_id == followup_id)
    return {r.step: r for r in (await session.exec(query)).all()}


async def mark_step(session: AsyncSession, followup_id: int, step: str, done_on: date, parties: list[str],
                    person_id: int, now: datetime) -> StepRecord:
    record = (await step_records(session, followup_id)).get(step)
    if record is None:
        record = StepRecord(followup_id=followup_id, step=step, done_on=done_on, parties=",".join(parties),
                            marked_by=person_id, marked_at=now)
        session.add(record)
    else:
        record.done_on, record.parties, record.marked_by, record.marked_at = done_on, ",".join(parties), person_id, now
    await session.flush()
    return record


async def unit_people(session: AsyncSession, unit_id: int, roles: tuple[str, ...]) -> list[tuple[Person, str]]:
    """Active people holding one of `roles` at this unit."""
    query = (
        select(Person, Membership.role).join(Membership, Membership.person_id == Person.id)
        .where(Membership.unit_id == unit_id, Membership.role.in_(roles), Person.active)
        .order_by(Membership.role, Person.name)
        .prefix_with(INLINE_PREFIX)  # SQLite: no hop to the connection's thread; PostgreSQL: no BEGIN
    )
    return list((await session.exec(query)).all())


MemberRow = namedtuple("MemberRow", "id name")  # a person as `unit_members_now` reads them
_MEMBERS_HOT: dict[tuple[str, ...], hot.Hot] = {}  # per set of roles (a handful), built at first use


async def unit_members_now(db, unit_id: int, roles: tuple[str, ...]) -> list[tuple[MemberRow, str]]:
    """`unit_people` as plain rows (id and name), where an update needs no transaction for it: on the
    update's connection, without a session (storage/hot.py)."""
    statement = _MEMBERS_HOT.get(roles)
    if statement is None:
        person, membership = Person.__table__, Membership.__table__
        statement = _MEMBERS_HOT[roles] = hot.Hot(
            select(person.c.id, person.c.name, membership.c.role)
            .join(membership, membership.c.person_id == person.c.id)
            .where(membership.c.unit_id == bindparam("unit"),
                   membership.c.role.in_([bindparam(f"role_{i}") for i in range(len(roles))]), person.c.active)
            .order_by(membership.c.role, person.c.name)
            .prefix_with(INLINE_PREFIX))
    rows, _ = await hot.run(db, statement, {"unit": unit_id, **{f"role_{i}": role for i, role in enumerate(roles)}})
    return [(MemberRow(person_id, name), role) for person_id, name, role in rows]


async def request_confirmation(session: AsyncSession, followup_id: int, subject: str, person_id: int,
                               role: str, now: datetime, keep: tuple[str, ...] = ()) -> Confirmation:
    """Ask (again). A new round clears the answer; an objection from an earlier round is kept
    beside it (answers in `keep`) until the rep answers again, so asking again never hides it.
    The leader's answer to an objection goes with that objection: kept while it is on show as
    the earlier one, cleared with it (`answered`)."""
    query = select(Confirmation).where(Confirmation.followup_id == followup_id, Confirmation.subject == subject,
                                       Confirmation.person_id == person_id)
    confirmation = (await session.exec(query)).first()
    if confirmation is None:
        confirmation = Confirmation(followup_id=followup_id, subject=subject, person_id=person_id, role=role,
                                    requested_at=now)
        session.add(confirmation)
    else:
        if confirmation.answer in keep:
            confirmation.earlier_answer, confirmation.earlier_comment = confirmation.answer, confirmation.comment
            confirmation.earlier_answered_at = confirmation.answered_at
        if confirmation.earlier_answer not in keep:  # no objection on show: no answer to one either
            clear_leader_reply(confirmation)
        confirmation.requested_at, confirmation.answer = now, None
        confirmation.comment = confirmation.answered_at = None
    await session.flush()
    return confirmation


def answered(confirmation: Confirmation, answer: str, now: datetime) -> None:
    """The rep's answer to the present round: their own word on it. An earlier objection has had
    its say, and the leader's answer to it goes with it (a new objection is not answered yet)."""
    confirmation.answer, confirmation.answered_at = answer, now
    confirmation.earlier_answer = confirmation.earlier_comment = confirmation.earlier_answered_at = None
    clear_leader_reply(confirmation)


def set_leader_reply(confirmation: Confirmation, text: str, now: datetime, person_id: int) -> None:
    """The leader's answer to the objection on show (written with the transaction)."""
    confirmation.leader_reply, confirmation.leader_reply_at, confirmation.leader_reply_by = text, now, person_id


async def set_no_own_report(session: AsyncSession, followup: UnitFollowup, value: bool) -> None:
    followup.no_own_report = value
    session.add(followup)
    await session.flush()


def clear_leader_reply(confirmation: Confirmation) -> None:
    confirmation.leader_reply = confirmation.leader_reply_at = confirmation.leader_reply_by = None


async def step_marked(session: AsyncSession, unit_id: int, year: int, step: str) -> bool:
    """Whether the unit has marked `step` done in `year` (without making the year's record)."""
    query = (select(func.count()).select_from(StepRecord).join(UnitFollowup, UnitFollowup.id == StepRecord.followup_id)
             .where(UnitFollowup.unit_id == unit_id, UnitFollowup.year == year, StepRecord.step == step))
    return (await session.exec(query)).one() > 0


async def unit_joined(session: AsyncSession, unit_id: int) -> datetime | None:
    """When the unit's first present member joined."""
    query = select(func.min(Membership.created_at)).where(Membership.unit_id == unit_id)
    return (await session.exec(query)).one()


async def open_objections(session: AsyncSession, followup_id: int, objections: tuple[str, ...]) -> list[tuple[Confirmation, str]]:
    """The reps' objections (now, or kept from an earlier round) the leader has not answered."""
    query = (select(Confirmation, Person.name).join(Person, Person.id == Confirmation.person_id)
             .where(Confirmation.followup_id == followup_id, Confirmation.leader_reply.is_(None),
                    Confirmation.answer.in_(objections) | Confirmation.earlier_answer.in_(objections))
             .order_by(Confirmation.id))
    return list((await session.exec(query)).all())


async def get_confirmation(session: AsyncSession, confirmation_id: int) -> Confirmation | None:
    return await session.get(Confirmation, confirmation_id)


async def confirmations(session: AsyncSession, followup_id: int) -> list[tuple[Confirmation, str]]:
    query = (select(Confirmation, Person.name).join(Person, Person.id == Confirmation.person_id)
             .where(Confirmation.followup_id == followup_id).order_by(Confirmation.id))
    return list((await session.exec(query)).all())


async def get_followup(session: AsyncSession, followup_id: int) -> UnitFollowup | None:
    return await session.get(UnitFollowup, followup_id)


async def add_area(session: AsyncSession, area: FocusArea) -> None:
    session.add(area)
    await session.flush()


_AREAS_OF_YEAR = (  # built once: asked at every /newmeasure
    select(FocusArea.id, FocusArea.kind, FocusArea.theme)
    .join(UnitFollowup, UnitFollowup.id == FocusArea.followup_id)
    .where(UnitFollowup.unit_id == bindparam("unit"), UnitFollowup.year == bindparam("year"))
    .order_by(FocusArea.id)
    .prefix_with(INLINE_PREFIX)  # SQLite: no hop to the connection's thread; PostgreSQL: no BEGIN
)
AreaRow = namedtuple("AreaRow", "id kind theme")
_AREAS_OF_YEAR_HOT = hot.Hot(_AREAS_OF_YEAR)  # straight to the driver (storage/hot.py)


async def areas_of_year_now(db, unit_id: int, year: int) -> list[AreaRow]:
    """`areas_of_year` on the update's connection, without a session (storage/hot.py)."""
    rows, _ = await hot.run(db, _AREAS_OF_YEAR_HOT, {"unit": unit_id, "year": year})
    return [AreaRow(*row) for row in rows]


async def areas_of_year(session: AsyncSession, unit_id: int, year: int):
    """The areas the unit chose for `year` (id, kind, theme), without making the year's record."""
    rows, _ = await hot.on(await session.connection(), _AREAS_OF_YEAR_HOT, {"unit": unit_id, "year": year})
    return [AreaRow(*row) for row in rows]


async def areas(session: AsyncSession, followup_id: int) -> list[FocusArea]:
    query = select(FocusArea).where(FocusArea.followup_id == followup_id).order_by(FocusArea.id)
    return list((await session.exec(query)).all())


async def get_area(session: AsyncSession, area_id: int) -> FocusArea | None:
    return await session.get(FocusArea, area_id)


async def delete_area(session: AsyncSession, area: FocusArea) -> None:
    await session.delete(area)


async def put_score(session: AsyncSession, followup_id: int, theme: str, score: int) -> None:
    query = select(ThemeScore).where(ThemeScore.followup_id == followup_id, ThemeScore.theme == theme)
    row = (await session.exec(query)).first()
    if row is None:
        session.add(ThemeScore(followup_id=followup_id, theme=theme, score=score))
    else:
        row.score = score


async def scores(session: AsyncSession, followup_id: int) -> dict[str, int]:
    query = select(ThemeScore).where(ThemeScore.followup_id == followup_id)
    return {r.theme: r.score for r in (await session.exec(query)).all()}


async def facts_for(session: AsyncSession, followup: UnitFollowup, last_status: date | None, tz):
    """Everything the progress rules need, counted in the database."""
    from bot.rules.progress import Facts

    facts = Facts()
    facts.marked = {r.step: r.done_on for r in (await step_records(session, followup.id)).values()}
    for kind, first in (await session.exec(
        select(FocusArea.kind, func.min(FocusArea.created_at)).where(FocusArea.followup_id == followup.id)
        .group_by(FocusArea.kind)
    )).all():
        facts.area_kinds[kind] = first.astimezone(tz).date()
    in_plan = (Measure.followup_id == followup.id) & (func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED)
    for kind, first in (await session.exec(
        select(Measure.kind, func.min(Measure.created_at)).where(in_plan, Measure.status != MeasureStatus.DROPPED)
        .group_by(Measure.kind)
    )).all():
        facts.measure_kinds[kind] = first.astimezone(tz).date()
    if followup.plan_submitted_at:
        facts.plan_submitted = followup.plan_submitted_at.astimezone(tz).date()
    open_ = in_plan & Measure.status.in_((MeasureStatus.PLANNED, MeasureStatus.IN_PROGRESS, MeasureStatus.STUCK))
    facts.open_measures = (await session.exec(select(func.count()).select_from(Measure).where(open_))).one()
    if last_status is not None:
        since = datetime.combine(last_status, datetime.min.time(), tz)
        updated = select(MeasureEvent.measure_id).where(
            MeasureEvent.field.in_(("status", "quarterly")), MeasureEvent.at >= since)
        # A measure registered after the status date needs no status for it.
        facts.open_updated_since_last_status = (await session.exec(
            select(func.count()).select_from(Measure)
            .where(open_, Measure.id.in_(updated) | (Measure.created_at >= since))
        )).one()
    not_dropped = in_plan & (Measure.status != MeasureStatus.DROPPED)
    facts.measures_in_plan = (await session.exec(select(func.count()).select_from(Measure).where(not_dropped))).one()
    evaluated = not_dropped & Measure.evaluation.is_not(None)
    facts.measures_evaluated = (await session.exec(select(func.count()).select_from(Measure).where(evaluated))).one()
    if facts.measures_evaluated:
        last = (await session.exec(select(func.max(Measure.updated_at)).where(evaluated))).one()
        facts.last_evaluation = last.astimezone(tz).date() if last else None
    return facts


async def submit_plan(session: AsyncSession, followup: UnitFollowup, person_id: int, now: datetime) -> None:
    followup.plan_submitted_at, followup.plan_submitted_by = now, person_id
