"""The outbox: every message the bot sends on its own, and how its delivery went.

A row being sent is leased: it is in 'sending', names its worker and holds
until `lease_until`. Only a lease that has run out is taken back, so a worker
never resends what another one is sending right now."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import OutboxState
from storage.models import OutboxMessage, Person


async def add(session: AsyncSession, message: OutboxMessage) -> OutboxMessage:
    session.add(message)
    await session.flush()
    return message


async def add_all(session: AsyncSession, messages: dict[int, OutboxMessage]) -> dict[int, int]:
    """Queue these messages (keyed by whatever the caller likes) in the caller's transaction;
    returns each key's message id."""
    session.add_all(list(messages.values()))
    await session.flush()
    return {key: message.id for key, message in messages.items()}


async def due(session: AsyncSession, now: datetime, limit: int, kinds: tuple[str, ...] | None = None) -> list[OutboxMessage]:
    query = (select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now)
             .order_by(OutboxMessage.id).limit(limit))
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    return list((await session.exec(query)).all())


async def claim(session: AsyncSession, message_id: int, worker: str, lease_until: datetime) -> bool:
    """pending -> sending under this worker's lease, only if nobody else took it."""
    result = await session.exec(update(OutboxMessage)
                                .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
                                .values(state=OutboxState.SENDING, attempts=OutboxMessage.attempts + 1,
                                        lease_owner=worker, lease_until=lease_until))
    return result.rowcount == 1


async def finish(session: AsyncSession, message_id: int, state: str, now: datetime, error: str | None = None,
                 telegram_message_id: int | None = None) -> None:
    values = {"state": state, "error": error, "lease_owner": None, "lease_until": None}
    if state == OutboxState.SENT:
        values.update(sent_at=now, telegram_message_id=telegram_message_id)
    await session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def give_back(session: AsyncSession, message_id: int, not_before: datetime, undo_attempt: bool = False,
                    failing_since: datetime | None = None) -> None:
    """Back to pending, to be tried from `not_before` on (a 429 does not count as an attempt).
    `failing_since` is kept from the first network failure on: the row gives up by age."""
    values = {"state": OutboxState.PENDING, "not_before": not_before, "lease_owner": None, "lease_until": None}
    if undo_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    if failing_since is not None:
        values["failing_since"] = func.coalesce(OutboxMessage.failing_since, failing_since)
    await session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def block_person(session: AsyncSession, person_id: int) -> None:
    """They blocked the bot: inactive, and nothing more is sent to them."""
    await session.exec(update(Person).where(Person.id == person_id).values(active=False))
    await session.exec(update(OutboxMessage)
                       .where(OutboxMessage.person_id == person_id, OutboxMessage.state == OutboxState.PENDING)
                       .values(state=OutboxState.BLOCKED))


async def active(session: AsyncSession, person_id: int) -> bool:
    return bool((await session.exec(select(Person.active).where(Person.id == person_id))).first())


async def take_back_expired(session: AsyncSession, now: datetime) -> int:
    """Rows whose worker's lease ran out (it was killed, or lost its database) go out again:
    at-least-once. A lease still running is left alone."""
    result = await session.exec(update(OutboxMessage)
                                .where(OutboxMessage.state == OutboxState.SENDING,
                                       or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until <= now))
                                .values(state=OutboxState.PENDING, lease_owner=None, lease_until=None))
    return result.rowcount


async def backlog(session: AsyncSession) -> dict[str, int]:
    """How many rows are in each state (for `forbedring-bot status`)."""
    rows = await session.exec(select(OutboxMessage.state, func.count()).group_by(OutboxMessage.state))
    return {state: count for state, count in rows.all()}


async def rewrite_pending(session: AsyncSession, message_id: int, text: str, reply_markup: str | None) -> bool:
    """A message still waiting (a held notice) gets its final words; False once it is on its way."""
    result = await session.exec(update(OutboxMessage)
                                .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
                                .values(text=text, reply_markup=reply_markup))
    return result.rowcount == 1
