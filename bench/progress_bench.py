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
import warnings
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

warnings.filterwarnings("ignore", category=DeprecationWarning)  # bulk inserts use session.execute on purpose

TZ = ZoneInfo("Europe/Oslo")
TODAY = date(2026, 10, 1)
YEAR = 2026


async def bulk(session, model, rows, chunk=5000):
    for start in range(0, len(rows), chunk):
        await session.execute(insert(model), rows[start:start + chunk])


async def generate(db: Database, seed: int = 1) -> None:
    rnd = random.Random(seed)
    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    async with db.session() as s:
        await bulk(s, Region, [{"id": r + 1, "code": f"region-{r + 1}", "name": f"Region {r + 1}"} for r in range(4)])
        await bulk(s, HealthTrust, [{"id": t + 1, "region_id": t % 4 + 1, "code": f"T{t + 1:02d}",
                                     "name": f"Helseforetak {t + 1:02d}"} for t in range(20)])
        await bulk(s, Unit, [{"id": u + 1, "trust_id": u % 20 + 1, "code": f"U{u + 1:05d}", "name": f"Enhet {u + 1}",
                              "clinic": f"Klinikk {u % 7 + 1}", "department": None} for u in range(9000)])
        await bulk(s, Person, [{"id": p + 1, "telegram_user_id": 10_000_000 + p, "name": f"Person {p + 1}",
                                "language": "nb", "language_chosen": True, "active": True, "muted_reminders": "",
                                "created_at": now} for p in range(30_000)])
        memberships = []
        for u in range(9000):  # a leader, a safety rep and a union rep per unit
            for offset, role in enumerate(("leader", "safety_rep", "union_rep")):
                memberships.append({"person_id": u * 3 + offset + 1, "role": role, "scope": "unit",
                                    "unit_id": u + 1, "created_at": now})
        for p in range(27_000, 30_000):  # the rest above the units
            memberships.append({"person_id": p + 1, "role": rnd.choice(["leader", "admin"]), "scope": "trust",
                                "trust_id": p % 20 + 1, "created_at": now})
        await bulk(s, Membership, memberships)
        followups, steps, areas, confirmations = [], [], [], []
        for u in range(9000):
            submitted = now + timedelta(days=rnd.randint(0, 60)) if rnd.random() < 0.6 else None
            followups.append({"id": u + 1, "unit_id": u + 1, "year": YEAR, "method": "forbedring",
                              "plan_submitted_at": submitted})
            for step, chance in (("review", 0.8), ("feedback", 0.7), ("prepare", 0.5)):
                if rnd.random() < chance:
                    steps.append({"followup_id": u + 1, "step": step, "done_on": date(2026, 4, rnd.randint(16, 30)),
                                  "parties": "leader,safety_rep", "marked_by": u * 3 + 1, "marked_at": now})
            for kind in ("preserve", "improve"):
                if rnd.random() < 0.65:
                    areas.append({"followup_id": u + 1, "kind": kind, "theme": "teamwork", "why": "w",
                                  "created_by": u * 3 + 1, "created_at": now})
            if submitted:
                for offset, role in ((1, "safety_rep"), (2, "union_rep")):
                    confirmations.append({"followup_id": u + 1, "subject": "plan", "person_id": u * 3 + offset + 1,
                                          "role": role, "requested_at": submitted,
                                          "answer": rnd.choice(["acknowledged", "acknowledged", None, "objected"])})
        await bulk(s, UnitFollowup, followups)
        await bulk(s, StepRecord, steps)
        await bulk(s, FocusArea, areas)
        await bulk(s, Confirmation, confirmations)
        measures, events = [], []
        for m in range(90_000):
            unit = m % 9000 + 1
            status = rnd.choice(["planned", "in_progress", "in_progress", "done", "dropped"])
            measures.append({"id": m + 1, "followup_id": unit, "unit_id": unit, "year": YEAR,
                             "theme": "teamwork", "kind": rnd.choice(["preserve", "improve"]),
                             "title": f"Tiltak {m + 1}", "description": "d", "responsible": "r",
                             "deadline": date(2026, 6, 1) + timedelta(days=rnd.randint(0, 240)), "status": status,
                             "created_by": (unit - 1) * 3 + 1, "created_at": now, "updated_at": now})
            events.append({"measure_id": m + 1, "person_id": (unit - 1) * 3 + 1, "field": "created",
                           "new": "x", "at": now})
            for _ in range(rnd.randint(0, 2)):
                events.append({"measure_id": m + 1, "person_id": (unit - 1) * 3 + 1, "field": "status",
                               "old": "planned", "new": status,
                               "at": now + timedelta(days=rnd.randint(1, 150))})
        await bulk(s, Measure, measures)
        await bulk(s, MeasureEvent, events)
    print(f"generated: 4 regions, 20 trusts, 9,000 units, 30,000 people, 90,000 measures, {len(events):,} events")


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
