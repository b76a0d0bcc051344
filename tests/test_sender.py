"""The outbox sender against the fake Bot API: 429, 403, 400, timeouts, kills."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.outbox import Sender
from storage import outbox as store
from storage import people
from storage.models import OutboxMessage, Person
from tests.harness import send_with_random_kills


class FakeTime:
    """monotonic() and sleep() that only move when the sender sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
async def crowd(harness, db):
    """Five people the bot knows, and a sender on a fake timer."""
    ids = []
    async with db.session() as session:
        for n in range(5):
            person = await people.get_or_create_person(session, 9000 + n, f"P{n}", "en")
            ids.append(person.id)
    fake = FakeTime()
    sender = Sender(harness.application.bot, db, harness.settings.bot_timezone, rate=25, per_chat=1.0,
                    monotonic=fake.monotonic, sleep=fake.sleep)
    return ids, sender, fake


async def queue(db, person_ids, per_person=1, kind="notice"):
    async with db.session() as session:
        for round_ in range(per_person):
            for person_id in person_ids:
                person = await session.get(Person, person_id)
                await store.add(session, OutboxMessage(person_id=person_id, chat_id=person.telegram_user_id,
                                                       kind=kind, text=f"hello {person_id} #{round_}"))


async def states(db):
    async with db.session() as session:
        return sorted((m.person_id, m.state) for m in (await session.exec(select(OutboxMessage))).all())


def sent_texts(harness):
    return [c.params["text"] for c in harness.telegram.calls_to("sendMessage")]


async def test_paced_and_every_message_sent_once(harness, db, crowd):
    ids, sender, fake = crowd
    await queue(db, ids, per_person=3)
    sent = 0
    while (n := await sender.send_due()):
        sent += n
    assert sent == 15 and all(state == "sent" for _, state in await states(db))
    assert len(sent_texts(harness)) == len(set(sent_texts(harness))) == 15
    # 15 messages to 5 chats, one a second per chat: at least two seconds of waiting.
    assert sum(fake.sleeps) >= 2.0 - 1e-9


async def test_429_waits_at_least_retry_after_and_loses_nothing(harness, db, crowd):
    ids, sender, fake = crowd
    await queue(db, ids)
    harness.telegram.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    first = await sender.send_due()
    assert first == 0  # paused at the first 429
    async with db.session() as session:
        row = (await session.exec(select(OutboxMessage).order_by(OutboxMessage.id))).first()
    assert row.state == "pending" and row.attempts == 0
    # Not before retry_after: the row is not due yet, and the sender sleeps the pause out.
    later = datetime.now(timezone.utc)
    assert row.not_before > later
    await sender.send_due(now=row.not_before)
    assert fake.sleeps and max(fake.sleeps) >= 7 - 1e-6
    assert all(state == "sent" for _, state in await states(db))


async def test_403_marks_the_person_inactive_and_skips_them(harness, db, crowd):
    ids, sender, fake = crowd
    await queue(db, ids[:2], per_person=2)
    harness.telegram.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await sender.send_due()
    result = await states(db)
    assert result == [(ids[0], "blocked"), (ids[0], "blocked"), (ids[1], "sent"), (ids[1], "sent")]
    async with db.session() as session:
        assert (await session.get(Person, ids[0])).active is False
    await queue(db, ids[:1])
    await sender.send_due()
    assert (await states(db)).count((ids[0], "blocked")) == 3
    # The blocked person was tried once, got 403, and was never tried again.
    assert sent_texts(harness) == [f"hello {ids[0]} #0", f"hello {ids[1]} #0", f"hello {ids[1]} #1"]


async def test_400_is_recorded_as_failed_with_the_reason(harness, db, crowd):
    ids, sender, _ = crowd
    await queue(db, ids[:2])
    harness.telegram.fail_next("sendMessage", 400, "Bad Request: chat not found")
    await sender.send_due()
    async with db.session() as session:
        failed = (await session.exec(select(OutboxMessage).where(OutboxMessage.state == "failed"))).one()
    assert failed.error == "Chat not found"
    assert await states(db) == [(ids[0], "failed"), (ids[1], "sent")]


async def test_timeouts_are_retried_with_backoff(harness, db, crowd):
    ids, sender, _ = crowd
    await queue(db, ids[:1])
    harness.telegram.fail_next("sendMessage", timeout=True, times=2)
    await sender.send_due()
    async with db.session() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.state == "pending" and row.attempts == 1 and row.not_before > datetime.now(timezone.utc)
    await sender.send_due(now=row.not_before)
    async with db.session() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.state == "pending" and row.attempts == 2
    await sender.send_due(now=row.not_before)
    assert await states(db) == [(ids[0], "sent")]


async def test_killed_mid_send_resumes_with_at_most_one_duplicate_per_kill(harness, db, crowd):
    """At-least-once: kill the sender at random points until everything is out;
    every message arrives, and each kill duplicates at most the one in flight."""
    ids, _, _ = crowd
    await queue(db, ids, per_person=20)  # 100 messages

    async def all_sent():
        return all(state == "sent" for _, state in await states(db))

    kills = await send_with_random_kills(harness, db, all_sent, seed=4711, turns=(10, 400))
    texts = sent_texts(harness)
    duplicates = len(texts) - len(set(texts))
    print(f"kills={kills} duplicates={duplicates} sent={len(texts)}")
    assert set(texts) == {f"hello {i} #{r}" for i in ids for r in range(20)}
    assert kills > 0 and duplicates <= kills


async def test_passes_and_notices_running_together_keep_one_call_in_flight(harness, db, crowd):
    """The daily sweep, the running sender and a notice may all send at once: one API call
    at a time still, so a kill can duplicate at most one message; and nobody gets one twice."""
    ids, sender, _ = crowd
    await queue(db, ids, per_person=4)
    async with db.session() as session:
        notice = await store.add(session, OutboxMessage(person_id=ids[0], chat_id=9000, kind="notice", text="now"))
    harness.telegram.most_in_flight, harness.telegram.network_turns = 0, 200
    await asyncio.gather(sender.send_due(), sender.send_due(), sender.deliver_now(notice.id), sender.send_due())
    while await sender.send_due():
        pass
    texts = sent_texts(harness)
    assert len(texts) == len(set(texts)) == 21
    assert harness.telegram.most_in_flight == 1


async def test_an_unexpected_error_leaves_the_message_pending_not_stuck(harness, db, crowd):
    ids, sender, _ = crowd
    await queue(db, ids[:1])
    harness.telegram.fail_next("sendMessage", 409, "Conflict: something unexpected")
    assert await sender.send_due() == 0
    async with db.session() as session:
        row = (await session.exec(select(OutboxMessage))).one()
    assert row.state == "pending" and row.attempts == 1
    await sender.send_due(now=row.not_before)
    assert await states(db) == [(ids[0], "sent")]
