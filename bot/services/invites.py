"""Creating, listing and revoking invites (the admin's command line)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.rules import invites as rules
from bot.rules.access import ALLOWED_SCOPES
from bot.rules.errors import InviteError, MemberError
from bot.services import members
from bot.rules.vocabulary import InviteState, Role, Scope
from storage import audit, invites, organisation
from storage.database import Database
from storage.models import Invite


@dataclass
class NewInvite:
    invite: Invite
    code: str
    place: str | None


async def create_invite(db: Database, *, role: str, scope: str, place_code: str | None,
                        trust_code: str | None, expires_in: timedelta, uses: int,
                        created_by: str, now: datetime, replaces: int | None = None,
                        unit_id: int | None = None) -> NewInvite:
    """`replaces`: a handover, the person whose leader role at the unit ends when the invite is used
    (only for --role leader --unit, and only a leader of that unit)."""
    try:
        role_value, scope_value = Role(role), Scope(scope)
    except ValueError as exc:
        raise InviteError(f"unknown role '{role}': use one of {', '.join(r.value for r in Role)}") from exc
    if scope_value not in ALLOWED_SCOPES[role_value]:
        allowed = ", ".join(sorted(s.value for s in ALLOWED_SCOPES[role_value]))
        raise InviteError(f"a {role_value.value} invite must be for: {allowed}")
    rules.check_limits(uses, expires_in)

    code = rules.new_code()
    invite = Invite(code_hash=rules.hash_code(code), role=role_value.value, scope=scope_value.value,
                    expires_at=now + expires_in, uses_allowed=uses, created_by=created_by)
    async with db.session() as session:
        if scope_value is Scope.UNIT and unit_id is not None:  # from the chat, which knows the unit's id
            invite.unit_id = unit_id
        elif scope_value is Scope.UNIT:
            units = await organisation.find_unit(session, place_code, trust_code)
            if not units:
                raise InviteError(f"no unit with code '{place_code}'" + (f" in trust {trust_code}" if trust_code else ""))
            if len(units) > 1:
                raise InviteError(f"unit code '{place_code}' exists in several trusts: add --in-trust CODE")
            invite.unit_id = units[0].id
        elif scope_value is Scope.TRUST:
            trust = await organisation.find_trust(session, place_code)
            if trust is None:
                raise InviteError(f"no health trust with code '{place_code}'")
            invite.trust_id = trust.id
        elif scope_value is Scope.REGION:
            region = await organisation.find_region(session, place_code)
            if region is None:
                raise InviteError(f"no region with code or name '{place_code}'")
            invite.region_id = region.id
        if replaces is not None:
            try:
                await members.check_replaces(session, invite, replaces)
            except MemberError as exc:
                raise InviteError(str(exc)) from None
            invite.replaces_person_id = replaces
        await invites.add_invite(session, invite)
        place = await organisation.place_names(session, invite.unit_id, invite.trust_id, invite.region_id)
        audit.record(session, created_by, "invite.create", f"invite:{invite.id}",
                     f"role={invite.role} scope={invite.scope} place={place} uses={uses}"
                     + (f" replaces=person:{replaces}" if replaces is not None else ""))
    return NewInvite(invite=invite, code=code, place=place)


@dataclass
class InviteRow:
    invite: Invite
    place: str | None
    state: InviteState


async def list_invites(db: Database, include_inactive: bool, now: datetime) -> list[InviteRow]:
    async with db.session() as session:
        rows = []
        for invite in await invites.list_invites(session, include_inactive, now):
            place = await organisation.place_names(session, invite.unit_id, invite.trust_id, invite.region_id)
            state = rules.invite_state(invite.revoked_at, invite.expires_at, invite.uses_count,
                                       invite.uses_allowed, now)
            rows.append(InviteRow(invite, place, state))
        return rows


async def revoke_invite(db: Database, invite_id: int, actor: str, now: datetime,
                        remove_members: bool = False) -> members.Ending | None:
    """Withdraw an invite; with `remove_members`, the memberships made with it end too (in the
    same transaction). Returns what ending them did, or None without `remove_members`."""
    async with db.session() as session:
        invite = await invites.revoke_invite(session, invite_id, now)
        if invite is None:
            raise InviteError(f"no invite with id {invite_id}")
        audit.record(session, actor, "invite.revoke", f"invite:{invite.id}")
        if not remove_members:
            return None
        return await members.end_with_invite(session, invite_id, actor=actor, now=now)
