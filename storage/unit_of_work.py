"""One session for everything one update does.

The update processor (bot/updates.py) opens a `UnitOfWork` around each update. While it
is open, `Database.session()` in that update's task hands out the update's one session
instead of a new one: opened at the first use, closed when the update is done. Each
`async with db.session()` block is still its own unit: committed when the block ends,
rolled back (the session discarded) when it raises, exactly as before, so services and
conversations need not know. `Database.reading()` is a block that commits nothing: what it
read stays in the session (the person's dialog row, for the step that writes it) and its
transaction goes on into the next block, so a typical step costs one transaction.

The session is bound to the update's one connection, checked out at the first statement and
given back at the end. The statements every update makes (storage/hot.py) go on that connection
without a session at all while no block's transaction is open on it, so an update that only asks
who this is and writes its dialog step makes no session.

What the update's one session does not serve, and gets a session of its own as before:
- another task (an export started by the update, a job): a session is not shared between tasks;
- a block opened inside another block (nested `db.session()`): today's separate transaction.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import asynccontextmanager
from contextvars import ContextVar
from typing import AsyncIterator

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

log = logging.getLogger(__name__)

_current: ContextVar["UnitOfWork | None"] = ContextVar("unit_of_work", default=None)


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker, engine: AsyncEngine):
        self._sessions = sessions
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._session: AsyncSession | None = None
        self._owner: asyncio.Task | None = None
        self._in_block = False
        self._token = None
        self.opened = 0  # sessions opened (more than one only after a block raised)

    async def __aenter__(self) -> "UnitOfWork":
        self._owner = asyncio.current_task()
        self._token = _current.set(self)
        return self

    async def __aexit__(self, *_exc) -> None:
        _current.reset(self._token)
        self._owner = None
        try:
            await self._discard()
        finally:  # given back to the pool even if the update is cancelled while its session closes
            connection, self._connection = self._connection, None
            await _close_quietly(connection, "an update's connection")

    @property
    def in_transaction(self) -> bool:
        """Is a block's transaction open on the update's connection (a block that commits nothing)?"""
        return self._connection is not None and self._connection.in_transaction()

    async def connection(self) -> AsyncConnection:
        """The update's one connection, checked out now if need be (again, if the server dropped it)."""
        connection = self._connection
        if connection is not None and (connection.invalidated or connection.sync_connection._dbapi_connection is None):
            await self._discard()
            self._connection = None
            await _close_quietly(connection, "an update's dropped connection")
            connection = None
        if connection is None:
            connection = self._connection = await self._engine.connect()
        return connection

    @staticmethod
    def serving(sessions: async_sessionmaker) -> "UnitOfWork | None":
        """The open unit of work that serves a block of `sessions` here and now, if any."""
        work = _current.get()
        if work is None or work._sessions is not sessions or work._in_block \
                or work._owner is None or work._owner is not asyncio.current_task():
            return None
        return work

    @asynccontextmanager
    async def block(self, commit: bool = True) -> AsyncIterator[AsyncSession]:
        if self._session is None:
            self._session = self._sessions(bind=await self.connection())
            self.opened += 1
        session = self._session
        self._in_block = True
        try:
            yield session
            if commit:
                await session.commit()
        except BaseException:
            # As a block's own session would be: what it did is undone. The session is closed
            # (its objects are kept as they were, detached) and the next block opens another.
            await self._discard()
            raise
        finally:
            self._in_block = False

    async def _discard(self) -> None:
        session, self._session = self._session, None
        await _close_quietly(session, "an update's session")


async def _close_quietly(closable, what: str) -> None:
    """Close a session or a connection, if there is one; a dead connection (the pool has let it go
    already) is only logged."""
    if closable is None:
        return
    try:
        await closable.close()
    except Exception:  # noqa: BLE001
        log.warning("could not close %s", what, exc_info=True)
