"""Who may see and end which memberships, and what ending one takes away.

Plain functions over memberships (anything with role, scope, unit_id, trust_id, region_id)
and places given as (unit, trust, region) ids; the services load both from the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bot.rules.access import MembershipLike, is_admin_over, is_leader_above
from bot.rules.vocabulary import Role, Scope

# The roles that may open /members: admins, and leaders whose membership is above the unit.
MANAGERS = frozenset({Role.ADMIN, Role.LEADER})


@dataclass(frozen=True)
class Place:
    """Where a membership sits: its unit (if any), and the trust and region that hold it.
    A national membership has none of them."""

    unit_id: int | None
    trust_id: int | None
    region_id: int | None


def manages_members(memberships: Iterable[MembershipLike]) -> bool:
    """An admin anywhere, or a leader of a trust or region (the leader group above the units)."""
    return any(m.role == Role.ADMIN or (m.role == Role.LEADER and m.unit_id is None
                                        and m.scope in (Scope.TRUST, Scope.REGION))
               for m in memberships)


def manager_scopes(memberships: Iterable[MembershipLike]) -> list[tuple[str, int | None]]:
    """The places whose members this person manages: ("national", None), ("region", id) or
    ("trust", id), widest first, each once."""
    found: list[tuple[str, int | None]] = []
    for m in memberships:
        if m.role == Role.ADMIN and m.scope == Scope.NATIONAL:
            return [(Scope.NATIONAL.value, None)]
        if m.role in MANAGERS and m.unit_id is None:
            if m.scope == Scope.REGION:
                found.append((Scope.REGION.value, m.region_id))
            elif m.scope == Scope.TRUST:
                found.append((Scope.TRUST.value, m.trust_id))
    order = {Scope.REGION.value: 0, Scope.TRUST.value: 1}
    return sorted(set(found), key=lambda s: (order[s[0]], s[1]))


def may_manage(memberships: Iterable[MembershipLike], role: str, place: Place) -> bool:
    """May this person end a membership with `role` at `place`?

    Admins: any membership inside their region, trust or the whole country, including ones at
    the level of their own (a trust admin may end another trust-level role of that trust).
    Leaders above the unit: the memberships of the units under their trust or region only
    (leaders and reps of those units), not admins' or other leaders' above the unit."""
    memberships = list(memberships)
    if place.trust_id is None and place.region_id is None:  # a national membership
        return any(m.role == Role.ADMIN and m.scope == Scope.NATIONAL for m in memberships)
    if place.trust_id is None:  # a region membership
        return any(m.role == Role.ADMIN and (m.scope == Scope.NATIONAL or (
            m.scope == Scope.REGION and m.region_id == place.region_id)) for m in memberships)
    if is_admin_over(memberships, place.trust_id, place.region_id):
        return True
    return place.unit_id is not None and is_leader_above(memberships, place.trust_id, place.region_id)


def is_own_admin_membership(person_id: int, actor_person_id: int | None, role: str) -> bool:
    """An admin's own admin membership is not ended from the chat: another admin or the command
    line does it (so nobody locks themselves out by a slip of the finger)."""
    return actor_person_id is not None and person_id == actor_person_id and role == Role.ADMIN


def covers(memberships: Iterable[MembershipLike], place: Place) -> bool:
    """Does any of these memberships reach the unit at `place` (its own role there, or a role
    at its trust, its region or national)? Reminders and dialogs about a unit no longer
    reached are dropped when a membership ends."""
    for m in memberships:
        if m.scope == Scope.NATIONAL:
            return True
        if m.unit_id is not None and m.unit_id == place.unit_id:
            return True
        if m.unit_id is None and m.trust_id is not None and m.trust_id == place.trust_id:
            return True
        if m.unit_id is None and m.region_id is not None and m.region_id == place.region_id:
            return True
    return False


def oversees(memberships: Iterable[MembershipLike], region_id: int, trust_id: int | None = None) -> bool:
    """May this person walk /members through this region (or this trust of it)?"""
    for kind, place_id in manager_scopes(memberships):
        if kind == Scope.NATIONAL:
            return True
        if kind == Scope.REGION and place_id == region_id:
            return True
        if kind == Scope.TRUST and trust_id is not None and place_id == trust_id:
            return True
    return False
