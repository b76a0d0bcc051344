"""Measures and their history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import ProposalState
from storage.models import Measure, MeasureCarried, MeasureEvent, Person


_MEASURE = Measure.__table__
_INSERT_MEASURE = _MEASURE.insert().returning(_MEASURE.c.id)  # built once: asked at every Save
_INSERT_EVENT = MeasureEvent.__table__.insert()


async def add_measure(session: AsyncSession, measure: Measure, person_id: int) -> Measure:
    """The measure and its first history entry: two plain INSERTs built once (no flush of the
    session's unit of work); the measure is returned with its id, not kept in the session."""
    connection = await session.connection()
    values = {column.name: getattr(measure, column.name) for column in _MEASURE.columns if column.name != "id"}
    measure.id = (await connection.execute(_INSERT_MEASURE, values)).scalar_one()
    await connection.execute(_INSERT_EVENT, {"measure_id": measure.id, "person_id": person_id, "field": "created",
                                             "old": None, "new": measure.title, "comment": None,
                                             "at": measure.created_at})
    return measure


async def get_measure(session: AsyncSession, measure_id: int) -> Measure | None:
    return await session.get(Measure, measure_id)


async def change(session: AsyncSession, measure: Measure, person_id: int, field: str, new, now: datetime,
                 comment: str | None = None) -> None:
    """Change one field and keep the change as history."""
    old = getattr(measure, field) if hasattr(measure, field) else None
    if hasattr(measure, field):
        setattr(measure, field, new)
    measure.updated_at = now
    session.add(MeasureEvent(measure_id=measure.id, person_id=person_id, field=field, at=now,
                             old=None if old is None else str(old), new=None if new is None else str(new),
                             comment=comment))


async def unit_measures(session: AsyncSession, unit_id: int, year: int, include_proposals: bool = True) -> list[Measure]:
    """The measures of the unit's plan for `year`: its own, and those carried on out of it into a
    later year as they stood then (copies not in the session, with that year's status and deadline
    and no evaluation; their `year` is where they went on to). One query."""
    carried = MeasureCarried
    query = (select(Measure, carried)
             .outerjoin(carried, and_(carried.measure_id == Measure.id, carried.year == year))
             .where(Measure.unit_id == unit_id, or_(Measure.year == year, carried.id.is_not(None))))
    if not include_proposals:
        query = query.where(func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED)
    query = query.order_by(Measure.kind.desc(), func.coalesce(carried.deadline, Measure.deadline), Measure.id)
    return [measure if then is None else as_carried(measure, then) for measure, then in (await session.exec(query)).all()]


def as_carried(measure: Measure, then: MeasureCarried) -> Measure:
    """A copy of the measure as it stood when carried on out of `then.year` (never flushed)."""
    copy = Measure(**measure.model_dump())
    copy.status, copy.deadline, copy.stuck_since, copy.updated_at = then.status, then.deadline, None, then.at
    copy.evaluation = copy.evaluation_why = None
    return copy


async def history(session: AsyncSession, measure_id: int) -> list[tuple[MeasureEvent, str, str | None]]:
    """(change, the person's name ("" once erased), the role an erased person is remembered by)."""
    query = (select(MeasureEvent, Person.name, Person.former_role).join(Person, Person.id == MeasureEvent.person_id)
             .where(MeasureEvent.measure_id == measure_id).order_by(MeasureEvent.at, MeasureEvent.id))
    return list((await session.exec(query)).all())


async def last_updates(session: AsyncSession, measure_ids: list[int]) -> dict[int, datetime]:
    if not measure_ids:
        return {}
    query = (select(MeasureEvent.measure_id, func.max(MeasureEvent.at))
             .where(MeasureEvent.measure_id.in_(measure_ids)).group_by(MeasureEvent.measure_id))
    return dict((await session.exec(query)).all())


async def last_updates_before_carried(session: AsyncSession, measure_ids: list[int], year: int) -> dict[int, datetime]:
    """For measures carried on out of `year`: their last update before they were carried on."""
    if not measure_ids:
        return {}
    query = (select(MeasureEvent.measure_id, func.max(MeasureEvent.at))
             .join(MeasureCarried, and_(MeasureCarried.measure_id == MeasureEvent.measure_id, MeasureCarried.year == year))
             .where(MeasureEvent.measure_id.in_(measure_ids), MeasureEvent.at < MeasureCarried.at)
             .group_by(MeasureEvent.measure_id))
    return dict((await session.exec(query)).all())
