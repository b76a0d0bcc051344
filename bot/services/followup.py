"""A unit's year: the overview, marking steps, the reps' answers, areas and scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Callable

from bot.rules import progress
from bot.rules.access import UNIT_PARTIES, is_leader_of, may_view_unit
from bot.rules.cycle import CycleDates, preparing_next_year, year_open
from bot.rules.errors import NotAllowed, PlanIncomplete, PlanWarnings, YearChanged
from bot.rules.methods import METHODS, OBJECTIONS, Method, answers_for
from bot.rules.vocabulary import Completion, MeasureKind, Role
from bot.services.cycles import cycle_for_trust, working_cycle_of_unit_now, working_year_of_trust
from storage import audit
from storage import followup as store
from storage import outbox as outbox_store
from storage import people as people_store
from storage import years as year_store
from storage.database import Database
from storage.followup import UnitInfo
from storage.models import Confirmation, FocusArea, OutboxMessage, Person, StepRecord, UnitFollowup


@dataclass
class Overview:
    unit: UnitInfo
    year: int
    method: Method
    cycle: CycleDates
    states: list[progress.StepState]
    records: dict[str, StepRecord]
    confirmations: list[tuple[Confirmation, str]]  # with the person's name
    areas: list[FocusArea]
    scores: dict[str, int]
    plan_submitted_at: datetime | None
    followup_id: int
    # The next survey year when its preparation may be recorded already (December–January), else None.
    preparing: int | None = None
    # In the next year's overview, only its first step may be recorded yet.
    early: bool = False
    # Fewer than 5 answers, no report of the unit's own: the level above's results are used.
    no_own_report: bool = False
    today: date | None = None
    # The day the unit started with the bot (its first member joined), when that was after the
    # year began: steps due before it are not asked for.
    joined: date | None = None
    # While next year is being prepared and its first step is not marked: when that step is due.
    prepare_next_due: date | None = None
    # The year before's measures still open, while the leader has not decided them (conversations/years.py).
    carry_waiting: int = 0
    # The year before's plan (and what was carried on from it), for the Prepare step.
    last_year: list = field(default_factory=list)

    @property
    def open_states(self) -> list[progress.StepState]:
        """The steps that may be shown and worked on: all, or in the next year only its first."""
        return self.states[:1] if self.early else self.states

    @property
    def next(self) -> progress.StepState | None:
        """The most pressing open step (bot/rules/progress.pressing_step)."""
        return progress.pressing_step(self.states, self.today, self.joined) if self.today else \
            progress.next_step(self.states)

    def overdue(self, state: progress.StepState) -> bool:
        return self.today is not None and progress.overdue(state, self.today) and not self.before_joining(state)

    def before_joining(self, state: progress.StepState) -> bool:
        return progress.before_joining(state, self.joined)

    def answers_for(self, subject: str) -> list[tuple[Confirmation, str]]:
        return [(c, name) for c, name in self.confirmations if c.subject == subject]


async def _followup_now(session, unit_id: int, today: date):
    """The unit's follow-up record for the survey year its trust works on today."""
    unit = await store.unit_info(session, unit_id)
    if unit is None:
        raise NotAllowed(f"unknown unit {unit_id}")
    return await store.followup_for(session, unit_id, await working_year_of_trust(session, unit.trust_id, today))


async def overview(db: Database, memberships, unit_id: int, today: date, tz, year: int | None = None,
                   history: bool = False) -> Overview:
    """The unit's year; with `history`, an earlier year may be looked at too (the plans of earlier years)."""
    async with db.session() as session:
        unit = await store.unit_info(session, unit_id)
        if unit is None or not may_view_unit(memberships, unit.id, unit.trust_id, unit.region_id):
            raise NotAllowed(f"view unit {unit_id}")
        working = await working_year_of_trust(session, unit.trust_id, today)
        year = year or working
        if not year_open(year, working, today) and not (history and year < working):
            raise NotAllowed(f"view year {year} of unit {unit_id}")
        followup = await store.followup_for(session, unit_id, year)
        cycle = await cycle_for_trust(session, unit.trust_id, year)
        facts = await store.facts_for(session, followup, progress.last_status_date(cycle, today), tz)
        method = METHODS[followup.method]
        return Overview(
            unit=unit, year=year, method=method, cycle=cycle,
            states=progress.step_states(method, cycle, facts, today),
            records=await store.step_records(session, followup.id),
            confirmations=await store.confirmations(session, followup.id),
            areas=await store.areas(session, followup.id),
            scores=await store.scores(session, followup.id),
            plan_submitted_at=followup.plan_submitted_at, followup_id=followup.id,
            preparing=working + 1 if year == working and preparing_next_year(today, working) else None,
            early=year == working + 1, no_own_report=followup.no_own_report, today=today,
            joined=_joined_day(await store.unit_joined(session, unit_id), tz, today),
            carry_waiting=len(await year_store.open_measures(session, unit_id, year - 1))
            if year == working and is_leader_of(memberships, unit_id) else 0,
            last_year=await year_store.plan_with_carried(session, unit_id, year),
            prepare_next_due=await _prepare_next_due(session, unit, method, working, year, today),
        )


