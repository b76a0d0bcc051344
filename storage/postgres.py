"""PostgreSQL in the bot's process: the statements every update makes without BEGIN and COMMIT.

SQLAlchemy's asyncpg adapter sends BEGIN before a connection's first statement and COMMIT at
the end, each a round trip to the server: a dialog step (who is this, the step's write) was four
round trips for two statements. Two kinds of statement need no transaction of their own, and
are sent without one when none is open on the connection (autocommit: the statement is its own
transaction; the commit at the end of the block then has nothing to send):

- a short read marked `SELECT /* inline */` (storage/sqlite.INLINE_PREFIX: who is this, the
  unit's dates and areas). The bot's transactions are READ COMMITTED, where every statement sees
  its own snapshot, so a read inside or outside a transaction sees the same; one that locks
  (FOR UPDATE) or must share a snapshot is not marked;
- a write that is its transaction's only write (AND_COMMIT: the dialog step's UPDATE, the draft's
  upsert), which is atomic by itself.

Once a transaction is open (any other statement), these run inside it, as before.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.dialects.postgresql.asyncpg import (
    AsyncAdapt_asyncpg_connection,
    AsyncAdapt_asyncpg_cursor,
    AsyncAdapt_asyncpg_dbapi,
)
from sqlalchemy.util import await_

from storage.sqlite import AND_COMMITS, INLINE

_ALONE = (INLINE, *AND_COMMITS)


class _Cursor(AsyncAdapt_asyncpg_cursor):
    __slots__ = ()

    async def _prepare_and_execute(self, operation, parameters):
        connection = self._adapt_connection
        if connection._transaction is not None or self.server_side or not operation.startswith(_ALONE) \
                or connection.isolation_level == "autocommit":
            return await super()._prepare_and_execute(operation, parameters)
        isolation = connection.isolation_level
        connection.isolation_level = "autocommit"  # no BEGIN for this statement (the adapter's own setting)
        try:
            return await super()._prepare_and_execute(operation, parameters)
        finally:
            connection.isolation_level = isolation


class _Connection(AsyncAdapt_asyncpg_connection):
    __slots__ = ()
    _cursor_cls = _Cursor


class _DBAPI(AsyncAdapt_asyncpg_dbapi):
    def connect(self, *arg, **kw) -> _Connection:
        creator = kw.pop("async_creator_fn", self.asyncpg.connect)
        cache_size = kw.pop("prepared_statement_cache_size", 100)
        name_func = kw.pop("prepared_statement_name_func", None)
        return await_(_Connection.create(self, creator(*arg, **kw), prepared_statement_cache_size=cache_size,
                                         prepared_statement_name_func=name_func))


def dbapi() -> AsyncAdapt_asyncpg_dbapi:
    """For `create_async_engine(..., module=dbapi())`."""
    return _DBAPI(asyncpg)
