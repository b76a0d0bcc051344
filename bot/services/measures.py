"""Registering and changing measures, proposals from reps, and the plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.rules import measures as rules
from bot.rules.access import UNIT_PARTIES, is_leader_of, may_view_unit, rep_role_at
from bot.rules.errors import DraftGone, InvalidMeasure, NotAllowed
from bot.rules.vocabulary import MeasureStatus, ProposalState, QuarterlyStatus
from bot.services.cycles import cycle_for_trust, working_cycle_from, working_cycle_of_unit_now, working_year_of_trust
from storage import audit
from storage import cycles as cycle_store
from storage import dialogs as dialog_store
from storage import followup as followup_store
from storage import measures as store
from storage.database import Database
from storage.followup import UnitInfo
from storage.models import Measure, MeasureEvent


async def _working_cycle(session, unit_id: int, today: date):
    """The survey year the unit works on today and its dates (the trust's own or the defaults),
    in one query: the year is last year or this year, as working_year_of_trust decides."""
    return working_cycle_from(await cycle_store.unit_cycles(session, unit_id, (today.year - 1, today.year)),
                              unit_id, today)


async def evaluation_deadline(db: Database, unit_id: int, today: date) -> date:
    """The evaluation deadline of the survey year the unit works on today (one read, no session in an update)."""
    _, cycle = await working_cycle_of_unit_now(db, unit_id, today)
    return cycle.evaluation_deadline


async def evaluation_deadline_in(session, unit_id: int, today: date) -> date:
    _, cycle = await _working_cycle(session, unit_id, today)
    return cycle.evaluation_deadline


async def create(db: Database, memberships, person_id: int, unit_id: int, data: dict, proposal: bool,
                 now: datetime, today: date, draft_token: str | None = None) -> Measure:
    """Save a measure. With `draft_token`, the person's draft is closed in the same transaction,
    so a Save pressed again (or after a crash between the two) never saves it twice."""
    if not (rep_role_at(memberships, unit_id) if proposal else is_leader_of(memberships, unit_id)):
        raise NotAllowed(f"{'propose' if proposal else 'create'} a measure for unit {unit_id}")
    async with db.short_session() as session:  # a few rows by key
        if draft_token is not None and not await dialog_store.clear(session, person_id, token=draft_token):
            raise DraftGone()  # saved already (or another dialog began): the row with this token is gone
        return await create_in(session, memberships, person_id, unit_id, data, proposal, now, today)


async def create_in(session, memberships, person_id: int, unit_id: int, data: dict, proposal: bool,
                    now: datetime, today: date) -> Measure:
    """`create` in the caller's transaction (a raised problem taken on: bot/services/raised.py)."""
    if not (rep_role_at(memberships, unit_id) if proposal else is_leader_of(memberships, unit_id)):
        raise NotAllowed(f"{'propose' if proposal else 'create'} a measure for unit {unit_id}")
    year, cycle = await _working_cycle(session, unit_id, today)
    problems = rules.draft_problems(data, today, cycle.evaluation_deadline)
    if problems:
        raise InvalidMeasure(problems)
    measure = Measure(
        followup_id=await followup_store.followup_id_for(session, unit_id, year), unit_id=unit_id, year=year, theme=data["theme"], kind=data["kind"],
        title=data["title"].strip(), description=data["description"].strip(),
        responsible=data["responsible"].strip(), deadline=date.fromisoformat(data["deadline"]),
        proposal=ProposalState.PENDING if proposal else None, proposed_by=person_id if proposal else None,
        method=await _method_of(session, unit_id, data.get("method")),
        responsible_person_id=await _member_of(session, unit_id, data.get("responsible_person")),
        created_by=person_id, created_at=now, updated_at=now,
    )
    await store.add_measure(session, measure, person_id)
    await audit.insert(session, f"person:{person_id}", "measure.propose" if proposal else "measure.create",
                       f"measure:{measure.id}")
    return measure


async def _member_of(session, unit_id: int, person_id) -> int | None:
    """A member of the unit named responsible (checked now: they may have left), or None for free text."""
    if person_id is None:
        return None
    people = await followup_store.unit_people(session, unit_id, tuple(r.value for r in UNIT_PARTIES))
    if not isinstance(person_id, int) or person_id not in {p.id for p, _ in people}:
        raise InvalidMeasure(["responsible"])
    return person_id


async def _method_of(session, unit_id: int, method: str | None) -> str | None:
    """'dst' for a measure made in phase 4 of Der skoen trykker (the unit must be enrolled), else None."""
    if method is None:
        return None
    from storage import programme

    if method != programme.DST_METHOD or await programme.enrolment_of(session, unit_id) is None:
        raise NotAllowed(f"a {method!r} measure for unit {unit_id}")
    return method


@dataclass
class MeasureView:
    measure: Measure
    unit: UnitInfo
    can_edit: bool
    last_update: datetime | None
    history: list[tuple[MeasureEvent, str, str | None]]  # (change, name or "" once erased, former role)


async def view(db: Database, memberships, measure_id: int, with_history: bool = False) -> MeasureView:
    async with db.session() as session:
        measure = await store.get_measure(session, measure_id)
        unit = await followup_store.unit_info(session, measure.unit_id) if measure else None
        if measure is None or not may_view_unit(memberships, unit.id, unit.trust_id, unit.region_id):
            raise NotAllowed(f"view measure {measure_id}")
        last = (await store.last_updates(session, [measure.id])).get(measure.id)
        history = await store.history(session, measure.id) if with_history else []
        return MeasureView(measure, unit, is_leader_of(memberships, unit.id), last, history)


async def unit_measures(db: Database, memberships, unit_id: int, today: date, year: int | None = None):
    async with db.session() as session:
        unit = await followup_store.unit_info(session, unit_id)
        if unit is None or not may_view_unit(memberships, unit.id, unit.trust_id, unit.region_id):
            raise NotAllowed(f"list measures of unit {unit_id}")
        year = year or await working_year_of_trust(session, unit.trust_id, today)
        measures = await store.unit_measures(session, unit_id, year)
        # Those carried on out of `year` into a later one, as they stood then (storage/measures.py).
        carried = [m.id for m in measures if m.year > year]
        last = await store.last_updates(session, [m.id for m in measures if m.year <= year])
        return unit, measures, last | await store.last_updates_before_carried(session, carried, year)


async def _editable(session, memberships, measure_id: int, today: date) -> Measure:
    measure = await store.get_measure(session, measure_id)
    if measure is None or not is_leader_of(memberships, measure.unit_id) or measure.proposal in (ProposalState.PENDING, ProposalState.DECLINED):
        raise NotAllowed(f"change measure {measure_id}")
    await _of_working_year(session, measure, today)
    return measure


async def _of_working_year(session, measure: Measure, today: date) -> None:
    """Only a measure of the survey year its unit works on today may change: an earlier year's
    measures are history (a forged press with an old measure's id is refused)."""
    unit = await followup_store.unit_info(session, measure.unit_id)
    if measure.year != await working_year_of_trust(session, unit.trust_id, today):
        raise NotAllowed(f"change measure {measure.id} of survey year {measure.year}")


def _day(now: datetime) -> date:
    # The callers without a `today` pass the clock's aware UTC now: its date is at most a few hours
    # off the bot's day, which only matters in the night the survey year turns.
    return now.date()


async def set_status(db: Database, memberships, person_id: int, measure_id: int, status: str, now: datetime,
                     comment: str | None = None) -> Measure:
    if status not in rules.STATUSES:
        raise NotAllowed(f"status {status!r}")
    async with db.session() as session:
        measure = await _editable(session, memberships, measure_id, _day(now))
        _note_stuck(measure, status, now)
        await store.change(session, measure, person_id, "status", status, now, comment)
        return measure


def _note_stuck(measure: Measure, status: str, now: datetime) -> None:
    """When a measure became stuck (kept while it stays stuck; the weekly digest names those stuck
    for a quarter)."""
    if status == MeasureStatus.STUCK:
        if measure.status != MeasureStatus.STUCK or measure.stuck_since is None:
            measure.stuck_since = now
    else:
        measure.stuck_since = None


async def add_comment(db: Database, memberships, person_id: int, measure_id: int, comment: str,
                      now: datetime) -> None:
    """A comment on the latest status change."""
    if rules.text_problem("comment", comment):
        raise InvalidMeasure(["comment"])
    async with db.session() as session:
        measure = await _editable(session, memberships, measure_id, _day(now))
        await store.change(session, measure, person_id, "comment", None, now, comment.strip())


async def set_responsible(db: Database, memberships, person_id: int, measure_id: int, text: str,
                          now: datetime, member: int | None = None) -> None:
    """A typed name or role (nobody in the bot gets the measure's reminders), or `member`: a member of
    the unit (checked now), whose name `text` is."""
    if rules.text_problem("responsible", text):
        raise InvalidMeasure(["responsible"])
    async with db.session() as session:
        measure = await _editable(session, memberships, measure_id, _day(now))
        measure.responsible_person_id = await _member_of(session, measure.unit_id, member)
        await store.change(session, measure, person_id, "responsible", text.strip(), now)


async def set_deadline(db: Database, memberships, person_id: int, measure_id: int, deadline: date,
                       now: datetime, today: date, quarterly: str | None = None) -> None:
    """A new deadline; with `quarterly`, the one-tap status that waited for it is saved with it."""
    if quarterly is not None and quarterly not in QUARTERLY:
        raise NotAllowed(f"quarterly status {quarterly!r}")
    async with db.session() as session:
        measure = await _editable(session, memberships, measure_id, today)
        unit = await followup_store.unit_info(session, measure.unit_id)
        cycle = await cycle_for_trust(session, unit.trust_id, measure.year)
        problem = rules.deadline_problem(deadline, today, cycle.evaluation_deadline)
        if problem:
            raise InvalidMeasure([problem])
        await store.change(session, measure, person_id, "deadline", deadline, now)
        if quarterly is not None:
            await _record_quarterly(session, measure, person_id, quarterly, now)


async def evaluate(db: Database, memberships, person_id: int, measure_id: int, result: str, why: str,
                   now: datetime) -> None:
    if result not in rules.EVALUATIONS:
        raise NotAllowed(f"evaluation {result!r}")
    if rules.text_problem("why", why):
        raise InvalidMeasure(["why"])
    async with db.session() as session:
        measure = await _editable(session, memberships, measure_id, _day(now))
        await store.change(session, measure, person_id, "evaluation", result, now)
        await store.change(session, measure, person_id, "evaluation_why", why.strip(), now)


async def decide_proposal(db: Database, memberships, person_id: int, measure_id: int, accept: bool,
                          now: datetime, reason: str | None = None) -> Measure:
    async with db.session() as session:
        measure = await store.get_measure(session, measure_id)
        if measure is None or measure.proposal != ProposalState.PENDING or not is_leader_of(memberships, measure.unit_id):
            raise NotAllowed(f"decide proposal {measure_id}")
        await _of_working_year(session, measure, _day(now))
        if not accept and (reason is None or rules.text_problem("why", reason)):
            raise InvalidMeasure(["reason"])
        await store.change(session, measure, person_id, "proposal", ProposalState.ACCEPTED if accept else ProposalState.DECLINED, now,
                           None if accept else reason.strip())
        if not accept:
            measure.decline_reason = reason.strip()
        return measure


# The measure status each quarterly answer gives.
QUARTERLY = {QuarterlyStatus.DONE: MeasureStatus.DONE, QuarterlyStatus.ON_TRACK: MeasureStatus.IN_PROGRESS,
             QuarterlyStatus.STUCK: MeasureStatus.STUCK, QuarterlyStatus.DROPPED: MeasureStatus.DROPPED}


@dataclass
class QuickStatus:
    measure: Measure
    saved: bool  # False: "on track" past the deadline waits for a new deadline (rules.needs_new_deadline)


async def quarterly_status(db: Database, memberships, person_id: int, measure_id: int, choice: str,
                           now: datetime, today: date) -> QuickStatus:
    """The one-tap status from a quarterly reminder: kept as history, and the
    measure's status follows. "On track" for a measure
    whose deadline has passed is not saved: it is saved with the new deadline (set_deadline)."""
    if choice not in QUARTERLY:
        raise NotAllowed(f"quarterly status {choice!r}")
    async with db.session() as session:
        measure = await _editable_or_responsible(session, memberships, person_id, measure_id, today)
        if rules.needs_new_deadline(choice, measure.deadline, today):
            return QuickStatus(measure, saved=False)
        await _record_quarterly(session, measure, person_id, choice, now)
        return QuickStatus(measure, saved=True)


async def _editable_or_responsible(session, memberships, person_id: int, measure_id: int, today: date) -> Measure:
    """The leader, or the member of the unit named responsible for the measure (issue 13: they get its
    quarterly one-tap), while they are still a member."""
    measure = await store.get_measure(session, measure_id)
    if measure is not None and measure.responsible_person_id == person_id and \
            not is_leader_of(memberships, measure.unit_id) and measure.proposal in (None, ProposalState.ACCEPTED):
        if measure.unit_id not in {m.unit_id for m in memberships if m.role in UNIT_PARTIES}:
            raise NotAllowed(f"quarterly status of measure {measure_id}: no longer a member")
        await _of_working_year(session, measure, today)
        return measure
    return await _editable(session, memberships, measure_id, today)


async def _record_quarterly(session, measure: Measure, person_id: int, choice: str, now: datetime) -> None:
    await store.change(session, measure, person_id, "quarterly", choice, now)
    status = QUARTERLY[choice]
    if status and status != measure.status:
        _note_stuck(measure, status, now)
        await store.change(session, measure, person_id, "status", status, now)
