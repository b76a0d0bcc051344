"""Years that continue: last year's open measures carried on or closed when a new survey year
begins, the plans of earlier years, and the theme scores compared across years."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.rules import years as rules
from bot.rules.access import is_leader_of, may_view_unit
from bot.rules.errors import NotAllowed
from bot.rules.vocabulary import MeasureStatus, ProposalState
from bot.services.cycles import working_year_of_trust
from storage import audit
from storage import followup as followup_store
from storage import measures as measure_store
from storage import years as store
from storage.database import Database
from storage.followup import UnitInfo
from storage.models import Measure


@dataclass
class CarryOver:
    unit: UnitInfo
    year: int  # the survey year the unit works on now
    measures: list[Measure]  # the year before's measures still open: each waits for a tap

    @property
    def from_year(self) -> int:
        return self.year - 1


async def carry_over(db: Database, memberships, unit_id: int, today: date) -> CarryOver:
    """Last year's open measures of a unit (the leader decides each); empty when none is left."""
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"carry over measures of unit {unit_id}")
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        year = await working_year_of_trust(session, unit.trust_id, today)
        return CarryOver(unit, year, await store.open_measures(session, unit_id, year - 1))


async def open_from_last_year(db: Database, unit_id: int, year: int) -> int:
    """How many of the year before's measures still wait for the leader's decision."""
    async with db.session() as session:
        return len(await store.open_measures(session, unit_id, year - 1))


async def decide(db: Database, memberships, person_id: int, measure_id: int, choice: str, now: datetime,
                 today: date) -> Measure:
    """Carry an open measure of the year before into the year the unit works on now (it keeps its
    id and so its history), or close it (done) with its evaluation. Anything else is refused:
    another unit's measure, a measure of another year, one already decided, a choice that does
    not fit (an evaluation for a measure that has one)."""
    async with db.session() as session:
        measure = await measure_store.get_measure(session, measure_id)
        if measure is None or not is_leader_of(memberships, measure.unit_id) or \
                measure.proposal not in (None, ProposalState.ACCEPTED):
            raise NotAllowed(f"carry over measure {measure_id}")
        unit = await followup_store.unit_info(session, measure.unit_id)
        year = await working_year_of_trust(session, unit.trust_id, today)
        if measure.year != year - 1 or measure.status in (MeasureStatus.DONE, MeasureStatus.DROPPED) or \
                choice not in rules.carry_choices(measure.evaluation is not None):
            raise NotAllowed(f"carry over measure {measure_id} ({choice})")
        if choice == rules.CARRY_ON:
            followup = await followup_store.followup_for(session, measure.unit_id, year)
            # Last year's plan, figures and export keep it as it stood (storage/measures.py unit_measures).
            store.carry_on(session, measure, followup.id, now)
            await measure_store.change(session, measure, person_id, "year", year, now)
        else:
            if choice != rules.CLOSE:
                await measure_store.change(session, measure, person_id, "evaluation", choice, now)
            await measure_store.change(session, measure, person_id, "status", MeasureStatus.DONE, now)
        audit.record(session, f"person:{person_id}", "measure.carry_over", f"measure:{measure_id}", choice)
        return measure


async def plan_years(db: Database, memberships, unit_id: int, today: date) -> tuple[int, list[int]]:
    """The year the unit works on now and the earlier years it has a plan for (newest first)."""
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None or not may_view_unit(memberships, unit.id, unit.trust_id, unit.region_id):
            raise NotAllowed(f"plan years of unit {unit_id}")
        year = await working_year_of_trust(session, unit.trust_id, today)
        return year, await store.plan_years(session, unit_id, year)


async def theme_changes(db: Database, unit_id: int, measures: list[Measure]) -> dict[int, int]:
    """For each evaluated measure: how its theme's score moved from its year's results to the next
    year's (only where both are entered). One query for all."""
    evaluated = [m for m in measures if m.evaluation]
    if not evaluated:
        return {}
    years = sorted({m.year for m in evaluated} | {m.year + 1 for m in evaluated})
    async with db.session() as session:
        scores = await store.scores_by_year(session, [unit_id], years)
    changes = {}
    for m in evaluated:
        change = rules.theme_change(scores.get((unit_id, m.year), {}), scores.get((unit_id, m.year + 1), {}), m.theme)
        if change is not None:
            changes[m.id] = change
    return changes
