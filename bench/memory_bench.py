"""Benchmark: the memory of a running bot with the national data.

The national data set of bench/progress_bench.py (9,000 units, 30,000 people, 90,000
measures), generated in a child process so that building it leaves nothing behind here.
Then, in this process, the bot as it runs: the real Application with the fake Bot API of
bot/offline.py, and

1. the daily sweep on results day (every unit's leader and reps hear that the results are
   out: 27,000 digests), through its public entry point `bot.jobs.sweep_if_due`, and the
   outbox sent (at full speed: the fake Bot API has no limits);
2. 1,000 active people (unit leaders and reps) each sending a few updates
   (/help, /followup, /measures), 50 at a time.

Printed: the resident memory after each step and the peak, beside the goal (< 200 MB).
The fake Bot API here keeps only the messages of the people who chat in the benchmark: a
real Bot API server keeps the rest, not the bot. --trace adds the 25 places (file and line)
that hold the most memory at the end, and the peak (tracemalloc; slow).

    .venv/bin/python -m bench.memory_bench               # SQLite (a temporary file)
    .venv/bin/python -m bench.memory_bench --postgres    # PostgreSQL at 127.0.0.1:5432 (own database, dropped after)
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import tempfile
import time
import tracemalloc
import warnings
from datetime import date, datetime
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import select

from bench.heavy_bench import generated, memory
from bot import jobs
from bot.app import build_application, on_startup
from bot.offline import ChatUser, FakeTelegram
from bot.outbox import Sender
from bot.settings import load_settings
from storage.database import Database
from storage.models import Person

warnings.filterwarnings("ignore", category=DeprecationWarning)

TZ = ZoneInfo("Europe/Oslo")
RESULTS_DAY = date(2026, 4, 15)  # the default results date of the data set's year: a Wednesday
GOAL_MB = 200
PEOPLE = 1000
COMMANDS = ("/help", "/followup", "/measures")


class LeanTelegram(FakeTelegram):
    """The fake Bot API, keeping only what the benchmark's own people need to see."""

    def __init__(self):
        super().__init__()
        self.watched: set[int] = set()

    async def do_request(self, *args, **kwargs):
        result = await super().do_request(*args, **kwargs)
        self.calls.clear()
        self.files.clear()
        return result

    def _store(self, chat_id, text, params, kind="text"):
        result = super()._store(chat_id, text, params, kind)
        if chat_id not in self.watched:
            self.messages.pop((chat_id, self.events.pop()[1]), None)
        return result


def step(label: str, started: float) -> None:
    gc.collect()
    rss, peak = memory()
    print(f"{label:<44} {rss:6.0f} MB resident, peak so far {peak:6.0f} MB   ({time.perf_counter() - started:5.0f} s)")


async def run(url: str, tmp: Path, drain: bool, trace: bool, data: str | None = None) -> None:
    await generated(url, data)
    started = time.perf_counter()
    db = Database(url)
    async with db.engine.begin() as connection:  # as autovacuum would after a bulk load
        await connection.execute(text("ANALYZE"))
    settings = load_settings(env={"DATABASE_URL": url, "DATA_DIR": str(tmp)}, env_file=None)
    telegram = LeanTelegram()
    application = build_application(settings, db, request=telegram, with_updater=False)
    await application.initialize()
    await on_startup(application)
    now = datetime.combine(RESULTS_DAY, clock_time(9, 30), TZ)
    application.bot_data["clock"].set_now(now)
    # At full speed: the fake Bot API has no rate limit to keep to.
    sender = application.bot_data["sender"] = Sender(application.bot, db, TZ, application.bot_data["clock"],
                                                     rate=1_000_000, per_chat=0)
    if trace:
        tracemalloc.start(1)
    step("bot started", started)

    result = await jobs.sweep_if_due(application, now)
    if result is None:
        raise SystemExit("the sweep did not run")
    step(f"after the sweep ({result.digests:,} digests)", started)
    if drain:
        sent = 500  # sweep_if_due sent the first pass
        while (n := await sender.send_due(limit=2000, now=now)):
            sent += n
        step(f"after sending the outbox (~{sent:,} messages)", started)

    async with db.session() as session:  # leaders and reps of units, as Telegram users
        chat_ids = (await session.exec(select(Person.telegram_user_id).order_by(Person.id).limit(27_000))).all()
    people = random.Random(5).sample(list(chat_ids), PEOPLE)
    telegram.watched.update(people)
    users = [ChatUser(application, telegram, chat_id, f"P{chat_id}", "nb") for chat_id in people]
    queue: asyncio.Queue = asyncio.Queue()
    for command in COMMANDS:
        for user in users:
            queue.put_nowait((user, command))
    unanswered = 0

    async def worker():
        nonlocal unanswered
        while not queue.empty():
            user, command = queue.get_nowait()
            if not await user.send(command):
                unanswered += 1
    await asyncio.gather(*[worker() for _ in range(50)])
    step(f"after {PEOPLE:,} people × {len(COMMANDS)} updates", started)
    if unanswered:
        print(f"!! {unanswered} updates got no answer")

    rss, peak = memory()
    print(f"peak resident memory {peak:.0f} MB, goal < {GOAL_MB} MB: {'met' if peak < GOAL_MB else 'NOT met'} "
          f"(now {rss:.0f} MB)")
    if trace:
        snapshot = tracemalloc.take_snapshot()
        current, traced_peak = tracemalloc.get_traced_memory()
        print(f"\ntracemalloc: {current / 1e6:.0f} MB held by Python objects allocated since the start, "
              f"peak {traced_peak / 1e6:.0f} MB; the largest holders:")
        for stat in snapshot.statistics("lineno")[:25]:
            print(f"  {stat.size / 1e6:7.2f} MB {stat.count:8,d} blocks  {stat.traceback}")
    await application.shutdown()
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--no-drain", action="store_true", help="do not send the sweep's outbox")
    parser.add_argument("--trace", action="store_true", help="where the memory goes (tracemalloc; slow)")
    parser.add_argument("--data", metavar="FILE", help="SQLite: keep the generated data set in FILE and "
                                                       "start from a copy of it next time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.postgres:
            print("SQLite")
            return await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", Path(folder),
                             not args.no_drain, args.trace, args.data)
        import asyncpg
        from sqlalchemy.engine import make_url

        server = make_url(args.server)
        admin = await asyncpg.connect(host=server.host, port=server.port, user=server.username,
                                      password=server.password, database=server.database)
        name = f"forbedring_memory_bench_{random.randint(0, 1 << 30)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print("PostgreSQL")
            await run(server.set(database=name).render_as_string(hide_password=False), Path(folder),
                      not args.no_drain, args.trace)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
