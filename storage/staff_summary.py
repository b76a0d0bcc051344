"""The "you said, we did" summaries for the staff (table staff_summary)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import StaffSummary, UnitFollowup


async def last_summary(session: AsyncSession, followup_id: int) -> StaffSummary | None:
    return (await session.exec(select(StaffSummary).where(StaffSummary.followup_id == followup_id)
                               .order_by(StaffSummary.id.desc()).limit(1))).first()


async def add_summary(session: AsyncSession, followup_id: int, made_at: datetime, data: dict) -> StaffSummary:
    summary = StaffSummary(followup_id=followup_id, made_at=made_at, snapshot=json.dumps(data, ensure_ascii=False))
    session.add(summary)
    await session.flush()
    return summary


async def summary_with_unit(session: AsyncSession, summary_id: int) -> tuple[StaffSummary, int] | None:
    """The summary and its unit, or None."""
    row = (await session.exec(select(StaffSummary, UnitFollowup.unit_id)
                              .join(UnitFollowup, UnitFollowup.id == StaffSummary.followup_id)
                              .where(StaffSummary.id == summary_id))).first()
    return (row[0], row[1]) if row else None


def data_of(summary: StaffSummary) -> dict:
    return json.loads(summary.snapshot)
