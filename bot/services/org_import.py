"""Importing the organisation from a file: checked whole, then written in short transactions."""

from __future__ import annotations

from pathlib import Path

from bot.rules.org_file import read_org_file, region_code
from storage import audit, organisation
from storage.database import Database
from storage.organisation import ImportSummary


# Rows written per transaction: a running bot's writers (SQLite has one at a time) wait for one
# short chunk, never for the whole file.
CHUNK = 500


async def import_org_file(db: Database, path: str | Path, actor: str = "cli") -> ImportSummary:
    """Raises OrgFileError (nothing written) when any row is bad: the whole file is checked before
    the first write. Then it is written in short transactions of CHUNK rows; an import stopped
    half-way is finished by running it again (rows are created or updated in place)."""
    rows = read_org_file(path)
    summary = ImportSummary()
    for start in range(0, len(rows), CHUNK):
        async with db.session() as session:
            await organisation.import_rows(session, rows[start:start + CHUNK], region_code, summary)
    if summary.changed:
        async with db.session() as session:
            audit.record(session, actor, "org.import", f"file:{Path(path).name}",
                         f"created={summary.created} updated={summary.updated}")
    return summary
