"""Counting the SQL statements an engine sends, for benchmarks and tests."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


class StatementCounter:
    """Counts the SQL statements an engine sends, through SQLAlchemy's `before_cursor_execute`
    event: one per execute and one per executemany (SQLAlchemy's bulk inserts send a page of
    rows per statement). `with StatementCounter(db.engine) as counted: ...` then `counted.n`.
    Everything the engine sends meanwhile is counted, whoever sends it."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine.sync_engine
        self.n = 0

    def _count(self, *_args) -> None:
        self.n += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *_exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._count)
