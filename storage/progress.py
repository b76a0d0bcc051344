"""Roll-ups of units' follow-up, counted in the database (never row by row in Python)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone

from sqlalchemy import and_, case, literal, or_
from sqlalchemy import join as sa_join
from sqlalchemy.orm import aliased
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.measures import OPEN_STATUSES
from bot.rules.places import Where
from bot.rules.vocabulary import Answer, MeasureKind, MeasureStatus, ProposalState
from storage.models import (
    Confirmation,
    FocusArea,
    HealthTrust,
    Measure,
    MeasureCarried,
    MeasureEvent,
    Region,
    StepRecord,
    ThemeScore,
    Unit,
    UnitFollowup,
)

FIGURES = ("units", "reviewed", "feedback", "areas", "submitted", "acknowledged", "with_measures",
           "updated", "measures", "overdue", "status_due", "stuck")


@dataclass
class Figures:
    key: object
    name: str
    units: int = 0
    reviewed: int = 0
    feedback: int = 0
    areas: int = 0
    submitted: int = 0
    acknowledged: int = 0
    with_measures: int = 0
    updated: int = 0
    measures: int = 0
    overdue: int = 0
    # Units with measures whose trust has had a quarterly date: the whole that `updated` is a share of.
    status_due: int = 0
    stuck: int = 0  # measures whose status is stuck
    # A leader-group unit's own line: /progress shows each such unit by itself.
    leader_group: bool = False

    def add(self, other: "Figures") -> None:
        for name in FIGURES:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _filter(query, where: Where):
    if where.region_id is not None:
        query = query.where(HealthTrust.region_id == where.region_id)
    if where.trust_id is not None:
        query = query.where(Unit.trust_id == where.trust_id)
    if where.clinic is not None:
        query = query.where(func.coalesce(Unit.clinic, "") == where.clinic)
    if where.unit_ids is not None:
        query = query.where(Unit.id.in_(where.unit_ids or (0,)))
    return query


def _as_int(condition):
    return func.sum(case((condition, 1), else_=0))


def _aggregates(year: int, today: date, since: datetime | None, units, followups):
    """Per follow-up record and per unit, each counted once with GROUP BY (hash-joined
    onto the units afterwards: far cheaper than subqueries run once per unit).
    `units` and `followups` are subqueries of the ids in scope, so a trust's roll-up
    counts only that trust's rows."""
    def flag(condition):
        return func.max(case((condition, 1), else_=0))

    def narrowed(column, ids):
        return column.in_(ids) if ids is not None else literal(True)
    steps = (select(StepRecord.followup_id.label("fid"), flag(StepRecord.step == "review").label("reviewed"),
                    flag(StepRecord.step == "feedback").label("feedback"))
             .where(narrowed(StepRecord.followup_id, followups)).group_by(StepRecord.followup_id).subquery("steps"))
    areas = (select(FocusArea.followup_id.label("fid"),
                    flag(FocusArea.kind == MeasureKind.PRESERVE).label("preserve"),
                    flag(FocusArea.kind == MeasureKind.IMPROVE).label("improve"))
             .where(narrowed(FocusArea.followup_id, followups)).group_by(FocusArea.followup_id).subquery("areas"))
    answers = (select(Confirmation.followup_id.label("fid"), func.count().label("asked"),
                      func.sum(case((Confirmation.answer == Answer.ACKNOWLEDGED, 1), else_=0)).label("acked"))
               .where(Confirmation.subject == "plan", narrowed(Confirmation.followup_id, followups))
               .group_by(Confirmation.followup_id).subquery("answers"))
    # Spelled out rather than coalesce(): the planner estimates it right and hashes instead of sorting.
    accepted = or_(Measure.proposal.is_(None), Measure.proposal == ProposalState.ACCEPTED)
    # The year's measures, and those carried on out of it into a later year as they stood then
    # (MeasureCarried): a carry-over does not change an earlier year's figures.
    carried = MeasureCarried
    status = func.coalesce(carried.status, Measure.status)
    deadline = func.coalesce(carried.deadline, Measure.deadline)
    is_open = status.in_(OPEN_STATUSES)
    if since is not None:
        # Measures with a status update since the last quarterly date: only the recent events
        # are read (an index on the time), once, and joined onto the measures in one pass.
        # A measure registered on or after that date needs no status for it: it counts as updated.
        # A carried one: only by an update before it was carried on.
        recent = (select(MeasureEvent.measure_id.label("mid"), func.min(MeasureEvent.at).label("first"))
                  .where(MeasureEvent.at >= since, MeasureEvent.field.in_(("status", "quarterly")))
                  .group_by(MeasureEvent.measure_id).subquery("recent"))
        updated = and_(recent.c.mid.is_not(None), or_(carried.at.is_(None), recent.c.first <= carried.at))
        fresh = func.sum(case((and_(is_open, or_(updated, Measure.created_at >= since)), 1), else_=0))
    else:
        recent, fresh = None, literal(0)
    measures = (select(Measure.unit_id.label("uid"),
                       func.sum(case((status != MeasureStatus.DROPPED, 1), else_=0)).label("measures"),
                       func.sum(case((and_(is_open, deadline < today), 1), else_=0)).label("overdue"),
                       func.sum(case((is_open, 1), else_=0)).label("open"),
                       fresh.label("fresh"),
                       func.sum(case((status == MeasureStatus.STUCK, 1), else_=0)).label("stuck"),
                       func.min(case((and_(is_open, deadline < today), deadline))).label("oldest"))
                .select_from(Measure)
                .outerjoin(carried, and_(carried.measure_id == Measure.id, carried.year == year))
                .where(or_(Measure.year == year, carried.id.is_not(None)), accepted,
                       narrowed(Measure.unit_id, units)))
    if recent is not None:
        measures = measures.outerjoin(recent, recent.c.mid == Measure.id)
    measures = measures.group_by(Measure.unit_id).subquery("measures")
    return steps, areas, answers, measures


