"""SQLite in the bot's process: cheap statements, and writers that take turns.

**One thread hop per statement.** aiosqlite runs each connection in a thread of its own and
SQLAlchemy's adapter goes there four times per statement (make a cursor, execute, fetch,
close), and once more for each commit or rollback, even when there is nothing to commit.
On SQLite a hop costs far more than the query. `dbapi()` is SQLAlchemy's aiosqlite DBAPI
adapter with a cursor that executes, fetches and closes in one hop, and a commit and a
rollback that stay on the event loop when no transaction is open (a read). Server-side
cursors (`stream`) are aiosqlite's own, as before.

**Writers take turns, in their threads.** SQLite lets one transaction write at a time. A
second writer's connection waits in SQLite's busy handler, which sleeps 1, 2, 5, 10 … 100 ms
between tries, so under concurrent updates most of the time went to sleeping writers, and
after `busy_timeout` one failed with "database is locked". Instead, a connection takes the
database's write lock (a `threading.Lock`, one per engine) in its own thread just before its
first statement other than a SELECT, and gives it back in that thread as soon as it has
committed or rolled back: the next writer goes on at once, and the event loop never waits
(reading needs no lock: WAL). A write that is a whole transaction by itself (a dialog step,
storage/dialogs.py) is sent with `AND_COMMIT` in front and commits in the same hop, so the
lock is held for the time the thread takes, not for a turn of a busy event loop.

**The hottest statements need no hop at all.** Each hop also hands the thread the GIL and the
event loop's thread is woken again by the loop's self-pipe; on a busy machine every hop is a
chance for the scheduler to run something else. So two kinds of statement run on the event loop's
thread itself, when the connection has nothing waiting in its own thread (else after it, in
order): a short read on an index that every update makes (who is this, the unit's dates, marked
`SELECT /* inline */`, INLINE_PREFIX), and a write that is its whole transaction (AND_COMMIT, an
UPDATE or an upsert) when no other writer of this process holds the write lock: it takes the lock
without waiting, runs with `busy_timeout` 0 and commits. If another process holds the database
("database is locked" at once), it is undone and sent to the thread, which waits there as below:
the event loop never waits for a lock. A block inside `short_writes()` (Database.short_session:
Save, a few rows by key) runs the same way as a whole: its reads, its first write taking the lock
without waiting, the writes after it and its commit, all on the event loop's thread; if the lock
is taken, the transaction goes to the thread as before. (A commit may run SQLite's automatic WAL
checkpoint, a few milliseconds of writing once every thousand pages or so.)

Another process (a CLI import while the bot runs) still meets SQLite's busy handler, as
before; so does a writer that waited longer than the busy timeout for the lock (say, a
connection that writes while the same task holds another that wrote), rather than waiting
forever.
"""

from __future__ import annotations

import collections
import sqlite3
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT, await_only

WAIT_SECONDS = 5.0  # as PRAGMA busy_timeout
# After SELECT in a short read on an index that every update makes (who is this, the unit's dates):
# run on the event loop's thread (`select(...).prefix_with(INLINE_PREFIX, dialect="sqlite")`).
INLINE_PREFIX = "/* inline */"
INLINE = f"SELECT {INLINE_PREFIX}"
# In front of an UPDATE (or an upsert) that is its transaction's only write: committed at once, on the
# event loop's thread when no other writer holds the lock, else in the same hop
# (`Update.prefix_with(AND_COMMIT_PREFIX, dialect="sqlite")`).
AND_COMMIT_PREFIX = "/* and commit */"
AND_COMMIT = f"UPDATE {AND_COMMIT_PREFIX}"
AND_COMMITS = (AND_COMMIT, f"INSERT {AND_COMMIT_PREFIX}")  # an upsert, too


_SHORT: ContextVar[bool] = ContextVar("sqlite_short_writes", default=False)


