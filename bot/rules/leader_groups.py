"""The line above the unit: leader-group units and who is "the level above" a unit.

The organisation file names leader-group units in its `leader_group` column (department,
clinic or trust). Such a unit is a unit like any other (its leader(s) and reps, its year, areas,
measures and plan), and its leaders are the leaders at that level:

- a department-level group covers the units of its trust with the same clinic and department;
- a clinic-level group covers the units of its trust with the same clinic;
- a trust-level group covers every unit of its trust.

The level above a unit is the nearest group that covers it (department, then clinic, then
trust), never the unit itself; the leaders with a leader membership at the trust's scope are
above every unit of their trust as before. A raised problem goes to the nearest group (or to the
trust's leaders when no group covers the unit); the weekly digest goes to the leaders of every
group that covers a unit and to the trust's leaders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from bot.rules.vocabulary import LeaderGroupLevel

# Nearest first.
ORDER = (LeaderGroupLevel.DEPARTMENT, LeaderGroupLevel.CLINIC, LeaderGroupLevel.TRUST)

# What the organisation file may write in the leader_group column (lower case), and the level it means.
FILE_VALUES = {
    "department": LeaderGroupLevel.DEPARTMENT, "avdeling": LeaderGroupLevel.DEPARTMENT,
    "clinic": LeaderGroupLevel.CLINIC, "klinikk": LeaderGroupLevel.CLINIC,
    "trust": LeaderGroupLevel.TRUST, "foretak": LeaderGroupLevel.TRUST, "helseforetak": LeaderGroupLevel.TRUST,
}


@dataclass(frozen=True)
class Place:
    """Where a unit sits: its id, trust and the optional levels between (as the file names them),
    and its leader-group level (None for an ordinary unit)."""

    unit_id: int
    trust_id: int
    clinic: str | None
    department: str | None
    level: str | None = None


def level_from_file(value: str) -> LeaderGroupLevel | None:
    """The level a cell of the leader_group column names; None for an empty cell. Raises
    ValueError for anything else."""
    value = value.strip().lower()
    if not value:
        return None
    if value not in FILE_VALUES:
        raise ValueError(value)
    return FILE_VALUES[value]


def covers(group: Place, unit: Place) -> bool:
    """Is `group` (a leader-group unit) above `unit`?"""
    if group.level is None or group.unit_id == unit.unit_id or group.trust_id != unit.trust_id:
        return False
    if unit.level is not None and ORDER.index(LeaderGroupLevel(unit.level)) >= ORDER.index(LeaderGroupLevel(group.level)):
        return False  # a group is above groups of a nearer level only
    if group.level == LeaderGroupLevel.TRUST:
        return True
    if group.level == LeaderGroupLevel.CLINIC:
        return bool(group.clinic) and unit.clinic == group.clinic
    return bool(group.department) and unit.department == group.department and unit.clinic == group.clinic


def groups_above(unit: Place, groups: Iterable[Place]) -> list[Place]:
    """Every group above the unit, nearest first."""
    found = [g for g in groups if covers(g, unit)]
    return sorted(found, key=lambda g: (ORDER.index(LeaderGroupLevel(g.level)), g.unit_id))


def nearest_above(unit: Place, groups: Iterable[Place]) -> Place | None:
    """The leader group a problem raised by the unit goes to; None: the trust's leaders."""
    above = groups_above(unit, groups)
    return above[0] if above else None
