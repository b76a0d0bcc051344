"""Setting the survey year's dates: from a file, or copied from last year."""

from __future__ import annotations

import csv
import io
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.rules.cycle import (
    working_year,
    DATE_FIELDS,
    CycleDates,
    contradictions,
    cycle_from,
    default_cycle,
    shifted_one_year,
)
from bot.rules.errors import CycleFileError
from storage import audit, cycles, organisation
from storage.database import Database


@dataclass
class CycleEntry:
    where: str  # "line 3" or "[[cycle]] 2", for messages
    trust_code: str
    dates: CycleDates


def _entries_from_records(records: list[tuple[str, dict]]) -> tuple[list[CycleEntry], list[str]]:
    entries, errors = [], []
    for where, record in records:
        record = {str(k).strip().lower(): v for k, v in record.items()}
        problems = []
        trust_code = str(record.get("trust_code") or "").strip()
        if not trust_code:
            problems.append("trust_code is empty")
        try:
            year = int(str(record.get("year", "")).strip())
        except ValueError:
            problems.append("year must be a number like 2027")
            year = 0
        values: dict[str, date] = {}
        for name in DATE_FIELDS:
            raw = record.get(name)
            if isinstance(raw, date):
                values[name] = raw
                continue
            try:
                values[name] = date.fromisoformat(str(raw or "").strip())
            except ValueError:
                problems.append(f"{name} must be a date like 2027-03-15" if raw else f"{name} is missing")
        if not problems:
            dates = CycleDates(year=year, **values)
            problems = contradictions(dates)
            if not problems:
                entries.append(CycleEntry(where, trust_code, dates))
        errors.extend(f"{where}: {p}" for p in problems)
    return entries, errors


def read_cycle_file(path: str | Path) -> list[CycleEntry]:
    """TOML ([[cycle]] tables) or CSV (one row per trust and year). Raises CycleFileError."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CycleFileError([f"cannot read {path}: {exc.strerror}"]) from exc
    if path.suffix.lower() == ".toml":
        try:
            document = tomllib.loads(data.decode("utf-8-sig"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise CycleFileError([f"not valid TOML: {exc}"]) from exc
        tables = document.get("cycle", [])
        if not isinstance(tables, list) or not tables:
            raise CycleFileError(["expected one or more [[cycle]] tables"])
        records = [(f"[[cycle]] {i}", t) for i, t in enumerate(tables, 1) if isinstance(t, dict)]
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CycleFileError(["the file is not UTF-8 text"]) from exc
        first = text.split("\n", 1)[0]
        reader = csv.DictReader(io.StringIO(text), delimiter=";" if first.count(";") > first.count(",") else ",")
        records = [(f"line {reader.line_num}", row) for row in reader]
        if not records:
            raise CycleFileError(["the file has no rows"])
    entries, errors = _entries_from_records(records)
    if errors:
        raise CycleFileError(errors)
    return entries


async def set_cycles(db: Database, entries: list[CycleEntry], actor: str = "cli") -> int:
    """All or nothing; returns how many trust-years changed."""
    async with db.session() as session:
        trusts = {}
        errors = []
        for entry in entries:
            trust = await organisation.find_trust(session, entry.trust_code)
            if trust is None:
                errors.append(f"{entry.where}: no health trust with code '{entry.trust_code}'")
            trusts[entry.where] = trust
        if errors:
            raise CycleFileError(errors)
        changed = 0
        for entry in entries:
            if await cycles.put_cycle(session, trusts[entry.where].id, entry.dates.year, entry.dates.as_dict()):
                changed += 1
                audit.record(session, actor, "cycle.set", f"trust:{entry.trust_code}:{entry.dates.year}")
        return changed


async def copy_year(db: Database, from_year: int, trust_code: str | None = None, actor: str = "cli") -> int:
    """Copy a year's dates one year on, for every trust that has them (or one trust)."""
    async with db.session() as session:
        rows = await cycles.cycles_of_year(session, from_year)
        if trust_code:
            trust = await organisation.find_trust(session, trust_code)
            if trust is None:
                raise CycleFileError([f"no health trust with code '{trust_code}'"])
            rows = [r for r in rows if r.trust_id == trust.id]
        for row in rows:
            moved = shifted_one_year(cycle_from(row))
            await cycles.put_cycle(session, row.trust_id, moved.year, moved.as_dict())
            audit.record(session, actor, "cycle.copy", f"trust_id:{row.trust_id}:{from_year}->{moved.year}")
        return len(rows)


async def working_year_of_trust(session, trust_id: int, today: date) -> int:
    """The survey year the trust's units work on today, by the trust's own evaluation deadline."""
    last = await cycle_for_trust(session, trust_id, today.year - 1)
    this = await cycle_for_trust(session, trust_id, today.year)
    return working_year(today, last.evaluation_deadline, this.survey_opens)


async def working_cycle_of_unit(session, unit_id: int, today: date) -> tuple[int, CycleDates]:
    """The survey year the unit works on today and its dates (the trust's own or the defaults), in
    one query (the same year as working_year_of_trust); LookupError: no such unit."""
    return working_cycle_from(await cycles.unit_cycles(session, unit_id, (today.year - 1, today.year)), unit_id, today)


async def working_cycle_of_unit_now(db: Database, unit_id: int, today: date) -> tuple[int, CycleDates]:
    """`working_cycle_of_unit` where an update needs no transaction for it (storage/hot.py)."""
    return working_cycle_from(await cycles.unit_cycles_now(db, unit_id, today.year - 1, today.year), unit_id, today)


def working_cycle_from(own, unit_id: int, today: date) -> tuple[int, CycleDates]:
    """The working year and its dates from the unit's trust's own dates of last year and this
    (storage/cycles.unit_cycles); LookupError: no such unit."""
    if own is None:
        raise LookupError(f"no unit {unit_id}")

    def cycle(year: int) -> CycleDates:
        return cycle_from(own[year]) if year in own else default_cycle(year)

    year = working_year(today, cycle(today.year - 1).evaluation_deadline, cycle(today.year).survey_opens)
    return year, cycle(year)


async def cycle_for_trust(session, trust_id: int, year: int) -> CycleDates:
    """The trust's own dates for the year, or the defaults."""
    row = await cycles.get_cycle(session, trust_id, year)
    return cycle_from(row) if row else default_cycle(year)