@contextmanager
def short_writes() -> Iterator[None]:
    """Around a block whose transaction reads and writes a few rows by key (Save): on SQLite its
    statements and its commit run on the event loop's thread when this process's write lock is
    free (see the module's docstring); anywhere else it changes nothing."""
    token = _SHORT.set(True)
    try:
        yield
    finally:
        _SHORT.reset(token)


class WriteLock:
    """One database's turn to write, taken and given back in the connections' threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.waited = 0  # writers that found it taken (tests and benchmarks)


# --- in a connection's thread ---

_NO_WAIT, _WAIT = "PRAGMA busy_timeout=0", f"PRAGMA busy_timeout={int(WAIT_SECONDS * 1000)}"
_READS = ("SELECT", "PRAGMA")  # PRAGMA: the connection's settings (storage/database.py), no transaction

def _take(turn: "_Connection") -> None:
    writes = turn.dbapi.writes
    if not writes.lock.acquire(blocking=False):
        writes.waited += 1
        if not writes.lock.acquire(timeout=WAIT_SECONDS):
            turn._holds = False  # not taken: SQLite's busy handler decides, as without the lock
            return
    turn._holds = True


def _give_back(turn: "_Connection") -> None:
    if turn._holds:
        turn._holds = None
        turn.dbapi.writes.lock.release()
    else:
        turn._holds = None


def _execute(turn: "_Connection", raw: sqlite3.Connection, many: bool, operation: str, parameters):
    """The whole statement, its rows included (and its commit, after AND_COMMIT)."""
    try:
        return _statement(turn, raw, many, operation, parameters)
    finally:
        turn._done += 1


def _statement(turn: "_Connection", raw: sqlite3.Connection, many: bool, operation: str, parameters):
    if turn._holds is None and not turn._closing and operation.lstrip()[:6].upper() not in _READS:
        _take(turn)
    cursor = raw.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        elif parameters is None:
            cursor.execute(operation)
        else:
            cursor.execute(operation, parameters)
        description = cursor.description
        rows = cursor.fetchall() if description else ()
        if operation.startswith(AND_COMMITS):
            raw.commit()
            _give_back(turn)
        return description, rows, cursor.rowcount, cursor.lastrowid
    finally:
        cursor.close()


def _here_ended(turn: "_Connection", raw: sqlite3.Connection, commit: bool | None) -> None:
    """A transaction begun on the event loop's thread ends: committed (True), undone (False) or
    committed already (None); the write lock given back and SQLite's waiting restored."""
    try:
        if commit is not None and raw.in_transaction:
            raw.commit() if commit else raw.rollback()
    finally:
        turn._here_tx = False
        _give_back(turn)
        raw.execute(_WAIT)


def _end(turn: "_Connection", raw: sqlite3.Connection, commit: bool) -> None:
    try:
        raw.commit() if commit else raw.rollback()
    finally:
        _give_back(turn)


