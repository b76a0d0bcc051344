"""Progress roll-ups, the overdue list, exports and charts for a scope."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.rules.cycle import CycleDates, current_year, cycle_from, default_cycle
from bot.rules.places import Where
from bot.rules.progress import STATUS_GRACE, last_status_date
from storage import cycles, progress as store
from storage.database import Database
from storage.progress import Figures

LEVELS = {"national": "region", "region": "trust", "trust": "clinic", "clinic": "unit", "units": "unit"}


@dataclass
class Node:
    """One place in the drill-down, with its total and its children."""

    level: str  # national, region, trust, clinic, units
    where: Where
    title: str
    total: Figures
    children: list[Figures]
    child_level: str
    since: date | None  # the last quarterly date (the latest among the trusts that have had one)
    year: int
    clinics: list[str] = field(default_factory=list)
    since_first: date | None = None  # the earliest of those dates: the same as `since` when they agree
    # Last year's evaluated measures whose theme improved in this year's results: (improved, compared).
    improved: tuple[int, int] = (0, 0)


async def union_of(db: Database, wheres: list[Where]) -> Where:
    """Several places as one scope: their units (for the overdue list, exports and charts)."""
    if len(wheres) == 1:
        return wheres[0]
    ids: set[int] = set()
    async with db.session() as session:
        for where in wheres:
            ids.update(await store.unit_ids_in(session, where))
    return Where(unit_ids=tuple(sorted(ids)))


async def titles_of(db: Database, wheres: list[Where]) -> list[str]:
    async with db.session() as session:
        return [trust or region or "" for region, trust in
                [await store.names(session, w.region_id, w.trust_id) for w in wheres]]


def level_of(where: Where) -> str:
    if where.unit_ids is not None:
        return "units"
    if where.clinic is not None:
        return "clinic"
    if where.trust_id is not None:
        return "trust"
    if where.region_id is not None:
        return "region"
    return "national"


async def cycles_by_trust(session, trust_ids: list[int], year: int) -> dict[int, CycleDates]:
    """Each trust's own dates for the year (one query), or the defaults."""
    own = {row.trust_id: cycle_from(row) for row in await cycles.cycles_of_year(session, year)}
    return {trust_id: own.get(trust_id) or default_cycle(year) for trust_id in trust_ids}


async def node(db: Database, where: Where, today: date, tz) -> Node:
    year = current_year(today)
    level = level_of(where)
    async with db.session() as session:
        cycles = await cycles_by_trust(session, await store.trusts_in(session, where), year)
        last = {t: last_status_date(c, today) for t, c in cycles.items()}
        since = {t: store.start_of(d, tz) if d else None for t, d in last.items()}
        child_level = LEVELS[level]
        clinics: list[str] = []
        if level == "trust":
            clinics = await store.clinics_of(session, where.trust_id)
            if clinics == [""]:
                child_level = "unit"  # no levels between this trust and its units
        if child_level in ("clinic", "unit"):
            # Leader-group units run their own follow-up: each on its own line, not in its clinic's.
            children = await store.rollup(session, where, child_level, year, today, since, leader_groups=False)
            groups = await store.rollup(session, where, "unit", year, today, since, leader_groups=True)
            for group in groups:
                group.leader_group = True
            children = groups + children
        else:
            children = await store.rollup(session, where, child_level, year, today, since)
        region_name, trust_name = await store.names(session, where.region_id, where.trust_id)
        improved = await store.theme_improved(session, where, year)
    total = Figures("total", "")
    for child in children:
        total.add(child)
    title = where.clinic or trust_name or region_name or ("" if level == "units" else None)
    dates = [d for d in last.values() if d]
    return Node(level, where, title or "", total, children, child_level, max(dates) if dates else None, year, clinics,
                min(dates) if dates else None, improved=improved)


@dataclass
class OverdueUnit:
    unit_id: int
    name: str
    trust: str
    since: date
    steps: list[str]
    overdue_measures: int


