"""The outbox: every message the bot sends on its own, and how its delivery went."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.rules.vocabulary import OutboxState
from storage.models import OutboxMessage, Person


async def add(session: AsyncSession, message: OutboxMessage) -> OutboxMessage:
    session.add(message)
    await session.flush()
    return message


async def due(session: AsyncSession, now: datetime, limit: int, kinds: tuple[str, ...] | None = None) -> list[OutboxMessage]:
    query = (select(OutboxMessage).where(OutboxMessage.state == OutboxState.PENDING, OutboxMessage.not_before <= now)
             .order_by(OutboxMessage.id).limit(limit))
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    return list((await session.exec(query)).all())


async def claim(session: AsyncSession, message_id: int) -> bool:
    """pending -> sending, only if nobody else took it."""
    result = await session.exec(update(OutboxMessage)
                                .where(OutboxMessage.id == message_id, OutboxMessage.state == OutboxState.PENDING)
                                .values(state=OutboxState.SENDING, attempts=OutboxMessage.attempts + 1))
    return result.rowcount == 1


async def finish(session: AsyncSession, message_id: int, state: str, now: datetime, error: str | None = None,
                 telegram_message_id: int | None = None, not_before: datetime | None = None) -> None:
    values = {"state": state, "error": error}
    if state == OutboxState.SENT:
        values.update(sent_at=now, telegram_message_id=telegram_message_id)
    if not_before is not None:
        values["not_before"] = not_before
    await session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def give_back(session: AsyncSession, message_id: int, not_before: datetime, undo_attempt: bool = False) -> None:
    """Back to pending, to be tried from `not_before` on (a 429 does not count as an attempt)."""
    values = {"state": OutboxState.PENDING, "not_before": not_before}
    if undo_attempt:
        values["attempts"] = OutboxMessage.attempts - 1
    await session.exec(update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values))


async def block_person(session: AsyncSession, person_id: int) -> None:
    """They blocked the bot: inactive, and nothing more is sent to them."""
    await session.exec(update(Person).where(Person.id == person_id).values(active=False))
    await session.exec(update(OutboxMessage)
                       .where(OutboxMessage.person_id == person_id, OutboxMessage.state == OutboxState.PENDING)
                       .values(state=OutboxState.BLOCKED))


async def active(session: AsyncSession, person_id: int) -> bool:
    return bool((await session.exec(select(Person.active).where(Person.id == person_id))).first())


async def reset_in_flight(session: AsyncSession) -> int:
    """Rows a killed process left in 'sending' go out again: at-least-once."""
    result = await session.exec(update(OutboxMessage).where(OutboxMessage.state == OutboxState.SENDING).values(state=OutboxState.PENDING))
    return result.rowcount
