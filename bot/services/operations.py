"""What an operator asks of a running installation (`forbedring-bot status`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import make_url

from bot.services.reminders import last_sweep
from storage import outbox
from storage.database import Database
from storage.worker_lock import SqliteFileLock, postgres_holder


@dataclass
class Status:
    backlog: dict[str, int]
    last_sweep_at: datetime | None
    last_sweep_figures: str
    lock_holder: str | None  # who is the active worker, or None when nobody is


async def status(db: Database) -> Status:
    async with db.session() as session:
        backlog = await outbox.backlog(session)
        holder = await postgres_holder(session) if db.engine.dialect.name == "postgresql" else None
    if db.engine.dialect.name != "postgresql":
        held = SqliteFileLock(db.url).held_by_another()
        holder = f"a running process on {make_url(db.url).database}" if held else None
    sweep = await last_sweep(db)
    return Status(backlog=backlog, last_sweep_at=sweep.ran_at if sweep else None,
                  last_sweep_figures=sweep.figures if sweep else "", lock_holder=holder)
