"""The lock that makes one process the active worker (bot/leadership.py).

PostgreSQL: a session-level advisory lock held on a connection of its own, so
it ends when the process or that connection dies and a standby can take it.
SQLite: one process per database file, by an exclusive lock on a file beside it.
"""

from __future__ import annotations

import fcntl
import logging
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

# Below 2**31, so pg_locks shows it whole in objid (classid 0).
LOCK_KEY = 46_112_026
CONNECT_TIMEOUT = 5.0
CHECK_TIMEOUT = 5.0


class PostgresLock:
    """pg_try_advisory_lock on a connection outside the pool, named after the worker
    (its application_name), so `forbedring-bot status` can say who holds it."""

    def __init__(self, database_url: str, worker: str):
        self.url = make_url(database_url)
        self.worker = worker
        self._connection = None
        self._failing = False

    def connect_arguments(self) -> dict:
        """What the bot's engine would connect with, the URL's options (`?ssl=require` …) included,
        as far as asyncpg.connect takes them."""
        import inspect

        import asyncpg
        from sqlalchemy.dialects.postgresql.asyncpg import dialect

        _, arguments = dialect().create_connect_args(self.url)
        accepted = inspect.signature(asyncpg.connect).parameters
        arguments = {key: value for key, value in arguments.items() if key in accepted}
        arguments.setdefault("host", "127.0.0.1")
        arguments.update(timeout=CONNECT_TIMEOUT,
                         server_settings={"application_name": f"forbedring-bot {self.worker}"[:63]})
        return arguments

    async def _connect(self):
        import asyncpg

        return await asyncpg.connect(**self.connect_arguments())

    async def try_take(self) -> bool:
        try:
            if self._connection is None or self._connection.is_closed():
                self._connection = await self._connect()
            taken = bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY,
                                                         timeout=CHECK_TIMEOUT))
            self._failing = False
            return taken
        except Exception as error:  # noqa: BLE001 - no database (or a lost connection): a standby tries later
            # Said once until it works again: a wrong setting must not look like "another process is active".
            if not self._failing:
                log.warning("could not reach the database for the worker lock: %s: %s; trying again",
                            type(error).__name__, error)
            self._failing = True
            await self._drop()
            return False

    async def still_held(self) -> bool:
        """The connection answers, so the lock is still ours (it is released only with it)."""
        try:
            return self._connection is not None and await self._connection.fetchval(
                "SELECT 1", timeout=CHECK_TIMEOUT) == 1
        except Exception:  # noqa: BLE001 - a dead connection has lost the lock
            await self._drop()
            return False

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.terminate()

    async def release(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            try:
                await self._connection.close(timeout=CHECK_TIMEOUT)
            except Exception:  # noqa: BLE001 - closing ends the lock whatever happens
                self._connection.terminate()
        self._connection = None


class AlreadyRunning(Exception):
    """Another process runs the bot on this SQLite file."""


class SqliteFileLock:
    """An exclusive, non-blocking lock on `<database>.lock`; the system drops it when the process ends."""

    def __init__(self, database_url: str):
        database = make_url(database_url).database
        self.path = Path(f"{database}.lock") if database and database != ":memory:" else None
        self._file = None

    def take(self) -> None:
        if self.path is None:
            return
        self._file = open(self.path, "a+")
        try:
            fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._file.close()
            self._file = None
            raise AlreadyRunning(str(self.path.with_suffix(""))) from None
        self._file.seek(0)
        self._file.truncate()
        self._file.write(str(os.getpid()))
        self._file.flush()

    def held_by_another(self) -> bool:
        """For `status`: is a running process holding it now?"""
        if self.path is None or not self.path.exists():
            return False
        with open(self.path, "a+") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(probe, fcntl.LOCK_UN)
        return False

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


async def postgres_holder(session) -> str | None:
    """Which process holds the advisory lock: its application_name and backend pid."""
    row = (await session.exec(text(
        "SELECT a.application_name, a.pid, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.classid = 0 AND l.objid = :key AND l.granted").bindparams(key=LOCK_KEY))).first()
    if row is None:
        return None
    return f"{row[0] or '?'} (backend pid {row[1]}, from {row[2] or 'local socket'})"
