"""The sender through faults (issue 11): leases, a graceful stop, a lost database
after the call, an API outage, a busy chat, limits at the times Telegram receives
the calls, a standby that sends nothing, and the PostgreSQL worker lock."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text
from sqlmodel import select

from bot.leadership import Leadership
from bot.outbox import Sender
from storage import outbox as store
from storage.models import OutboxMessage
from storage.worker_lock import PostgresLock
from tests.conftest import on_postgres
from tests.test_sender import FakeTime, crowd, queue, sent_texts, states  # noqa: F401 - crowd is a fixture


class FakeClock:
    """Wall-clock time that moves with FakeTime (leases and give-up by age are in wall-clock time)."""

    def __init__(self, fake: FakeTime):
        # A little ahead of the real clock, so that rows queued now are due at once.
        self.fake, self.start = fake, datetime.now(timezone.utc) + timedelta(seconds=10)

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.fake.now - 1000.0)


@pytest.fixture
def faked(harness, db, crowd):
    ids, _, fake = crowd
    clock = FakeClock(fake)
    sender = Sender(harness.application.bot, db, harness.settings.bot_timezone, clock, rate=25, per_chat=1.0,
                    monotonic=fake.monotonic, sleep=fake.sleep)
    return ids, sender, fake, clock


async def rows(db):
    async with db.session() as session:
        return list((await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_only_an_expired_lease_is_taken_back(harness, db, faked):
    ids, sender, fake, clock = faked
    await queue(db, ids[:2])
    first, second = await rows(db)
    async with db.session() as session:
        await store.claim(session, first.id, "other-worker", clock.now() + timedelta(seconds=30))
        await store.claim(session, second.id, "dead-worker", clock.now() - timedelta(seconds=1))
    assert await sender.recover() == 1
    assert [(r.state, r.lease_owner) for r in await rows(db)] == [("sending", "other-worker"), ("pending", None)]
    await sender.send_due(now=clock.now())
    # The live lease is left alone: its message is not sent a second time by this worker.
    assert sent_texts(harness) == [second.text]
    fake.now += 31
    assert await sender.recover() == 1
    await sender.send_due(now=clock.now())
    assert sorted(sent_texts(harness)) == sorted([first.text, second.text])


async def test_a_graceful_stop_finishes_the_call_in_flight_and_claims_nothing_new(harness, db):
    """SIGTERM in the middle of an announcement: the runner stops the sender and cancels what
    still runs; the message in flight is marked sent, and nothing new is claimed."""
    async with db.session() as session:
        from storage import people
        person_ids = [(await people.get_or_create_person(session, 7000 + n, f"P{n}", "en")).id for n in range(6)]
    await queue(db, person_ids)
    sender = Sender(harness.application.bot, db, harness.settings.bot_timezone, rate=1000, per_chat=0)
    harness.telegram.network_turns = 400
    task = asyncio.create_task(sender.send_due())
    while not harness.telegram.in_flight:
        await asyncio.sleep(0)
    sender.stop()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    result = await rows(db)
    assert [r.state for r in result].count("sent") == len(sent_texts(harness)) == 1
    assert {r.state for r in result} == {"sent", "pending"}, "nothing left in 'sending', nothing else claimed"
    assert await sender.send_due() == 0 and len(sent_texts(harness)) == 1


async def test_a_failed_sent_mark_is_retried_without_calling_again(harness, db, faked, monkeypatch):
    ids, sender, fake, clock = faked
    await queue(db, ids[:1])
    real_finish, failures = store.finish, []

    async def flaky_finish(session, message_id, state, *args, **kwargs):
        if state == "sent" and len(failures) < 3:
            failures.append(state)
            raise ConnectionResetError("the database connection was killed")
        return await real_finish(session, message_id, state, *args, **kwargs)

    monkeypatch.setattr(store, "finish", flaky_finish)
    assert await sender.send_due(now=clock.now()) == 1
    assert len(failures) == 3 and len(sent_texts(harness)) == 1
    assert [r.state for r in await rows(db)] == ["sent"]


async def test_an_api_outage_of_five_minutes_loses_nothing(harness, db, faked, monkeypatch):
    """Every call fails (5xx and refused connections) for five minutes of the sender's clock;
    then the API is back and everything queued is delivered, none failed for good."""
    ids, sender, fake, clock = faked
    await queue(db, ids, per_person=20)  # 100 messages
    back_at = fake.now + 300
    real, chance = harness.telegram.do_request, random.Random(5)

    async def down_for_a_while(url, method, *args, **kwargs):
        if fake.now < back_at and method == "POST" and url.endswith("sendMessage"):
            if chance.random() < 0.5:
                from telegram.error import NetworkError
                raise NetworkError("connection refused")
            return 502, b'{"ok": false, "error_code": 502, "description": "Bad Gateway"}'
        return await real(url, method, *args, **kwargs)

    monkeypatch.setattr(harness.telegram, "do_request", down_for_a_while)
    passes = 0
    while any(r.state != "sent" for r in await rows(db)):
        await sender.send_due(now=clock.now())
        pending = [r.not_before for r in await rows(db) if r.state == "pending"]
        if pending:  # the sender's loop sleeps until the next retry is due
            fake.now += max(1.0, min((min(pending) - clock.now()).total_seconds(), 60.0))
        passes += 1
        assert passes < 500
    assert sorted(sent_texts(harness)) == sorted(f"hello {i} #{r}" for i in ids for r in range(20))
    assert len(sent_texts(harness)) == 100
    # Within a minute of the API's return (the longest backoff), everything was out.
    assert fake.now - back_at <= 60 + 100 / 25 + 5


async def test_a_day_long_outage_fails_the_message_with_the_reason(harness, db, faked):
    ids, sender, fake, clock = faked
    sender.give_up_after = timedelta(hours=1)
    await queue(db, ids[:1])
    harness.telegram.fail_next("sendMessage", 502, "Bad Gateway", times=1000)
    while (row := (await rows(db))[0]).state == "pending":
        fake.now = max(fake.now, 1000.0 + (row.not_before - clock.start).total_seconds())
        await sender.send_due(now=clock.now())
    assert row.state == "failed" and "Bad Gateway" in row.error
    assert row.attempts > 8, "given up by age, not after a count of tries"
    assert fake.now - 1000.0 >= 3600


async def test_one_busy_chat_never_holds_up_the_others(harness, db, faked):
    """25 messages to one chat ahead of one message each to four others: the others go out
    within the first second, not after the busy chat's 25 seconds."""
    ids, sender, fake, clock = faked
    await queue(db, ids[:1], per_person=25)
    await queue(db, ids[1:])
    sent_at: dict[str, float] = {}
    real = harness.telegram.do_request

    async def timed(url, method, request_data=None, *args, **kwargs):
        if url.endswith("sendMessage"):
            sent_at[request_data.parameters["text"]] = fake.now
        return await real(url, method, request_data, *args, **kwargs)

    harness.telegram.do_request = timed
    while await sender.send_due(now=clock.now()):
        pass
    others = [sent_at[f"hello {i} #0"] - 1000.0 for i in ids[1:]]
    assert max(others) < 1.0, others
    busy = sorted(t for text_, t in sent_at.items() if text_.startswith(f"hello {ids[0]} "))
    assert len(busy) == 25 and all(b - a >= 1.0 - 1e-9 for a, b in zip(busy, busy[1:]))