async def _prepare_next_due(session, unit, method: Method, working: int, year: int, today: date) -> date | None:
    """In the working year's overview from 1 December: the next year's first step, while it is open."""
    if year != working or not preparing_next_year(today, working):
        return None
    first = method.steps[0]
    if await store.step_marked(session, unit.id, working + 1, first.key):
        return None
    return getattr(await cycle_for_trust(session, unit.trust_id, working + 1), first.due)


def _joined_day(joined: datetime | None, tz, today: date) -> date | None:
    day = joined.astimezone(tz).date() if joined else None
    return day if day is not None and day <= today else None


async def mark_step(db: Database, memberships, person_id: int, unit_id: int, step_key: str, done_on: date,
                    parties: list[str], now: datetime, today: date,
                    year: int | None = None) -> list[tuple[Person, str, int]]:
    """Record a step as done; returns the reps to ask: (person, role, confirmation id).
    `year` may name the next survey year for its first step, while it is being prepared."""
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"mark step on unit {unit_id}")
    async with db.session() as session:
        followup = await _followup_now(session, unit_id, today)
        if year is not None and year != followup.year:
            if year < followup.year:
                raise YearChanged(f"mark {step_key!r} in {year} on unit {unit_id}; now {followup.year}")
            first = METHODS[followup.method].steps[0].key
            if not (year_open(year, followup.year, today) and step_key == first):
                raise NotAllowed(f"mark {step_key!r} in {year} on unit {unit_id}")
            followup = await store.followup_for(session, unit_id, year)
        step = METHODS[followup.method].step(step_key)
        if step is None or step.completion != Completion.MARKED:
            raise NotAllowed(f"mark unknown step {step_key!r}")
        parties = parties if step.meeting else []  # nobody "takes part" in a step that is no meeting
        await store.mark_step(session, followup.id, step_key, done_on, parties, person_id, now)
        audit.record(session, f"person:{person_id}", "step.mark", f"followup:{followup.id}:{step_key}",
                     f"done_on={done_on} parties={','.join(parties)}")
        to_ask = []
        for rep, role in await store.unit_people(session, unit_id, step.confirm_roles):
            confirmation = await store.request_confirmation(session, followup.id, f"step:{step_key}", rep.id,
                                                            role, now, keep=OBJECTIONS)
            to_ask.append((rep, role, confirmation.id))
        return to_ask


HeldNotices = Callable[[Confirmation, UnitInfo, list[Person]], dict[int, OutboxMessage]]


async def answer(db: Database, person_id: int, confirmation_id: int, answer: str, now: datetime,
                 held_notices: HeldNotices | None = None) -> tuple[Confirmation, dict[int, int]]:
    """A rep answers a request made to them (and nobody else's), with an answer that fits what was
    asked. An objection: `held_notices(confirmation, unit, leaders)` gives the unit's leaders' notices
    ({leader id: outbox row}), queued in the answer's own transaction (a crash after it cannot lose
    them); returns the answer and {leader id: the held message's id}."""
    async with db.session() as session:
        confirmation = await store.get_confirmation(session, confirmation_id)
        if confirmation is None or confirmation.person_id != person_id:
            raise NotAllowed(f"answer confirmation {confirmation_id}")
        if answer not in answers_for(confirmation.subject):
            raise NotAllowed(f"answer {answer!r} to {confirmation.subject!r}")
        store.answered(confirmation, answer, now)
        audit.record(session, f"person:{person_id}", "confirmation.answer", f"confirmation:{confirmation_id}", answer)
        held = {}
        if answer in OBJECTIONS and held_notices is not None:
            unit = await store.unit_info(session, (await store.get_followup(session, confirmation.followup_id)).unit_id)
            leaders = [leader for leader, _ in await store.unit_people(session, unit.id, (Role.LEADER,))]
            held = await outbox_store.add_all(session, held_notices(confirmation, unit, leaders))
        return confirmation, held


