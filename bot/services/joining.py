"""Redeeming an invite code: `/start <code>`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bot.rules import invites as rules
from bot.rules.vocabulary import InviteState
from bot.services.members import Handover, hand_over
from storage import audit, invites, organisation, people
from storage.database import Database
from storage.models import Membership, Person


class JoinOutcome(StrEnum):
    JOINED = "joined"
    ALREADY_MEMBER = "already_member"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED_UP = "used_up"
    THROTTLED = "throttled"


@dataclass
class JoinResult:
    outcome: JoinOutcome
    person: Person | None = None
    role: str | None = None
    place: str | None = None
    wait: timedelta | None = None
    handover: Handover | None = None  # a leader invite that replaces another leader (bot/services/members.py)


_REFUSALS = {
    InviteState.EXPIRED: JoinOutcome.EXPIRED,
    InviteState.REVOKED: JoinOutcome.REVOKED,
    InviteState.USED_UP: JoinOutcome.USED_UP,
}


async def redeem(db: Database, telegram_user_id: int, name: str, language_guess: str,
                 code: str, now: datetime, joined_at: datetime | None = None) -> JoinResult:
    """`now` is the real time (invites expire by it); `joined_at` the bot's clock, when the
    membership begins (a unit's first member is when the unit started: /followup)."""
    async with db.session() as session:
        wait = rules.retry_after(
            await people.failed_joins_since(session, telegram_user_id, now - rules.FAILURE_WINDOW), now
        )
        if wait is not None:
            return JoinResult(JoinOutcome.THROTTLED, wait=wait)

        invite = await invites.invite_by_hash(session, rules.hash_code(code)) if rules.looks_like_code(code) else None
        if invite is None:
            await people.record_failed_join(session, telegram_user_id)
            return JoinResult(JoinOutcome.UNKNOWN)

        state = rules.invite_state(invite.revoked_at, invite.expires_at, invite.uses_count, invite.uses_allowed, now)
        place = await organisation.place_names(session, invite.unit_id, invite.trust_id, invite.region_id)
        person = await people.person_by_telegram_id(session, telegram_user_id)
        if person is not None and await people.find_membership(
            session, person.id, invite.role, invite.unit_id, invite.trust_id, invite.region_id
        ):
            # Pressing the link again is harmless and does not spend a use.
            return JoinResult(JoinOutcome.ALREADY_MEMBER, person=person, role=invite.role, place=place)
        if state is not InviteState.VALID:
            await people.record_failed_join(session, telegram_user_id)
            return JoinResult(_REFUSALS[state], role=invite.role, place=place)

        if not await invites.take_one_use(session, invite.id, now):
            # Another person took the last use between our read and our write.
            return JoinResult(JoinOutcome.USED_UP, role=invite.role, place=place)
        person = await people.get_or_create_person(session, telegram_user_id, name, language_guess)
        if not person.active:
            person.active = True
        people.add_membership(session, Membership(
            person_id=person.id, role=invite.role, scope=invite.scope, unit_id=invite.unit_id,
            trust_id=invite.trust_id, region_id=invite.region_id, invite_id=invite.id,
            created_at=joined_at or now,
        ))
        audit.record(session, f"person:{person.id}", "join", f"invite:{invite.id}",
                     f"role={invite.role} scope={invite.scope} place={place}")
        handover = None
        if invite.replaces_person_id is not None and invite.unit_id is not None:
            # The membership is written before the handover's first query (the session flushes first).
            handover = await hand_over(session, invite, person.id, person.name, now)
        return JoinResult(JoinOutcome.JOINED, person=person, role=invite.role, place=place, handover=handover)
