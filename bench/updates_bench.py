"""Benchmark: many people registering a measure at the same moment.

N simulated leaders (default 100), each in their own unit, each walk the whole
`/newmeasure` flow (the command, a theme, Improve, a title, what we will do, who is
responsible, a typed deadline, Save: 8 updates), each sending the next update as soon as
the bot has answered the last one. They talk to the real Application
(bot/app.build_application, its update processor, the database) over the instant fake
Bot API of bot/offline.py. In the same run, a bare PTB bot with an in-memory
ConversationHandler of the same steps (the same messages and buttons, nothing stored)
gets the same updates over the same fake Bot API, with PTB's own concurrent processor.

Printed, each beside its goal: updates per second, p50 and p99 time per update (from
handing the update to the processor until it is answered), SQL statements (counted
through SQLAlchemy's `before_cursor_execute`), transactions and sessions per update, and
the two ratios to the bare bot.

    .venv/bin/python -m bench.updates_bench               # SQLite (a temporary file)
    .venv/bin/python -m bench.updates_bench --postgres    # PostgreSQL at 127.0.0.1:5432 (own database, dropped after)
    .venv/bin/python -m bench.updates_bench --people 500 --rounds 3
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import random
import statistics
import tempfile
import time
import warnings
from datetime import date, datetime, timezone
from datetime import time as clock_time
from pathlib import Path

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    Defaults,
    MessageHandler,
    filters,
)
from telegram.constants import ParseMode

from bot.app import OFFLINE_TOKEN, build_application, on_startup
from bot.offline import FakeTelegram
from bot.settings import load_settings
from storage import migrate
from storage.database import Database
from storage.statements import StatementCounter
from storage.models import HealthTrust, Measure, Membership, Person, Region, Unit

warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", message="If .per_message=False")

TODAY = date(2026, 5, 20)
DEADLINE = "15.01.2027"  # before the default evaluation deadline (31 January 2027)
UPDATES_GOAL = 1000.0  # updates per second, on both databases
RATIO_GOAL = 3.0  # p99 ÷ the bare bot's p99
STATEMENTS_GOAL = 3.0  # per typical dialog step
THEMES = ["Engagement", "Leadership behaviour", "Teamwork climate", "Safety climate", "Stress recognition",
          "Working conditions", "Psychological safety", "Other"]


class Telegram(FakeTelegram):
    """The fake Bot API, remembering each chat's newest message with buttons (the people press them)."""

    def __init__(self):
        super().__init__()
        self.buttons: dict[int, dict] = {}

    def _store(self, chat_id, text, params, kind="text"):
        result = super()._store(chat_id, text, params, kind)
        if params.get("reply_markup"):
            self.buttons[chat_id] = self.messages[(chat_id, self.events[-1][1])].as_api()
        return result


_ids = itertools.count(1)


class Person_:
    """One person in a private chat: builds the updates a Telegram client would send."""

    def __init__(self, user_id: int, telegram: Telegram):
        self.user_id, self.telegram = user_id, telegram
        self.user = {"id": user_id, "is_bot": False, "first_name": f"Leader {user_id}", "language_code": "en"}
        self.chat = {"id": user_id, "type": "private", "first_name": f"Leader {user_id}"}

    def text(self, text: str) -> dict:
        message = {"message_id": next(_ids), "date": int(time.time()), "chat": self.chat, "from": self.user,
                   "text": text}
        if text.startswith("/"):
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": next(_ids), "message": message}

    def press(self, label: str | None) -> dict:
        """Press the button labelled `label` (the first button: None) on the newest message with buttons."""
        message = self.telegram.buttons[self.user_id]
        buttons = [b for row in message["reply_markup"]["inline_keyboard"] for b in row]
        found = [b for b in buttons if label is None or b["text"] == label]
        if not found:
            said = [m.plain for (c, _), m in self.telegram.messages.items() if c == self.user_id][-3:]
            raise LookupError(f"no button {label!r} for {self.user_id}; the bot said last: {said}")
        button = found[0]
        query = {"id": str(next(_ids)), "from": self.user, "chat_instance": str(self.user_id),
                 "data": button["callback_data"], "message": message}
        return {"update_id": next(_ids), "callback_query": query}