async def comment(db: Database, person_id: int, confirmation_id: int, text: str) -> None:
    async with db.session() as session:
        confirmation = await store.get_confirmation(session, confirmation_id)
        if confirmation is None or confirmation.person_id != person_id:
            raise NotAllowed(f"comment on confirmation {confirmation_id}")
        confirmation.comment = text
        audit.record(session, f"person:{person_id}", "confirmation.comment", f"confirmation:{confirmation_id}", text)


async def confirmation_context(db: Database, confirmation_id: int) -> tuple[Confirmation, UnitInfo] | None:
    async with db.session() as session:
        confirmation = await store.get_confirmation(session, confirmation_id)
        if confirmation is None:
            return None
        followup = await store.get_followup(session, confirmation.followup_id)
        return confirmation, await store.unit_info(session, followup.unit_id)


async def add_area(db: Database, memberships, person_id: int, unit_id: int, kind: str, theme: str, why: str,
                   now: datetime, today: date) -> None:
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"add area to unit {unit_id}")
    async with db.session() as session:
        followup = await _followup_now(session, unit_id, today)
        await store.add_area(session, FocusArea(followup_id=followup.id, kind=kind, theme=theme, why=why,
                                                created_by=person_id, created_at=now))
        audit.record(session, f"person:{person_id}", "area.add", f"followup:{followup.id}", f"{kind}:{theme}")


async def remove_area(db: Database, memberships, person_id: int, area_id: int, today: date) -> int:
    """Returns the area's unit. Only an area of the survey year the unit works on today: an earlier
    year's plan is history (a forged press with an old area's id is refused)."""
    async with db.session() as session:
        area = await store.get_area(session, area_id)
        followup = await store.get_followup(session, area.followup_id) if area else None
        if followup is None or not is_leader_of(memberships, followup.unit_id):
            raise NotAllowed(f"remove area {area_id}")
        unit = await store.unit_info(session, followup.unit_id)
        if followup.year != await working_year_of_trust(session, unit.trust_id, today):
            raise NotAllowed(f"remove area {area_id} of survey year {followup.year}")
        await store.delete_area(session, area)
        audit.record(session, f"person:{person_id}", "area.remove", f"area:{area_id}", f"{area.kind}:{area.theme}")
        return followup.unit_id


async def save_score(db: Database, memberships, person_id: int, unit_id: int, theme: str, score: int,
                     today: date) -> None:
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"score for unit {unit_id}")
    async with db.session() as session:
        followup = await _followup_now(session, unit_id, today)
        await store.put_score(session, followup.id, theme, score)


async def plan_submitted(db: Database, unit_id: int, today: date) -> bool:
    async with db.session() as session:
        return (await _followup_now(session, unit_id, today)).plan_submitted_at is not None


async def people_of_unit(db: Database, unit_id: int, roles: tuple[str, ...]) -> list[tuple[Person, str]]:
    async with db.session() as session:
        return await store.unit_people(session, unit_id, roles)


async def unit_by_codes(db: Database, trust_code: str, unit_code: str) -> int | None:
    async with db.session() as session:
        return await store.find_unit_by_codes(session, trust_code, unit_code)