# --- SQLAlchemy's adapter, with these ---

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

    def _here(self, many: bool, operation, parameters) -> bool:
        """Run the statement on the event loop's thread, if it is one that may run there (see the
        module's docstring); False: it is for the connection's thread."""
        turn = self._adapt_connection
        if turn._sent != turn._done or turn._execute_mutex.locked() or turn._closing:
            return False  # the thread has this connection's work to do first: after it, in order
        raw = self._connection._conn
        short = _SHORT.get()
        if operation.startswith(INLINE) or (short and turn._here_tx):
            begins = False  # a short read, or the next statement of a short transaction begun here
        elif (operation.startswith(AND_COMMITS) or short) and turn._holds is None and not raw.in_transaction \
                and turn.dbapi.writes.lock.acquire(blocking=False):
            begins = True  # the first write of its transaction, and no other writer of ours now
            turn._holds = turn._here_tx = True
            raw.execute(_NO_WAIT)  # another process may hold the database: never wait for it here
        elif short and operation.lstrip()[:6].upper() in _READS and not raw.in_transaction:
            begins = False  # a read of a short transaction before its first write
        else:
            return False
        turn._sent += 1
        try:
            self._description, rows, self._rowcount, self._lastrowid = _execute(
                turn, raw, many, operation, parameters)
        except sqlite3.OperationalError as error:
            if begins and "locked" in str(error):
                _here_ended(turn, raw, commit=False)
                return False  # another process holds the database: in the thread, which waits for it
            raise
        finally:
            if turn._here_tx and turn._holds is None:  # committed (AND_COMMIT)
                _here_ended(turn, raw, commit=None)
        self._rows = collections.deque(rows)
        return True

    async def _run(self, many: bool, operation, parameters) -> None:
        if self._here(many, operation, parameters):
            return
        turn = self._adapt_connection
        async with turn._execute_mutex:
            connection = self._connection
            raw = connection._conn
            turn._sent += 1  # the thread counts it done (even if this task is cancelled meanwhile)
            self._description, rows, self._rowcount, self._lastrowid = await connection._execute(
                _execute, turn, raw, many, operation, parameters)
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
    __slots__ = ("_holds", "_sent", "_done", "_closing", "_here_tx")
    _cursor_cls = _Cursor

    def __init__(self, dbapi, connection):
        super().__init__(dbapi, connection)
        self._holds: bool | None = None  # the write lock: taken, not taken after waiting, not asked for
        # Statements handed to the thread, and those it has finished (each counter written by one
        # side only): a statement whose task was cancelled may still be waiting to run.
        self._sent = self._done = 0
        self._closing = False
        self._here_tx = False  # the open transaction began on the event loop's thread (busy_timeout 0)

    def _end(self, commit: bool) -> None:
        raw = self._connection._connection  # None once closed
        if raw is not None and self._here_tx and self._sent == self._done:
            _here_ended(self, raw, commit)  # a transaction begun on the event loop's thread ends there
        elif raw is not None and (raw.in_transaction or self._sent != self._done):
            try:  # after whatever the thread has still to run (its queue keeps their order)
                await_only(self._connection._execute(_end, self, raw, commit))
            except Exception as error:
                self._handle_exception(error)
        else:  # nothing to commit or roll back: no hop (a read, or a write that failed before it began)
            _give_back(self)

    def commit(self) -> None:
        self._end(True)

    def rollback(self) -> None:
        self._end(False)

    def close(self) -> None:
        self._closing = True
        try:
            super().close()  # after what the thread has still to run
        finally:
            _give_back(self)

    def terminate(self) -> None:
        self._closing = True
        try:
            super().terminate()
        finally:
            _give_back(self)


class _DBAPI(AsyncAdapt_aiosqlite_dbapi):
    def __init__(self, *args):
        super().__init__(*args)
        self.writes = WriteLock()

    def connect(self, *arg, **kw) -> _Connection:
        return _Connection(self, super().connect(*arg, **kw)._connection)


# --- bulk statements and the statement cache ---
# Python's sqlite3 keeps the last 128 prepared statements of each connection, by their text. A sweep's
# bulk write (a multi-row VALUES of thousands of rows, storage/reminders.py) prepares into megabytes
# (about 8 MB for 9,000 rows of 8 columns), and each chunk's differs in length: kept in the cache of
# pooled connections that live for good, they grew the bot by tens of megabytes a sweep. A connection
# that ran one is renewed instead: marked here, soft-invalidated when it goes back to the pool, closed
# and opened again at its next checkout (`recycle_marked`, on the engine's pool).
_BULK = "forbedring_bulk_statements"


async def bulk_statements_ran(connection) -> None:
    """On an AsyncConnection that has just run a bulk statement: renew it once it is given back."""
    (await connection.get_raw_connection()).info[_BULK] = True


def recycle_marked(dbapi_connection, record) -> None:
    """The pool's checkin event: a connection that ran a bulk statement is renewed at its next checkout."""
    if record.info.pop(_BULK, False):
        record.invalidate(soft=True)


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """For `create_async_engine(..., module=dbapi())`: one per engine (its write lock with it)."""
    return _DBAPI(aiosqlite, sqlite3)
