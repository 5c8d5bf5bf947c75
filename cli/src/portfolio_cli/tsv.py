"""Reads a portfolio table ("Vedlegg 1") from tab-separated UTF-8 text.

The header names the columns ``strategic_area measure_id name responsible_agency owner
status risk budget_YYYY_mnok``; the budget column's name gives the budget's year (more
than one budget column is allowed). Columns are found by name, so their order is free.
Every row is checked on its own: a bad row is reported with its line number and
column and never stops the other rows.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from report_views.colours import Colour, parse_colour
from report_views.money import parse_mnok

TEXT_COLUMNS = ("strategic_area", "measure_id", "name", "responsible_agency", "owner")
COLOUR_COLUMNS = ("status", "risk")
REQUIRED_COLUMNS = (*TEXT_COLUMNS, *COLOUR_COLUMNS)
BUDGET_COLUMN = re.compile(r"^budget_(\d{4})_mnok$")
MAX_MEASURE_ID = 2**31 - 1


@dataclass(frozen=True)
class BudgetFigure:
    """One year's budget in whole kroner."""

    year: int
    amount_nok: int


@dataclass(frozen=True)
class MeasureRow:
    """One valid row: a measure and its status report, with the file line it came from."""

    line: int
    strategic_area: str
    measure_id: int
    name: str
    responsible_agency: str
    owner: str
    status: Colour | None
    risk: Colour | None
    budget: tuple[BudgetFigure, ...] = ()

    def fingerprint(self) -> str:
        """SHA-256 (hex) of the row's fields, independent of its line and spelling of numbers."""
        fields = {
            "strategic_area": self.strategic_area,
            "measure_id": self.measure_id,
            "name": self.name,
            "responsible_agency": self.responsible_agency,
            "owner": self.owner,
            "status": self.status.value if self.status else None,
            "risk": self.risk.value if self.risk else None,
            "budget": [[b.year, b.amount_nok] for b in self.budget],
        }
        body = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RowError:
    """Why a line of the file cannot be imported; ``column`` is None for whole-line problems."""

    line: int
    column: str | None
    reason: str

    def render(self, file: str) -> str:
        """``FILE:LINE: column COLUMN: reason`` (or ``FILE:LINE: reason``)."""
        where = f"column {self.column}: " if self.column else ""
        return f"{file}:{self.line}: {where}{self.reason}"


@dataclass(frozen=True)
class ParsedTable:
    """The valid rows of a file, the errors of the others, and how many data rows it had."""

    rows: list[MeasureRow]
    errors: list[RowError]
    row_count: int
    budget_years: tuple[int, ...] = field(default=())

    @property
    def failed_count(self) -> int:
        """How many data rows cannot be imported."""
        return self.row_count - len(self.rows)


@dataclass(frozen=True)
class _Header:
    index: dict[str, int]
    budget: tuple[tuple[int, str], ...]  # (year, column name)
    width: int


def read_table(path: Path) -> ParsedTable:
    """Parse the file at ``path``; OSError when it cannot be read."""
    return parse_table(path.read_bytes())


def parse_table(data: bytes) -> ParsedTable:
    """Parse a whole file's bytes into rows and errors."""
    lines = split_lines(data)
    header_at = next((i for i, (_, text) in enumerate(lines) if text is None or text.strip()), None)
    if header_at is None:
        return ParsedTable([], [RowError(1, None, "the file is empty; expected a header line")], 0)
    header_line, header_text = lines[header_at]
    body = [(n, text) for n, text in lines[header_at + 1 :] if text is None or text.strip()]
    if header_text is None:
        return ParsedTable([], [RowError(header_line, None, "is not valid UTF-8")], len(body))
    header, errors = _parse_header(header_line, header_text)
    if header is None:
        return ParsedTable([], errors, len(body))
    rows: list[MeasureRow] = []
    first_line_of: dict[int, int] = {}
    for number, text in body:
        row, row_errors = _parse_row(number, text, header, first_line_of)
        errors.extend(row_errors)
        if row is not None and not row_errors:
            rows.append(row)
    years = tuple(year for year, _ in header.budget)
    return ParsedTable(rows, errors, len(body), years)