async def submit_plan(db: Database, memberships, person_id: int, unit_id: int, now: datetime,
                      today: date, anyway: bool = False) -> list[tuple[Person, str, int]]:
    """Submit the unit's plan; returns the reps to ask: (person, role, confirmation id).
    Raises PlanIncomplete when a preserve or an improve measure is missing, and PlanWarnings
    (unless `anyway`) when the review or the feedback meeting is not marked done or a rep's
    objection is not answered."""
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"submit the plan of unit {unit_id}")
    async with db.session() as session:
        followup = await _followup_now(session, unit_id, today)
        facts = await store.facts_for(session, followup, None, now.tzinfo)
        missing = [kind for kind in MeasureKind if kind not in facts.measure_kinds]
        if missing:
            raise PlanIncomplete(missing)
        if not anyway:
            warnings = progress.plan_warnings(facts.marked, len(await store.open_objections(session, followup.id, OBJECTIONS)))
            if warnings:
                raise PlanWarnings(warnings)
        await store.submit_plan(session, followup, person_id, now)
        audit.record(session, f"person:{person_id}", "plan.submit", f"followup:{followup.id}")
        to_ask = []
        for rep, role in await store.unit_people(session, unit_id, METHODS[followup.method].step("plan").confirm_roles):
            confirmation = await store.request_confirmation(session, followup.id, "plan", rep.id, role, now,
                                                            keep=OBJECTIONS)
            to_ask.append((rep, role, confirmation.id))
        return to_ask


async def set_no_own_report(db: Database, memberships, person_id: int, unit_id: int, value: bool,
                            today: date) -> None:
    """The leader marks (or unmarks) that the unit had fewer than 5 answers and got no report of its
    own, for the survey year the unit works on today."""
    if not is_leader_of(memberships, unit_id):
        raise NotAllowed(f"mark no own report for unit {unit_id}")
    async with db.session() as session:
        followup = await _followup_now(session, unit_id, today)
        await store.set_no_own_report(session, followup, value)
        audit.record(session, f"person:{person_id}", "followup.no_own_report", f"followup:{followup.id}",
                     "yes" if value else "no")


async def areas_now(db: Database, unit_id: int, today: date):
    """The areas the unit chose for the survey year it works on today (id, kind, theme; /newmeasure
    offers them first): two queries, and the year's record is not made for it."""
    try:  # reads only: no session in an update (storage/hot.py)
        year, _ = await working_cycle_of_unit_now(db, unit_id, today)
    except LookupError:
        raise NotAllowed(f"unknown unit {unit_id}") from None
    return await store.areas_of_year_now(db, unit_id, year)


async def _objection(session, memberships, confirmation_id: int, today: date) -> tuple[Confirmation, UnitFollowup]:
    """An objection the person may answer (its unit's leader, an objection only, of the survey year
    the unit works on today: an earlier year's plan is history, YearChanged), or NotAllowed."""
    confirmation = await store.get_confirmation(session, confirmation_id)
    followup = await store.get_followup(session, confirmation.followup_id) if confirmation else None
    if followup is None or not is_leader_of(memberships, followup.unit_id) or \
            not (confirmation.answer in OBJECTIONS or confirmation.earlier_answer in OBJECTIONS):
        raise NotAllowed(f"answer objection {confirmation_id}")
    unit = await store.unit_info(session, followup.unit_id)
    if followup.year != await working_year_of_trust(session, unit.trust_id, today):
        raise YearChanged(f"answer objection {confirmation_id} of survey year {followup.year}")
    return confirmation, followup


async def reply_to_objection(db: Database, memberships, person_id: int, confirmation_id: int, text: str,
                             now: datetime, today: date) -> tuple[Confirmation, UnitInfo, Person]:
    """The leader answers a rep's objection (the leader of its unit only, an objection only, of the
    survey year the unit works on); returns it, its unit and the rep, to be told."""
    async with db.session() as session:
        confirmation, followup = await _objection(session, memberships, confirmation_id, today)
        store.set_leader_reply(confirmation, text, now, person_id)
        # The answer's words stay on the objection only (no copy in the audit log outlives an erasure).
        audit.record(session, f"person:{person_id}", "objection.reply", f"confirmation:{confirmation_id}")
        return (confirmation, await store.unit_info(session, followup.unit_id),
                await people_store.get_person(session, confirmation.person_id))


async def objection_of(db: Database, memberships, confirmation_id: int, today: date) -> Confirmation:
    """An objection the person may answer (its unit's leader, this survey year's), or NotAllowed
    (YearChanged for an earlier year's)."""
    async with db.session() as session:
        return (await _objection(session, memberships, confirmation_id, today))[0]


async def members_of_unit(db: Database, unit_id: int) -> list[tuple[store.MemberRow, str]]:
    """The unit's leaders and reps (who may be named responsible: id and name), one read, no session in an update."""
    return await store.unit_members_now(db, unit_id, tuple(r.value for r in UNIT_PARTIES))
