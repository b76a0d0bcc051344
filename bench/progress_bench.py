"""Benchmark: /progress and /export on a national organisation.

Generates 4 regions, 20 health trusts, 9,000 units, 30,000 people, 90,000 measures
with status history (and follow-up records, steps, areas, confirmations), then
times the national and a per-trust roll-up and export, and prints peak memory.

    .venv/bin/python -m bench.progress_bench               # SQLite (a temporary file)
    .venv/bin/python -m bench.progress_bench --postgres    # PostgreSQL at 127.0.0.1:5432 (own database, dropped after)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import resource
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlmodel import select

from bot.rules.places import Where
from bot.services import export, progress
from storage import migrate
from storage.database import Database
from storage.models import (
    Confirmation,
    FocusArea,
    HealthTrust,
    Measure,
    MeasureEvent,
    Membership,
    Person,
    Region,
    StepRecord,
    Unit,
    UnitFollowup,
)


TZ = ZoneInfo("Europe/Oslo")
TODAY = date(2026, 10, 1)
YEAR = 2026


async def bulk(session, model, rows, chunk=5000, key: str | None = None) -> list[int]:
    """Insert `rows` (all with the same keys) into the model's table (not through the ORM, which
    would send a statement per run of rows with the same None values). With `key`, a column whose
    value is unique among the rows, return the ids the database gave them, in the rows' order:
    the data set never writes an id itself, so PostgreSQL's sequences stay ahead of the rows and
    the first measure added later gets a free id. (Not RETURNING: on SQLite, ids returned in the
    rows' order take a statement per row.)"""
    connection = await session.connection()
    for start in range(0, len(rows), chunk):
        await connection.execute(insert(model.__table__), rows[start:start + chunk])
    if key is None:
        return []
    given = dict((await connection.execute(select(getattr(model, key), model.id))).all())
    return [given[row[key]] for row in rows]


def _refer(rows: list[dict], column: str, ids: list[int]) -> list[dict]:
    """Rows built with an index in `column` get the database's id for it."""
    for row in rows:
        row[column] = ids[row[column]]
    return rows


async def generate(db: Database, seed: int = 1, units: int = 9000, trusts: int = 20, regions: int = 4) -> None:
    """The national organisation by default: `units` units with a leader, a safety rep and a union
    rep each, a third as many people again at the trust level, ten measures per unit."""
    rnd = random.Random(seed)
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    people = units * 3 + units // 3
    async with db.session() as s:
        region_ids = await bulk(s, Region, [{"code": f"region-{r + 1}", "name": f"Region {r + 1}"}
                                            for r in range(regions)], key="code")
        trust_ids = await bulk(s, HealthTrust, [{"region_id": region_ids[t % regions], "code": f"T{t + 1:02d}",
                                                 "name": f"Helseforetak {t + 1:02d}"} for t in range(trusts)],
                               key="code")
        unit_ids = await bulk(s, Unit, [{"trust_id": trust_ids[u % trusts], "code": f"U{u + 1:05d}",
                                         "name": f"Enhet {u + 1}", "clinic": f"Klinikk {u % 7 + 1}",
                                         "department": None} for u in range(units)], key="code")
        person_ids = await bulk(s, Person, [{"telegram_user_id": 10_000_000 + p, "name": f"Person {p + 1}",
                                             "language": "nb", "language_chosen": True, "active": True,
                                             "muted_reminders": "", "created_at": now} for p in range(people)],
                                key="telegram_user_id")
        memberships = []
        for u in range(units):  # a leader, a safety rep and a union rep per unit
            for offset, role in enumerate(("leader", "safety_rep", "union_rep")):
                memberships.append({"person_id": person_ids[u * 3 + offset], "role": role, "scope": "unit",
                                    "unit_id": unit_ids[u], "trust_id": None, "created_at": now})
        for p in range(units * 3, people):  # the rest above the units
            memberships.append({"person_id": person_ids[p], "role": rnd.choice(["leader", "admin"]),
                                "scope": "trust", "unit_id": None, "trust_id": trust_ids[p % trusts], "created_at": now})
        await bulk(s, Membership, memberships)
        # Rows that refer to a follow-up or a measure are built with its index, then given its id.
        followups, steps, areas, confirmations = [], [], [], []
        for u in range(units):
            submitted = now + timedelta(days=rnd.randint(0, 60)) if rnd.random() < 0.6 else None
            followups.append({"unit_id": unit_ids[u], "year": YEAR, "method": "forbedring",
                              "plan_submitted_at": submitted})
            for step, chance in (("review", 0.8), ("feedback", 0.7), ("prepare", 0.5)):
                if rnd.random() < chance:
                    steps.append({"followup_id": u, "step": step, "done_on": date(2026, 4, rnd.randint(16, 30)),
                                  "parties": "leader,safety_rep", "marked_by": person_ids[u * 3], "marked_at": now})
            for kind in ("preserve", "improve"):
                if rnd.random() < 0.65:
                    areas.append({"followup_id": u, "kind": kind, "theme": "teamwork", "why": "w",
                                  "created_by": person_ids[u * 3], "created_at": now})
            if submitted:
                for offset, role in ((1, "safety_rep"), (2, "union_rep")):
                    confirmations.append({"followup_id": u, "subject": "plan", "person_id": person_ids[u * 3 + offset],
                                          "role": role, "requested_at": submitted,
                                          "answer": rnd.choice(["acknowledged", "acknowledged", None, "objected"])})
        followup_ids = await bulk(s, UnitFollowup, followups, key="unit_id")  # one follow-up per unit
        await bulk(s, StepRecord, _refer(steps, "followup_id", followup_ids))
        await bulk(s, FocusArea, _refer(areas, "followup_id", followup_ids))
        await bulk(s, Confirmation, _refer(confirmations, "followup_id", followup_ids))
        measures, events = [], []
        for m in range(units * 10):
            unit = m % units
            status = rnd.choice(["planned", "in_progress", "in_progress", "done", "dropped"])
            measures.append({"followup_id": followup_ids[unit], "unit_id": unit_ids[unit], "year": YEAR,
                             "theme": "teamwork", "kind": rnd.choice(["preserve", "improve"]),
                             "title": f"Tiltak {m + 1}", "description": "d", "responsible": "r",
                             "deadline": date(2026, 6, 1) + timedelta(days=rnd.randint(0, 240)), "status": status,
                             "created_by": person_ids[unit * 3], "created_at": now, "updated_at": now})
            events.append({"measure_id": m, "person_id": person_ids[unit * 3], "field": "created",
                           "old": None, "new": "x", "at": now})
            for _ in range(rnd.randint(0, 2)):
                events.append({"measure_id": m, "person_id": person_ids[unit * 3], "field": "status",
                               "old": "planned", "new": status,
                               "at": now + timedelta(days=rnd.randint(1, 150))})
        measure_ids = await bulk(s, Measure, measures, key="title")
        await bulk(s, MeasureEvent, _refer(events, "measure_id", measure_ids))
    print(f"generated: {regions} regions, {trusts} trusts, {units:,} units, {people:,} people, "
          f"{len(measures):,} measures, {len(events):,} events")


async def timed(label: str, work, repeat: int = 3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = await work()
        times.append((time.perf_counter() - start) * 1000)
    print(f"{label:<34} median {statistics.median(times):8.0f} ms   (runs: {', '.join(f'{t:.0f}' for t in times)})")
    return result


async def generate_into(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine)
    await generate(db)
    await db.dispose()


async def run(url: str) -> None:
    # The data is generated in a child process, so that the peak memory printed below is
    # that of the roll-ups and exports (and the bot around them), not of building the data.
    started = time.perf_counter()
    child = await asyncio.create_subprocess_exec(sys.executable, "-m", "bench.progress_bench", "--generate-into", url)
    if await child.wait() != 0:
        raise SystemExit("generating the organisation failed")
    print(f"generation took {time.perf_counter() - started:.0f} s")
    db = Database(url)
    # As autovacuum would after a bulk load: the planner needs the tables' statistics.
    async with db.engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    async with db.session() as s:
        trust = (await s.exec(select(HealthTrust.id, HealthTrust.region_id).where(HealthTrust.code == "T07"))).one()
    national, one_trust = Where(), Where(region_id=trust[1], trust_id=trust[0])
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    node = await timed("national /progress", lambda: progress.node(db, national, TODAY, TZ), repeat=7)
    await timed("per-trust /progress", lambda: progress.node(db, one_trust, TODAY, TZ), repeat=7)
    await timed("national /overdue", lambda: progress.overdue(db, national, TODAY, TZ), repeat=1)
    data = await timed("national /export (XLSX)", lambda: export.xlsx(db, national, TODAY), repeat=1)
    await timed("per-trust /export (XLSX)", lambda: export.xlsx(db, one_trust, TODAY), repeat=1)
    # Peak RSS, not tracemalloc: tracing every allocation would slow openpyxl several times over.
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"national roll-up: {node.total.units} units, {node.total.measures} measures; XLSX {len(data) / 1e6:.1f} MB")
    print(f"peak memory (max RSS of this process) {rss_before / 1024:.0f} MB before the queries, "
          f"{rss_after / 1024:.0f} MB after the queries and exports")
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--generate-into", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_into:
        return await generate_into(args.generate_into)
    if not args.postgres:
        with tempfile.TemporaryDirectory() as folder:
            print("SQLite")
            await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}")
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    server = make_url(args.server)
    admin = await asyncpg.connect(host=server.host, port=server.port, user=server.username, database=server.database)
    name = f"forbedring_bench_{random.randint(0, 1 << 30)}"
    await admin.execute(f'CREATE DATABASE "{name}"')
    try:
        print("PostgreSQL")
        await run(server.set(database=name).render_as_string(hide_password=False))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
