"""SQLite in the bot's process: cheap statements, and writers that take turns.

**One thread hop per statement.** aiosqlite runs each connection in a thread of its own and
SQLAlchemy's adapter goes there four times per statement (make a cursor, execute, fetch,
close), and once more for each commit or rollback, even when there is nothing to commit.
On SQLite a hop costs far more than the query. `dbapi()` is SQLAlchemy's aiosqlite DBAPI
adapter with a cursor that executes, fetches and closes in one hop, and a commit and a
rollback that stay on the event loop when no transaction is open (a read). Server-side
cursors (`stream`) are aiosqlite's own, as before.

**Writers take turns.** SQLite lets one transaction write at a time. A second writer's
connection waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms between tries,
so under concurrent updates most of the time goes to sleeping writers, and after
`busy_timeout` one fails with "database is locked". Instead, a connection that is about to
write (its first statement other than a SELECT) takes this process's write lock, an asyncio
lock (first come, first served), and gives it back when the connection goes back to the
pool, after its commit or rollback. Reading needs no lock (WAL: readers never wait).
Another process (a CLI import while the bot runs) still meets SQLite's busy handler, as
before; so does a writer that waited longer than the busy timeout for the lock (say, a
connection that writes while the same task holds another that wrote), rather than waiting
forever.
"""

from __future__ import annotations

import asyncio
import collections
import sqlite3
import weakref

import aiosqlite
from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import EMPTY_DICT, await_only

WAIT_SECONDS = 5.0  # as PRAGMA busy_timeout
_HOLDS = "forbedring_write_lock"


# --- one hop per statement ---

def _execute(raw: sqlite3.Connection, many: bool, operation: str, parameters):
    """In the connection's thread: the whole statement, its rows included."""
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        return description, cursor.fetchall() if description else (), cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


class _Cursor(AsyncAdapt_aiosqlite_cursor):
    __slots__ = ("_description", "_rowcount", "_lastrowid", "_arraysize")

    def __init__(self, adapt_connection):  # no hop: nothing is made in the thread until a statement runs
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._cursor = None
        self._rows = collections.deque()
        self._soft_closed_memoized = EMPTY_DICT
        self._description, self._rowcount, self._lastrowid, self._arraysize = None, -1, None, 1

    description = property(lambda self: self._description)
    rowcount = property(lambda self: self._rowcount)
    lastrowid = property(lambda self: self._lastrowid)

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _run(self, many: bool, operation, parameters) -> None:
        async with self._adapt_connection._execute_mutex:
            connection = self._connection
            self._description, rows, self._rowcount, self._lastrowid = await connection._execute(
                _execute, connection._conn, many, operation, parameters)
        self._rows = collections.deque(rows)

    def execute(self, operation, parameters=None):
        try:
            return await_only(self._run(False, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    def executemany(self, operation, seq_of_parameters):
        try:
            return await_only(self._run(True, operation, seq_of_parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)

    async def _async_soft_close(self) -> None:
        pass

    def close(self) -> None:
        self._rows.clear()

    def setinputsizes(self, *inputsizes) -> None:
        pass

    def nextset(self) -> None:
        return None


class _Connection(AsyncAdapt_aiosqlite_connection):
    __slots__ = ()
    _cursor_cls = _Cursor

    def _in_transaction(self) -> bool:
        raw = self._connection._connection  # None once closed
        return raw is not None and raw.in_transaction

    def commit(self) -> None:
        if self._in_transaction():
            super().commit()

    def rollback(self) -> None:
        if self._in_transaction():
            super().rollback()


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def connect(self, *arg, **kw) -> _Connection:
        return _Connection(self, super().connect(*arg, **kw)._connection)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """For `create_async_engine(..., module=dbapi())`."""
    return _DBAPI(aiosqlite, sqlite3)


# --- writers take turns ---

class WriteLock:
    def __init__(self):
        self._locks: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # one per event loop
        self.waited = 0  # writers that found the lock taken (for tests and benchmarks)

    def _lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock

    def before_execute(self, conn, _cursor, statement: str, _parameters, _context, _executemany) -> None:
        if conn.info.get(_HOLDS) is not None or statement.lstrip()[:6].upper() == "SELECT":
            return
        lock = self._lock()
        if not lock.locked():
            await_only(lock.acquire())  # free: taken at once
            conn.info[_HOLDS] = lock
            return
        self.waited += 1
        try:
            await_only(asyncio.wait_for(lock.acquire(), WAIT_SECONDS))
        except asyncio.TimeoutError:
            conn.info[_HOLDS] = False  # not held: SQLite's busy handler decides, as without the lock
            return
        conn.info[_HOLDS] = lock

    @staticmethod
    def release(_dbapi_connection, record, *_args) -> None:
        lock = record.info.pop(_HOLDS, None)
        if lock:
            lock.release()


def serialise_writes(engine: AsyncEngine) -> WriteLock:
    writes = WriteLock()
    event.listen(engine.sync_engine, "before_cursor_execute", writes.before_execute)
    # Back in the pool (after the commit or the rollback), or thrown away: the next writer's turn.
    for name in ("checkin", "invalidate", "soft_invalidate", "close", "detach"):
        event.listen(engine.sync_engine.pool, name, writes.release)
    return writes
