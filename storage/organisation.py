"""Queries and writes for regions, health trusts and units."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from sqlmodel import func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import HealthTrust, Region, Unit


class OrgRowLike(Protocol):
    region: str
    trust_code: str
    trust_name: str
    unit_code: str
    unit_name: str
    clinic: str | None
    department: str | None
    leader_group: str | None


@dataclass
class ImportSummary:
    created: dict[str, int] = field(default_factory=lambda: {"region": 0, "trust": 0, "unit": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"region": 0, "trust": 0, "unit": 0})

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())


def _update(obj, counter: dict[str, int], kind: str, **values) -> None:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    if changed:
        counter[kind] += 1


async def import_rows(session: AsyncSession, rows: list[OrgRowLike], region_code_of,
                      summary: ImportSummary | None = None) -> ImportSummary:
    """Create or update in place; keyed by region code, trust code and (trust, unit code).
    Reads only the units whose codes are among `rows`, so a large file can go in chunks."""
    summary = summary if summary is not None else ImportSummary()
    regions = {r.code: r for r in (await session.exec(select(Region))).all()}
    trusts = {t.code: t for t in (await session.exec(select(HealthTrust))).all()}
    codes = {row.unit_code for row in rows}
    units = {(u.trust_id, u.code): u for u in (await session.exec(select(Unit).where(Unit.code.in_(codes)))).all()}

    for row in rows:
        code = region_code_of(row.region)
        region = regions.get(code)
        if region is None:
            region = regions[code] = Region(code=code, name=row.region)
            session.add(region)
            await session.flush()
            summary.created["region"] += 1
        else:
            _update(region, summary.updated, "region", name=row.region)

        trust = trusts.get(row.trust_code)
        if trust is None:
            trust = trusts[row.trust_code] = HealthTrust(code=row.trust_code, name=row.trust_name, region_id=region.id)
            session.add(trust)
            await session.flush()
            summary.created["trust"] += 1
        else:
            _update(trust, summary.updated, "trust", name=row.trust_name, region_id=region.id)

        unit = units.get((trust.id, row.unit_code))
        if unit is None:
            unit = units[(trust.id, row.unit_code)] = Unit(
                trust_id=trust.id, code=row.unit_code, name=row.unit_name,
                clinic=row.clinic, department=row.department, leader_group=row.leader_group,
            )
            session.add(unit)
            summary.created["unit"] += 1
        else:
            _update(unit, summary.updated, "unit", name=row.unit_name, clinic=row.clinic, department=row.department,
                    leader_group=row.leader_group)
    await session.flush()
    return summary


async def find_unit(session: AsyncSession, unit_code: str, trust_code: str | None = None) -> list[Unit]:
    """Units with this code; a unit code is only unique within its trust."""
    query = select(Unit).where(Unit.code == unit_code)
    if trust_code:
        query = query.join(HealthTrust).where(HealthTrust.code == trust_code)
    return list((await session.exec(query)).all())


async def find_trust(session: AsyncSession, code: str) -> HealthTrust | None:
    return (await session.exec(select(HealthTrust).where(HealthTrust.code == code))).first()


async def find_region(session: AsyncSession, code_or_name: str) -> Region | None:
    needle = code_or_name.strip().lower()
    query = select(Region).where((func.lower(Region.code) == needle) | (func.lower(Region.name) == needle))
    return (await session.exec(query)).first()


async def place_names(
    session: AsyncSession, unit_id: int | None, trust_id: int | None, region_id: int | None
) -> str | None:
    """A human name for a place: 'Unit, Trust' for a unit, the name otherwise."""
    if unit_id is not None:
        row = (await session.exec(
            select(Unit.name, HealthTrust.name).join(HealthTrust).where(Unit.id == unit_id)
        )).first()
        return f"{row[0]}, {row[1]}" if row else None
    if trust_id is not None:
        trust = await session.get(HealthTrust, trust_id)
        return trust.name if trust else None
    if region_id is not None:
        region = await session.get(Region, region_id)
        return region.name if region else None
    return None


async def count_units(session: AsyncSession) -> int:
    return (await session.exec(select(func.count()).select_from(Unit))).one()
