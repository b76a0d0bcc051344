"""Whose progress a person may see: their widest membership decides."""

from __future__ import annotations

from bot.rules.places import Where
from bot.rules.vocabulary import Role, Scope

# Roles that see roll-ups for the place their membership covers.
OVERSEERS = {Role.ADMIN, Role.PROGRAMME_STAFF, Role.LEADER}
UNIT_ROLES = {Role.LEADER, Role.SAFETY_REP, Role.UNION_REP}


def scopes(memberships) -> list[Where]:
    """Every place a person oversees: national (which covers all); else their regions and trusts
    (a trust inside one of the regions may be listed too: harmless); else their own units."""
    overseeing = [m for m in memberships if m.role in OVERSEERS and m.unit_id is None]
    if any(m.scope == Scope.NATIONAL for m in overseeing):
        return [Where()]
    found = [Where(region_id=r) for r in sorted({m.region_id for m in overseeing if m.scope == Scope.REGION})]
    found += [Where(region_id=m.region_id, trust_id=t)
              for t, m in sorted({m.trust_id: m for m in overseeing if m.scope == Scope.TRUST}.items())]
    if found:
        return found
    widest = widest_scope(memberships)
    return [widest] if widest is not None else []


def widest_scope(memberships) -> Where | None:
    """National, else a region, else a trust, else the person's own units; None if nothing."""
    overseeing = [m for m in memberships if m.role in OVERSEERS and m.unit_id is None]
    for scope in (Scope.NATIONAL, Scope.REGION, Scope.TRUST):
        for m in overseeing:
            if m.scope == scope:
                return Where(region_id=m.region_id, trust_id=m.trust_id)
    units = tuple(sorted({m.unit_id for m in memberships if m.role in UNIT_ROLES and m.unit_id is not None}))
    return Where(unit_ids=units) if units else None


def within_any(scopes: list[Where], region_id: int | None, trust_id: int | None) -> bool:
    return any(within(scope, region_id, trust_id) for scope in scopes)


def within(scope: Where, region_id: int | None, trust_id: int | None) -> bool:
    """May someone with `scope` look at this region or trust (or below)?"""
    if scope.unit_ids is not None:
        return False
    if scope.region_id is None and scope.trust_id is None:
        return True
    if scope.trust_id is not None:
        return trust_id == scope.trust_id
    return region_id == scope.region_id
