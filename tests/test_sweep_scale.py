"""The reminder sweep is set-based: its SQL statements do not grow with the number of units
or people, a second sweep the same day writes nothing, and where the chunks are cut changes
nothing. The organisations come from the benchmark's generator (bench/progress_bench.py)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import SQLModel, func, select

from bench.progress_bench import generate
from bot.rules.nudges import ReminderRules
from bot.services import reminders
from conversations.reminder_texts import digest_message
from storage.models import JobRun, OutboxMessage, Reminder
from storage.statements import StatementCounter

TZ = ZoneInfo("Europe/Oslo")
RESULTS_DAY = date(2026, 4, 15)  # every unit's leader and reps hear that the results are out
ESCALATION_DAY = date(2026, 6, 29)  # the trusts' leaders hear of every unit whose plan is late
STATUS_DAY = date(2026, 9, 15)  # leaders with open measures: a quarterly status, measures due and overdue


async def sweep(db, day: date) -> reminders.SweepResult:
    return await reminders.sweep(db, datetime.combine(day, time(9, 0), TZ), TZ, ReminderRules(), digest_message)


async def empty(db) -> None:
    async with db.session() as session:
        connection = await session.connection()
        for table in reversed(SQLModel.metadata.sorted_tables):
            await connection.execute(table.delete())


async def forget_sweeps(db) -> None:
    async with db.session() as session:
        connection = await session.connection()
        for model in (Reminder, OutboxMessage, JobRun):
            await connection.execute(model.__table__.delete())


async def written(db) -> tuple[int, int, int]:
    async with db.session() as session:
        return ((await session.exec(select(func.count()).select_from(Reminder))).one(),
                (await session.exec(select(func.count()).select_from(Reminder).where(Reminder.state == "sent"))).one(),
                (await session.exec(select(func.count()).select_from(OutboxMessage))).one())


async def digests(db) -> dict[int, tuple[str, str]]:
    async with db.session() as session:
        return {m.person_id: (m.key, m.text, m.reply_markup) for m in (await session.exec(select(OutboxMessage))).all()}


async def test_the_statements_do_not_grow_with_the_units_and_a_second_sweep_writes_nothing(db):
    statements, sizes = {}, (50, 200)
    for units in sizes:
        await empty(db)
        await generate(db, units=units, trusts=4, regions=2)
        for day in (RESULTS_DAY, STATUS_DAY):
            await forget_sweeps(db)
            with StatementCounter(db.engine) as counted:
                result = await sweep(db, day)
            statements[units, day] = counted.n
            assert result.digests == (3 * units if day == RESULTS_DAY else units)
            # The same day again: everything is recorded and sent already.
            before = await written(db)
            with StatementCounter(db.engine) as again:
                second = await sweep(db, day)
            assert (second.recorded, second.digests, second.dropped) == (0, 0, 0)
            assert await written(db) == before
            assert again.n <= counted.n
    print(f"\nstatements per sweep: {statements}")
    for day in (RESULTS_DAY, STATUS_DAY):
        assert statements[sizes[0], day] == statements[sizes[1], day]
        assert statements[sizes[1], day] < 40  # a fixed handful, against 8–10 per digest before


async def whole_sweep_then_small_chunks(db, monkeypatch, day: date):
    """60 units swept whole (the result, and the digests and counts it wrote), then forgotten, and
    the chunks made small: 7 units and 5 reminders, so that a trust's leader with more reminders
    than a chunk holds (late plans on the escalation day), and people cut across chunks, are met."""
    await generate(db, units=60, trusts=4, regions=2)
    whole = await sweep(db, day)
    expected = await digests(db), await written(db)
    await forget_sweeps(db)
    monkeypatch.setattr(reminders, "UNIT_CHUNK", 7)
    monkeypatch.setattr(reminders, "PEOPLE_CHUNK", 5)
    return whole, expected


@pytest.mark.parametrize("day", [RESULTS_DAY, ESCALATION_DAY, STATUS_DAY])
async def test_where_the_chunks_are_cut_changes_nothing(db, monkeypatch, day):
    whole, expected = await whole_sweep_then_small_chunks(db, monkeypatch, day)
    cut = await sweep(db, day)
    assert (cut.recorded, cut.digests) == (whole.recorded, whole.digests)
    assert (await digests(db), await written(db)) == expected
    assert whole.digests > 0


async def test_two_sweeps_at_once_write_each_reminder_and_digest_once(db_url):
    """Two processes sweeping at the same moment (a takeover in the middle of a sweep): the
    writes are insert-or-ignore on the reminder key, so the outcome is that of one sweep."""
    from storage.database import Database

    first, second = Database(db_url), Database(db_url)  # two engines, as two processes have
    try:
        await generate(first, units=120, trusts=3, regions=2)
        results = await asyncio.gather(sweep(first, RESULTS_DAY), sweep(second, RESULTS_DAY))
        assert sum(r.digests for r in results) >= 3 * 120
        reminders_, _, outbox_rows = await written(first)
        assert outbox_rows == 3 * 120, "each person's digest once"
        await forget_sweeps(first)
        alone = await sweep(first, RESULTS_DAY)
        assert (await written(first))[0] == reminders_ and alone.digests == 3 * 120
    finally:
        await first.dispose()
        await second.dispose()


@pytest.mark.parametrize("cut_after", [3, 12, 40])
async def test_a_sweep_killed_half_way_is_finished_by_the_next_one_with_each_digest_once(
        db_url, monkeypatch, cut_after):
    """The active worker dies in the middle of a sweep (its task is cancelled after some of its
    statements, as a kill leaves the database); the process that takes over sweeps again:
    the outcome is exactly that of one whole sweep, nothing written twice."""
    from storage.database import Database

    first = Database(db_url)
    try:
        whole, expected = await whole_sweep_then_small_chunks(first, monkeypatch, RESULTS_DAY)
        with StatementCounter(first.engine) as counted:
            killed = asyncio.create_task(sweep(first, RESULTS_DAY))
            while counted.n < cut_after and not killed.done():
                await asyncio.sleep(0)
            killed.cancel()
            try:
                await killed
            except asyncio.CancelledError:
                pass
        assert 0 <= (await written(first))[2] < whole.digests, "killed before the end"
        await first.dispose()
        first = Database(db_url)  # the standby, with its own engine
        await sweep(first, RESULTS_DAY)
        assert (await digests(first), await written(first)) == expected
    finally:
        await first.dispose()


async def test_rows_split_over_several_statements_write_the_same(db, monkeypatch):
    """SQLite binds a limited number of parameters a statement: a bulk write with more goes in several
    statements of one transaction (storage/reminders.py SQLITE_PARAMETERS), with the same outcome.
    (PostgreSQL sends each column as one array, whatever the number of rows.)"""
    from storage import reminders as store

    await generate(db, units=60, trusts=4, regions=2)
    for day in (RESULTS_DAY, STATUS_DAY):
        await forget_sweeps(db)
        whole = await sweep(db, day)
        expected = await digests(db), await written(db)
        await forget_sweeps(db)
        with monkeypatch.context() as patched:
            patched.setattr(store, "SQLITE_PARAMETERS", 40)  # a handful of rows a statement
            split = await sweep(db, day)
        assert (split.recorded, split.digests) == (whole.recorded, whole.digests)
        assert (await digests(db), await written(db)) == expected


async def test_a_connection_that_wrote_a_bulk_statement_is_renewed_once_given_back(db):
    """SQLite caches each connection's prepared statements by their text, and a chunk's multi-row
    VALUES prepares into megabytes: a pooled connection that ran one is renewed (soft-invalidated
    when given back), so the sweeps' statements are not kept by connections that live for good."""
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's bulk writes are one statement of arrays: nothing to renew")
    from sqlalchemy import event

    renewed = []
    event.listen(db.engine.sync_engine.pool, "soft_invalidate", lambda *_: renewed.append(1))
    await generate(db, units=20, trusts=2, regions=1)
    result = await sweep(db, RESULTS_DAY)
    assert result.digests == 60 and renewed  # the chunk's connection, renewed
    count = len(renewed)
    async with db.session() as session:  # an ordinary block: its connection is kept as it is
        assert (await session.exec(select(func.count()).select_from(OutboxMessage))).one() == 60
    assert len(renewed) == count
