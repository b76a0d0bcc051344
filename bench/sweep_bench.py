"""Benchmark: the daily reminder sweep at national scale.

The national data set of bench/progress_bench.py (4 regions, 20 health trusts, 9,000 units,
30,000 people, 90,000 measures), on a results day (every unit's leader and reps hear that
the results are out: 27,000 digests) and on a quarterly status day (every leader with open
measures: about 9,000 digests, with the measures' buttons). For each day it prints the
sweep's seconds, its SQL statements (counted through SQLAlchemy's `before_cursor_execute`),
the rows it wrote, that a second sweep the same day writes nothing, and the p99 reply
latency of a stream of people's updates (through the real Application and the fake Bot
API of bot/offline.py) during the sweep ÷ the p99 of the same stream without a sweep.
Each figure is printed beside its goal.

    .venv/bin/python -m bench.sweep_bench               # SQLite (a temporary file)
    .venv/bin/python -m bench.sweep_bench --postgres    # PostgreSQL at 127.0.0.1:5432 (own database, dropped after)
    .venv/bin/python -m bench.sweep_bench --quick       # a small organisation, in seconds
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import delete, func, select
from telegram import Update

from bench.pacing import paced
from bench.progress_bench import generate
from bot.app import build_application, on_startup
from bot.offline import ChatUser, FakeTelegram
from bot.rules.workdays import is_working_day
from bot.services import reminders
from bot.settings import load_settings
from storage import migrate
from storage.database import Database
from storage.statements import StatementCounter
from storage.models import JobRun, OutboxMessage, Person, Reminder


TZ = ZoneInfo("Europe/Oslo")
RESULTS_DAY = date(2026, 4, 15)  # the default results date of the data set's year: a Wednesday
STATUS_DAY = date(2026, 9, 15)  # the first quarterly status date: a Tuesday
SWEEP_GOAL = 2.0  # seconds for 9,000 units
LATENCY_GOAL = 2.0  # p99 during a sweep ÷ p99 without: "as fast as without one", within the noise
COMMANDS = ("/followup", "/measures", "/help")


@dataclass
class Scale:
    units: int
    trusts: int
    regions: int
    rate: float  # people's updates per second in the stream
    repeat: int  # sweeps with the stream, for the p99


# The stream keeps the bot about a fifth busy without a sweep on this 2-core machine (an update takes
# 10-50 ms; PTB answers them one at a time unless told otherwise), so that it measures the sweep, not a queue.
NATIONAL = Scale(units=9000, trusts=20, regions=4, rate=5, repeat=3)
QUICK = Scale(units=60, trusts=4, regions=2, rate=5, repeat=5)


async def generate_into(url: str, units: int, trusts: int, regions: int) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine)
    await generate(db, units=units, trusts=trusts, regions=regions)
    await db.dispose()


async def forget_sweeps(db: Database) -> None:
    """Back to the day before any sweep: no reminders, no outbox rows, no sweep run."""
    async with db.session() as session:
        await session.exec(delete(Reminder))
        await session.exec(delete(OutboxMessage))
        await session.exec(delete(JobRun))


async def written(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        recorded = (await session.exec(select(func.count()).select_from(Reminder))).one()
        linked = (await session.exec(select(func.count()).select_from(Reminder)
                                     .where(Reminder.outbox_id.is_not(None)))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return recorded, linked, outbox


class Stream:
    """People's updates at a steady rate, handed to the Application as its update fetcher does
    (through its update processor, so that they run one at a time or concurrently as the bot is
    configured), whatever the bot is busy with. An update's latency runs from when it was due to
    arrive until the bot has answered it, so time spent waiting for the loop counts."""

    def __init__(self, application, telegram: FakeTelegram, users: list[ChatUser], rate: float, seed: int = 7):
        self.application, self.telegram, self.users, self.interval = application, telegram, users, 1.0 / rate
        self.random = random.Random(seed)
        self.latencies: list[float] = []
        self.failures = 0

    async def _one(self, user: ChatUser, command: str, due: float) -> None:
        message = {"message_id": next(_message_ids), "date": int(time.time()), "text": command,
                   "chat": {"id": user.user_id, "type": "private", "first_name": user.first_name},
                   "from": {"id": user.user_id, "is_bot": False, "first_name": user.first_name, "language_code": "nb"},
                   "entities": [{"type": "bot_command", "offset": 0, "length": len(command)}]}
        update = Update.de_json({"update_id": next(_message_ids), "message": message}, self.application.bot)
        seen = len(self.telegram.events)
        await self.application.update_processor.process_update(update, self.application.process_update(update))
        self.latencies.append(time.perf_counter() - due)
        if not user.since(seen):
            self.failures += 1

    async def run(self, until: asyncio.Future | None = None, count: int | None = None) -> None:
        await paced(self.interval, lambda due: self._one(self.random.choice(self.users),
                                                         self.random.choice(COMMANDS), due), until, count)


_message_ids = itertools.count(1)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


async def longest_stall(until: asyncio.Future) -> float:
    """The longest time the event loop did not get back to this task (it asks every millisecond)."""
    worst, last = 0.0, time.perf_counter()
    while not until.done():
        await asyncio.sleep(0.001)
        now = time.perf_counter()
        worst, last = max(worst, now - last - 0.001), now
    return worst


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


async def one_day(application, telegram: FakeTelegram, db: Database, users: list[ChatUser], day: date, label: str, scale: Scale,
                  latency: bool) -> None:
    now = datetime.combine(day, clock_time(9, 0), TZ)
    rules = reminders.rules_from(application.bot_data["settings"])
    await forget_sweeps(db)
    print(f"\n--- {label}, {day.isoformat()} (load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores) ---")

    done = asyncio.get_running_loop().create_future()
    stall = asyncio.create_task(longest_stall(done))
    with StatementCounter(db.engine) as counted:
        started, loop_cpu, all_cpu = time.perf_counter(), time.thread_time(), time.process_time()
        result = await reminders.sweep(db, now, TZ, rules)
        seconds = time.perf_counter() - started
        loop_cpu, all_cpu = time.thread_time() - loop_cpu, time.process_time() - all_cpu
    done.set_result(None)
    stalled = await stall
    recorded, linked, outbox = await written(db)
    if scale is NATIONAL:
        print(f"sweep                       {seconds:8.2f} s      goal < {SWEEP_GOAL:.0f} s for 9,000 units: "
              f"{verdict(seconds < SWEEP_GOAL)}")
    else:
        print(f"sweep                       {seconds:8.2f} s      (the goal, < {SWEEP_GOAL:.0f} s, is for 9,000 units)")
    others = (f"{all_cpu - loop_cpu:.2f} s in SQLite's threads" if "sqlite" in db.url
              else "PostgreSQL's server not counted")
    print(f"CPU time                    {loop_cpu:8.2f} s on the event loop's thread; {others}")
    print(f"SQL statements              {counted.n:8,d}        goal: a fixed number, not one per unit or person "
          f"({counted.n / max(result.digests, 1):.3f} per digest)")
    print(f"rows written                {recorded:8,d} reminders recorded, {outbox:,} digests in the outbox, "
          f"{linked:,} reminders tied to their digest (sweep says {result.recorded:,} new, {result.digests:,} digests)")
    print(f"longest event-loop stall    {stalled * 1000:8.1f} ms")

    with StatementCounter(db.engine) as again:
        started = time.perf_counter()
        second = await reminders.sweep(db, now, TZ, rules)
        seconds_again = time.perf_counter() - started
    print(f"the same sweep again        {seconds_again:8.2f} s, {again.n:,} statements, wrote "
          f"{second.recorded} reminders and {second.digests} digests   goal: nothing new: "
          f"{verdict(second.recorded == second.digests == 0 and await written(db) == (recorded, linked, outbox))}")

    if not latency:
        return
    during, sweeps = [], []
    for _ in range(scale.repeat):
        await forget_sweeps(db)
        stream = Stream(application, telegram, users, scale.rate, seed=len(sweeps))
        done = asyncio.get_running_loop().create_future()
        streaming = asyncio.create_task(stream.run(until=done))
        await asyncio.sleep(0.5)  # the stream is steady before the sweep begins
        started = time.perf_counter()
        await reminders.sweep(db, now, TZ, rules)
        sweeps.append(time.perf_counter() - started)
        done.set_result(None)
        await streaming
        during += stream.latencies
    idle = Stream(application, telegram, users, scale.rate, seed=99)
    await idle.run(count=max(len(during), 200 if scale is NATIONAL else 25))
    ratio = p99(during) / p99(idle.latencies)
    print(f"sweep with the stream       {statistics.median(sweeps):8.2f} s (median of {len(sweeps)})")
    print(f"p99 reply, during a sweep   {p99(during) * 1000:8.1f} ms ({len(during)} updates at {scale.rate:.0f}/s; "
          f"median {statistics.median(during) * 1000:.0f} ms)")
    print(f"p99 reply, no sweep         {p99(idle.latencies) * 1000:8.1f} ms ({len(idle.latencies)} updates; "
          f"median {statistics.median(idle.latencies) * 1000:.0f} ms)")
    print(f"p99 ratio                   {ratio:8.2f}        goal ≤ {LATENCY_GOAL:.0f} (as fast as without a sweep): "
          f"{verdict(ratio <= LATENCY_GOAL)}")
    if stream.failures or idle.failures:
        print(f"!! {stream.failures + idle.failures} updates got no answer")


async def run(url: str, scale: Scale, days: list[str], latency: bool, tmp: Path, data: Path | None = None) -> None:
    started = time.perf_counter()
    if data is not None and data.exists():
        shutil.copy(data, make_url(url).database)
        print(f"the data set: a copy of {data}")
    elif scale is QUICK:
        await generate_into(url, scale.units, scale.trusts, scale.regions)
    else:
        # In a child process, so that building the data leaves nothing behind in this one.
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.sweep_bench", "--generate-into", url, "--units", str(scale.units),
            "--trusts", str(scale.trusts), "--regions", str(scale.regions))
        if await child.wait() != 0:
            raise SystemExit("generating the organisation failed")
    if data is not None and not data.exists():
        shutil.copy(make_url(url).database, data)
    print(f"generation took {time.perf_counter() - started:.0f} s")
    db = Database(url)
    async with db.engine.begin() as connection:  # as autovacuum would after a bulk load
        await connection.execute(text("ANALYZE"))
    settings = load_settings(env={"DATABASE_URL": url, "DATA_DIR": str(tmp)}, env_file=None)
    telegram = FakeTelegram()
    application = build_application(settings, db, request=telegram, with_updater=False)
    await application.initialize()
    await on_startup(application)
    application.bot_data["clock"].set_now(datetime.combine(RESULTS_DAY, clock_time(9, 30), TZ))
    async with db.session() as session:  # leaders and reps of units, as Telegram users
        chat_ids = (await session.exec(select(Person.telegram_user_id).order_by(Person.id)
                                       .limit(scale.units * 3))).all()
    users = [ChatUser(application, telegram, chat_id, f"P{chat_id}", "nb")
             for chat_id in random.Random(3).sample(list(chat_ids), min(200, len(chat_ids)))]
    # Warm up as a running bot is: imports, caches, prepared statements, the holiday calendar.
    is_working_day(RESULTS_DAY)
    await Stream(application, telegram, users, scale.rate).run(count=40)
    for key in days:
        day, label = {"results": (RESULTS_DAY, "results day"), "status": (STATUS_DAY, "quarterly status day")}[key]
        application.bot_data["clock"].set_now(datetime.combine(day, clock_time(9, 30), TZ))
        await one_day(application, telegram, db, users, day, label, scale, latency)
    print(f"\npeak memory (max RSS of this process) {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    await application.shutdown()
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK.units} units instead of {NATIONAL.units:,}")
    parser.add_argument("--days", default="results,status", help="results, status or both (the default)")
    parser.add_argument("--no-latency", action="store_true", help="only the sweep's own figures")
    parser.add_argument("--data", type=Path, help="SQLite only: keep the generated data set in this file and "
                                                  "use a copy of it next time (generating takes minutes)")
    parser.add_argument("--generate-into", metavar="URL", help=argparse.SUPPRESS)
    parser.add_argument("--units", type=int, default=NATIONAL.units, help=argparse.SUPPRESS)
    parser.add_argument("--trusts", type=int, default=NATIONAL.trusts, help=argparse.SUPPRESS)
    parser.add_argument("--regions", type=int, default=NATIONAL.regions, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_into:
        return await generate_into(args.generate_into, args.units, args.trusts, args.regions)
    scale = QUICK if args.quick else NATIONAL
    days = [d.strip() for d in args.days.split(",") if d.strip()]
    with tempfile.TemporaryDirectory() as folder:
        if not args.postgres:
            print(f"SQLite, {scale.units:,} units")
            await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", scale, days, not args.no_latency,
                      Path(folder), args.data)
            return
        import asyncpg

        server = make_url(args.server)
        admin = await asyncpg.connect(host=server.host, port=server.port, user=server.username,
                                      password=server.password, database=server.database)
        name = f"forbedring_sweep_bench_{random.randint(0, 1 << 30)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print(f"PostgreSQL, {scale.units:,} units")
            await run(server.set(database=name).render_as_string(hide_password=False), scale, days,
                      not args.no_latency, Path(folder))
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    asyncio.run(main())
