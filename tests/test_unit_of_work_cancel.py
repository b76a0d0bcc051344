"""An update's one connection (storage/unit_of_work.py) goes back to the pool on every path."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlmodel.ext.asyncio.session import AsyncSession


async def test_an_update_cancelled_while_its_session_closes_gives_its_connection_back(db, monkeypatch):
    pool = db.engine.pool
    if not hasattr(pool, "checkedout"):
        pytest.skip("a pool that does not count its connections (in-memory SQLite)")
    before = pool.checkedout()
    closing = asyncio.Event()
    real_close = AsyncSession.close

    async def slow_close(self):  # a close that takes a while (a rollback waiting for its turn)
        closing.set()
        await asyncio.sleep(30)
        await real_close(self)

    async def update():
        async with db.unit_of_work():
            async with db.session() as session:
                await session.exec(text("SELECT 1"))
            monkeypatch.setattr(AsyncSession, "close", slow_close)

    task = asyncio.create_task(update())
    await asyncio.wait_for(closing.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    monkeypatch.undo()
    assert pool.checkedout() == before