async def test_the_limits_hold_at_the_times_telegram_receives_the_calls(harness, db, faked):
    """Each call takes a random 0-300 ms to reach the API and as long to come back: no one-second
    window holds more than `rate` calls and no chat gets two within a second, at receive times."""
    ids, sender, fake, clock = faked
    sender.rate = 5
    sender._recent = type(sender._recent)(maxlen=5)
    more = []
    async with db.session() as session:
        from storage import people
        for n in range(15):
            more.append((await people.get_or_create_person(session, 9100 + n, f"Q{n}", "en")).id)
    await queue(db, ids + more, per_person=3)
    received: list[tuple[float, int]] = []
    real, jitter = harness.telegram.do_request, random.Random(11)

    async def with_jitter(url, method, request_data=None, *args, **kwargs):
        if url.endswith("sendMessage"):
            await fake.sleep(jitter.uniform(0, 0.3))
            received.append((fake.now, int(request_data.parameters["chat_id"])))
            answer = await real(url, method, request_data, *args, **kwargs)
            await fake.sleep(jitter.uniform(0, 0.3))
            return answer
        return await real(url, method, request_data, *args, **kwargs)

    harness.telegram.do_request = with_jitter
    while await sender.send_due(now=clock.now()):
        pass
    assert len(received) == 60
    times = [t for t, _ in received]
    most_in_a_second = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    by_chat: dict[int, list[float]] = {}
    for t, chat in received:
        by_chat.setdefault(chat, []).append(t)
    closest = min(b - a for ts in by_chat.values() for a, b in zip(ts, ts[1:]))
    print(f"most calls in a 1-s window: {most_in_a_second} (limit 5); closest to one chat: {closest:.3f} s")
    assert most_in_a_second <= 5 and closest >= 1.0 - 1e-9