def _per_unit(where: Where, year: int, today: date, since: datetime | None, trust_ids: list[int] | None):
    """The units in scope (joined to trust and region), each outer-joined to its follow-up
    record F and to the per-record and per-unit aggregates."""
    f = aliased(UnitFollowup, name="f")
    units = followups = None
    # The aggregates only need narrowing below the national level (the outer joins keep them right anyway).
    if where != Where():
        units = _filter(select(Unit.id).join(HealthTrust, HealthTrust.id == Unit.trust_id), where)
        if trust_ids is not None:
            units = units.where(Unit.trust_id.in_(trust_ids))
        followups = select(UnitFollowup.id).where(UnitFollowup.year == year, UnitFollowup.unit_id.in_(units))
    steps, areas, answers, measures = _aggregates(year, today, since, units, followups)
    joined = (sa_join(Unit, HealthTrust, HealthTrust.id == Unit.trust_id)
              .join(Region, Region.id == HealthTrust.region_id)
              .outerjoin(f, and_(f.unit_id == Unit.id, f.year == year))
              .outerjoin(steps, steps.c.fid == f.id).outerjoin(areas, areas.c.fid == f.id)
              .outerjoin(answers, answers.c.fid == f.id).outerjoin(measures, measures.c.uid == Unit.id))
    return f, steps, areas, answers, measures, joined


