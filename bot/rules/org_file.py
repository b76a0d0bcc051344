"""Reading an organisation file (CSV or XLSX) into checked rows.

The whole file is checked before anything is written: a file with bad rows is
rejected with every bad row listed by line number and reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bot.rules.errors import OrgFileError, RowError
from bot.rules.leader_groups import FILE_VALUES, level_from_file

REQUIRED_COLUMNS = ("region", "trust_code", "trust_name", "unit_code", "unit_name")
OPTIONAL_COLUMNS = ("clinic", "department", "leader_group")
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
MAX_NAME = 200


@dataclass(frozen=True)
class OrgRow:
    line: int
    region: str
    trust_code: str
    trust_name: str
    unit_code: str
    unit_name: str
    clinic: str | None
    department: str | None
    # A leader-group unit's level (bot/rules/leader_groups.py), None for an ordinary unit.
    leader_group: str | None = None


def region_code(name: str) -> str:
    """A stable code for a region from its name: 'Helse Sør-Øst' -> 'helse-sor-ost'."""
    folded = name.lower().replace("æ", "ae").replace("ø", "o").replace("å", "a")
    folded = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-")


def _read_csv(data: bytes) -> list[tuple[int, list[str]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise OrgFileError([RowError(1, "the file is not UTF-8 text (save it as CSV UTF-8)")]) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows = []
    for values in reader:
        rows.append((reader.line_num, values))
    return rows


def _read_xlsx(path: Path) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several kinds for a broken file
        raise OrgFileError([RowError(1, f"the file is not a readable XLSX workbook ({exc.__class__.__name__})")]) from exc
    sheet = workbook.worksheets[0]
    rows = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        rows.append((number, ["" if v is None else str(v) for v in values]))
    workbook.close()
    return rows


def read_org_file(path: str | Path) -> list[OrgRow]:
    """Parse and check the file. Raises OrgFileError listing every problem."""
    path = Path(path)
    try:
        raw_rows = _read_xlsx(path) if path.suffix.lower() == ".xlsx" else _read_csv(path.read_bytes())
    except OSError as exc:
        raise OrgFileError([RowError(0, f"cannot read the file: {exc.strerror}")]) from exc
    return parse_org_rows(raw_rows)


def parse_org_rows(raw_rows: list[tuple[int, list[str]]]) -> list[OrgRow]:
    raw_rows = [(n, v) for n, v in raw_rows if any(cell.strip() for cell in v)]
    if not raw_rows:
        raise OrgFileError([RowError(1, "the file is empty; expected a header row")])
    header_line, header = raw_rows[0]
    columns = {name.strip().lower(): i for i, name in enumerate(header) if name.strip()}
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise OrgFileError([RowError(header_line, "missing column(s) in the header row: " + ", ".join(missing))])

    # The header's width: its last named column. Empty cells after it (a trailing separator) are fine;
    # a row with more filled cells is refused, since one of its values would otherwise be cut or shifted
    # (e.g. a name with the separator in it, not in quotes).
    width = max(columns.values()) + 1
    errors: list[RowError] = []
    rows: list[OrgRow] = []
    trusts: dict[str, tuple[str, str, int]] = {}
    units: dict[tuple[str, str], int] = {}
    for line, values in raw_rows[1:]:
        filled = max((i + 1 for i, v in enumerate(values) if v.strip()), default=0)
        if filled > width:
            errors.append(RowError(line, f"the row has {filled} cells but the header has {width} columns "
                                         "(a name that contains the separator must be in double quotes)"))
            continue
        def cell(name: str, values: list[str] = values) -> str:
            index = columns.get(name)
            return values[index].strip() if index is not None and index < len(values) else ""

        try:
            level = level_from_file(cell("leader_group"))
            level_problem = None
        except ValueError:
            level, level_problem = None, (f"leader_group '{cell('leader_group')}' must be empty or one of: "
                                          + ", ".join(FILE_VALUES))
        row = OrgRow(
            line=line,
            region=cell("region"),
            trust_code=cell("trust_code"),
            trust_name=cell("trust_name"),
            unit_code=cell("unit_code"),
            unit_name=cell("unit_name"),
            clinic=cell("clinic") or None,
            department=cell("department") or None,
            leader_group=level.value if level else None,
        )
        problems = [f"{name} is empty" for name in REQUIRED_COLUMNS if not getattr(row, name)]
        if level_problem:
            problems.append(level_problem)
        elif level is not None and level.value in ("clinic", "department") and not getattr(row, level.value):
            problems.append(f"a {level.value}-level leader group needs its {level.value}")
        for name in ("trust_code", "unit_code"):
            value = getattr(row, name)
            if value and not CODE_RE.match(value):
                problems.append(f"{name} '{value}' must be 1-40 letters, digits, '.', '_' or '-'")
        for name in ("region", "trust_name", "unit_name", "clinic", "department"):
            value = getattr(row, name)
            if value and len(value) > MAX_NAME:
                problems.append(f"{name} is longer than {MAX_NAME} characters")
        if row.region and not region_code(row.region):
            problems.append("region must contain letters or digits")
        if not problems:
            seen = trusts.setdefault(row.trust_code, (row.trust_name, row.region, line))
            if seen[:2] != (row.trust_name, row.region):
                problems.append(
                    f"trust {row.trust_code} has another name or region on line {seen[2]}"
                )
            key = (row.trust_code, row.unit_code)
            if key in units:
                problems.append(f"unit {row.unit_code} of trust {row.trust_code} is already on line {units[key]}")
            else:
                units[key] = line
        if problems:
            errors.append(RowError(line, "; ".join(problems)))
        else:
            rows.append(row)
    if errors:
        raise OrgFileError(errors)
    if not rows:
        raise OrgFileError([RowError(header_line, "the file has a header row but no units")])
    return rows
