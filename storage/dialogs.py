"""Where each person is in a multi-step dialog (see models.DialogState).

Read and written as plain rows with statements built once: a dialog step costs one UPDATE
(no ORM object, no flush), and nothing stale can stay behind in a session.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import hot, sqlite
from storage.models import DialogState

_T = DialogState.__table__
COLUMNS = (_T.c.person_id, _T.c.dialog, _T.c.step, _T.c.token, _T.c.data, _T.c.updated_at)


class DialogRow(NamedTuple):
    """One person's dialog_state row, as read (`data` is the JSON text)."""

    person_id: int
    dialog: str
    step: str
    token: str
    data: str
    updated_at: datetime


_GET = select(*COLUMNS).where(_T.c.person_id == bindparam("person")).prefix_with(sqlite.INLINE_PREFIX)
_UPDATE = _T.update().where(_T.c.person_id == bindparam("person"))
# Committed at once: SQLite in the same hop (or none), PostgreSQL without BEGIN (storage/postgres.py).
_UPDATE_ALONE = _UPDATE.prefix_with(sqlite.AND_COMMIT_PREFIX)
_INSERT = _T.insert()
_DELETE = _T.delete().where(_T.c.person_id == bindparam("person"))
_DELETE_TOKEN = _T.delete().where(_T.c.person_id == bindparam("person"), _T.c.token == bindparam("draft_token"))


async def get(session: AsyncSession, person_id: int) -> DialogRow | None:
    row = (await (await session.connection()).execute(_GET, {"person": person_id})).first()
    return DialogRow(*row) if row is not None else None


async def put(session: AsyncSession, person_id: int, dialog: str, step: str, token: str, data: dict,
              now: datetime, exists: bool = True, alone: bool = False) -> None:
    """Write the person's dialog; `exists=False` when the caller has just read that there is none.
    `alone`: nothing else is written in this transaction (a dialog step), so on SQLite the update
    may commit as it is made and the database's write lock is held only meanwhile (storage/sqlite.py)."""
    connection = await session.connection()
    values = {"dialog": dialog, "step": step, "token": token, "data": json.dumps(data), "updated_at": now}
    update = _UPDATE_ALONE if alone else _UPDATE
    if not exists or (await connection.execute(update, {"person": person_id, **values})).rowcount == 0:
        await connection.execute(_INSERT, {"person_id": person_id, **values})


def _upsert(insert):
    statement = insert(_T)
    return statement.on_conflict_do_update(
        index_elements=[_T.c.person_id],
        set_={name: statement.excluded[name] for name in ("dialog", "step", "token", "data", "updated_at")})


_UPSERT = {"sqlite": _upsert(sqlite_dialect.insert), "postgresql": _upsert(postgresql.insert)}
_UPSERT_ALONE = {name: statement.prefix_with(sqlite.AND_COMMIT_PREFIX) for name, statement in _UPSERT.items()}

# A dialog step's write is its transaction's only one: straight to the driver, no session (storage/hot.py).
_VALUES = ("dialog", "step", "token", "data", "updated_at")
_UPDATE_HOT = hot.Hot(_UPDATE_ALONE, _VALUES)
_UPSERT_HOT = {name: hot.Hot(statement, ("person_id",) + _VALUES) for name, statement in _UPSERT_ALONE.items()}


async def put_alone(db, person_id: int, dialog: str, step: str, token: str, data: dict, now: datetime) -> None:
    """`put(..., alone=True)` in a block of its own: one UPDATE committed as it is made (an upsert if the
    row has gone meanwhile), on the update's connection without a session when no transaction is open."""
    values = {"dialog": dialog, "step": step, "token": token, "data": json.dumps(data), "updated_at": now}
    _, count = await hot.run(db, _UPDATE_HOT, {"person": person_id, **values})
    if count == 0:
        await hot.run(db, _UPSERT_HOT[db.engine.dialect.name], {"person_id": person_id, **values})


async def replace_alone(db, person_id: int, dialog: str, step: str, token: str, data: dict, now: datetime) -> None:
    """`replace(..., alone=True)` in a block of its own, as `put_alone`."""
    await hot.run(db, _UPSERT_HOT[db.engine.dialect.name], {
        "person_id": person_id, "dialog": dialog, "step": step, "token": token, "data": json.dumps(data),
        "updated_at": now})


async def replace(session: AsyncSession, person_id: int, dialog: str, step: str, token: str, data: dict,
                  now: datetime, alone: bool = False) -> None:
    """Write the person's dialog whether or not they had one (one statement, without reading it first);
    `alone` as for `put`."""
    connection = await session.connection()
    await connection.execute((_UPSERT_ALONE if alone else _UPSERT)[connection.dialect.name], {
        "person_id": person_id, "dialog": dialog, "step": step, "token": token, "data": json.dumps(data),
        "updated_at": now})


_DELETE_HOT = hot.Hot(_DELETE, in_transaction=True)  # in the block's transaction, straight to the driver
_DELETE_TOKEN_HOT = hot.Hot(_DELETE_TOKEN, in_transaction=True)


async def clear(session: AsyncSession, person_id: int, token: str | None = None) -> bool:
    """Delete the person's dialog (only if it still has `token`, when given); False: there was none."""
    statement, parameters = (_DELETE_HOT, {"person": person_id}) if token is None else \
        (_DELETE_TOKEN_HOT, {"person": person_id, "draft_token": token})
    _, count = await hot.on(await session.connection(), statement, parameters)
    return count > 0
