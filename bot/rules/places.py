"""A place in the organisation, as the rules name it and the progress queries filter by it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Where:
    """A place in the organisation: everything, a region, a trust, a clinic in a trust, or some units."""

    region_id: int | None = None
    trust_id: int | None = None
    clinic: str | None = None
    unit_ids: tuple[int, ...] | None = None
