"""Tab-separated UTF-8 tables read by column name, for the smaller portfolio files
(segments, changes, candidates). Unlike :mod:`portfolio_cli.tsv` it knows nothing of a
row's meaning: each file's importer checks its own cells."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from portfolio_cli.tsv import RowError, split_lines


@dataclass(frozen=True)
class Record:
    """One data line: its number in the file and its cells by column name (stripped)."""

    line: int
    cells: Mapping[str, str]

    def __getitem__(self, column: str) -> str:
        return self.cells.get(column, "")


@dataclass(frozen=True)
class Records:
    """The readable lines of a file, the errors of the others, and how many data lines."""

    rows: list[Record]
    errors: list[RowError]
    row_count: int


def read_records(path: Path, required: Sequence[str]) -> Records:
    """Read ``path``; OSError when it cannot be read."""
    return parse_records(path.read_bytes(), required)


def parse_records(data: bytes, required: Sequence[str]) -> Records:
    """Lines by the header's column names; missing trailing cells are empty.

    A header without a ``required`` column makes every line unreadable (one error).
    """
    lines = [(n, text) for n, text in split_lines(data) if text is None or text.strip()]
    if not lines:
        return Records([], [RowError(1, None, "the file is empty; expected a header line")], 0)
    (header_line, header_text), body = lines[0], lines[1:]
    if header_text is None:
        return Records([], [RowError(header_line, None, "is not valid UTF-8")], len(body))
    names = [name.strip() for name in header_text.split("\t")]
    missing = [
        RowError(header_line, name, "is missing from the header")
        for name in required
        if name not in names
    ]
    if missing:
        return Records([], missing, len(body))
    rows: list[Record] = []
    errors: list[RowError] = []
    for number, text in body:
        if text is None:
            errors.append(RowError(number, None, "is not valid UTF-8"))
            continue
        cells = [cell.strip() for cell in text.split("\t")]
        if len(cells) > len(names):
            reason = f"expected {len(names)} tab-separated columns, found {len(cells)}"
            errors.append(RowError(number, None, reason))
            continue
        cells += [""] * (len(names) - len(cells))
        rows.append(Record(number, _by_name(names, cells)))
    return Records(rows, errors, len(body))


def _by_name(names: Sequence[str], cells: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, cell in zip(names, cells, strict=True):
        found.setdefault(name, cell)
    return found
