"""Benchmark: other people's replies while a national export or chart is made.

The national data set of bench/progress_bench.py (9,000 units, 30,000 people, 90,000
measures). A stream of people's updates (/followup, /measures, /help from 200 unit
leaders and reps, at a steady rate) goes through the real Application and the fake Bot API
of bot/offline.py: once with nothing else going on, once while a national admin's `/export`
(XLSX, then CSV) is made, once while national `/chart`s are drawn. Each update's latency
runs from when it was due until the bot has answered it. Printed: the p99 during each ÷
the p99 when idle, beside the goal (≤ 2), the export's seconds, and the memory of the bot
and of its worker process. With --compare, the same during an export made the old way
(openpyxl in the bot's process, a batch at a time in a thread), to show what the worker
process changes.

    .venv/bin/python -m bench.heavy_bench               # SQLite (a temporary file)
    .venv/bin/python -m bench.heavy_bench --postgres    # PostgreSQL at 127.0.0.1:5432 (own database, dropped after)
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlmodel import select

from bench.pacing import paced
from bench.progress_bench import TODAY, generate
from bot import workers
from bot.app import build_application, on_startup
from bot.offline import ChatUser, FakeTelegram
from bot.rules.places import Where
from bot.services import export
from bot.services.invites import create_invite
from bot.services.progress import export_batches
from bot.settings import load_settings
from storage import migrate
from storage.database import Database
from storage.models import Person

warnings.filterwarnings("ignore", category=DeprecationWarning)

TZ = ZoneInfo("Europe/Oslo")
GOAL = 2.0  # other people's p99 during an export or a chart ÷ idle
COMMANDS = ("/followup", "/measures", "/help")
LOAD = 0.3  # the stream keeps the bot busy this share of the time when idle (well under what it can take)


def memory(pid: int | str = "self") -> tuple[float, float]:
    """(resident now, peak resident) of a process in MB, from /proc."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("VmHWM", 0.0)


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[98] if len(values) > 1 else values[0]


class Stream:
    """People's updates at a steady rate, each in its own task, whatever else the bot does."""

    def __init__(self, users: list[ChatUser], rate: float, seed: int):
        self.users, self.interval, self.random = users, 1.0 / rate, random.Random(seed)
        self.latencies: list[float] = []
        self.unanswered = 0

    async def _one(self, user: ChatUser, command: str, due: float) -> None:
        try:
            if not await user.send(command):
                self.unanswered += 1
        except Exception:  # noqa: BLE001 - counted; the benchmark goes on
            self.unanswered += 1
        self.latencies.append(time.perf_counter() - due)

    async def run(self, until: asyncio.Future | None = None, count: int | None = None) -> None:
        await paced(self.interval, lambda due: self._one(self.random.choice(self.users),
                                                         self.random.choice(COMMANDS), due), until, count)


async def during(users: list[ChatUser], rate: float, work, seed: int) -> tuple[Stream, float]:
    """The stream while `work()` runs; returns the stream and the seconds the work took."""
    stream = Stream(users, rate, seed)
    done = asyncio.get_running_loop().create_future()
    streaming = asyncio.create_task(stream.run(until=done))
    await asyncio.sleep(1.0)  # the stream is steady before the work begins
    started = time.perf_counter()
    try:
        await work()
    finally:
        seconds = time.perf_counter() - started
        done.set_result(None)
        await streaming
    return stream, seconds