# The flow, as the person does it: what they send, in order (and the step's name in the figures).
FLOW = (
    ("text", "/newmeasure", "/newmeasure"),
    ("press", None, "theme"),  # the first theme
    ("press", "Improve", "kind"),
    ("text", "Faste tavlemøter på mandager", "title"),
    ("text", "Ti minutter hver mandag; vi merker det når avvik tas opp tidligere.", "what"),
    ("text", "Assisterende avdelingssykepleier", "responsible"),
    ("text", DEADLINE, "deadline"),
    ("press", "Save", "Save"),
)


async def walk(application, telegram: Telegram, user_id: int, latencies: list[float]) -> None:
    person = Person_(user_id, telegram)
    for kind, what, _ in FLOW:
        data = person.text(what) if kind == "text" else person.press(what)
        update = Update.de_json(data, application.bot)
        started = time.perf_counter()
        await application.update_processor.process_update(update, application.process_update(update))
        latencies.append(time.perf_counter() - started)


async def statements_per_step(application, telegram: Telegram, db: Database, user_ids: list[int]) -> list[float]:
    """The people walk the flow one after another: the SQL statements of each step, on average."""
    counts = [0] * len(FLOW)
    for user_id in user_ids:
        person = Person_(user_id, telegram)
        for i, (kind, what, _) in enumerate(FLOW):
            update = Update.de_json(person.text(what) if kind == "text" else person.press(what), application.bot)
            with StatementCounter(db.engine) as counted:
                await application.update_processor.process_update(update, application.process_update(update))
            counts[i] += counted.n
    return [n / len(user_ids) for n in counts]


async def crowd(application, telegram: Telegram, user_ids: list[int]) -> tuple[float, list[float]]:
    """Everyone walks the flow at once; returns the seconds it took and each update's latency
    (and keeps the process's CPU seconds meanwhile, all its threads, in `crowd.cpu`)."""
    latencies: list[float] = []
    gc.collect()
    cpu = time.process_time()
    started = time.perf_counter()
    await asyncio.gather(*(walk(application, telegram, u, latencies) for u in user_ids))
    crowd.cpu = time.process_time() - cpu
    return time.perf_counter() - started, latencies


# --- the bare PTB bot: the same steps in an in-memory ConversationHandler ---

THEME, KIND, TITLE, DESCRIPTION, RESPONSIBLE, DEADLINE_STEP, SUMMARY = range(7)


def bare_application(telegram: Telegram):
    def keyboard(*rows):
        return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                     for row in rows])

    async def new_measure(update, context):
        context.user_data.clear()
        rows = [[(t, f"ms:t:{i}") for i, t in enumerate(THEMES[j:j + 2], j)] for j in range(0, len(THEMES), 2)]
        await update.message.reply_text("Which theme is the measure about?", reply_markup=keyboard(*rows, [("Cancel", "ms:c")]))
        return THEME

    async def theme(update, context):
        await update.callback_query.answer()
        context.user_data["theme"] = update.callback_query.data
        await update.callback_query.message.reply_text(
            "Is it about something to preserve or something to improve?",
            reply_markup=keyboard([("Preserve", "ms:k:p"), ("Improve", "ms:k:i")], [("⬅ Back", "ms:b")]))
        return KIND

    async def kind(update, context):
        await update.callback_query.answer()
        context.user_data["kind"] = update.callback_query.data
        await update.callback_query.message.reply_text("Write a short title (at most 120 characters).",
                                                       reply_markup=keyboard([("💡 Ideas", "ms:i")], [("⬅ Back", "ms:b")]))
        return TITLE

    def typed(field: str, question: str, nxt: int, buttons=()):
        async def take(update, context):
            context.user_data[field] = update.message.text.strip()
            await update.message.reply_text(question, reply_markup=keyboard(*buttons, [("⬅ Back", "ms:b")]))
            return nxt
        return take

    async def deadline(update, context):
        day, month, year = (int(p) for p in update.message.text.split("."))
        context.user_data["deadline"] = date(year, month, day).isoformat()
        data = context.user_data
        await update.message.reply_text(
            "\n".join(["<b>New measure</b>", f"Theme: {data['theme']}", f"Title: {data['title']}",
                       f"What we will do: {data['description']}", f"Responsible: {data['responsible']}",
                       f"Deadline: {data['deadline']}"]),
            reply_markup=keyboard([("Save", "ms:s")], [("Change a field", "ms:e")], [("Cancel", "ms:c")]))
        return SUMMARY

    async def save(update, context):
        await update.callback_query.answer()
        await update.callback_query.message.reply_text(
            f"Saved: “{context.user_data['title']}”. /measures shows the unit's measures.",
            reply_markup=keyboard([("Register another", "nm:1")]))
        return ConversationHandler.END

    text = filters.TEXT & ~filters.COMMAND
    application = (ApplicationBuilder().token(OFFLINE_TOKEN).request(telegram).get_updates_request(telegram)
                   .updater(None).defaults(Defaults(parse_mode=ParseMode.HTML))
                   .concurrent_updates(True).build())
    application.add_handler(ConversationHandler(
        entry_points=[CommandHandler("newmeasure", new_measure)],
        states={
            THEME: [CallbackQueryHandler(theme, pattern=r"^ms:t:")],
            KIND: [CallbackQueryHandler(kind, pattern=r"^ms:k:")],
            TITLE: [MessageHandler(text, typed("title", "What will you do, and how will you notice that it works? "
                                                        "(at most 1000 characters)", DESCRIPTION))],
            DESCRIPTION: [MessageHandler(text, typed("description", "Who is responsible? A name or a role – that "
                                                                    "person does not need to use the bot.", RESPONSIBLE))],
            RESPONSIBLE: [MessageHandler(text, typed("responsible", "By when? Write a date (for example 15.03.2027), "
                                                                    "or pick one.", DEADLINE_STEP,
                                                     [[("📅 Pick a date", "ms:p")]]))],
            DEADLINE_STEP: [MessageHandler(text, deadline)],
            SUMMARY: [CallbackQueryHandler(save, pattern=r"^ms:s$")],
        },
        fallbacks=[],
    ))
    return application


