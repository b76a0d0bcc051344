"""Issue 10: updates from different people at the same time, each person's in order, one
cheap unit of work per update, and every guarantee of one-at-a-time kept under concurrency.

The people here send through the Application's update processor (bot/updates.py), as the
update fetcher does, and `at_once` hands several updates to it before any is answered. The
fake Bot API lets other tasks run a few turns inside every call, so that updates interleave.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import date

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select
from telegram import Update

from bot.updates import PerPersonUpdateProcessor
from storage.models import Confirmation, DialogState, Measure, OutboxMessage, Region, UnitFollowup
from storage.statements import StatementCounter
from tests.conftest import on_postgres


async def at_once(*coroutines):
    """Start every coroutine before any ends (each hands its update to the processor)."""
    return await asyncio.gather(*coroutines)


@pytest.fixture
def interleaved(harness):
    harness.telegram.network_turns = 5
    return harness


@pytest.fixture
def no_errors(caplog):
    """No update may end in the error handler (a lost write, 'database is locked', a unique key)."""
    caplog.set_level(logging.ERROR)
    yield
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert failures == [], [r.getMessage() for r in failures]


async def to_the_card(leader, title: str = "Tavlemøte"):
    await leader.send("/newmeasure")
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    await leader.send(title)
    await leader.send("Ti minutter hver mandag.")
    await leader.send("Leder")
    return await leader.send("15.01.2027")


async def measures(db):
    async with db.session() as session:
        return list((await session.exec(select(Measure))).all())


# --- the processor on its own ---

def _update(user_id: int, n: int) -> Update:
    return Update.de_json({"update_id": n, "message": {
        "message_id": n, "date": 0, "text": f"m{n}", "chat": {"id": user_id, "type": "private"},
        "from": {"id": user_id, "is_bot": False, "first_name": "P"}}}, None)


@pytest.mark.parametrize("max_working, people", [(8, 4), (3, 4)])
async def test_the_processor_keeps_each_persons_order_and_runs_people_side_by_side(max_working, people):
    processor = PerPersonUpdateProcessor(max_working=max_working)
    events, running, most = [], set(), [0]

    async def handle(user_id: int, n: int):
        assert user_id not in running, "two updates of one person ran at the same time"
        running.add(user_id)
        most[0] = max(most[0], len(running))
        events.append((user_id, n))
        for _ in range(3):
            await asyncio.sleep(0)
        running.discard(user_id)

    updates = [(user_id, n) for n in range(6) for user_id in range(1, people + 1)]
    await at_once(*(processor.process_update(_update(u, n), handle(u, n)) for u, n in updates))
    for user_id in range(1, people + 1):
        assert [n for u, n in events if u == user_id] == list(range(6))  # in the order they came
    assert most[0] == min(max_working, people)  # people side by side, never more than max_working
    assert processor.people_waiting == 0  # a person's lock is gone once their updates are done


async def test_a_person_waiting_for_their_own_update_holds_no_working_place():
    processor = PerPersonUpdateProcessor(max_working=1)
    release, order = asyncio.Event(), []

    async def slow():
        await release.wait()
        order.append("busy person's first")

    async def quick(label):
        order.append(label)

    first = asyncio.create_task(processor.process_update(_update(1, 1), slow()))
    await asyncio.sleep(0)
    queued = asyncio.create_task(processor.process_update(_update(1, 2), quick("busy person's second")))
    await asyncio.sleep(0)
    release.set()
    await at_once(first, queued, processor.process_update(_update(2, 3), quick("someone else")))
    assert order.index("busy person's first") < order.index("busy person's second")


# --- the bot: the guarantees of one-at-a-time, at the same moment ---

async def test_save_pressed_twice_at_the_same_moment_saves_once(interleaved, db, no_errors):
    interleaved.set_today(date(2026, 5, 20))
    leader = await interleaved.member(201, "leader", "Kari")
    card = (await to_the_card(leader))[0]
    _, save = leader.find_button("Save", card)
    seen = len(interleaved.telegram.events)
    await at_once(leader.press_data(save["callback_data"], card), leader.press_data(save["callback_data"], card))
    assert [m.title for m in await measures(db)] == ["Tavlemøte"]
    said = [m.plain for m in leader.since(seen)] + [a.get("text") or "" for a in leader.callback_answers()]
    assert sum("Saved: “Tavlemøte”" in s for s in said) == 1
    assert sum("already finished or cancelled" in s for s in said) == 1


async def test_two_reps_answering_the_same_request_at_the_same_moment_are_both_recorded(interleaved, db, no_errors):
    interleaved.set_today(date(2026, 5, 2))
    leader = await interleaved.member(101, "leader", "Kari")
    safety = await interleaved.member(102, "safety_rep", "Ola")
    union = await interleaved.member(103, "union_rep", "Siri")
    await leader.send("/followup")
    await leader.press("Review with the parties")
    await leader.press("Mark as done")
    await leader.send("28.4")
    await leader.press("Save")
    await at_once(safety.press("I was not involved"), union.press("I was not involved"))
    async with db.session() as session:
        answers = {c.role: c.answer for c in (await session.exec(select(Confirmation))).all()}
        notices = (await session.exec(select(OutboxMessage).where(OutboxMessage.chat_id == 101))).all()
    assert answers == {"safety_rep": "not_involved", "union_rep": "not_involved"}
    assert len([n for n in notices if "was not involved" in n.text]) == 2  # the leader hears of both
    # Each is asked for a comment in their own dialog, and each comment lands on their own answer.
    await at_once(safety.send("Jeg var på kurs."), union.send("Vi ble ikke spurt."))
    async with db.session() as session:
        comments = {c.role: c.comment for c in (await session.exec(select(Confirmation))).all()}
    assert comments == {"safety_rep": "Jeg var på kurs.", "union_rep": "Vi ble ikke spurt."}


async def test_a_burst_of_texts_from_one_person_is_applied_in_order_once_each(interleaved, db, no_errors):
    interleaved.set_today(date(2026, 5, 20))
    leader = await interleaved.member(201, "leader", "Kari")
    await leader.send("/newmeasure")
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    seen = len(interleaved.telegram.events)
    await at_once(leader.send("Tavlemøte"), leader.send("Ti minutter hver mandag."), leader.send("Leder"))
    answers = [m.plain for m in leader.since(seen)]
    assert len(answers) == 3
    assert answers[0].startswith("What will you do")
    assert answers[1].startswith("Who is responsible?")
    assert answers[2].startswith("By when?")
    async with db.session() as session:
        draft = json.loads((await session.exec(select(DialogState))).one().data)
    assert (draft["title"], draft["description"], draft["responsible"]) == (
        "Tavlemøte", "Ti minutter hver mandag.", "Leder")
    assert draft["_trail"] == ["theme", "kind", "title", "description", "responsible"]  # each step once


async def test_many_people_saving_at_once_all_succeed(interleaved, db, no_errors):
    """Concurrent writers from different people: nothing fails with 'database is locked' (SQLite:
    the process's writers take turns, storage/sqlite.py) and two leaders of one unit saving its
    first measure at the same moment do not trip over its follow-up record."""
    interleaved.set_today(date(2026, 5, 20))
    places = ["KIRPOL", "KIRPOL", "MED1", "AKUTT"] * 3
    leaders = [await interleaved.member(300 + i, "leader", f"L{i}", place=place,
                                        trust="OUS" if place == "AKUTT" else "HB")
               for i, place in enumerate(places)]
    cards = await at_once(*(to_the_card(leader, f"Tiltak {i}") for i, leader in enumerate(leaders)))
    await at_once(*(leader.press("Save", card[0]) for leader, card in zip(leaders, cards)))
    assert sorted(m.title for m in await measures(db)) == sorted(f"Tiltak {i}" for i in range(len(leaders)))
    async with db.session() as session:
        followups = (await session.exec(select(UnitFollowup))).all()
    assert len(followups) == len(set(places))  # one per unit, however many saved its first at once


@pytest.mark.skipif(on_postgres(), reason="SQLite's one writer at a time")
async def test_sqlite_writers_take_turns_and_a_failed_write_gives_its_turn_back(db):
    writes = db.engine.dialect.dbapi.writes

    async def write(code: str, hold: float = 0.05):
        async with db.session() as session:
            session.add(Region(code=code, name=code))
            await session.flush()
            await asyncio.sleep(hold)  # the transaction stays open meanwhile

    await at_once(write("a"), write("b"), write("c"))
    assert writes.waited >= 1  # they took turns (waiting in their threads, never on the event loop)
    with pytest.raises(IntegrityError):
        await write("a", hold=0)
    started = asyncio.get_running_loop().time()
    await write("d", hold=0)
    assert asyncio.get_running_loop().time() - started < 1  # not the five seconds of a lost turn
    assert not writes.lock.locked()
    async with db.session() as session:
        assert sorted((await session.exec(select(Region.code))).all()) == ["a", "b", "c", "d"]


@pytest.mark.skipif(on_postgres(), reason="SQLite: statements on the event loop's thread")
async def test_sqlite_a_dialog_step_needs_no_hop_and_never_waits_on_the_loop_for_another_process(harness, db,
                                                                                                 monkeypatch):
    import sqlite3

    import aiosqlite
    from sqlalchemy.engine import make_url

    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(201, "leader", "Kari")
    await leader.send("/newmeasure")
    hops = []
    real = aiosqlite.Connection._execute
    monkeypatch.setattr(aiosqlite.Connection, "_execute", lambda self, fn, *a, **k: hops.append(fn) or real(self, fn, *a, **k))
    await leader.press("Teamwork climate")
    assert hops == []  # who-is-this and the step's write (with its commit) ran without a hop to a thread

    # Another process holds the database's write lock for 0.3 s: the step's write does not wait for it
    # on the event loop (which goes on: it is the loop that lets the other process commit), but in the
    # connection's thread, and then goes through.
    other = sqlite3.connect(make_url(db.url).database, timeout=0, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, other.execute, "COMMIT")
    started = loop.time()
    await leader.press("Improve")
    assert 0.25 < loop.time() - started < 4
    assert hops  # in the thread
    assert not db.engine.dialect.dbapi.writes.lock.locked()
    async with db.session() as session:
        draft = (await session.exec(select(DialogState))).one()
    assert draft.step == "title" and json.loads(draft.data)["kind"] == "improve"

    # Save's transaction (a few rows by key) runs there too, its commit included; with another
    # process holding the database it waits in the thread, and saves once.
    await leader.send("Tavlemøte")
    await leader.send("Ti minutter hver mandag.")
    await leader.send("Leder")
    await leader.send("15.01.2027")
    hops.clear()
    other.execute("BEGIN IMMEDIATE")
    loop.call_later(0.3, other.execute, "COMMIT")
    started = loop.time()
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("Saved:") and 0.25 < loop.time() - started < 4
    assert hops and len(await measures(db)) == 1 and not db.engine.dialect.dbapi.writes.lock.locked()
    other.close()
    await to_the_card(leader, "Andre")
    hops.clear()
    replies = await leader.press("Save")
    assert replies[0].plain.startswith("Saved:") and hops == []
    assert len(await measures(db)) == 2


@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL: BEGIN and COMMIT round trips")
async def test_postgres_a_dialog_step_sends_no_begin_or_commit(harness, db, monkeypatch):
    import asyncpg.transaction

    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(201, "leader", "Kari")
    await leader.send("/newmeasure")
    sent = []
    for name in ("start", "commit", "rollback"):
        real = getattr(asyncpg.transaction.Transaction, name)
        monkeypatch.setattr(asyncpg.transaction.Transaction, name,
                            lambda self, real=real, name=name: sent.append(name) or real(self))
    await leader.press("Teamwork climate")
    await leader.press("Improve")
    assert sent == []  # who-is-this and the step's write, each its own transaction: two round trips
    async with db.session() as session:
        draft = (await session.exec(select(DialogState))).one()
    assert draft.step == "title" and json.loads(draft.data)["kind"] == "improve"
    sent.clear()  # (the test's own read)
    await leader.send("Tavlemøte")
    await leader.send("Ti minutter hver mandag.")  # the unit's members are read too
    assert sent == []
    await leader.send("Leder")
    await leader.send("15.01.2027")
    await leader.press("Save")  # several writes: one transaction, as before
    assert sent == ["start", "commit"]
    assert len(await measures(db)) == 1


# --- one cheap unit of work per update ---

class Transactions:
    """Sessions and their transactions begun, and connections taken from the pool."""

    def __init__(self, engine=None):
        self.begun, self.sessions, self.checkouts = 0, set(), 0
        self.engine = engine.sync_engine if engine is not None else None

    def _begun(self, session, _transaction, _connection):
        self.begun += 1
        self.sessions.add(id(session))

    def _checkout(self, *_args):
        self.checkouts += 1

    def __enter__(self):
        event.listen(Session, "after_begin", self._begun)
        if self.engine is not None:
            event.listen(self.engine, "checkout", self._checkout)
        return self

    def __exit__(self, *_exc):
        event.remove(Session, "after_begin", self._begun)
        if self.engine is not None:
            event.remove(self.engine, "checkout", self._checkout)


async def test_a_dialog_step_costs_at_most_three_statements_in_one_session(harness, db):
    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(201, "leader", "Kari")
    await leader.send("/newmeasure")
    await leader.press("Teamwork climate")
    for step, expected in (("press", "Improve"), ("text", "Tavlemøte"), ("text", "Ti minutter."),
                           ("text", "Leder"), ("text", "15.01.2027")):
        with StatementCounter(db.engine) as counted, Transactions(db.engine) as transactions:
            replies = await (leader.press(expected) if step == "press" else leader.send(expected))
        assert replies, expected
        # Who-is-this (person, memberships and dialog) is one statement; the step's write one more;
        # a typed deadline one more for the evaluation deadline.
        assert counted.n <= 3, (expected, counted.n)
        # One connection for the whole update; at most one session on it (none when the statements
        # go straight to the driver: storage/hot.py), with at most one transaction.
        assert transactions.checkouts == 1, (expected, transactions.checkouts)
        assert len(transactions.sessions) <= 1 and transactions.begun <= 1, expected


async def test_nothing_is_committed_when_nothing_changed(harness, db):
    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(201, "leader", "Kari")
    commits = []
    listener = lambda _conn: commits.append(1)  # noqa: E731
    event.listen(db.engine.sync_engine, "commit", listener)
    try:
        await leader.send("/help")
    finally:
        event.remove(db.engine.sync_engine, "commit", listener)
    assert commits == []


@pytest.mark.skipif(not on_postgres(), reason="PostgreSQL: connections the server dropped")
async def test_a_connection_the_server_dropped_is_replaced_and_the_update_answered(harness, db, db_url):
    import asyncpg
    from sqlalchemy.engine import make_url

    harness.set_today(date(2026, 5, 20))
    leader = await harness.member(201, "leader", "Kari")
    await leader.send("/help")  # the pool now holds a connection
    url = make_url(db_url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
    try:
        killed = await admin.fetchval("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                      "WHERE datname = current_database() AND pid <> pg_backend_pid()")
    finally:
        await admin.close()
    assert killed >= 1
    replies = await leader.send("/help")
    assert replies and "Sorry" not in replies[0].plain


async def test_the_running_bot_takes_updates_from_its_queue_through_the_processor(harness):
    """What polling and the webhook do: updates put on the update queue run concurrently through
    the per-person processor."""
    harness.set_today(date(2026, 5, 20))
    people = [await harness.member(400 + i, "leader", f"L{i}") for i in range(3)]
    application = harness.application
    assert isinstance(application.update_processor, PerPersonUpdateProcessor)
    assert application.update_processor.max_concurrent_updates > 1  # PTB hands each update its own task
    await application.start()
    try:
        seen = len(harness.telegram.events)
        for i, person in enumerate(people):
            await application.update_queue.put(Update.de_json({"update_id": 90_000 + i, "message": {
                "message_id": 900 + i, "date": 0, "text": "/help", "entities": [
                    {"type": "bot_command", "offset": 0, "length": 5}],
                "chat": {"id": person.user_id, "type": "private"},
                "from": {"id": person.user_id, "is_bot": False, "first_name": "L"}}}, application.bot))
        await asyncio.wait_for(application.update_queue.join(), 10)
        for _ in range(50):
            if all(person.since(seen) for person in people):
                break
            await asyncio.sleep(0.01)
        assert all(person.since(seen) for person in people)
    finally:
        await application.stop()


async def test_a_step_write_after_a_block_that_left_its_transaction_open_is_committed(harness, db):
    """The step's write goes straight to the driver only while no transaction is open on the update's
    connection (storage/hot.py); after a block that read without committing, it is written in that
    transaction and committed with it, not left behind."""
    from datetime import datetime, timezone

    from storage import dialogs as dialog_store
    from storage.models import Person

    await harness.member(201, "leader", "Kari")
    async with db.session() as session:
        person_id = (await session.exec(select(Person.id).where(Person.telegram_user_id == 201))).one()
    now = datetime(2026, 5, 20, 9, 30, tzinfo=timezone.utc)
    async with db.unit_of_work():
        async with db.reading() as session:  # an ORM read: its transaction stays open after the block
            await session.exec(select(Person).where(Person.id == person_id))
        await dialog_store.put_alone(db, person_id, "measure", "title", "abc123", {"unit": 1}, now)
        async with db.reading() as session:
            await session.exec(select(Person).where(Person.id == person_id))
        await dialog_store.replace_alone(db, person_id, "measure", "what", "abc123", {"unit": 1}, now)
    async with db.session() as session:
        row = await dialog_store.get(session, person_id)
    assert (row.dialog, row.step, row.token) == ("measure", "what", "abc123")
    assert json.loads(row.data) == {"unit": 1}


async def test_the_routed_buttons_are_one_handler_that_finds_each_by_its_prefix(harness):
    """bot/app.py: the routed buttons' handlers are one PressRouter (one look-up per press); every
    route prefix is there once, and a press nobody routes goes on to the stale-button fallback."""
    from telegram.ext import CallbackQueryHandler

    from bot.dialogs.engine import PressRouter
    from conversations import routes

    handlers = [h for group in harness.application.handlers.values() for h in group]
    routers = [h for h in handlers if isinstance(h, PressRouter)]
    assert len(routers) == 1
    assert not [h for h in handlers if PressRouter.prefix_of(h) is not None]
    prefixes = {value.prefix for value in vars(routes).values() if hasattr(value, "prefix") and hasattr(value, "parse")}
    assert prefixes <= set(routers[0].callbacks)
    assert type(handlers[-1]) is CallbackQueryHandler  # the stale-button fallback, still last
