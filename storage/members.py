"""Memberships seen from above: who holds which role where, and ending memberships.

Set-based: listing a place, or ending any number of memberships, takes a fixed number of
statements (what ending one takes away is decided by bot/services/members.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlmodel import delete, func, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import OutboxKind, OutboxState, ReminderState
from storage.models import (
    Confirmation,
    DialogState,
    HealthTrust,
    Measure,
    Membership,
    OutboxMessage,
    Person,
    Region,
    Reminder,
    Unit,
    UnitFollowup,
)

# What a queued reminder digest says when it is not sent because its person holds no role any more.
ENDED = "membership ended"


@dataclass(frozen=True)
class MemberRow:
    """A membership with its person and the names of its place. `trust_id` and `region_id` are
    those of the place (a unit's trust and region too); national memberships have neither."""

    id: int
    person_id: int
    name: str
    telegram_user_id: int
    language: str
    active: bool
    role: str
    scope: str
    unit_id: int | None
    trust_id: int | None
    region_id: int | None
    unit_name: str | None
    trust_name: str | None
    region_name: str | None
    invite_id: int | None
    created_at: datetime

    @property
    def place(self) -> str | None:
        """'Unit, Trust', a trust's or a region's name, or None for national."""
        if self.unit_id is not None:
            return f"{self.unit_name}, {self.trust_name}"
        return self.trust_name or self.region_name


_TRUST_ID = func.coalesce(Membership.trust_id, Unit.trust_id)
_REGION_ID = func.coalesce(Membership.region_id, HealthTrust.region_id)


def _members_query():
    return (
        select(Membership.id, Membership.person_id, Person.name, Person.telegram_user_id, Person.language,
               Person.active, Membership.role, Membership.scope, Membership.unit_id, HealthTrust.id, Region.id,
               Unit.name, HealthTrust.name, Region.name, Membership.invite_id, Membership.created_at)
        .join(Person, Person.id == Membership.person_id)
        .outerjoin(Unit, Unit.id == Membership.unit_id)
        .outerjoin(HealthTrust, HealthTrust.id == _TRUST_ID)
        .outerjoin(Region, Region.id == _REGION_ID)
    )


async def members(session: AsyncSession, *, unit_id: int | None = None, trust_id: int | None = None,
                  region_id: int | None = None, ids: list[int] | None = None, invite_id: int | None = None,
                  person_id: int | None = None, roles: tuple[str, ...] | None = None) -> list[MemberRow]:
    """The memberships that match every filter given (none: all of them), in one query, ordered
    by place (national, regions, trusts, units), then role and name. `trust_id` and `region_id`
    take in everything below: the trust's units, the region's trusts and units."""
    query = _members_query()
    if unit_id is not None:
        query = query.where(Membership.unit_id == unit_id)
    if trust_id is not None:
        query = query.where(HealthTrust.id == trust_id)
    if region_id is not None:
        query = query.where(Region.id == region_id)
    if ids is not None:
        query = query.where(Membership.id.in_(ids))
    if invite_id is not None:
        query = query.where(Membership.invite_id == invite_id)
    if person_id is not None:
        query = query.where(Membership.person_id == person_id)
    if roles is not None:
        query = query.where(Membership.role.in_(roles))
    query = query.order_by(Region.name.nulls_first(), HealthTrust.name.nulls_first(), Unit.name.nulls_first(),
                           Membership.role, Person.name, Membership.id)
    return [MemberRow(*row) for row in (await session.exec(query)).all()]


async def end(session: AsyncSession, ids: list[int]) -> int:
    """Delete these memberships (the person stays, with any other roles they hold)."""
    if not ids:
        return 0
    return (await session.exec(delete(Membership).where(Membership.id.in_(ids)))).rowcount


async def remaining(session: AsyncSession, person_ids: set[int]) -> dict[int, list[Membership]]:
    """The memberships these people still hold, by person."""
    held: dict[int, list[Membership]] = {p: [] for p in person_ids}
    for membership in (await session.exec(select(Membership).where(Membership.person_id.in_(person_ids)))).all():
        held[membership.person_id].append(membership)
    return held


async def open_dialogs(session: AsyncSession, person_ids: set[int]) -> list[tuple[int, dict]]:
    """(person, the dialog's data) of each of these people who has a dialog open."""
    rows = (await session.exec(select(DialogState.person_id, DialogState.data)
                               .where(DialogState.person_id.in_(person_ids)))).all()
    return [(person_id, json.loads(data or "{}")) for person_id, data in rows]


async def close_dialogs(session: AsyncSession, person_ids: set[int]) -> int:
    if not person_ids:
        return 0
    return (await session.exec(delete(DialogState).where(DialogState.person_id.in_(person_ids)))).rowcount


async def pending_reminders(session: AsyncSession, person_ids: set[int]) -> list[tuple[int, int, str]]:
    """(id, person, subject) of these people's reminders not sent yet."""
    return list((await session.exec(select(Reminder.id, Reminder.person_id, Reminder.subject).where(
        Reminder.person_id.in_(person_ids), Reminder.state == ReminderState.PENDING))).all())


async def drop_reminders(session: AsyncSession, ids: list[int]) -> int:
    if not ids:
        return 0
    return (await session.exec(update(Reminder).where(Reminder.id.in_(ids), Reminder.state == ReminderState.PENDING)
                               .values(state=ReminderState.DROPPED))).rowcount


async def drop_queued_digests(session: AsyncSession, person_ids: set[int], now: datetime) -> int:
    """These people's reminder messages waiting in the outbox are not sent (they hold no role any more)."""
    if not person_ids:
        return 0
    return (await session.exec(update(OutboxMessage).where(
        OutboxMessage.person_id.in_(person_ids), OutboxMessage.kind == OutboxKind.REMINDER,
        OutboxMessage.state == OutboxState.PENDING).values(state=OutboxState.FAILED, error=ENDED))).rowcount


async def units_of(session: AsyncSession, unit_ids: set[int], measure_ids: set[int],
                   confirmation_ids: set[int]) -> tuple[dict[int, tuple[int, int]], dict[int, int], dict[int, int]]:
    """Where things sit, in at most three queries: each unit's (trust, region); each measure's
    and each confirmation's unit (their units are added to the first)."""
    measures = dict((await session.exec(select(Measure.id, Measure.unit_id)
                                        .where(Measure.id.in_(measure_ids)))).all()) if measure_ids else {}
    confirmations = dict((await session.exec(
        select(Confirmation.id, UnitFollowup.unit_id).join(UnitFollowup, UnitFollowup.id == Confirmation.followup_id)
        .where(Confirmation.id.in_(confirmation_ids)))).all()) if confirmation_ids else {}
    wanted = set(unit_ids) | set(measures.values()) | set(confirmations.values())
    units = {uid: (trust_id, region_id) for uid, trust_id, region_id in (await session.exec(
        select(Unit.id, Unit.trust_id, HealthTrust.region_id).join(HealthTrust, HealthTrust.id == Unit.trust_id)
        .where(Unit.id.in_(wanted)))).all()} if wanted else {}
    return units, measures, confirmations


async def add_messages(session: AsyncSession, messages: list[dict]) -> list[int]:
    """Queue these messages (the outbox's columns: person_id, chat_id, kind, text, not_before,
    created_at) in one statement, whatever their number. Returns their ids (in no particular order:
    SQLite's RETURNING over several rows keeps none)."""
    if not messages:
        return []
    table = OutboxMessage.__table__
    rows = [{"state": OutboxState.PENDING, "attempts": 0, **message} for message in messages]
    result = await (await session.connection()).execute(
        insert(table).returning(table.c.id), rows)
    return [row[0] for row in result.all()]


# --- the places a manager walks through in /members ---

async def regions(session: AsyncSession) -> list[tuple[int, str]]:
    return list((await session.exec(select(Region.id, Region.name).order_by(Region.name))).all())


async def trusts(session: AsyncSession, region_id: int | None = None) -> list[tuple[int, str, int]]:
    """(id, name, region) of the trusts, of one region or all."""
    query = select(HealthTrust.id, HealthTrust.name, HealthTrust.region_id).order_by(HealthTrust.name)
    if region_id is not None:
        query = query.where(HealthTrust.region_id == region_id)
    return list((await session.exec(query)).all())


async def trust(session: AsyncSession, trust_id: int) -> tuple[int, str, int] | None:
    return (await session.exec(select(HealthTrust.id, HealthTrust.name, HealthTrust.region_id)
                               .where(HealthTrust.id == trust_id))).first()


async def units_of_trust(session: AsyncSession, trust_id: int) -> list[tuple[int, str]]:
    return list((await session.exec(select(Unit.id, Unit.name).where(Unit.trust_id == trust_id)
                                    .order_by(Unit.name, Unit.id))).all())