def split_lines(data: bytes) -> list[tuple[int, str | None]]:
    """(1-based line number, text or None when not UTF-8) for every line."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    raw_lines = data.split(b"\n")
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    result: list[tuple[int, str | None]] = []
    for number, raw in enumerate(raw_lines, start=1):
        try:
            result.append((number, raw.removesuffix(b"\r").decode("utf-8")))
        except UnicodeDecodeError:
            result.append((number, None))
    return result


def _parse_header(line: int, text: str) -> tuple[_Header | None, list[RowError]]:
    names = [name.strip() for name in text.split("\t")]
    errors: list[RowError] = []
    index: dict[str, int] = {}
    for position, name in enumerate(names):
        if name in index:
            errors.append(RowError(line, name, "appears twice in the header"))
        index.setdefault(name, position)
    for name in REQUIRED_COLUMNS:
        if name not in index:
            errors.append(RowError(line, name, "is missing from the header"))
    budget = tuple(
        (int(match.group(1)), name) for name in index if (match := BUDGET_COLUMN.match(name))
    )
    if not budget:
        errors.append(
            RowError(
                line,
                "budget_YYYY_mnok",
                "is missing from the header; name it after the budget's year,"
                " e.g. budget_2020_mnok",
            )
        )
    if errors:
        return None, errors
    return _Header(index, budget, len(names)), errors


def _parse_row(
    line: int, text: str | None, header: _Header, first_line_of: dict[int, int]
) -> tuple[MeasureRow | None, list[RowError]]:
    if text is None:
        return None, [RowError(line, None, "is not valid UTF-8")]
    cells = [cell.strip() for cell in text.split("\t")]
    if len(cells) != header.width:
        reason = f"expected {header.width} tab-separated columns, found {len(cells)}"
        return None, [RowError(line, None, reason)]

    def cell(name: str) -> str:
        return cells[header.index[name]]

    errors: list[RowError] = []
    measure_id = _measure_id(cell("measure_id"), line, errors)
    if measure_id is not None:
        first = first_line_of.setdefault(measure_id, line)
        if first != line:
            reason = f"measure {measure_id} is given already on line {first}"
            errors.append(RowError(line, "measure_id", reason))
    for required in ("name", "responsible_agency"):
        if not cell(required):
            errors.append(RowError(line, required, "is required"))
    colours: dict[str, Colour | None] = {}
    for name in COLOUR_COLUMNS:
        try:
            colours[name] = parse_colour(cell(name))
        except ValueError as exc:
            errors.append(RowError(line, name, str(exc)))
    budget: list[BudgetFigure] = []
    for year, name in header.budget:
        try:
            amount = parse_mnok(cell(name))
        except ValueError as exc:
            errors.append(RowError(line, name, f"budget {exc}"))
            continue
        if amount is not None:
            budget.append(BudgetFigure(year, amount))
    if errors or measure_id is None:
        return None, errors
    row = MeasureRow(
        line=line,
        strategic_area=cell("strategic_area"),
        measure_id=measure_id,
        name=cell("name"),
        responsible_agency=cell("responsible_agency"),
        owner=cell("owner"),
        status=colours["status"],
        risk=colours["risk"],
        budget=tuple(budget),
    )
    return row, errors


def _measure_id(text: str, line: int, errors: list[RowError]) -> int | None:
    if not text:
        errors.append(RowError(line, "measure_id", "is required"))
        return None
    if not text.isascii() or not text.isdigit():
        errors.append(RowError(line, "measure_id", f"{text!r} is not a positive whole number"))
        return None
    value = int(text)
    if not 0 < value <= MAX_MEASURE_ID:
        errors.append(RowError(line, "measure_id", f"{text} is out of range (1..{MAX_MEASURE_ID})"))
        return None
    return value