async def old_xlsx(db: Database, where: Where, today) -> bytes:
    """The export as it was made before the worker process: openpyxl in the bot's process,
    each batch appended in a thread (which still holds Python's lock)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheets = {"measure": (workbook.create_sheet("Measures"), export._measure_row),
              "unit": (workbook.create_sheet("Unit progress"), export._unit_row)}

    def append(sheet, convert, batch):
        for row in batch:
            sheet.append(convert(row))
    async for kind, batch in export_batches(db, where, today):
        await asyncio.to_thread(append, *sheets[kind], batch)
    buffer = io.BytesIO()
    await asyncio.to_thread(workbook.save, buffer)
    return buffer.getvalue()


def line(label: str, stream: Stream, idle: float, seconds: float | None = None, note: str = "") -> float:
    ratio = p99(stream.latencies) / idle
    took = f", {seconds:5.1f} s" if seconds is not None else ""
    print(f"{label:<34} p99 {p99(stream.latencies) * 1000:7.1f} ms ({len(stream.latencies)} updates{took})  "
          f"ratio {ratio:5.2f}   goal ≤ {GOAL:.0f}: {'met' if ratio <= GOAL else 'NOT met'}{note}")
    if stream.unanswered:
        print(f"!! {stream.unanswered} updates got no answer")
    return ratio


async def generated(url: str, data: str | None = None) -> None:
    """The national data set at `url`, made in a child process (so that building it leaves
    nothing behind in this one). With `data` (SQLite): copied from that file, which is made
    first if it is missing, so that several runs need not wait for the generation."""
    started = time.perf_counter()
    target = url.partition(":///")[2]
    source = data or target
    if data is None or not Path(data).exists():
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.heavy_bench", "--generate-into", f"sqlite+aiosqlite:///{source}"
            if data else url)
        if await child.wait() != 0:
            raise SystemExit("generating the organisation failed")
        print(f"generation took {time.perf_counter() - started:.0f} s (in a child process)")
    if data is not None:
        shutil.copyfile(source, target)
        print(f"the national data set copied from {data}")


async def run(url: str, tmp: Path, compare: bool, rate: float | None, data: str | None = None) -> None:
    await generated(url, data)
    db = Database(url)
    async with db.engine.begin() as connection:  # as autovacuum would after a bulk load
        await connection.execute(text("ANALYZE"))
    settings = load_settings(env={"DATABASE_URL": url, "DATA_DIR": str(tmp)}, env_file=None)
    telegram = FakeTelegram()
    application = build_application(settings, db, request=telegram, with_updater=False)
    await application.initialize()
    await on_startup(application)
    application.bot_data["clock"].set_now(datetime.combine(TODAY, clock_time(9, 30), TZ))

    code = (await create_invite(db, role="admin", scope="national", place_code=None, trust_code=None,
                                expires_in=timedelta(days=1), uses=1, created_by="bench",
                                now=datetime.now(timezone.utc))).code
    admin = ChatUser(application, telegram, 99_000_001, "Admin", "en")
    await admin.send(f"/start {code}")
    async with db.session() as session:  # leaders and reps of units, as Telegram users
        chat_ids = (await session.exec(select(Person.telegram_user_id).order_by(Person.id).limit(27_000))).all()
    users = [ChatUser(application, telegram, chat_id, f"P{chat_id}", "nb")
             for chat_id in random.Random(3).sample(list(chat_ids), 200)]
    await Stream(users, 1000, 0).run(count=40)  # warm up: imports, caches, prepared statements
    print(f"bot after start: {memory()[0]:.0f} MB resident")
    if rate is None:  # a steady stream well below what the bot can answer on this machine, now
        alone = []
        for user, command in zip(users, COMMANDS * 20):
            began = time.perf_counter()
            await user.send(command)
            alone.append(time.perf_counter() - began)
        rate = round(min(50.0, LOAD / statistics.mean(alone)), 1)
        print(f"one update at a time: mean {statistics.mean(alone) * 1000:.0f} ms; the stream: {rate}/s")

    idle_stream = Stream(users, rate, 1)
    await idle_stream.run(count=int(rate * 60))
    idle = p99(idle_stream.latencies)
    print(f"{'idle':<34} p99 {idle * 1000:7.1f} ms ({len(idle_stream.latencies)} updates at {rate}/s), "
          f"median {statistics.median(idle_stream.latencies) * 1000:.1f} ms")

    files_before = len(telegram.files)

    async def national_export(command: str):
        async def work():
            await admin.send(command)
        return work

    # The worker process is made by the first export or chart: that start is part of this one.
    stream, seconds = await during(users, rate, await national_export("/export"), 2)
    ratios = [line("during a national /export (XLSX)", stream, idle, seconds)]
    method, name, content = telegram.files[-1]
    assert len(telegram.files) == files_before + 1 and name.endswith(".xlsx"), telegram.files[files_before:]
    print(f"{'':<34} {name}: {len(content) / 1e6:.1f} MB")
    stream, seconds = await during(users, rate, await national_export("/export csv"), 3)
    ratios.append(line("during a national /export csv", stream, idle, seconds))

    async def charts():
        for command in ("/chart", "/chart weeks") * 10:
            await admin.send(command)
    stream, seconds = await during(users, rate, charts, 4)
    ratios.append(line("during 20 national /charts", stream, idle, seconds))

    rss, peak = memory()
    worker_pid = await workers.run(os.getpid)
    worker_rss, worker_peak = memory(worker_pid)
    print(f"bot process: {rss:.0f} MB resident now, peak {peak:.0f} MB; "
          f"worker process: {worker_rss:.0f} MB resident, peak {worker_peak:.0f} MB")

    if compare:
        async def old():
            await old_xlsx(db, Where(), TODAY)
        stream, seconds = await during(users, rate, old, 5)
        line("(before: openpyxl in the bot, threads)", stream, idle, seconds, note="  [for comparison]")
        print(f"bot process peak after the old way: {memory()[1]:.0f} MB")
    print(f"worst ratio {max(ratios):.2f}, goal ≤ {GOAL:.0f}: {'met' if max(ratios) <= GOAL else 'NOT met'}")
    await application.shutdown()
    await db.dispose()


async def generate_into(url: str) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine)
    await generate(db)
    await db.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--compare", action="store_true",
                        help="also stream during an export made the old way (in the bot's process)")
    parser.add_argument("--rate", type=float, help="updates a second in the stream (default: measured, "
                                                   f"{LOAD * 100:.0f}%% of what the bot answers one at a time)")
    parser.add_argument("--data", metavar="FILE", help="SQLite: keep the generated data set in FILE and "
                                                       "start from a copy of it next time")
    parser.add_argument("--generate-into", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate_into:
        return await generate_into(args.generate_into)
    with tempfile.TemporaryDirectory() as folder:
        if not args.postgres:
            print("SQLite")
            return await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", Path(folder), args.compare,
                             args.rate, args.data)
        import asyncpg
        from sqlalchemy.engine import make_url

        server = make_url(args.server)
        admin = await asyncpg.connect(host=server.host, port=server.port, user=server.username,
                                      password=server.password, database=server.database)
        name = f"forbedring_heavy_bench_{random.randint(0, 1 << 30)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print("PostgreSQL")
            await run(server.set(database=name).render_as_string(hide_password=False), Path(folder), args.compare,
                      args.rate)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
