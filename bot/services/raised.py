"""Stuck measures raised to the leaders at the level above, and what those leaders do with them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.rules import measures as rules
from bot.rules.access import is_leader_of, units_with_role
from bot.rules.errors import AlreadySettled, InvalidMeasure, NotAllowed
from bot.rules.leader_groups import groups_above, nearest_above
from bot.rules.vocabulary import LeaderGroupLevel, MeasureStatus, ProposalState, Role, Scope
from bot.services import measures as measure_service
from storage import audit
from storage import followup as followup_store
from storage import measures as measure_store
from storage import raised as store
from storage.database import Database
from storage.models import Measure, Person, RaisedProblem
from storage.raised import RaisedRow


def _trusts_led(memberships) -> list[int]:
    return sorted({m.trust_id for m in memberships
                   if m.role == Role.LEADER and m.scope == Scope.TRUST and m.trust_id is not None})


def may_handle(memberships, problem: RaisedProblem) -> bool:
    """The leaders of the group it went to, and the leaders of its trust."""
    return ((problem.group_unit_id is not None and is_leader_of(memberships, problem.group_unit_id))
            or problem.trust_id in _trusts_led(memberships))


@dataclass
class Raised:
    problem: RaisedProblem
    measure: Measure
    unit_name: str
    group_name: str | None  # None: the trust's leaders
    recipients: list[Person]
    fresh: bool = True  # False: it had been raised already (a second press), nobody is told again


async def raise_problem(db: Database, memberships, person_id: int, measure_id: int, what: str,
                        now: datetime) -> Raised:
    """The unit's leader raises a stuck measure to the level above (once while it is unanswered)."""
    what = rules.visible(what or "")
    if len(what) > rules.LIMITS["comment"]:
        raise InvalidMeasure(["comment"])
    async with db.session() as session:
        measure = await measure_store.get_measure(session, measure_id)
        if (measure is None or not is_leader_of(memberships, measure.unit_id)
                or measure.status != MeasureStatus.STUCK
                or measure.proposal in (ProposalState.PENDING, ProposalState.DECLINED)):
            raise NotAllowed(f"raise measure {measure_id}")
        place = await store.place_of(session, measure.unit_id)
        group = nearest_above(place, await store.groups(session, [place.trust_id]))
        problem, fresh = await store.add_open(
            session, measure_id=measure.id, unit_id=measure.unit_id, trust_id=place.trust_id,
            group_unit_id=group.unit_id if group else None, what=what, raised_by=person_id, raised_at=now)
        recipients = []  # raised already (a second press): the same leaders are not told twice
        if fresh:
            if group is not None:
                recipients = [p for p, _ in await followup_store.unit_people(session, group.unit_id, (Role.LEADER,))]
            else:
                recipients = await store.trust_leaders(session, place.trust_id)
            audit.record(session, f"person:{person_id}", "measure.raise", f"measure:{measure.id}",
                         f"raised:{problem.id}")
        unit_name = await store.unit_name(session, measure.unit_id)
        group_name = await store.unit_name(session, problem.group_unit_id) if problem.group_unit_id else None
        return Raised(problem, measure, unit_name or "", group_name, recipients, fresh)


async def visible_to(db: Database, memberships) -> list[RaisedRow]:
    """The raised problems this person is above: those sent to the leader groups they lead, and
    every one of the trusts they lead."""
    groups = units_with_role(memberships, [Role.LEADER])
    trusts = _trusts_led(memberships)
    async with db.session() as session:
        if groups:  # only leader-group units receive raised problems
            led = {g.unit_id for g in await store.groups(session)}
            groups = [g for g in groups if g in led]
        return await store.visible(session, groups, trusts)


async def is_above_anyone(db: Database, memberships) -> bool:
    if _trusts_led(memberships):
        return True
    led = units_with_role(memberships, [Role.LEADER])
    if not led:
        return False
    async with db.session() as session:
        return any(g.unit_id in led for g in await store.groups(session))


@dataclass
class Settled:
    problem: RaisedProblem
    measure_title: str
    unit_name: str
    recipients: list[Person]  # the unit's leader(s) and reps
    taken: Measure | None = None


async def _handled(session, memberships, raised_id: int) -> RaisedProblem:
    problem = await store.get(session, raised_id)
    if problem is None or not may_handle(memberships, problem):
        raise NotAllowed(f"handle raised problem {raised_id}")
    return problem


