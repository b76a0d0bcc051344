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
    __slots__ = ("sql", "names", "binds", "results", "alone")

    def __init__(self, statement, dialect, column_keys, in_transaction: bool):
        compiled = statement.compile(dialect=dialect, column_keys=column_keys)
        self.sql = compiled.string
        self.alone = self.sql.startswith((INLINE, *AND_COMMITS))
        if not self.alone and not in_transaction:
            raise ValueError(f"not a statement that may go without a transaction of its own: {self.sql[:60]!r}")
        self.names = tuple(compiled.positiontup)
        processors = compiled._bind_processors
        self.binds = tuple((index, processors[name]) for index, name in enumerate(self.names)
                           if processors.get(name) is not None)
        # Only the columns that need it are converted (on SQLite: dates, times and booleans).
        self.results = tuple((index, process) for index, column in enumerate(compiled._result_columns)
                             if (process := column[3]._cached_result_processor(dialect, None)) is not None)


class Hot:
    """A statement built once, sent straight to the driver (see the module's docstring)."""

    def __init__(self, statement, column_keys: tuple[str, ...] | None = None, in_transaction: bool = False):
        """`in_transaction`: any other statement, sent this way only inside a block's transaction (`on`)."""
        self.statement = statement
        self.column_keys = list(column_keys) if column_keys else None
        self.in_transaction = in_transaction
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _Plan(self.statement, dialect, self.column_keys, self.in_transaction)
        return plan


async def run(db: "Database", hot: Hot, parameters: dict[str, Any]) -> tuple[list[tuple], int]:
    """The statement's rows and row count: on the update's connection when no transaction is open
    on it, else (or outside an update) in a block: `db.reading()` for a read (committing nothing),
    `db.session()` for a write."""
    work = UnitOfWork.serving(db.sessions)
    if work is not None and not work.in_transaction:
        connection = await work.connection()
        result = await execute(connection, hot, parameters)
        if result is not None:
            return result
    reads = hot.plan(db.engine.dialect).sql.startswith(INLINE)
    async with (db.reading() if reads else db.session()) as session:
        connection = await session.connection()
        result = await execute(connection, hot, parameters)
        if result is None:  # the connection must be made again: SQLAlchemy's own path does that
            result = await greenlet_spawn(_through_sqlalchemy, connection.sync_connection, hot, parameters)
        return result


async def on(connection: AsyncConnection, hot: Hot, parameters: dict[str, Any]) -> tuple[list[tuple], int]:
    """In a block (`connection` is its session's): the statement's rows and row count, straight to the
    driver, or through SQLAlchemy when the connection must be made again."""
    result = await execute(connection, hot, parameters)
    if result is None:
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
    if not plan.alone and not sync.in_transaction():
        return None  # it needs its transaction: SQLAlchemy's path begins one as it should
    arguments = [parameters[name] for name in plan.names]
    for index, process in plan.binds:
        arguments[index] = process(arguments[index])
    arguments = tuple(arguments)
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
    if plan.results:
        converted = []
        for row in rows:
            row = list(row)
            for index, process in plan.results:
                row[index] = process(row[index])
            converted.append(tuple(row))
        rows = converted
    elif rows and not isinstance(rows[0], tuple):
        rows = [tuple(row) for row in rows]
    return rows, count
