"""Announcements: their audience, the fan-out into the outbox, and delivery counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists
from sqlmodel import func, select, union
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import AudienceScope, ProgressFilter
from storage.models import (
    Broadcast,
    HealthTrust,
    Membership,
    OutboxMessage,
    Person,
    Region,
    StepRecord,
    Unit,
    UnitFollowup,
)
from storage.reminders import _insert_ignore


def audience_query(roles: list[str], scope: str, place_id: int | None, progress: str, year: int):
    """The ids of the active people an audience reaches, as one SQL query."""
    at_units = (select(Membership.person_id)
                .join(Person, Person.id == Membership.person_id)
                .join(Unit, Unit.id == Membership.unit_id)
                .join(HealthTrust, HealthTrust.id == Unit.trust_id)
                .where(Membership.role.in_(roles), Person.active))
    if scope == AudienceScope.UNIT:
        at_units = at_units.where(Unit.id == place_id)
    elif scope == AudienceScope.TRUST:
        at_units = at_units.where(Unit.trust_id == place_id)
    elif scope == AudienceScope.REGION:
        at_units = at_units.where(HealthTrust.region_id == place_id)
    if progress == ProgressFilter.PLAN_NOT_SUBMITTED:
        at_units = at_units.where(~exists().where(
            UnitFollowup.unit_id == Unit.id, UnitFollowup.year == year, UnitFollowup.plan_submitted_at.is_not(None)))
    elif progress == ProgressFilter.FEEDBACK_NOT_HELD:
        at_units = at_units.where(~exists().where(
            UnitFollowup.unit_id == Unit.id, UnitFollowup.year == year,
            StepRecord.followup_id == UnitFollowup.id, StepRecord.step == "feedback"))
    if progress or scope == AudienceScope.UNIT:
        return at_units  # a progress filter is about units: only people at units
    above = (select(Membership.person_id)
             .join(Person, Person.id == Membership.person_id)
             .outerjoin(HealthTrust, HealthTrust.id == Membership.trust_id)
             .where(Membership.unit_id.is_(None), Membership.role.in_(roles), Person.active))
    if scope == AudienceScope.TRUST:
        above = above.where(Membership.trust_id == place_id)
    elif scope == AudienceScope.REGION:
        above = above.where((Membership.region_id == place_id) | (HealthTrust.region_id == place_id))
    return union(at_units, above)


async def audience_count(session: AsyncSession, **audience) -> int:
    # Distinct: a leader of two units matches twice but gets the announcement once.
    query = audience_query(**audience).subquery()
    return (await session.exec(select(func.count(func.distinct(query.c.person_id))))).one()


async def audience_people(session: AsyncSession, **audience) -> list[tuple[int, int, str]]:
    """(person id, chat id, language) for everyone reached."""
    ids = audience_query(**audience).subquery()
    query = (select(Person.id, Person.telegram_user_id, Person.language)
             .where(Person.id.in_(select(ids.c.person_id))).order_by(Person.id))
    return list((await session.exec(query)).all())


async def fan_out(session: AsyncSession, broadcast: Broadcast, rows: list[dict]) -> None:
    """One outbox row per recipient; the key makes a repeated fan-out add nothing."""
    for start in range(0, len(rows), 1000):
        await session.exec(_insert_ignore(session, OutboxMessage).values(rows[start:start + 1000]))


async def add(session: AsyncSession, broadcast: Broadcast) -> Broadcast:
    session.add(broadcast)
    await session.flush()
    return broadcast


async def get(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    return await session.get(Broadcast, broadcast_id)


async def in_state(session: AsyncSession, states: tuple[str, ...], due_by: datetime | None = None) -> list[Broadcast]:
    query = select(Broadcast).where(Broadcast.state.in_(states)).order_by(Broadcast.id)
    if due_by is not None:
        query = query.where(Broadcast.send_at <= due_by)
    return list((await session.exec(query)).all())


async def delivery_counts(session: AsyncSession, broadcast_ids: list[int]) -> dict[int, dict[str, int]]:
    counts: dict[int, dict[str, int]] = {b: {} for b in broadcast_ids}
    if broadcast_ids:
        rows = (await session.exec(
            select(OutboxMessage.broadcast_id, OutboxMessage.state, func.count())
            .where(OutboxMessage.broadcast_id.in_(broadcast_ids))
            .group_by(OutboxMessage.broadcast_id, OutboxMessage.state))).all()
        for broadcast_id, state, count in rows:
            counts[broadcast_id][state] = count
    return counts


async def recent(session: AsyncSession, limit: int = 10) -> list[Broadcast]:
    return list((await session.exec(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit))).all())


async def place_ids(session: AsyncSession, scope: str, text: str) -> tuple[int, int | None, int | None, str] | None:
    """(place id, region id, trust id, name) for a region code/name, a trust code, or 'TRUST UNIT'."""
    text = text.strip()
    if scope == AudienceScope.REGION:
        needle = text.lower()
        region = (await session.exec(select(Region).where(
            (func.lower(Region.code) == needle) | (func.lower(Region.name) == needle)))).first()
        return (region.id, region.id, None, region.name) if region else None
    if scope == AudienceScope.TRUST:
        trust = (await session.exec(select(HealthTrust).where(HealthTrust.code == text))).first()
        return (trust.id, trust.region_id, trust.id, trust.name) if trust else None
    parts = text.split()
    if len(parts) != 2:
        return None
    row = (await session.exec(select(Unit, HealthTrust).join(HealthTrust).where(
        HealthTrust.code == parts[0], Unit.code == parts[1]))).first()
    if row is None:
        return None
    unit, trust = row
    return unit.id, trust.region_id, trust.id, f"{unit.name}, {trust.name}"
