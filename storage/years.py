"""Across survey years: last year's open measures, carrying one on, and the theme scores of
consecutive years."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import MeasureStatus, ProposalState
from storage.models import Measure, MeasureCarried, ThemeScore, UnitFollowup

_IN_PLAN = func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED
_CLOSED = (MeasureStatus.DONE, MeasureStatus.DROPPED)


async def open_measures(session: AsyncSession, unit_id: int, year: int) -> list[Measure]:
    """The measures of the unit's plan for `year` that are neither done nor dropped."""
    query = (select(Measure).where(Measure.unit_id == unit_id, Measure.year == year, _IN_PLAN,
                                   Measure.status.not_in(_CLOSED))
             .order_by(Measure.kind.desc(), Measure.deadline, Measure.id))
    return list((await session.exec(query)).all())


def carry_on(session: AsyncSession, measure: Measure, followup_id: int, now: datetime) -> None:
    """Keep the measure as it stands in the plan of its year (its status and deadline there), and
    move it on into the follow-up `followup_id` of the next year; the caller records the change."""
    session.add(MeasureCarried(measure_id=measure.id, year=measure.year, status=measure.status,
                               deadline=measure.deadline, at=now))
    measure.first_year = measure.first_year or measure.year
    measure.followup_id = followup_id


async def plan_years(session: AsyncSession, unit_id: int, before: int) -> list[int]:
    """The earlier survey years the unit has a follow-up record for, newest first."""
    query = (select(UnitFollowup.year).where(UnitFollowup.unit_id == unit_id, UnitFollowup.year < before,
                                             UnitFollowup.year > 0)  # year 0: Der skoen trykker's own record
             .order_by(UnitFollowup.year.desc()))
    return list((await session.exec(query)).all())


async def scores_by_year(session: AsyncSession, unit_ids: list[int], years: list[int]) -> dict[tuple[int, int], dict[str, int]]:
    """{(unit, year): {theme: score}} for these units and years, in one query."""
    if not unit_ids or not years:
        return {}
    query = (select(UnitFollowup.unit_id, UnitFollowup.year, ThemeScore.theme, ThemeScore.score)
             .join(ThemeScore, ThemeScore.followup_id == UnitFollowup.id)
             .where(UnitFollowup.unit_id.in_(unit_ids), UnitFollowup.year.in_(years)))
    found: dict[tuple[int, int], dict[str, int]] = {}
    for unit_id, year, theme, score in (await session.exec(query)).all():
        found.setdefault((unit_id, year), {})[theme] = score
    return found


async def plan_with_carried(session: AsyncSession, unit_id: int, year: int) -> list[Measure]:
    """The plan of the year before `year` (accepted measures), and the measures carried on from it
    into `year`, in one query."""
    query = (select(Measure).where(Measure.unit_id == unit_id, _IN_PLAN,
                                   (Measure.year == year - 1) | ((Measure.year == year) & (Measure.first_year < year)))
             .order_by(Measure.kind.desc(), Measure.deadline, Measure.id))
    return list((await session.exec(query)).all())
