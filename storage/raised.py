"""Leader-group units, the leaders above a unit, and the problems raised to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.leader_groups import Place
from bot.rules.vocabulary import Role, Scope
from storage.models import RAISED_OPEN, Measure, Membership, Person, RaisedProblem, Unit


async def place_of(session: AsyncSession, unit_id: int) -> Place | None:
    row = (await session.exec(select(Unit.id, Unit.trust_id, Unit.clinic, Unit.department, Unit.leader_group)
                              .where(Unit.id == unit_id))).first()
    return Place(*row) if row else None


async def groups(session: AsyncSession, trust_ids=None) -> list[Place]:
    """The leader-group units (of these trusts, or all): few, one query."""
    query = select(Unit.id, Unit.trust_id, Unit.clinic, Unit.department, Unit.leader_group).where(
        Unit.leader_group.is_not(None))
    if trust_ids is not None:
        query = query.where(Unit.trust_id.in_(list(trust_ids)))
    return [Place(*row) for row in (await session.exec(query.order_by(Unit.id))).all()]


async def trust_leaders(session: AsyncSession, trust_id: int) -> list[Person]:
    """Active people with a leader membership at the trust's scope."""
    query = (select(Person).join(Membership, Membership.person_id == Person.id)
             .where(Person.active, Membership.scope == Scope.TRUST, Membership.trust_id == trust_id,
                    Membership.role == Role.LEADER).order_by(Person.name))
    return list((await session.exec(query)).all())


async def unit_name(session: AsyncSession, unit_id: int) -> str | None:
    return (await session.exec(select(Unit.name).where(Unit.id == unit_id))).first()


async def open_raise(session: AsyncSession, measure_id: int) -> RaisedProblem | None:
    """The measure's raised problem nobody above has answered or taken on yet."""
    return (await session.exec(select(RaisedProblem).where(
        RaisedProblem.measure_id == measure_id, RaisedProblem.answer.is_(None),
        RaisedProblem.taken_measure_id.is_(None)))).first()


async def latest_of_measure(session: AsyncSession, measure_id: int) -> tuple[RaisedProblem, str | None] | None:
    """The measure's latest raised problem and the name of the leader group it went to."""
    group = aliased(Unit)
    return (await session.exec(
        select(RaisedProblem, group.name).outerjoin(group, group.id == RaisedProblem.group_unit_id)
        .where(RaisedProblem.measure_id == measure_id)
        .order_by(RaisedProblem.raised_at.desc(), RaisedProblem.id.desc()))).first()


async def add_open(session: AsyncSession, **values) -> tuple[RaisedProblem, bool]:
    """The measure's open problem: inserted with these values unless it has one already (two
    presses at once: the unique partial index uq_raised_problem_open, ON CONFLICT DO NOTHING, so
    the second waits for the first and finds its row). True when this call inserted it."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(RaisedProblem).values(**values).on_conflict_do_nothing(
        index_elements=["measure_id"], index_where=text(RAISED_OPEN))
    inserted = (await (await session.connection()).execute(statement)).rowcount == 1
    return await open_raise(session, values["measure_id"]), inserted


async def get(session: AsyncSession, raised_id: int) -> RaisedProblem | None:
    return await session.get(RaisedProblem, raised_id)


async def mark_taken(session: AsyncSession, raised_id: int, measure_id: int) -> bool:
    """The problem is taken on as this measure, unless someone took it on first (then nothing changes)."""
    result = await session.exec(update(RaisedProblem).where(
        RaisedProblem.id == raised_id, RaisedProblem.taken_measure_id.is_(None)).values(taken_measure_id=measure_id))
    return result.rowcount == 1


async def record_answer(session: AsyncSession, raised_id: int, answer: str, person_id: int, now: datetime) -> bool:
    """The answer, unless the problem has been answered already (then nothing changes: an answer
    is never overwritten)."""
    result = await session.exec(update(RaisedProblem).where(
        RaisedProblem.id == raised_id, RaisedProblem.answer.is_(None)).values(
        answer=answer, answered_by=person_id, answered_at=now))
    return result.rowcount == 1


@dataclass(frozen=True)
class RaisedRow:
    problem: RaisedProblem
    measure_title: str
    unit_name: str
    group_name: str | None


async def visible(session: AsyncSession, group_unit_ids: list[int], trust_ids: list[int],
                  limit: int = 200) -> list[RaisedRow]:
    """Raised problems addressed to these leader groups, or raised anywhere in these trusts (their
    leaders are above every unit): unanswered first, then the newest. One query."""
    if not group_unit_ids and not trust_ids:
        return []
    unit, group = aliased(Unit), aliased(Unit)
    settled = RaisedProblem.answer.is_not(None) | RaisedProblem.taken_measure_id.is_not(None)
    query = (select(RaisedProblem, Measure.title, unit.name, group.name)
             .join(Measure, Measure.id == RaisedProblem.measure_id)
             .join(unit, unit.id == RaisedProblem.unit_id)
             .outerjoin(group, group.id == RaisedProblem.group_unit_id)
             .where(or_(RaisedProblem.group_unit_id.in_(group_unit_ids or [0]),
                        RaisedProblem.trust_id.in_(trust_ids or [0])))
             .order_by(settled, RaisedProblem.raised_at.desc(), RaisedProblem.id.desc()).limit(limit))
    return [RaisedRow(*row) for row in (await session.exec(query)).all()]