# --- our bot ---

async def seed(db: Database, user_ids: list[int]) -> None:
    """A region, a trust and one unit per person, each person its leader (English, chosen)."""
    now = datetime.now(timezone.utc)
    async with db.session() as session:
        region = (await session.execute(insert(Region).returning(Region.id),
                                        [{"code": "bench", "name": "Bench"}])).scalar_one()
        trust = (await session.execute(insert(HealthTrust).returning(HealthTrust.id),
                                       [{"code": "BT", "name": "Bench trust", "region_id": region}])).scalar_one()
        units = (await session.execute(insert(Unit).returning(Unit.id, sort_by_parameter_order=True),
                                       [{"trust_id": trust, "code": f"U{u}", "name": f"Unit {u}"}
                                        for u in user_ids])).scalars().all()
        people = (await session.execute(insert(Person).returning(Person.id, sort_by_parameter_order=True),
                                        [{"telegram_user_id": u, "name": f"Leader {u}", "language": "en",
                                          "language_chosen": True, "created_at": now} for u in user_ids])).scalars().all()
        await session.execute(insert(Membership), [{"person_id": p, "role": "leader", "scope": "unit", "unit_id": u,
                                                    "created_at": now} for p, u in zip(people, units)])


class Sessions:
    """Counts transactions begun and distinct sessions that began one (SQLAlchemy's `after_begin`)."""

    def __init__(self):
        self.transactions = self.sessions = 0

    def _begun(self, session, transaction, connection) -> None:
        self.transactions += 1
        if not session.info.get("bench_counted"):
            session.info["bench_counted"] = True
            self.sessions += 1

    def __enter__(self):
        event.listen(Session, "after_begin", self._begun)
        return self

    def __exit__(self, *_exc):
        event.remove(Session, "after_begin", self._begun)