async def overdue(db: Database, where: Where, today: date, tz) -> list[OverdueUnit]:
    """Units with overdue steps or measures, oldest first."""
    year = current_year(today)
    async with db.session() as session:
        cycles = await cycles_by_trust(session, await store.trusts_in(session, where), year)
        # Quarterly status: open measures without a status since the last status date, once the grace is over.
        status_due: dict[date, list[int]] = {}
        for trust_id, cycle in cycles.items():
            last = last_status_date(cycle, today)
            if last is not None and last + STATUS_GRACE <= today:
                status_due.setdefault(last, []).append(trust_id)
        stale: dict[int, date] = {}
        for last, trust_ids in status_due.items():
            for unit_id in await store.units_with_stale_measures(session, where, year, store.start_of(last, tz),
                                                                 trust_ids):
                stale[unit_id] = last + STATUS_GRACE
        result = []
        rows = [row async for batch in (await store.unit_rows(session, where, year, today)).partitions(2000)
                for row in batch]
        for (unit_id, _code, name, _clinic, trust_id, _tcode, trust, _region, reviewed, feedback, areas,
             submitted, _ack, _measures, overdue_count, oldest) in rows:
            cycle = cycles[trust_id]
            late = []
            # Areas are chosen at the feedback meeting, so they are due with it.
            for step, done, due in (("review", reviewed, cycle.review_due),
                                    ("feedback", feedback, cycle.feedback_meeting_due),
                                    ("areas", areas, cycle.feedback_meeting_due),
                                    ("plan", submitted, cycle.plan_deadline)):
                if not done and due < today:
                    late.append((step, due))
            if unit_id in stale:
                late.append(("status", stale[unit_id]))
            if not late and not overdue_count:
                continue
            dates = [due for _, due in late] + ([oldest] if oldest else [])
            result.append(OverdueUnit(unit_id, name, trust, min(dates), [s for s, _ in late], int(overdue_count)))
    return sorted(result, key=lambda u: (u.since, u.trust, u.name))


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def export_batches(db: Database, where: Where, today: date):
    """Yields ('unit', rows) and ('measure', rows) batches for the export, streamed."""
    year = current_year(today)
    async with db.session() as session:
        # Batches, not row by row: each fetch crosses into the database driver.
        for rows, kind in ((await store.unit_rows(session, where, year, today), "unit"),
                           (await store.measure_rows(session, where, year), "measure")):
            async for batch in rows.partitions(2000):
                yield kind, batch


async def export_size(db: Database, where: Where, today: date) -> int:
    """The rows `export_batches` yields, all told (for the export's progress)."""
    async with db.session() as session:
        return await store.export_size(session, where, current_year(today))


async def weekly(db: Database, where: Where, today: date) -> tuple[list[date], dict[str, list[float]]]:
    """Cumulative share of units per week, from the survey year's first week to today."""
    year = current_year(today)
    async with db.session() as session:
        per_day = await store.done_per_day(session, where, year)
        units = await store.unit_count(session, where)
    weeks, monday = [], week_start(date(year, 1, 1))
    while monday <= today:
        weeks.append(monday)
        monday += timedelta(days=7)
    series = {}
    for key, days in per_day.items():
        values, total = [], 0
        counts = sorted((date.fromisoformat(d[:10]), n) for d, n in days.items())
        for week in weeks:
            total = sum(n for d, n in counts if d < week + timedelta(days=7))
            values.append(100 * total / units if units else 0)
        series[key] = values
    return weeks, series


async def place(db: Database, kind: str, ident: int, clinic_index: int | None = None) -> Where | None:
    """The Where for a drill-down button: r:<region>, t:<trust>, c:<trust>:<clinic index>."""
    if kind == "r":
        return Where(region_id=ident)
    async with db.session() as session:
        region_id = await store.region_of_trust(session, ident)
        if region_id is None:
            return None
        if kind == "t":
            return Where(region_id=region_id, trust_id=ident)
        if kind == "c" and clinic_index is not None:
            clinics = await store.clinics_of(session, ident)
            if clinic_index < len(clinics):
                return Where(region_id=region_id, trust_id=ident, clinic=clinics[clinic_index])
    return None
