"""People, their memberships and their failed join attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HealthTrust, JoinAttempt, Membership, Person, Region, Unit


@dataclass(frozen=True)
class MembershipView:
    """A membership with the names needed to show it."""

    id: int
    role: str
    scope: str
    unit_id: int | None
    trust_id: int | None
    region_id: int | None
    place: str | None  # "Unit, Trust", a trust or region name, or None for national


async def person_by_telegram_id(session: AsyncSession, telegram_user_id: int) -> Person | None:
    return (await session.exec(select(Person).where(Person.telegram_user_id == telegram_user_id))).first()


async def get_person(session: AsyncSession, person_id: int) -> Person | None:
    return await session.get(Person, person_id)


async def get_or_create_person(session: AsyncSession, telegram_user_id: int, name: str, language: str) -> Person:
    person = await person_by_telegram_id(session, telegram_user_id)
    if person is None:
        person = Person(telegram_user_id=telegram_user_id, name=name[:200], language=language)
        session.add(person)
        await session.flush()
    return person


async def memberships_of(session: AsyncSession, person_id: int) -> list[MembershipView]:
    query = (
        select(Membership, Unit.name, HealthTrust.name, Region.name)
        .outerjoin(Unit, Membership.unit_id == Unit.id)
        .outerjoin(HealthTrust, HealthTrust.id == func.coalesce(Membership.trust_id, Unit.trust_id))
        .outerjoin(Region, Membership.region_id == Region.id)
        .where(Membership.person_id == person_id)
        .order_by(Membership.id)
    )
    views = []
    for membership, unit_name, trust_name, region_name in (await session.exec(query)).all():
        if membership.unit_id is not None:
            place = f"{unit_name}, {trust_name}"
        else:
            place = trust_name or region_name
        views.append(MembershipView(
            id=membership.id, role=membership.role, scope=membership.scope,
            unit_id=membership.unit_id, trust_id=membership.trust_id,
            region_id=membership.region_id, place=place,
        ))
    return views


async def find_membership(
    session: AsyncSession, person_id: int, role: str,
    unit_id: int | None, trust_id: int | None, region_id: int | None,
) -> Membership | None:
    # `IS` so that NULL scope columns compare equal.
    query = select(Membership).where(
        Membership.person_id == person_id,
        Membership.role == role,
        Membership.unit_id.is_(None) if unit_id is None else Membership.unit_id == unit_id,
        Membership.trust_id.is_(None) if trust_id is None else Membership.trust_id == trust_id,
        Membership.region_id.is_(None) if region_id is None else Membership.region_id == region_id,
    )
    return (await session.exec(query)).first()


def add_membership(session: AsyncSession, membership: Membership) -> None:
    session.add(membership)


async def set_language(session: AsyncSession, person_id: int, language: str) -> None:
    person = await session.get(Person, person_id)
    person.language = language
    person.language_chosen = True


async def set_active(session: AsyncSession, person_id: int, active: bool) -> None:
    person = await session.get(Person, person_id)
    person.active = active


async def record_failed_join(session: AsyncSession, telegram_user_id: int) -> None:
    session.add(JoinAttempt(telegram_user_id=telegram_user_id))


async def failed_joins_since(session: AsyncSession, telegram_user_id: int, since: datetime) -> list[datetime]:
    query = (
        select(JoinAttempt.at)
        .where(JoinAttempt.telegram_user_id == telegram_user_id, JoinAttempt.at >= since)
        .order_by(JoinAttempt.at)
    )
    return list((await session.exec(query)).all())