async def test_a_standby_sends_nothing_and_does_not_sweep(harness, db, crowd):
    ids, _, _ = crowd
    await queue(db, ids)
    from bot import jobs

    standby = Leadership(lock=object())  # a lock it does not hold: inactive until it takes it
    harness.application.bot_data["leadership"] = standby
    sender = harness.application.bot_data["sender"]
    # The harness clock stands at 09:30 on the test's day; the rows were queued at the real time.
    now = max(datetime.now(timezone.utc), harness.clock.now())
    assert await sender.send_due(now=now) == 0
    assert await jobs.sweep_if_due(harness.application) is None
    assert sent_texts(harness) == [] and {s for _, s in await states(db)} == {"pending"}
    standby.active = True
    while await sender.send_due(now=now):
        pass
    assert len(sent_texts(harness)) == 5


@pytest.mark.skipif(not on_postgres(), reason="the worker lock is PostgreSQL's (SQLite: one process per file)")
async def test_the_worker_lock_has_one_holder_and_passes_on_when_its_connection_dies(db_url, db):
    first = Leadership(PostgresLock(db_url, "first"), "first", retry=0.2, check=0.2)
    second = Leadership(PostgresLock(db_url, "second"), "second", retry=0.2, check=0.2)
    gained = asyncio.Event()

    async def on_gained():
        gained.set()

    second.on_gained(on_gained)
    try:
        await first.start()
        await second.start()
        assert first.active and not second.active
        from bot.services.operations import status
        assert "forbedring-bot first" in (await status(db)).lock_holder
        async with db.engine.begin() as connection:  # the active worker's lock connection dies
            killed = (await connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'forbedring-bot first'"))).scalar()
        assert killed == 1
        await asyncio.wait_for(gained.wait(), 10)
        assert second.active
        for _ in range(50):
            if not first.active:
                break
            await asyncio.sleep(0.1)
        assert not first.active, "the process whose lock connection died stands by"
        assert "forbedring-bot second" in (await status(db)).lock_holder
    finally:
        await first.stop()
        await second.stop()


def test_status_prints_the_backlog_the_last_sweep_and_the_active_worker(cli, db_url):
    from datetime import date

    from storage import reminders as reminder_store
    from storage.database import Database

    async def fill():
        database = Database(db_url)
        async with database.session() as session:
            from storage import people
            person = await people.get_or_create_person(session, 4242, "S", "en")
            for state in ("pending", "pending", "sent", "failed"):
                await store.add(session, OutboxMessage(person_id=person.id, chat_id=4242, kind="notice", text="x",
                                                       state=state))
            await reminder_store.mark_run(session, "reminder_sweep", date(2026, 3, 2),
                                          datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc), "3 reminder(s) recorded")
        await database.dispose()

    asyncio.run(fill())
    code, out, err = cli("status")
    assert code == 0, err
    assert "outbox: pending 2, sending 0, sent 1, failed 1, blocked 0" in out
    assert "last sweep: 2026-03-02 09:00 CET (3 reminder(s) recorded)" in out
    assert "active worker: none" in out


def test_the_worker_lock_connects_with_the_urls_options():
    """`?ssl=require` and the like reach the lock's own connection, as they reach the engine's:
    without them every process would fail to take the lock and nothing would be sent."""
    lock = PostgresLock("postgresql+asyncpg://u:secret@db.example.no:5433/forbedring?ssl=require", "host:1:ab")
    arguments = lock.connect_arguments()
    assert {k: arguments[k] for k in ("host", "port", "user", "password", "database", "ssl")} == {
        "host": "db.example.no", "port": 5433, "user": "u", "password": "secret", "database": "forbedring",
        "ssl": "require"}
    assert arguments["server_settings"]["application_name"] == "forbedring-bot host:1:ab"


async def test_a_lock_that_cannot_reach_the_database_says_so_once(caplog):
    lock = PostgresLock("postgresql+asyncpg://nobody@127.0.0.1:1/none", "host:1:ab")
    assert await lock.try_take() is False
    assert await lock.try_take() is False
    said = [r for r in caplog.records if "could not reach the database for the worker lock" in r.getMessage()]
    assert len(said) == 1