async def rollup(session: AsyncSession, where: Where, group: str, year: int, today: date,
                 since_by_trust: dict[int, datetime | None], leader_groups: bool | None = None) -> list[Figures]:
    """Figures per child of `where`: group is 'region', 'trust', 'clinic' or 'unit'.
    Trusts whose last quarterly date differs are counted in separate queries. `leader_groups`:
    only the leader-group units (True), only the others (False), or all (None)."""
    key, name = {
        "region": (Region.id, Region.name),
        "trust": (HealthTrust.id, HealthTrust.name),
        "clinic": (func.coalesce(Unit.clinic, ""), func.coalesce(Unit.clinic, "")),
        "unit": (Unit.id, Unit.name),
    }[group]
    by_since: dict[datetime | None, list[int]] = {}
    for trust_id, since in since_by_trust.items():
        by_since.setdefault(since, []).append(trust_id)
    totals: dict[object, Figures] = {}
    for since, trust_ids in by_since.items():
        f, steps, areas, answers, measures, units = _per_unit(where, year, today, since, trust_ids)
        submitted = f.plan_submitted_at.is_not(None)
        has_measures = func.coalesce(measures.c.measures, 0) > 0
        # Units whose trust has had no quarterly date yet owe no status: they are in neither figure.
        status_due = has_measures if since is not None else literal(False)
        updated = and_(has_measures, measures.c.fresh >= measures.c.open) if since is not None else literal(False)
        conditions = [steps.c.reviewed == 1, steps.c.feedback == 1, and_(areas.c.preserve == 1, areas.c.improve == 1),
                      submitted, and_(submitted, answers.c.asked > 0, answers.c.acked == answers.c.asked),
                      has_measures, updated]
        query = (select(key, name, func.count(Unit.id), *[_as_int(c) for c in conditions],
                        func.sum(func.coalesce(measures.c.measures, 0)), func.sum(func.coalesce(measures.c.overdue, 0)),
                        _as_int(status_due), func.sum(func.coalesce(measures.c.stuck, 0)))
                 .select_from(units).where(Unit.trust_id.in_(trust_ids)).group_by(key, name))
        if leader_groups is not None:
            query = query.where(Unit.leader_group.is_not(None) if leader_groups else Unit.leader_group.is_(None))
        for row in (await session.exec(_filter(query, where))).all():
            figures = Figures(row[0], row[1], *[int(v or 0) for v in row[2:]])
            if row[0] in totals:
                totals[row[0]].add(figures)
            else:
                totals[row[0]] = figures
    return sorted(totals.values(), key=lambda fig: str(fig.name))


async def trusts_in(session: AsyncSession, where: Where) -> list[int]:
    query = select(HealthTrust.id)
    if where.region_id is not None:
        query = query.where(HealthTrust.region_id == where.region_id)
    if where.trust_id is not None:
        query = query.where(HealthTrust.id == where.trust_id)
    if where.unit_ids is not None:
        query = query.where(HealthTrust.id.in_(select(Unit.trust_id).where(Unit.id.in_(where.unit_ids or (0,)))))
    return list((await session.exec(query)).all())


async def names(session: AsyncSession, region_id: int | None, trust_id: int | None) -> tuple[str | None, str | None]:
    region = await session.get(Region, region_id) if region_id else None
    trust = await session.get(HealthTrust, trust_id) if trust_id else None
    return (region.name if region else None), (trust.name if trust else None)


async def clinics_of(session: AsyncSession, trust_id: int) -> list[str]:
    query = select(func.coalesce(Unit.clinic, "")).where(Unit.trust_id == trust_id).distinct()
    return sorted((await session.exec(query)).all())


async def unit_rows(session: AsyncSession, where: Where, year: int, today: date):
    """Per unit in scope: codes, names, the step flags and measure counts (for /overdue and the export)."""
    f, steps, areas, answers, measures, units = _per_unit(where, year, today, None, None)
    submitted = f.plan_submitted_at.is_not(None)
    query = (select(Unit.id, Unit.code, Unit.name, Unit.clinic, HealthTrust.id, HealthTrust.code, HealthTrust.name,
                    Region.name, steps.c.reviewed == 1, steps.c.feedback == 1,
                    and_(areas.c.preserve == 1, areas.c.improve == 1), submitted,
                    and_(submitted, answers.c.asked > 0, answers.c.acked == answers.c.asked),
                    func.coalesce(measures.c.measures, 0), func.coalesce(measures.c.overdue, 0), measures.c.oldest)
             .select_from(units).order_by(Region.name, HealthTrust.name, Unit.name))
    return await session.stream(_filter(query, where))


