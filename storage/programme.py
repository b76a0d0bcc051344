"""Der skoen trykker and Tidlig og tett på: enrolments, gatherings, the trusts' TTP days, and what
the reminder sweep, the roll-ups and the research export read about them (grouped queries: a
fixed number of statements whatever the number of units or people)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import Role, Scope
from storage.models import (
    Confirmation,
    DstEnrolment,
    DstGathering,
    HealthTrust,
    Measure,
    Membership,
    Person,
    Region,
    StepRecord,
    TtpSchedule,
    Unit,
    UnitFollowup,
)

DST_METHOD = "dst"
DST_YEAR = 0  # the DST record's year in unit_followup: no survey year's query meets it


async def _rows(session: AsyncSession, query) -> list:
    return (await (await session.connection()).execute(query)).all()


# --- enrolment ---

async def units_with_code(session: AsyncSession, unit_code: str,
                          trust_code: str | None = None) -> list[tuple[int, int, int]]:
    """(unit, its trust, its region) of the units with this code (unique only within a trust): one query."""
    query = (select(Unit.id, Unit.trust_id, HealthTrust.region_id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
             .where(Unit.code == unit_code))
    if trust_code:
        query = query.where(HealthTrust.code == trust_code)
    return [tuple(row) for row in await _rows(session, query.order_by(Unit.id))]


async def enrolment_of(session: AsyncSession, unit_id: int) -> DstEnrolment | None:
    return (await session.exec(select(DstEnrolment).where(DstEnrolment.unit_id == unit_id))).first()


async def enrol(session: AsyncSession, unit_id: int, started_on: date, criteria: dict[str, tuple[bool, str]],
                by: str, now: datetime) -> DstEnrolment | None:
    """Enrol the unit; None when it is enrolled already (also when two enrol it at the same moment:
    the unique unit makes the second insert a no-op)."""
    if await enrolment_of(session, unit_id) is not None:
        return None
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    connection = await session.connection()
    await connection.execute(insert(UnitFollowup).values(unit_id=unit_id, year=DST_YEAR, method=DST_METHOD)
                             .on_conflict_do_nothing())
    followup_id = (await session.exec(select(UnitFollowup.id).where(
        UnitFollowup.unit_id == unit_id, UnitFollowup.year == DST_YEAR))).one()
    values = {"unit_id": unit_id, "followup_id": followup_id, "started_on": started_on, "enrolled_by": by,
              "enrolled_at": now}
    for key, (yes, note) in criteria.items():
        values[key], values[f"{key}_note"] = yes, note
    inserted = (await connection.execute(insert(DstEnrolment).values(**values).on_conflict_do_nothing()
                                         .returning(DstEnrolment.id))).first()
    if inserted is None:
        return None
    return await enrolment_of(session, unit_id)


async def phase_records(session: AsyncSession, followup_id: int) -> dict[str, StepRecord]:
    query = select(StepRecord).where(StepRecord.followup_id == followup_id)
    return {r.step: r for r in (await session.exec(query)).all()}


@dataclass(frozen=True)
class GroupMember:
    person: Person
    role: str
    above: bool  # held at the trust (the leader's superior, a local resource of the trust)


async def working_group(session: AsyncSession, unit_id: int, trust_id: int) -> list[GroupMember]:
    """The unit's leader, reps and local resources, and the trust's leaders and local resources."""
    query = (select(Person, Membership.role, Membership.unit_id).join(Membership, Membership.person_id == Person.id)
             .where(Person.active, ((Membership.unit_id == unit_id) & Membership.role.in_(
                 (Role.LEADER, Role.SAFETY_REP, Role.UNION_REP, Role.LOCAL_RESOURCE)))
                    | ((Membership.scope == Scope.TRUST) & (Membership.trust_id == trust_id)
                       & Membership.role.in_((Role.LEADER, Role.LOCAL_RESOURCE))))
             .order_by(Membership.id))
    seen, members = set(), []
    for person, role, at_unit in (await session.exec(query)).all():
        if (person.id, role) not in seen:
            seen.add((person.id, role))
            members.append(GroupMember(person, role, at_unit is None))
    return members


@dataclass(frozen=True)
class EnrolledUnit:
    unit_id: int
    code: str
    name: str
    trust_id: int
    trust_code: str
    trust: str
    region_id: int
    region: str
    enrolment: DstEnrolment
    done: dict[str, date]  # phase key -> the day it was done


def _in_place(query, place: tuple[str, int | None] | None, unit_ids: tuple[int, ...] | None = None):
    if unit_ids is not None:
        return query.where(Unit.id.in_(unit_ids))
    if place is None or place[0] == "national":
        return query
    if place[0] == "region":
        return query.where(HealthTrust.region_id == place[1])
    return query.where(HealthTrust.id == place[1])


async def enrolled_units(session: AsyncSession, place: tuple[str, int | None] | None = None,
                         unit_ids: tuple[int, ...] | None = None) -> list[EnrolledUnit]:
    """The DST units of a place (national, ("region", id), ("trust", id)) or of these units, with
    their done phases: two queries."""
    query = _in_place(select(DstEnrolment, Unit.code, Unit.name, HealthTrust.id, HealthTrust.code, HealthTrust.name,
                             Region.id, Region.name)
                      .join(Unit, Unit.id == DstEnrolment.unit_id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
                      .join(Region, Region.id == HealthTrust.region_id), place, unit_ids)
    rows = (await session.exec(query.order_by(Region.name, HealthTrust.name, Unit.name))).all()
    if not rows:
        return []
    done: dict[int, dict[str, date]] = defaultdict(dict)
    followups = [row[0].followup_id for row in rows]
    for followup_id, step, done_on in await _rows(session, select(StepRecord.followup_id, StepRecord.step,
                                                                   StepRecord.done_on)
                                                  .where(StepRecord.followup_id.in_(followups))):
        done[followup_id][step] = done_on
    return [EnrolledUnit(e.unit_id, code, name, tid, tcode, tname, rid, rname, e, done[e.followup_id])
            for e, code, name, tid, tcode, tname, rid, rname in rows]


async def dst_measure_counts(session: AsyncSession, unit_ids: list[int]) -> dict[int, dict[str, int]]:
    """The DST measures of these units by status (proposals not yet accepted are not measures)."""
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if unit_ids:
        for unit_id, status, n in await _rows(session, select(Measure.unit_id, Measure.status, func.count())
                                              .where(Measure.unit_id.in_(unit_ids), Measure.method == DST_METHOD,
                                                     func.coalesce(Measure.proposal, "accepted") == "accepted")
                                              .group_by(Measure.unit_id, Measure.status)):
            counts[unit_id][status] = n
    return counts


# --- gatherings ---

async def add_gathering(session: AsyncSession, gathering: DstGathering) -> DstGathering:
    session.add(gathering)
    await session.flush()
    return gathering


async def gatherings(session: AsyncSession, region_id: int | None = None, since: date | None = None) -> list:
    query = select(DstGathering, Region.name).join(Region, Region.id == DstGathering.region_id)
    if region_id is not None:
        query = query.where(DstGathering.region_id == region_id)
    if since is not None:
        query = query.where(DstGathering.held_on >= since)
    return list((await session.exec(query.order_by(DstGathering.held_on, DstGathering.id))).all())


# --- Tidlig og tett på ---

async def ttp_schedule(session: AsyncSession, trust_id: int) -> TtpSchedule | None:
    return await session.get(TtpSchedule, trust_id)


async def set_ttp(session: AsyncSession, trust_id: int, enabled: bool | None, dates: str | None,
                  now: datetime) -> TtpSchedule:
    row = await session.get(TtpSchedule, trust_id)
    if row is None:
        row = TtpSchedule(trust_id=trust_id, enabled=True, dates="", updated_at=now)
        session.add(row)
    if enabled is not None:
        row.enabled = enabled
    if dates is not None:
        row.dates = dates
    row.updated_at = now
    await session.flush()
    return row


# --- what the reminder sweep reads: a handful of grouped queries for the whole country ---

@dataclass
class Programme:
    enrolled: list[tuple[int, int, int, date, int]]  # unit, trust, region, start, followup
    done: dict[int, set[str]]  # followup -> done phases
    unit_people: dict[int, list[tuple[int, str]]]  # unit -> (person, role) of its working group
    trust_people: dict[int, list[tuple[int, str]]]  # trust -> (person, role): leaders, local resources
    teams: dict[int, list[int]]  # region -> its intervention team
    gatherings: list[tuple[int, int, date]]  # (id, region, day) of the gatherings soon
    ttp: dict[int, tuple[bool, str]]  # trust -> (enabled, days) set by the trust
    trusts: list[int]
    answers: list[tuple[int, int, datetime]]  # the reps' unanswered phase questions: (confirmation, person, asked)


async def programme(session: AsyncSession, gatherings_from: date, gatherings_to: date) -> Programme:
    enrolled = [tuple(row) for row in await _rows(session, (
        select(DstEnrolment.unit_id, Unit.trust_id, HealthTrust.region_id, DstEnrolment.started_on,
               DstEnrolment.followup_id)
        .join(Unit, Unit.id == DstEnrolment.unit_id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
        .order_by(DstEnrolment.unit_id)))]
    done: dict[int, set[str]] = defaultdict(set)
    unit_people: dict[int, list] = defaultdict(list)
    trust_people: dict[int, list] = defaultdict(list)
    teams: dict[int, list[int]] = defaultdict(list)
    if enrolled:
        for followup_id, step in await _rows(session, (
                select(StepRecord.followup_id, StepRecord.step).join(
                    DstEnrolment, DstEnrolment.followup_id == StepRecord.followup_id))):
            done[followup_id].add(step)
        for person_id, role, unit_id, trust_id, region_id in await _rows(session, (
                select(Membership.person_id, Membership.role, Membership.unit_id, Membership.trust_id,
                       Membership.region_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.active, ((Membership.unit_id.in_(select(DstEnrolment.unit_id))
                                        & Membership.role.in_((Role.LEADER, Role.SAFETY_REP, Role.UNION_REP,
                                                               Role.LOCAL_RESOURCE)))
                                       | ((Membership.scope == Scope.TRUST)
                                          & Membership.role.in_((Role.LEADER, Role.LOCAL_RESOURCE)))
                                       | ((Membership.scope == Scope.REGION)
                                          & (Membership.role == Role.INTERVENTION_TEAM))))
                .order_by(Membership.id))):
            if unit_id is not None:
                unit_people[unit_id].append((person_id, role))
            elif role == Role.INTERVENTION_TEAM:
                teams[region_id].append(person_id)
            else:
                trust_people[trust_id].append((person_id, role))
    answers = []
    if enrolled:
        answers = [tuple(row) for row in await _rows(session, (
            select(Confirmation.id, Confirmation.person_id, Confirmation.requested_at)
            .join(DstEnrolment, DstEnrolment.followup_id == Confirmation.followup_id)
            .join(Person, Person.id == Confirmation.person_id)
            .where(Confirmation.answer.is_(None), Person.active,
                   # only while they still hold the role they were asked in, at the unit
                   select(Membership.id).where(Membership.person_id == Confirmation.person_id,
                                               Membership.unit_id == DstEnrolment.unit_id,
                                               Membership.role == Confirmation.role).exists())
            .order_by(Confirmation.id)))]
    soon = [tuple(row) for row in await _rows(session, (
        select(DstGathering.id, DstGathering.region_id, DstGathering.held_on)
        .where(DstGathering.held_on.between(gatherings_from, gatherings_to)).order_by(DstGathering.id)))]
    ttp = {trust_id: (enabled, days) for trust_id, enabled, days in await _rows(session, (
        select(TtpSchedule.trust_id, TtpSchedule.enabled, TtpSchedule.dates)))}
    trusts = [trust_id for (trust_id,) in await _rows(session, select(HealthTrust.id).order_by(HealthTrust.id))]
    return Programme(enrolled, done, unit_people, trust_people, teams, soon, ttp, trusts, answers)


async def unit_leaders_of_trusts(session: AsyncSession, trust_ids: list[int]) -> dict[int, list[int]]:
    """The active leaders of the units of these trusts, by trust: one query."""
    found: dict[int, list[int]] = defaultdict(list)
    if trust_ids:
        for person_id, trust_id in await _rows(session, (
                select(Membership.person_id, Unit.trust_id).join(Unit, Unit.id == Membership.unit_id)
                .join(Person, Person.id == Membership.person_id)
                .where(Person.active, Membership.role == Role.LEADER, Unit.trust_id.in_(trust_ids))
                .order_by(Membership.id))):
            if person_id not in found[trust_id]:
                found[trust_id].append(person_id)
    return found


async def digest_names(session: AsyncSession, units: set[int], gathering_ids: set[int],
                       trust_ids: set[int]) -> dict:
    """What the programme's reminders name, by ("dst", unit), ("gathering", id), ("trust", id): a
    query per kind present."""
    names: dict = {}
    if units:
        for unit_id, name in await _rows(session, select(Unit.id, Unit.name).where(Unit.id.in_(units))):
            names["dst", unit_id] = name
    if gathering_ids:
        for gid, kind, held_on, place, region in await _rows(session, (
                select(DstGathering.id, DstGathering.kind, DstGathering.held_on, DstGathering.place, Region.name)
                .join(Region, Region.id == DstGathering.region_id).where(DstGathering.id.in_(gathering_ids)))):
            names["gathering", gid] = (kind, held_on, place, region)
    if trust_ids:
        for trust_id, name in await _rows(session, select(HealthTrust.id, HealthTrust.name)
                                          .where(HealthTrust.id.in_(trust_ids))):
            names["trust", trust_id] = name
    return names
