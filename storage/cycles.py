"""The survey year's dates per health trust."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import SurveyCycle, utcnow

DATE_COLUMNS = ("survey_opens", "survey_closes", "results_available", "feedback_meeting_due",
                "plan_deadline", "status_1", "status_2", "status_3", "evaluation_deadline")


async def get_cycle(session: AsyncSession, trust_id: int, year: int) -> SurveyCycle | None:
    query = select(SurveyCycle).where(SurveyCycle.trust_id == trust_id, SurveyCycle.year == year)
    return (await session.exec(query)).first()


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
