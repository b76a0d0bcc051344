"""The survey year's dates per health trust."""

from __future__ import annotations

from collections import namedtuple

from sqlalchemy import bindparam
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import hot
from storage.models import SurveyCycle, Unit, utcnow
from storage.sqlite import INLINE_PREFIX

DATE_COLUMNS = ("survey_opens", "survey_closes", "results_available", "feedback_meeting_due",
                "plan_deadline", "status_1", "status_2", "status_3", "evaluation_deadline")


async def get_cycle(session: AsyncSession, trust_id: int, year: int) -> SurveyCycle | None:
    query = select(SurveyCycle).where(SurveyCycle.trust_id == trust_id, SurveyCycle.year == year)
    return (await session.exec(query)).first()


_UNIT_CYCLES = (  # built once: asked on every typed deadline
    select(Unit.id, SurveyCycle)
    .outerjoin(SurveyCycle, (SurveyCycle.trust_id == Unit.trust_id)
               & SurveyCycle.year.in_(bindparam("years", expanding=True)))
    .where(Unit.id == bindparam("unit"))
    .prefix_with(INLINE_PREFIX)  # SQLite: no hop to the connection's thread; PostgreSQL: no BEGIN
)


_CYCLE = SurveyCycle.__table__
CycleRow = namedtuple("CycleRow", [column.name for column in _CYCLE.columns])  # a survey_cycle row, read only
# The same for two years (the one asked at every typed deadline, /newmeasure and Save: last year and this),
# as plain rows straight to the driver (storage/hot.py): no ORM objects, no execution path.
_UNIT_CYCLES_HOT = hot.Hot(
    select(Unit.id, *_CYCLE.columns)
    .outerjoin(_CYCLE, (_CYCLE.c.trust_id == Unit.trust_id)
               & _CYCLE.c.year.in_([bindparam("year_a"), bindparam("year_b")]))
    .where(Unit.id == bindparam("unit"))
    .prefix_with(INLINE_PREFIX)
)


async def unit_cycles(session: AsyncSession, unit_id: int, years: tuple[int, ...]) -> dict | None:
    """The unit's trust's own dates for `years` (those it has), in one query; None: no such unit.
    The rows have the attributes of a SurveyCycle (CycleRow), read only."""
    if len(years) == 2:
        rows, _ = await hot.on(await session.connection(), _UNIT_CYCLES_HOT,
                               {"unit": unit_id, "year_a": years[0], "year_b": years[1]})
        return _cycles_of(rows)
    rows = (await session.exec(_UNIT_CYCLES, params={"unit": unit_id, "years": list(years)})).all()
    return {cycle.year: cycle for _, cycle in rows if cycle is not None} if rows else None


def _cycles_of(rows) -> dict | None:
    if not rows:
        return None
    cycles = [CycleRow(*row[1:]) for row in rows if row[1] is not None]
    return {cycle.year: cycle for cycle in cycles}


async def unit_cycles_now(db, unit_id: int, year_a: int, year_b: int) -> dict | None:
    """`unit_cycles` for two years where an update needs no transaction for it: on the update's
    connection, without a session (storage/hot.py)."""
    rows, _ = await hot.run(db, _UNIT_CYCLES_HOT, {"unit": unit_id, "year_a": year_a, "year_b": year_b})
    return _cycles_of(rows)


async def put_cycle(session: AsyncSession, trust_id: int, year: int, dates: dict) -> bool:
    """Create or replace one trust's dates for one year. True when something changed."""
    row = await get_cycle(session, trust_id, year)
    if row is None:
        session.add(SurveyCycle(trust_id=trust_id, year=year, **{k: dates[k] for k in DATE_COLUMNS}))
        return True
    changed = False
    for name in DATE_COLUMNS:
        if getattr(row, name) != dates[name]:
            setattr(row, name, dates[name])
            changed = True
    if changed:
        row.updated_at = utcnow()
    return changed


async def cycles_of_year(session: AsyncSession, year: int) -> list[SurveyCycle]:
    return list((await session.exec(select(SurveyCycle).where(SurveyCycle.year == year))).all())
