"""Reports as CSV for spreadsheets (``--format csv``): one row per measure or category.

The corona report continues, after an empty row each, with its other tables (per state,
the net list, the key figures), each under its own headings.

Chosen for Excel with Norwegian settings, where a double click should just work:
UTF-8 with a byte order mark (so Excel reads æøå right), ``;`` between fields (Excel's
list separator where the comma is the decimal sign), a decimal comma and no thousands
grouping (``1,5``, ``1571``, so Excel reads numbers as numbers), CRLF line ends, and
quotes only where a field needs them. A colour or segment that is not reported or not
placed is an empty field, as in the directorate's own table ("Vedlegg 1"); ``Rapportert``
is ``Ja`` or ``Nei``. Python reads it back with
``csv.reader(open(path, encoding="utf-8-sig", newline=""), delimiter=";")``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from report_views.colours import NORWEGIAN
from report_views.render.view import KoronaView, PortfolioView

BOM = "\ufeff"
SEPARATOR = ";"
PORTFOLIO_HEADERS = (
    "Nr",
    "Tiltak",
    "Ansvarlig virksomhet",
    "Innsatsområde",
    "Segment",
    "Status",
    "Risiko",
    "Budsjett (MNOK)",
    "Rapportert",
)
KORONA_HEADERS = ("Kode", "Kategori", "Forslag")
STATE_HEADERS = ("Behandlingsstatus", "Forslag")
NET_LIST_HEADERS = (
    "Tiltak",
    "Ansvarlig virksomhet",
    "Kategori",
    "Status",
    "Tildelt (MNOK)",
    "Forpliktet (MNOK)",
    "Utbetalt (MNOK)",
)
FIGURE_HEADERS = ("Nøkkeltall", "Verdi")


def decimal_comma(value: float) -> str:
    """A number as Norwegian Excel reads it: decimal comma, no grouping ("1,5", "1571")."""
    text = format(Decimal(str(value)), "f")
    if "." in text:
        return text.rstrip("0").rstrip(".").replace(".", ",")
    return text


def _write(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=SEPARATOR, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return BOM + buffer.getvalue()


def portfolio_csv(data: Mapping[str, Any]) -> str:
    """One row per measure, in the report's order, headed by ``PORTFOLIO_HEADERS``."""
    view = PortfolioView.from_json(data)
    rows = [
        [
            str(m.measure_id),
            m.name,
            m.agency,
            m.strategic_area,
            m.segment.capitalize() if m.segment else "",
            NORWEGIAN[m.status] if m.status else "",
            NORWEGIAN[m.risk] if m.risk else "",
            decimal_comma(m.budget_mnok),
            "Ja" if m.reported else "Nei",
        ]
        for m in view.measures
    ]
    return _write(PORTFOLIO_HEADERS, rows)


def _korona_blocks(view: KoronaView) -> list[tuple[Sequence[str], list[list[str]]]]:
    """The tables after the categories: per state, the net list, the key figures."""
    blocks: list[tuple[Sequence[str], list[list[str]]]] = []
    if view.knows_path:
        blocks.append((STATE_HEADERS, [[s.label, str(s.proposals)] for s in view.states]))
        blocks.append(
            (
                NET_LIST_HEADERS,
                [
                    [
                        m.title,
                        m.agency,
                        m.category_code,
                        m.status_label,
                        decimal_comma(m.allocated_mnok),
                        decimal_comma(m.committed_mnok),
                        decimal_comma(m.paid_mnok),
                    ]
                    for m in view.net_list
                ],
            )
        )
    figures: list[list[str]] = []
    f = view.funding
    if f is not None:
        figures += [
            ["Ramme (MNOK)", decimal_comma(f.total_mnok)],
            ["Tildelt (MNOK)", decimal_comma(f.allocated_mnok)],
            ["Forpliktet (MNOK)", decimal_comma(f.committed_mnok)],
            ["Utbetalt (MNOK)", decimal_comma(f.paid_mnok)],
            ["Gjenstående (MNOK)", decimal_comma(f.left_mnok)],
        ]
    if view.knows_path:
        median = view.median_days_to_feedback
        figures += [
            ["Venter på tilbakemelding", str(view.awaiting_feedback)],
            [
                "Median dager til første tilbakemelding",
                decimal_comma(round(median, 1)) if median is not None else "",
            ],
        ]
    if figures:
        blocks.append((FIGURE_HEADERS, figures))
    return blocks


def korona_csv(data: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """One row per category: code, name (empty when unknown), proposals. When the report has
    them, more tables follow, each after an empty row and under its own headings: proposals
    per state (``STATE_HEADERS``), the net list (``NET_LIST_HEADERS``) and the envelope's and
    the feedback figures (``FIGURE_HEADERS``)."""
    view = KoronaView.from_json(data, names)
    text = _write(KORONA_HEADERS, [[c.code, c.name, str(c.proposals)] for c in view.categories])
    for headers, rows in _korona_blocks(view):
        text += "\r\n" + _write(headers, rows).removeprefix(BOM)
    return text