async def _told(session, problem: RaisedProblem) -> tuple[str, str, list[Person]]:
    measure = await measure_store.get_measure(session, problem.measure_id)
    people = await followup_store.unit_people(session, problem.unit_id,
                                              (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP))
    return measure.title, await store.unit_name(session, problem.unit_id) or "", [p for p, _ in people]


async def answer(db: Database, memberships, person_id: int, raised_id: int, text: str, now: datetime) -> Settled:
    if rules.text_problem("comment", text):
        raise InvalidMeasure(["comment"])
    """One answer a problem: a second (another leader above, or a dialog begun before the first
    answer was saved) is refused with AlreadySettled and changes nothing."""
    async with db.session() as session:
        problem = await _handled(session, memberships, raised_id)
        if problem.answer is not None or not await store.record_answer(
                session, raised_id, rules.visible(text), person_id, now):
            raise AlreadySettled()
        audit.record(session, f"person:{person_id}", "raised.answer", f"raised:{problem.id}")
        problem = await store.get(session, raised_id)
        return Settled(problem, *await _told(session, problem))


async def check_may_handle(db: Database, memberships, raised_id: int) -> RaisedProblem:
    async with db.session() as session:
        return await _handled(session, memberships, raised_id)


async def group_to_take_on(session, memberships, problem: RaisedProblem) -> int | None:
    """The leader-group unit a leader above takes a raised problem on in: the one it went to,
    else a trust-level group of its trust they lead."""
    if problem.group_unit_id is not None and is_leader_of(memberships, problem.group_unit_id):
        return problem.group_unit_id
    for group in await store.groups(session, [problem.trust_id]):
        if group.level == LeaderGroupLevel.TRUST and is_leader_of(memberships, group.unit_id):
            return group.unit_id
    return None


async def take_on(db: Database, memberships, person_id: int, person_name: str, raised_id: int, now: datetime,
                  today: date) -> Settled:
    """A measure of the leader group's own, made from the raised problem (its theme, kind and
    title; what is stuck as its description), due by the stuck measure's deadline or, if that is
    past or after the year's evaluation deadline, by the evaluation deadline.
    One transaction: a second press, or another leader pressing at the same moment, finds it
    taken (AlreadySettled) and makes nothing."""
    async with db.session() as session:
        problem = await _handled(session, memberships, raised_id)
        if problem.taken_measure_id is not None:
            raise AlreadySettled()
        group_id = await group_to_take_on(session, memberships, problem)
        if group_id is None:
            raise LookupError("no leader group to take it on in")
        original = await measure_store.get_measure(session, problem.measure_id)
        unit_name = await store.unit_name(session, problem.unit_id) or ""
        deadline_by = await measure_service.evaluation_deadline_in(session, group_id, today)
        deadline = original.deadline if today <= original.deadline <= deadline_by else deadline_by
        description = f"{unit_name}: {problem.what or original.description}"[:rules.LIMITS["description"]]
        data = {"theme": original.theme, "kind": original.kind, "title": original.title,
                "description": description, "responsible": (person_name or "–")[:rules.LIMITS["responsible"]],
                "responsible_person": person_id,  # the leader who takes it on: erased with them, too
                "deadline": deadline.isoformat()}
        taken = await measure_service.create_in(session, memberships, person_id, group_id, data, False, now, today)
        if not await store.mark_taken(session, raised_id, taken.id):
            raise AlreadySettled()  # someone took it on meanwhile: the measure just made is rolled back
        audit.record(session, f"person:{person_id}", "raised.take_on", f"raised:{problem.id}", f"measure:{taken.id}")
        problem = await store.get(session, raised_id)
        return Settled(problem, *await _told(session, problem), taken=taken)


async def of_measure(db: Database, measure_id: int):
    """(the measure's latest raised problem, the name of the group it went to), or None."""
    async with db.session() as session:
        return await store.latest_of_measure(session, measure_id)


async def leads_group_above(db: Database, memberships, unit_id: int) -> bool:
    """Does the person lead a leader-group unit above this unit?"""
    led = set(units_with_role(memberships, [Role.LEADER]))
    if not led:
        return False
    async with db.session() as session:
        place = await store.place_of(session, unit_id)
        if place is None:
            return False
        return any(g.unit_id in led for g in groups_above(place, await store.groups(session, [place.trust_id])))
