"""People, their memberships and their failed join attempts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam
from sqlalchemy.exc import DBAPIError
from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import dialogs, hot
from storage.database import Database
from storage.models import DialogState, HealthTrust, JoinAttempt, Membership, Person, Region, Unit
from storage.sqlite import INLINE_PREFIX


log = logging.getLogger(__name__)


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
    leader_group: str | None = None  # the unit's level when it is a leader-group unit (from the same join)


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


_VIEW_COLUMNS = (Membership.id, Membership.role, Membership.scope, Membership.unit_id, Membership.trust_id,
                 Membership.region_id, Unit.name, HealthTrust.name, Region.name, Unit.leader_group)


def _with_places(query):
    return (
        query
        .outerjoin(Unit, Membership.unit_id == Unit.id)
        .outerjoin(HealthTrust, HealthTrust.id == func.coalesce(Membership.trust_id, Unit.trust_id))
        .outerjoin(Region, Membership.region_id == Region.id)
        .order_by(Membership.id)
    )


def _view(membership_id, role, scope, unit_id, trust_id, region_id, unit_name, trust_name,
          region_name, leader_group) -> MembershipView:
    place = f"{unit_name}, {trust_name}" if unit_id is not None else trust_name or region_name
    return MembershipView(id=membership_id, role=role, scope=scope, unit_id=unit_id, trust_id=trust_id,
                          region_id=region_id, place=place, leader_group=leader_group)


async def memberships_of(session: AsyncSession, person_id: int) -> list[MembershipView]:
    query = _with_places(select(*_VIEW_COLUMNS).where(Membership.person_id == person_id))
    return [_view(*row) for row in (await session.exec(query)).all()]


@dataclass(slots=True)
class PersonRow:
    """A person as an update found them (`who`): plain values, read by the handlers and updated
    by hand after a service has saved a change (a new language, a pause); never written back."""

    id: int
    telegram_user_id: int
    name: str
    language: str
    language_chosen: bool
    active: bool
    snoozed_until: date | None
    muted_reminders: str
    created_at: datetime


_PERSON = Person.__table__
_PERSON_COLUMNS = tuple(_PERSON.c[name] for name in PersonRow.__dataclass_fields__)
# Built once (building and keying a statement with five joins costs more than running it),
# and run as plain rows: no ORM objects to make for every update.
_WHO = _with_places(
    select(*_PERSON_COLUMNS, *dialogs.COLUMNS, *_VIEW_COLUMNS)
    .select_from(_PERSON)
    .outerjoin(DialogState, DialogState.person_id == _PERSON.c.id)
    .outerjoin(Membership, Membership.person_id == _PERSON.c.id)
    .where(_PERSON.c.telegram_user_id == bindparam("telegram_user_id"))
).prefix_with(INLINE_PREFIX)  # SQLite: no hop to the connection's thread; PostgreSQL: no BEGIN
_WHO_HOT = hot.Hot(_WHO)  # where an update starts: straight to the driver, no session (storage/hot.py)
_BACK = _PERSON.update().where(_PERSON.c.id == bindparam("person")).values(active=True)
_P = len(_PERSON_COLUMNS)
_DIALOG = slice(_P, _P + len(dialogs.COLUMNS))
_MEMBERSHIP = slice(_DIALOG.stop, None)


async def who(session: AsyncSession, telegram_user_id: int) -> tuple[PersonRow | None, list[MembershipView],
                                                                      dialogs.DialogRow | None]:
    """Who an update is from, in one query: the person, their memberships (with the names of
    the places) and their open dialog."""
    rows = (await (await session.connection()).execute(_WHO, {"telegram_user_id": telegram_user_id})).all()
    return _who_of(rows)


def _who_of(rows):
    if not rows:
        return None, [], None
    first = rows[0]
    dialog = dialogs.DialogRow(*first[_DIALOG]) if first[_DIALOG][0] is not None else None
    return (PersonRow(*first[:_P]), [_view(*row[_MEMBERSHIP]) for row in rows if row[_MEMBERSHIP][0] is not None],
            dialog)


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


async def _load_who(db: Database, telegram_user_id: int, reactivate: bool):
    rows, _ = await hot.run(db, _WHO_HOT, {"telegram_user_id": telegram_user_id})
    person, memberships, dialog = _who_of(rows)
    if reactivate and person is not None and not person.active:
        # They were marked inactive after blocking the bot; /start means they are back.
        async with db.session() as session:
            await (await session.connection()).execute(_BACK, {"person": person.id})
        person.active = True
    return person, memberships, dialog


async def load_who(db: Database, telegram_user_id: int, reactivate: bool = False) -> tuple[
        PersonRow | None, list[MembershipView], dialogs.DialogRow | None]:
    """`who`, where an update starts: on the update's connection, without a session
    (storage/hot.py), committing nothing unless `reactivate` (the update is /start) and the person was inactive. Pooled
    connections are not pinged before use, so one the server dropped (a restart, an idle
    timeout) fails here, at the update's first statement: it is replaced and the query tried
    once more."""
    try:
        return await _load_who(db, telegram_user_id, reactivate)
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("the database connection was dropped; trying again with a new one")
        return await _load_who(db, telegram_user_id, reactivate)