def p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run(url: str, people: int, rounds: int, data_dir: str) -> None:
    db = Database(url)
    await migrate.upgrade(db.engine)
    warm = list(range(10_001, 10_011))
    one_by_one = list(range(15_001, 15_006))
    crowds = [list(range(20_000 + r * people, 20_000 + (r + 1) * people)) for r in range(rounds)]
    await seed(db, warm + one_by_one + [u for c in crowds for u in c])
    settings = load_settings(env={"DATABASE_URL": url, "DATA_DIR": data_dir}, env_file=None)

    ours_telegram = Telegram()
    ours = build_application(settings, db, request=ours_telegram, with_updater=False)
    await ours.initialize()
    await on_startup(ours)
    ours.bot_data["clock"].set_now(datetime.combine(TODAY, clock_time(9, 30), settings.bot_timezone))
    bare_telegram = Telegram()
    bare = bare_application(bare_telegram)
    await bare.initialize()

    # Warm up both (imports, compiled statements, connections), then the measured rounds, alternating.
    await crowd(bare, bare_telegram, warm)
    await crowd(ours, ours_telegram, warm)
    results = []
    for user_ids in crowds:
        bare_calls = len(bare_telegram.calls)
        bare_seconds, bare_latencies = await crowd(bare, bare_telegram, user_ids)
        bare_cpu = crowd.cpu
        bare_calls = len(bare_telegram.calls) - bare_calls
        calls_before = len(ours_telegram.calls)
        with StatementCounter(db.engine) as counted, Sessions() as sessions:
            seconds, latencies = await crowd(ours, ours_telegram, user_ids)
        updates = len(latencies)
        results.append(dict(
            rate=updates / seconds, p50=p(latencies, 50), p99=p(latencies, 99),
            bare_rate=len(bare_latencies) / bare_seconds, bare_p50=p(bare_latencies, 50),
            bare_p99=p(bare_latencies, 99), statements=counted.n / updates,
            transactions=sessions.transactions / updates, sessions=sessions.sessions / updates,
            calls=(len(ours_telegram.calls) - calls_before) / updates, bare_calls=bare_calls / updates,
            cpu=crowd.cpu / updates, bare_cpu=bare_cpu / len(bare_latencies),
        ))
    per_step = await statements_per_step(ours, ours_telegram, db, one_by_one)
    async with db.session() as session:
        saved = len((await session.execute(select(Measure.id))).all())
    expected = len(warm) + len(one_by_one) + people * rounds
    await ours.shutdown()
    await bare.shutdown()
    await db.dispose()

    r = {k: statistics.median(x[k] for x in results) for k in results[0]}
    ok = lambda good: "met" if good else "NOT MET"  # noqa: E731
    print(f"  {people} people × {len(FLOW)} updates, {rounds} round(s), median of the rounds; "
          f"measures saved {saved} of {expected}")
    print(f"  ours: {r['rate']:7.0f} updates/s   goal ≥ {UPDATES_GOAL:.0f}   {ok(r['rate'] >= UPDATES_GOAL)}")
    print(f"  bare: {r['bare_rate']:7.0f} updates/s")
    print(f"  ours: p50 {r['p50'] * 1000:6.1f} ms, p99 {r['p99'] * 1000:6.1f} ms")
    print(f"  bare: p50 {r['bare_p50'] * 1000:6.1f} ms, p99 {r['bare_p99'] * 1000:6.1f} ms")
    ratio = r["p99"] / r["bare_p99"]
    print(f"  p99 ours ÷ bare: {ratio:5.2f}   goal ≤ {RATIO_GOAL:.0f}   {ok(ratio <= RATIO_GOAL)}")
    print(f"  updates/s ours ÷ bare: {r['rate'] / r['bare_rate']:5.2f}")
    print(f"  the bot process's CPU per update: ours {r['cpu'] * 1000:.2f} ms, bare {r['bare_cpu'] * 1000:.2f} ms "
          f"(ours ÷ bare {r['cpu'] / r['bare_cpu']:.2f})")
    typical = max(per_step[1:-1])  # the steps between the command and Save
    print(f"  SQL statements per update: {r['statements']:.2f} on average; per step: "
          + ", ".join(f"{name} {n:g}" for (_, _, name), n in zip(FLOW, per_step)))
    print(f"  SQL statements per typical dialog step: at most {typical:g}   goal ≤ {STATEMENTS_GOAL:.0f}   "
          f"{ok(typical <= STATEMENTS_GOAL)}")
    print(f"  transactions per update: {r['transactions']:.2f}; sessions per update: {r['sessions']:.2f}   "
          f"goal 1 session   {ok(r['sessions'] <= 1.0)}")
    print(f"  Bot API calls per update: ours {r['calls']:.2f}, bare {r['bare_calls']:.2f}")
    if saved != expected:
        raise SystemExit(f"expected {expected} measures, found {saved}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--server", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        if not args.postgres:
            print("SQLite")
            await run(f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}", args.people, args.rounds, folder)
            return
        import asyncpg
        from sqlalchemy.engine import make_url

        server = make_url(args.server)
        admin = await asyncpg.connect(host=server.host, port=server.port, user=server.username,
                                      database=server.database)
        name = f"forbedring_bench_{random.randint(0, 1 << 30)}"
        await admin.execute(f'CREATE DATABASE "{name}"')
        try:
            print("PostgreSQL")
            await run(server.set(database=name).render_as_string(hide_password=False), args.people, args.rounds,
                      folder)
        finally:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