async def units_with_stale_measures(session: AsyncSession, where: Where, year: int, since: datetime,
                                    trust_ids: list[int]) -> dict[int, int]:
    """Per unit of these trusts: open measures registered before `since` with no status update since."""
    recent = (select(MeasureEvent.measure_id.label("mid"))
              .where(MeasureEvent.at >= since, MeasureEvent.field.in_(("status", "quarterly")))
              .distinct().subquery("recent"))
    query = (select(Measure.unit_id, func.count())
             .select_from(Measure).join(Unit, Unit.id == Measure.unit_id)
             .join(HealthTrust, HealthTrust.id == Unit.trust_id)
             .outerjoin(recent, recent.c.mid == Measure.id)
             .where(recent.c.mid.is_(None), Measure.created_at < since, Measure.year == year,
                    Unit.trust_id.in_(trust_ids),
                    or_(Measure.proposal.is_(None), Measure.proposal == ProposalState.ACCEPTED),
                    Measure.status.in_(OPEN_STATUSES))
             .group_by(Measure.unit_id))
    return {unit_id: n for unit_id, n in (await session.exec(_filter(query, where))).all()}


def _export_measures(where: Where, year: int, counting: bool = False):
    """The export's measures in scope: their rows, ordered (or, counting, how many there are)."""
    carried = MeasureCarried
    then = carried.id.is_not(None)
    if counting:
        query = select(func.count()).select_from(Measure)
    else:
        # A measure carried on out of `year`: its last update before it was carried on.
        last = (select(func.max(MeasureEvent.at))
                .where(MeasureEvent.measure_id == Measure.id, or_(carried.at.is_(None), MeasureEvent.at < carried.at))
                .correlate(Measure, carried).scalar_subquery())
        # An evaluated measure's theme: its score in the next year's results minus its year's (issue 13).
        next_f, year_s, next_s = aliased(UnitFollowup), aliased(ThemeScore), aliased(ThemeScore)
        change = case((and_(Measure.evaluation.is_not(None), year_s.score.is_not(None), next_s.score.is_not(None)),
                       next_s.score - year_s.score))
        # A measure carried on out of `year` into a later one: as it stood then (year, status, deadline;
        # no evaluation yet), so that a carry-over does not change an earlier year's export.
        its_year = case((then, carried.year), else_=Measure.year)
        query = select(Region.name, HealthTrust.code, HealthTrust.name, Unit.code, Unit.name, its_year,
                       Measure.theme, Measure.kind, Measure.title, Measure.description,
                       Measure.responsible, func.coalesce(carried.deadline, Measure.deadline),
                       func.coalesce(carried.status, Measure.status),
                       case((then, None), else_=Measure.evaluation), case((then, None), else_=change), last)
    query = (query.select_from(Measure).join(Unit, Unit.id == Measure.unit_id)
             .join(HealthTrust, HealthTrust.id == Unit.trust_id).join(Region, Region.id == HealthTrust.region_id)
             .outerjoin(carried, and_(carried.measure_id == Measure.id, carried.year == year)))
    if not counting:
        query = (query
                 .outerjoin(year_s, and_(year_s.followup_id == Measure.followup_id, year_s.theme == Measure.theme))
                 .outerjoin(next_f, and_(next_f.unit_id == Measure.unit_id, next_f.year == Measure.year + 1))
                 .outerjoin(next_s, and_(next_s.followup_id == next_f.id, next_s.theme == Measure.theme))
                 .order_by(Region.name, HealthTrust.name, Unit.name, its_year, Measure.id))
    # The year's measures (carried-out ones too), and last year's evaluated ones (to be read
    # against this year's results).
    query = query.where(or_(Measure.year == year, then, and_(Measure.year == year - 1, Measure.evaluation.is_not(None))),
                        func.coalesce(Measure.proposal, ProposalState.ACCEPTED) == ProposalState.ACCEPTED)
    return _filter(query, where)


