"""Engine and sessions. SQLite gets WAL, a busy timeout and foreign keys;
PostgreSQL gets connections renewed every 30 minutes. An update uses one session
(storage/unit_of_work.py)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from pathlib import Path
from typing import AsyncIterator

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import postgres, sqlite
from storage.unit_of_work import UnitOfWork


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # 512 KiB of page cache a connection (default 2 MB): up to 40 pooled connections, and the
    # operating system caches the file anyway.
    cursor.execute("PRAGMA cache_size=-512")
    cursor.close()


def _without_nul(value):
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict):
        return {k: _without_nul(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_without_nul(v) for v in value)
    return value


def _drop_nul_characters(conn, cursor, statement, parameters, context, executemany):
    # PostgreSQL cannot store U+0000 in text, and a person cannot see it: it is dropped
    # from whatever is written, on every database alike.
    return statement, _without_nul(parameters)


def create_engine(database_url: str) -> AsyncEngine:
    url = make_url(database_url)
    # Enough connections for the updates handled at once (bot/updates.py), each of which may
    # hold one from its first statement to its end, and for the sender and the jobs: 40,
    # all kept once opened. (10 kept and 30 more on demand meant that under a crowd a connection
    # was opened and closed every few updates: its thread, its settings, its server process on
    # PostgreSQL; on SQLite that alone was a fifth of the bot's CPU.) 20 more, opened when needed and
    # closed after, so that a crowd of updates that each open a second connection (a block inside a
    # block) or the jobs beside them never wait out the pool's 30 s for one another.
    pool = {"pool_size": 40, "max_overflow": 20}
    if url.get_backend_name() == "sqlite":
        in_memory = not url.database or url.database == ":memory:"
        if not in_memory:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        # One thread hop per statement, and the process's writers take turns (storage/sqlite.py).
        engine = create_async_engine(url, module=sqlite.dbapi(), **({} if in_memory else pool))
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if not in_memory:  # renewing the one connection of an in-memory database would lose it
            event.listen(engine.sync_engine.pool, "checkin", sqlite.recycle_marked)
    else:
        # No pre-ping (a round trip per checkout, and an update checks out once): connections are
        # renewed after 30 minutes instead, and a dropped one is retried where an update starts
        # (storage/people.load_who).
        # The reads and single writes every update makes go without BEGIN and COMMIT (storage/postgres.py).
        module = {"module": postgres.dbapi()} if url.get_driver_name() == "asyncpg" else {}
        # Named, so that an operator (and the fault tests) can tell the bot's connections apart.
        engine = create_async_engine(url, **module, pool_recycle=1800,
                                     connect_args={"server_settings": {"application_name": "forbedring-bot"}}, **pool)
    event.listen(engine.sync_engine, "before_cursor_execute", _drop_nul_characters, retval=True)
    return engine


class Database:
    """One engine and its session factory; handed to every part that needs storage."""

    def __init__(self, database_url: str):
        self.url = database_url
        self.engine = create_engine(database_url)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    async def answers(self, timeout: float) -> bool:
        """Does the database answer a trivial query within `timeout` seconds?"""
        async def ask() -> None:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        try:
            await asyncio.wait_for(ask(), timeout)
            return True
        except Exception:  # noqa: BLE001 - any failure means "not answering"
            return False

    def unit_of_work(self) -> UnitOfWork:
        """One session for everything an update does (storage/unit_of_work.py)."""
        return UnitOfWork(self._sessions, self.engine)

    @property
    def sessions(self) -> async_sessionmaker:
        return self._sessions

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A block that commits nothing (commit yourself if you must): in an update, what it read
        stays in the update's session and its transaction goes on into the next block."""
        if (work := UnitOfWork.serving(self._sessions)) is not None:
            async with work.block(commit=False) as session:
                yield session
            return
        async with self._sessions() as session:
            yield session

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A unit of work: committed when the block ends, rolled back on error. In an update,
        the update's one session (storage/unit_of_work.py)."""
        if (work := UnitOfWork.serving(self._sessions)) is not None:
            async with work.block() as session:
                yield session
            return
        async with self._sessions() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def short_session(self) -> AsyncIterator[AsyncSession]:
        """`session()` for a unit of work that reads and writes a few rows by key (Save): on SQLite
        its statements and its commit run on the event loop's thread while no other writer of this
        process is at work (storage/sqlite.short_writes); elsewhere the same as `session()`."""
        with sqlite.short_writes():
            async with self.session() as session:
                yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
