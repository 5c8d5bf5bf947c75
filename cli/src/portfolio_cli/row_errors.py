"""Turns a failed intake call for a row into errors naming the row's columns."""

from __future__ import annotations

import re

from portfolio_cli.rpc import CallError
from portfolio_cli.tsv import MeasureRow, RowError

_ROW_FIELDS = frozenset(
    {"measure_id", "name", "responsible_agency", "owner", "strategic_area", "status", "risk"}
)
_BUDGET_LINE = re.compile(r"^budget\[(\d+)\]")


def column_for(field: str, row: MeasureRow) -> str | None:
    """The file column a request field came from (``budget[0].amount_nok`` ->
    ``budget_2020_mnok``); None for fields that are not columns (period, keys)."""
    if field in _ROW_FIELDS:
        return field
    match = _BUDGET_LINE.match(field)
    if match and int(match.group(1)) < len(row.budget):
        return f"budget_{row.budget[int(match.group(1))].year}_mnok"
    return None


def errors_of(row: MeasureRow, error: CallError) -> list[RowError]:
    """One error per field violation, or one for the whole row when the server named none."""
    failure = error.failure
    if not failure.violations:
        return [RowError(row.line, None, f"{error.method} failed: {failure.describe()}")]
    errors = []
    for violation in failure.violations:
        column = column_for(violation.field, row)
        if column is None:
            reason = f"{error.method} rejected {violation.field}: {violation.description}"
        else:
            reason = violation.description
        errors.append(RowError(row.line, column, reason))
    return errors