async def measure_rows(session: AsyncSession, where: Where, year: int):
    """Every measure in scope with its unit and its last update, streamed."""
    return await session.stream(_export_measures(where, year))


async def export_size(session: AsyncSession, where: Where, year: int) -> int:
    """How many rows the export writes: the units and the measures in scope (two counts)."""
    units = await unit_count(session, where)
    return units + (await session.exec(_export_measures(where, year, counting=True))).one()


async def theme_improved(session: AsyncSession, where: Where, year: int) -> tuple[int, int]:
    """Of the year before's evaluated measures in scope whose theme has a score in both years'
    results: (how many saw their theme improve, how many could be compared). One query."""
    year_s, next_f, next_s = aliased(ThemeScore), aliased(UnitFollowup), aliased(ThemeScore)
    query = (select(_as_int(next_s.score > year_s.score), func.count())
             .select_from(Measure).join(Unit, Unit.id == Measure.unit_id)
             .join(HealthTrust, HealthTrust.id == Unit.trust_id)
             .join(year_s, and_(year_s.followup_id == Measure.followup_id, year_s.theme == Measure.theme))
             .join(next_f, and_(next_f.unit_id == Measure.unit_id, next_f.year == year))
             .join(next_s, and_(next_s.followup_id == next_f.id, next_s.theme == Measure.theme))
             .where(Measure.year == year - 1, Measure.evaluation.is_not(None), Measure.status != MeasureStatus.DROPPED,
                    or_(Measure.proposal.is_(None), Measure.proposal == ProposalState.ACCEPTED)))
    improved, compared = (await session.exec(_filter(query, where))).one()
    return int(improved or 0), int(compared or 0)


def start_of(day: date, tz) -> datetime:
    return datetime.combine(day, time.min, tz).astimezone(timezone.utc)


async def done_per_day(session: AsyncSession, where: Where, year: int) -> dict[str, dict[str, int]]:
    """How many units did each step on each day: {'reviewed': {'2026-04-20': 3, ...}, ...}, counted in SQL."""
    result: dict[str, dict[str, int]] = {}
    for key, step in (("reviewed", "review"), ("feedback", "feedback")):
        query = (select(StepRecord.done_on, func.count())
                 .join(UnitFollowup, UnitFollowup.id == StepRecord.followup_id)
                 .join(Unit, Unit.id == UnitFollowup.unit_id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
                 .where(UnitFollowup.year == year, StepRecord.step == step).group_by(StepRecord.done_on))
        result[key] = {str(day): n for day, n in (await session.exec(_filter(query, where))).all()}
    day = func.date(UnitFollowup.plan_submitted_at)
    query = (select(day, func.count()).join(Unit, Unit.id == UnitFollowup.unit_id)
             .join(HealthTrust, HealthTrust.id == Unit.trust_id)
             .where(UnitFollowup.year == year, UnitFollowup.plan_submitted_at.is_not(None)).group_by(day))
    result["submitted"] = {str(d): n for d, n in (await session.exec(_filter(query, where))).all()}
    return result


async def unit_ids_in(session: AsyncSession, where: Where) -> list[int]:
    query = select(Unit.id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
    return list((await session.exec(_filter(query, where))).all())


async def unit_count(session: AsyncSession, where: Where) -> int:
    query = select(func.count()).select_from(Unit).join(HealthTrust, HealthTrust.id == Unit.trust_id)
    return (await session.exec(_filter(query, where))).one()


async def region_of_trust(session: AsyncSession, trust_id: int) -> int | None:
    return (await session.exec(select(HealthTrust.region_id).where(HealthTrust.id == trust_id))).first()
