"""Reports rendered for people and spreadsheets from the report JSON.

Every renderer takes the same dict ``--format json`` prints (``report_json``), so a field
the reporting service adds reaches every format by reading it in ``view`` and using it
where it belongs. ``contents`` words the HTML and PDF reports once; ``html_report`` and
``pdf_report`` lay them out; ``charts`` draws their figures for both.

| format | module | what |
|---|---|---|
| json | (here) | the dict itself, indented |
| table | ``table`` | plain-text tables for the terminal |
| csv | ``csv_report`` | a row per measure or category; UTF-8 with BOM, ``;``, decimal comma |
| xlsx | ``xlsx_report`` | workbook: summary, measures, agencies, segments, changes, areas |
| html | ``html_report`` | one self-contained page, SVG charts, prints on A4 |
| pdf | ``pdf_report`` | A4 report with vector charts |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any


class ReportFormat(StrEnum):
    """The formats a report can be written in."""

    JSON = "json"
    TABLE = "table"
    CSV = "csv"
    XLSX = "xlsx"
    HTML = "html"
    PDF = "pdf"

    @property
    def binary(self) -> bool:
        """True for formats that are bytes, not text (never written to a terminal)."""
        return self in (ReportFormat.XLSX, ReportFormat.PDF)


_SUFFIXES = {
    ".json": ReportFormat.JSON,
    ".txt": ReportFormat.TABLE,
    ".csv": ReportFormat.CSV,
    ".xlsx": ReportFormat.XLSX,
    ".html": ReportFormat.HTML,
    ".htm": ReportFormat.HTML,
    ".pdf": ReportFormat.PDF,
}


def format_of(path: Path) -> ReportFormat | None:
    """The format a file name asks for by its suffix (``rapport.pdf`` → pdf), if any."""
    return _SUFFIXES.get(path.suffix.lower())


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render_portfolio(data: Mapping[str, Any], fmt: ReportFormat, *, made_on: date) -> str | bytes:
    """The portfolio report ``data`` in ``fmt``: text for text formats, bytes for binary ones."""
    if fmt is ReportFormat.JSON:
        return _json(data)
    if fmt is ReportFormat.TABLE:
        from report_views.render.table import portfolio_table

        return portfolio_table(data) + "\n"
    if fmt is ReportFormat.CSV:
        from report_views.render.csv_report import portfolio_csv

        return portfolio_csv(data)
    if fmt is ReportFormat.XLSX:
        from report_views.render.xlsx_report import portfolio_xlsx

        return portfolio_xlsx(data, made_on=made_on)
    if fmt is ReportFormat.HTML:
        from report_views.render.html_report import portfolio_html

        return portfolio_html(data, made_on=made_on)
    from report_views.render.pdf_report import portfolio_pdf

    return portfolio_pdf(data, made_on=made_on)


def render_korona(
    data: Mapping[str, Any],
    fmt: ReportFormat,
    names: Mapping[str, str] | None = None,
    *,
    made_on: date,
) -> str | bytes:
    """The corona report ``data`` in ``fmt``; ``names`` maps category codes to names."""
    if fmt is ReportFormat.JSON:
        return _json(data)
    if fmt is ReportFormat.TABLE:
        from report_views.render.table import korona_table

        return korona_table(data, names) + "\n"
    if fmt is ReportFormat.CSV:
        from report_views.render.csv_report import korona_csv

        return korona_csv(data, names)
    if fmt is ReportFormat.XLSX:
        from report_views.render.xlsx_report import korona_xlsx

        return korona_xlsx(data, names, made_on=made_on)
    if fmt is ReportFormat.HTML:
        from report_views.render.html_report import korona_html

        return korona_html(data, names, made_on=made_on)
    from report_views.render.pdf_report import korona_pdf

    return korona_pdf(data, names, made_on=made_on)
