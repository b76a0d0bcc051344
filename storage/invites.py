"""Invites. Only the hash of a code is stored or looked up."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Invite


async def add_invite(session: AsyncSession, invite: Invite) -> Invite:
    session.add(invite)
    await session.flush()
    return invite


async def invite_by_hash(session: AsyncSession, code_hash: str) -> Invite | None:
    return (await session.exec(select(Invite).where(Invite.code_hash == code_hash))).first()


async def take_one_use(session: AsyncSession, invite_id: int, now: datetime) -> bool:
    """Count one use, atomically: false if the invite was used up, revoked or
    expired meanwhile (two people pressing the same link at once)."""
    result = await session.exec(
        update(Invite)
        .where(
            Invite.id == invite_id,
            Invite.uses_count < Invite.uses_allowed,
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(uses_count=Invite.uses_count + 1)
    )
    return result.rowcount == 1


async def list_invites(session: AsyncSession, include_inactive: bool, now: datetime) -> list[Invite]:
    query = select(Invite).order_by(Invite.id)
    if not include_inactive:
        query = query.where(
            Invite.revoked_at.is_(None), Invite.expires_at > now, Invite.uses_count < Invite.uses_allowed
        )
    return list((await session.exec(query)).all())


async def revoke_invite(session: AsyncSession, invite_id: int, now: datetime) -> Invite | None:
    invite = await session.get(Invite, invite_id)
    if invite is not None and invite.revoked_at is None:
        invite.revoked_at = now
    return invite
