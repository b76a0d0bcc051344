"""The statements every update makes, sent straight to the driver.

Who is this, the dialog step's write, the unit's dates: through SQLAlchemy each costs its
execution path (a Session, the compiled-statement cache, an execution context, a result
object, a greenlet switch to reach the async driver), several times what SQLite takes to
run it. A `Hot` statement is compiled once per database kind, into its SQL text, the order
of its parameters and the conversions of its values (dates, booleans) in and out; it is
sent on the update's connection (storage/unit_of_work.py) through the same driver adapter
as any other statement (storage/sqlite.py, storage/postgres.py), so it runs where it would
have run, takes the same write lock and is counted and cleaned (`before_cursor_execute`)
like every other. Only statements that need no transaction of their own may go this way: a
short read marked `SELECT /* inline */` and a write that is its transaction's only one
(`/* and commit */`); anything else goes through a Session as before.

When the update's connection is inside a transaction (a block left it open), or outside an
update, the statement runs in a `db.session()` block, committed as such a block is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.util import greenlet_spawn

from storage.sqlite import AND_COMMITS, INLINE
from storage.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from storage.database import Database


class _Plan:
    __slots__ = ("sql", "names", "binds", "results")

    def __init__(self, statement, dialect, column_keys):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        if not self.sql.startswith((INLINE, *AND_COMMITS)):
            raise ValueError(f"not a statement that may go without a transaction of its own: {self.sql[:60]!r}")
        self.names = tuple(compiled.positiontup)
        processors = compiled._bind_processors
        self.binds = tuple(processors.get(name) for name in self.names)
        self.results = tuple(column[3]._cached_result_processor(dialect, None)
                             for column in compiled._result_columns) or None
        if self.results is not None and not any(self.results):
            self.results = None


class Hot:
    """A statement built once, sent straight to the driver (see the module's docstring)."""

    def __init__(self, statement, column_keys: tuple[str, ...] | None = None):
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys else None
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect, self.column_keys)
        return plan


async def run(db: "Database", hot: Hot, parameters: dict[str, Any]) -> tuple[list[tuple], int]:
    """The statement's rows and row count: on the update's connection when no transaction is open
    on it, else (or outside an update) in a `db.session()` block."""
    work = UnitOfWork.serving(db.sessions)
    if work is not None and not work.in_transaction:
        connection = await work.connection()
        result = await execute(connection, hot, parameters)
        if result is not None:
            return result
    async with db.session() as session:
        connection = await session.connection()
        result = await execute(connection, hot, parameters)
        if result is None:  # the connection must be made again: SQLAlchemy's own path does that
            result = await greenlet_spawn(_through_sqlalchemy, connection.sync_connection, hot, parameters)
        return result


def _through_sqlalchemy(connection, hot: Hot, parameters):
    result = connection.execute(hot.statement, parameters)
    rows = result.all() if result.returns_rows else []
    return [tuple(row) for row in rows], result.rowcount


async def execute(connection: AsyncConnection, hot: Hot, parameters: dict[str, Any]) -> tuple[list[tuple], int] | None:
    """Send `hot` on this connection's driver connection; None when it has none ready (invalidated)."""
    sync = connection.sync_connection
    proxied = sync._dbapi_connection
    if proxied is None or sync.invalidated or not proxied.is_valid:
        return None
    plan = hot.plan(sync.dialect)
    arguments = tuple(parameters[name] if process is None else process(parameters[name])
                      for name, process in zip(plan.names, plan.binds))
    sql = plan.sql
    for listener in sync.dispatch.before_cursor_execute:  # counted, and NUL characters dropped, as any statement
        sql, arguments = listener(sync, None, sql, arguments, None, False)
    driver = proxied.dbapi_connection
    cursor = driver.cursor()
    try:
        if hasattr(cursor, "_prepare_and_execute"):  # asyncpg
            await cursor._prepare_and_execute(sql, arguments)
        else:  # aiosqlite (storage/sqlite.py)
            await cursor._run(False, sql, arguments)
    except Exception as error:  # noqa: BLE001 - as SQLAlchemy would: wrapped, the connection invalidated if lost
        try:
            driver._handle_exception(error)
        except Exception as translated:  # noqa: BLE001
            error = translated
        await greenlet_spawn(sync._handle_dbapi_exception, error, sql, arguments, cursor, None)
        raise
    rows = list(cursor._rows)
    count = cursor.rowcount
    cursor._rows.clear()
    if plan.results is not None:
        processors = plan.results
        rows = [tuple(value if process is None else process(value) for process, value in zip(processors, row))
                for row in rows]
    elif rows and not isinstance(rows[0], tuple):
        rows = [tuple(row) for row in rows]
    return rows, count
