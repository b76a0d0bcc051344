"""The export: an XLSX workbook (a sheet of measures, a sheet of unit progress)
or two CSV files, written row by row from streamed queries."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date

from openpyxl import Workbook

from bot.rules.places import Where
from bot.services.progress import export_batches
from storage.database import Database

UNIT_COLUMNS = ["region", "trust_code", "trust", "unit_code", "unit", "clinic", "reviewed_with_parties",
                "feedback_meeting_held", "areas_chosen", "plan_submitted", "plan_acknowledged", "measures",
                "overdue_measures"]
MEASURE_COLUMNS = ["region", "trust_code", "trust", "unit_code", "unit", "year", "theme", "kind", "title",
                   "what_we_will_do", "responsible", "deadline", "status", "evaluation", "last_update"]


def _unit_row(row) -> list:
    (_id, code, name, clinic, _tid, tcode, trust, region, reviewed, feedback, areas, submitted, ack,
     measures, overdue, _oldest) = row
    return [region, tcode, trust, code, name, clinic or "", bool(reviewed), bool(feedback), bool(areas),
            bool(submitted), bool(ack), int(measures or 0), int(overdue or 0)]


def _measure_row(row) -> list:
    *values, last_update = row
    values = [v.isoformat() if isinstance(v, date) else v for v in values]
    return values + [last_update.date().isoformat() if last_update else ""]


def _append(sheet, convert, batch) -> None:
    for row in batch:
        sheet.append(convert(row))


async def xlsx(db: Database, where: Where, today: date) -> bytes:
    """openpyxl is CPU work: each batch is written in a worker thread, one at a time,
    so the bot keeps answering while a national export is made."""
    workbook = Workbook(write_only=True)
    sheets = {"measure": (workbook.create_sheet("Measures"), _measure_row),
              "unit": (workbook.create_sheet("Unit progress"), _unit_row)}
    sheets["measure"][0].append(MEASURE_COLUMNS)
    sheets["unit"][0].append(UNIT_COLUMNS)
    async for kind, batch in export_batches(db, where, today):
        await asyncio.to_thread(_append, *sheets[kind], batch)
    buffer = io.BytesIO()
    await asyncio.to_thread(workbook.save, buffer)
    return buffer.getvalue()


async def csv_files(db: Database, where: Where, today: date) -> dict[str, bytes]:
    """{'measures.csv': ..., 'units.csv': ...}, UTF-8 with BOM and semicolons, as Norwegian Excel reads them."""
    buffers = {"units": io.StringIO(), "measures": io.StringIO()}
    writers = {k: csv.writer(b, delimiter=";") for k, b in buffers.items()}
    writers["units"].writerow(UNIT_COLUMNS)
    writers["measures"].writerow(MEASURE_COLUMNS)
    async for kind, batch in export_batches(db, where, today):
        if kind == "unit":
            writers["units"].writerows(_unit_row(row) for row in batch)
        else:
            writers["measures"].writerows(_measure_row(row) for row in batch)
    return {f"{k}.csv": ("\ufeff" + b.getvalue()).encode("utf-8") for k, b in buffers.items()}
