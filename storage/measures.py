"""Measures and their history."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import ProposalState
from storage.models import Measure, MeasureEvent, Person


async def add_measure(session: AsyncSession, measure: Measure, person_id: int) -> Measure:
    session.add(measure)
    await session.flush()
    session.add(MeasureEvent(measure_id=measure.id, person_id=person_id, field="created", new=measure.title,
                             at=measure.created_at))
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
    query = select(Measure).where(Measure.unit_id == unit_id, Measure.year == year)
    if not include_proposals:
        query = query.where(func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED)
    return list((await session.exec(query.order_by(Measure.kind.desc(), Measure.deadline, Measure.id))).all())


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
