"""Importing the organisation from a file: all or nothing."""

from __future__ import annotations

from pathlib import Path

from bot.rules.org_file import read_org_file, region_code
from storage import audit, organisation
from storage.database import Database
from storage.organisation import ImportSummary


async def import_org_file(db: Database, path: str | Path, actor: str = "cli") -> ImportSummary:
    """Raises OrgFileError (nothing written) when any row is bad."""
    rows = read_org_file(path)
    async with db.session() as session:
        summary = await organisation.import_rows(session, rows, region_code)
        if summary.changed:
            audit.record(session, actor, "org.import", f"file:{Path(path).name}",
                         f"created={summary.created} updated={summary.updated}")
    return summary
