"""The export: an XLSX workbook (a sheet of measures, a sheet of unit progress)
or two CSV files, written row by row from streamed queries.

A national export is 90,000 measures and half a minute of openpyxl: it is made in the
worker process (bot/workers.py), which reads the rows over its own database connection
and returns only the file's bytes. Nothing crosses between the processes but the scope
and the result, and the bot's event loop stays free meanwhile. openpyxl is imported
there, not here.
"""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date

from bot import workers
from bot.rules.places import Where
from bot.services.progress import export_batches, export_size
from storage.database import Database

UNIT_COLUMNS = ["region", "trust_code", "trust", "unit_code", "unit", "clinic", "reviewed_with_parties",
                "feedback_meeting_held", "areas_chosen", "plan_submitted", "plan_acknowledged", "measures",
                "overdue_measures"]
MEASURE_COLUMNS = ["region", "trust_code", "trust", "unit_code", "unit", "year", "theme", "kind", "title",
                   "what_we_will_do", "responsible", "deadline", "status", "evaluation", "theme_change",
                   "last_update"]


# A spreadsheet takes text that begins with one of these as a formula (or, for tab and carriage
# return, as the start of one). OWASP's CSV-injection guidance: prefix such a cell with a single
# quote, so that Excel and LibreOffice show it as text. Both the XLSX and the CSV rows pass here.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value):
    """A cell a user wrote (a title, a name) as inert text; numbers, booleans and dates unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _unit_row(row) -> list:
    (_id, code, name, clinic, _tid, tcode, trust, region, reviewed, feedback, areas, submitted, ack,
     measures, overdue, _oldest) = row
    return [as_text(region), as_text(tcode), as_text(trust), as_text(code), as_text(name), as_text(clinic or ""),
            bool(reviewed), bool(feedback), bool(areas), bool(submitted), bool(ack), int(measures or 0),
            int(overdue or 0)]


def _measure_row(row) -> list:
    *values, last_update = row
    values = [v.isoformat() if isinstance(v, date) else as_text(v) for v in values]
    return values + [last_update.date().isoformat() if last_update else ""]


async def xlsx(db: Database, where: Where, today: date, on_progress: workers.Progress | None = None) -> bytes:
    """The workbook, made in the worker process; on_progress(rows written, rows in all) now and then."""
    return await workers.run(_in_worker, write_xlsx, db.url, where, today, on_progress=on_progress)


async def csv_files(db: Database, where: Where, today: date,
                    on_progress: workers.Progress | None = None) -> dict[str, bytes]:
    """{'units.csv': ..., 'measures.csv': ...}, made in the worker process; on_progress as for xlsx."""
    return await workers.run(_in_worker, write_csv_files, db.url, where, today, on_progress=on_progress)


async def _reported_batches(db: Database, where: Where, today: date):
    """export_batches, each batch reported as written once the writer has taken it (workers.report)."""
    total, done = await export_size(db, where, today), 0
    workers.report(done, total)
    async for kind, batch in export_batches(db, where, today):
        yield kind, batch
        done += len(batch)
        workers.report(done, max(total, done))


def _in_worker(write, database_url: str, where: Where, today: date):
    """In the worker process: its own connection for the one export, closed after."""
    async def work():
        db = Database(database_url)
        try:
            return await write(db, where, today)
        finally:
            await db.dispose()
    return asyncio.run(work())


async def write_xlsx(db: Database, where: Where, today: date) -> bytes:
    """The rows are streamed in batches into a write-only workbook (it keeps little in memory)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheets = {"measure": (workbook.create_sheet("Measures"), _measure_row),
              "unit": (workbook.create_sheet("Unit progress"), _unit_row)}
    sheets["measure"][0].append(MEASURE_COLUMNS)
    sheets["unit"][0].append(UNIT_COLUMNS)
    async for kind, batch in _reported_batches(db, where, today):
        sheet, convert = sheets[kind]
        for row in batch:
            sheet.append(convert(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def excel_csv(header, rows) -> bytes:
    """One table as UTF-8 with BOM and semicolons, as Norwegian Excel reads it."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


async def write_csv_files(db: Database, where: Where, today: date) -> dict[str, bytes]:
    """UTF-8 with BOM and semicolons, as Norwegian Excel reads them."""
    buffers = {"units": io.StringIO(), "measures": io.StringIO()}
    writers = {k: csv.writer(b, delimiter=";") for k, b in buffers.items()}
    writers["units"].writerow(UNIT_COLUMNS)
    writers["measures"].writerow(MEASURE_COLUMNS)
    async for kind, batch in _reported_batches(db, where, today):
        if kind == "unit":
            writers["units"].writerows(_unit_row(row) for row in batch)
        else:
            writers["measures"].writerows(_measure_row(row) for row in batch)
    return {f"{k}.csv": ("\ufeff" + b.getvalue()).encode("utf-8") for k, b in buffers.items()}
