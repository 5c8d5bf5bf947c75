"""Reports as Excel workbooks (``--format xlsx``), numbers kept numeric.

Portfolio: sheets "Oppsummering" (totals, the previous period's figures; status and risk
colours with counts and shares, then and now), "Tiltak" (one row per measure, autofilter,
frozen header), "Virksomheter" (per responsible agency) and "Segmenter" (per portfolio
segment, with the status reports owed and overdue), and when the report has them
"Endringer" (measures that entered and left), "Kandidater" (next year's candidates) and
"Innsatsområder" (budget per strategic area this year and next). Corona portfolio:
"Oppsummering" (with the funding envelope and the feedback figures) and "Kategorier", and
when the report has them "Behandling" (proposals per state) and "Nettoliste" (prioritised
measures with implementation status and money). Budgets are numbers in million NOK and shares are
fractions shown as per cent, so the figures can be summed and charted in Excel.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from report_views.colours import NORWEGIAN, NOT_REPORTED_NB, Colour
from report_views.render import nb, palette
from report_views.render.view import (
    KORONA_CATEGORIES_TITLE,
    KORONA_TITLE,
    GroupLine,
    KoronaView,
    PortfolioView,
)

Cell = str | int | float | date | None

WHOLE = "#,##0"
FRACTION = "#,##0.0##"
SHARE = "0 %"
DAY = "dd.mm.yyyy"
_HEADER_FONT = Font(bold=True, color="FFFFFF")
_HEADER_FILL = PatternFill("solid", fgColor=palette.ACCENT.lstrip("#"))
_SUM_BORDER = Border(top=Side(style="thin", color="1F3B5C"))
_TONES = {
    colour: PatternFill("solid", fgColor=palette.TINT[colour].lstrip("#")) for colour in Colour
}
_COLOURS: tuple[Colour | None, ...] = (Colour.GREEN, Colour.YELLOW, Colour.RED, None)


def _number_format(value: float) -> str:
    return WHOLE if float(value).is_integer() else FRACTION


def _amount(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _header(sheet: Worksheet, row: int, headers: Sequence[str]) -> None:
    for column, text in enumerate(headers, start=1):
        cell = sheet.cell(row=row, column=column, value=text)
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    sheet.row_dimensions[row].height = 30


def _fit_columns(sheet: Worksheet, minimum: int = 8, maximum: int = 60) -> None:
    """Column widths from the longest value (as shown) in each column."""
    widths: dict[int, int] = {}
    for row in sheet.iter_rows():
        for cell in row:
            if cell.value is None:
                continue
            value = cell.value
            shown = nb.number(value) if isinstance(value, int | float) else str(value)
            column = int(cell.column or 1)
            widths[column] = max(widths.get(column, 0), len(shown))
    for column, width in widths.items():
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = max(minimum, min(maximum, width + 2))


def _put(sheet: Worksheet, row: int, values: Iterable[Cell]) -> None:
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row=row, column=column, value=value)
        if isinstance(value, float | int) and not isinstance(value, bool):
            cell.number_format = _number_format(value)
        elif isinstance(value, date):
            cell.number_format = DAY
            cell.alignment = Alignment(horizontal="left")


def _share(sheet: Worksheet, row: int, column: int, part: float, whole: float) -> None:
    cell = sheet.cell(row=row, column=column, value=(part / whole) if whole else 0)
    cell.number_format = SHARE


def _sum_row(sheet: Worksheet, row: int) -> None:
    for cell in sheet[row]:
        cell.font = Font(bold=True)
        cell.border = _SUM_BORDER


def _print_setup(sheet: Worksheet, orientation: Literal["portrait", "landscape"]) -> None:
    """Printed on A4, as wide as the page."""
    sheet.page_setup.orientation = orientation
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    if sheet.sheet_properties.pageSetUpPr is not None:
        sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _finish(sheet: Worksheet, header_row: int, last_row: int, columns: int) -> None:
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(columns)}{max(last_row, header_row)}"
    _print_setup(sheet, "landscape" if columns > 5 else "portrait")
    sheet.print_title_rows = f"{header_row}:{header_row}"


def _group_sheet(
    workbook: Workbook,
    title: str,
    label: str,
    lines: Sequence[GroupLine],
    total_mnok: float,
    *,
    reports: bool = False,
) -> None:
    """One row per group; with ``reports`` also the status reports owed and overdue."""
    sheet = workbook.create_sheet(title)
    headers = [label, "Antall tiltak", "Budsjett (MNOK)", "Andel av budsjett"]
    if reports:
        headers += ["Rapporter forventet", "Rapporter forsinket"]
    _header(sheet, 1, headers)
    row = 1
    for row, line in enumerate(lines, start=2):
        _put(sheet, row, [line.label, line.measures, _amount(line.budget_mnok)])
        _share(sheet, row, 4, line.budget_mnok, total_mnok)
        if reports:
            sheet.cell(row=row, column=5, value=line.reports_due).number_format = WHOLE
            late = sheet.cell(row=row, column=6, value=line.reports_overdue)
            late.number_format = WHOLE
            if line.reports_overdue:
                late.fill = _TONES[Colour.RED]
    last = row
    total = sum(line.budget_mnok for line in lines)
    _put(sheet, last + 1, ["Sum", sum(line.measures for line in lines), _amount(total)])
    _share(sheet, last + 1, 4, total, total_mnok)
    if reports:
        _put(sheet, last + 1, [None] * 4 + [sum(line.reports_due for line in lines)])
        sheet.cell(row=last + 1, column=6, value=sum(line.reports_overdue for line in lines))
        sheet.cell(row=last + 1, column=6).number_format = WHOLE
    _sum_row(sheet, last + 1)
    _finish(sheet, 1, last, len(headers))
    _fit_columns(sheet)


def _rows_sheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    wide: Sequence[str] = (),
) -> Worksheet:
    """A plain filterable table: heading row, one row per item, wide name columns."""
    sheet: Worksheet = workbook.create_sheet(title)
    _header(sheet, 1, headers)
    for row, values in enumerate(rows, start=2):
        _put(sheet, row, values)
    _finish(sheet, 1, len(rows) + 1, len(headers))
    _fit_columns(sheet)
    for letter in wide:
        sheet.column_dimensions[letter].width = 50
    return sheet


def _changes_sheet(workbook: Workbook, view: PortfolioView) -> None:
    """ "Endringer": the measures that entered ("Ny") and left ("Ut") since the last period."""
    if not (view.entered or view.exited):
        return
    year = nb.period_year(view.period)
    rows: list[list[Cell]] = [
        ["Ny", e.measure_id, e.name, e.agency, e.period or None, None, _amount(e.budget_mnok)]
        for e in view.entered
    ]
    for e in view.exited:
        left: list[Cell] = [e.period or None, e.way_forward_label or None, None]
        rows.append(["Ut", e.measure_id, e.name, e.agency, *left])
    sheet = _rows_sheet(
        workbook,
        "Endringer",
        [
            "Endring",
            "Nr",
            "Tiltak",
            "Ansvarlig virksomhet",
            "Periode",
            "Veien videre",
            f"Budsjett {year} (MNOK)".replace("  ", " "),
        ],
        rows,
        wide="C",
    )
    for row in range(2, len(rows) + 2):
        sheet.cell(row=row, column=2).number_format = "0"


def _candidates_sheet(workbook: Workbook, view: PortfolioView) -> None:
    """ "Kandidater": the candidates for next year's portfolio."""
    if not view.candidates:
        return
    sheet = _rows_sheet(
        workbook,
        "Kandidater",
        ["Nr", "Kandidat", "Ansvarlig virksomhet", "Innsatsområde", "Kandidat for"],
        [
            [c.measure_id or None, c.name, c.agency, c.strategic_area or None, c.candidate_for]
            for c in view.candidates
        ],
        wide="B",
    )
    for row in range(2, len(view.candidates) + 2):
        sheet.cell(row=row, column=1).number_format = "0"
        sheet.cell(row=row, column=5).number_format = "0"


def _areas_sheet(workbook: Workbook, view: PortfolioView) -> None:
    """ "Innsatsområder": measures and budget this year and next per strategic area."""
    areas = view.area_budgets
    if not areas:
        return
    year = nb.period_year(view.period)
    this_year = f"Budsjett {year} (MNOK)" if year else "Budsjett i år (MNOK)"
    next_year = f"Budsjett {int(year) + 1} (MNOK)" if year else "Budsjett neste år (MNOK)"
    rows: list[list[Cell]] = [
        [a.label, a.measures, _amount(a.this_year_mnok), _amount(a.next_year_mnok)] for a in areas
    ]
    sheet = _rows_sheet(
        workbook, "Innsatsområder", ["Innsatsområde", "Antall tiltak", this_year, next_year], rows
    )
    total = len(rows) + 2
    _put(
        sheet,
        total,
        [
            "Sum",
            sum(a.measures for a in areas),
            _amount(sum(a.this_year_mnok for a in areas)),
            _amount(sum(a.next_year_mnok for a in areas)),
        ],
    )
    _sum_row(sheet, total)
    sheet.column_dimensions["A"].width = 60


def _workbook(title: str) -> Workbook:
    workbook = Workbook()
    workbook.properties.title = title
    workbook.properties.creator = "portfolio"
    workbook.properties.language = "nb-NO"
    return workbook


def _save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title(sheet: Worksheet, text: str) -> None:
    sheet["A1"] = text
    sheet["A1"].font = Font(bold=True, size=14, color=palette.ACCENT.lstrip("#"))


def _previous_facts(view: PortfolioView) -> list[tuple[str, Cell]]:
    previous = view.previous
    if previous is None:
        return []
    facts: list[tuple[str, Cell]] = [("Forrige periode", previous.period)]
    if previous.measure_count is not None:
        facts.append(("Antall tiltak forrige periode", previous.measure_count))
    if previous.budget_total_mnok is not None:
        year = nb.period_year(previous.period)
        label = f"Samlet budsjett {year} forrige periode (MNOK)".replace("  ", " ")
        facts.append((label, _amount(previous.budget_total_mnok)))
    return facts


def _previous_shares(summary: Worksheet, header_row: int, view: PortfolioView) -> None:
    """Columns F and G: the previous period's status and risk shares, when it has them."""
    previous = view.previous
    if previous is None:
        return
    for column, what, counts in ((6, "Status", previous.status), (7, "Risiko", previous.risk)):
        if counts is None:
            continue
        heading = summary.cell(row=header_row, column=column, value=f"{what} {previous.period}")
        heading.value = f"{what} {previous.period} (andel)"
        heading.font = _HEADER_FONT
        heading.fill = _HEADER_FILL
        heading.alignment = Alignment(vertical="center", wrap_text=True)
        for row, colour in enumerate(_COLOURS, start=header_row + 1):
            _share(summary, row, column, counts.of(colour), counts.total)
        _share(summary, header_row + len(_COLOURS) + 1, column, counts.total, counts.total)
        summary.column_dimensions[get_column_letter(column)].width = 16


def portfolio_xlsx(data: Mapping[str, Any], *, made_on: date) -> bytes:
    """The portfolio report as an XLSX workbook (see the module's description)."""
    view = PortfolioView.from_json(data)
    title = f"Nasjonal e-helseportefølje {nb.EN_DASH} rapport for {nb.period_name(view.period)}"
    workbook = _workbook(title)
    summary = workbook.active
    assert summary is not None  # a new workbook always has its first sheet
    summary.title = "Oppsummering"
    _title(summary, title)
    year = nb.period_year(view.period)
    facts: list[tuple[str, Cell]] = [
        ("Rapporteringsperiode", view.period),
        *([("Per", view.as_of)] if view.as_of else []),
        ("Antall tiltak", view.measure_count),
        (f"Samlet budsjett {year} (MNOK)".replace("  ", " "), _amount(view.budget_total_mnok)),
        *_previous_facts(view),
        ("Laget", made_on),
    ]
    for row, (label, value) in enumerate(facts, start=3):
        _put(summary, row, [label, value])
        summary.cell(row=row, column=1).font = Font(bold=True)
    header_row = 3 + len(facts) + 1
    _header(
        summary,
        header_row,
        ["Farge", "Status (antall)", "Status (andel)", "Risiko (antall)", "Risiko (andel)"],
    )
    for row, colour in enumerate(_COLOURS, start=header_row + 1):
        name = NORWEGIAN[colour] if colour else NOT_REPORTED_NB
        _put(summary, row, [name, view.status.of(colour), None, view.risk.of(colour)])
        _share(summary, row, 3, view.status.of(colour), view.status.total)
        _share(summary, row, 5, view.risk.of(colour), view.risk.total)
        if colour:
            summary.cell(row=row, column=1).fill = _TONES[colour]
    sum_row = header_row + len(_COLOURS) + 1
    _put(summary, sum_row, ["Sum", view.status.total, None, view.risk.total])
    _share(summary, sum_row, 3, view.status.total, view.status.total)
    _share(summary, sum_row, 5, view.risk.total, view.risk.total)
    _previous_shares(summary, header_row, view)
    _sum_row(summary, sum_row)
    summary.column_dimensions["A"].width = 40
    for letter in "BCDE":
        summary.column_dimensions[letter].width = 16
    _print_setup(summary, "portrait")

    sheet = workbook.create_sheet("Tiltak")
    headers = [
        "Nr",
        "Tiltak",
        "Ansvarlig virksomhet",
        "Innsatsområde",
        "Segment",
        "Status",
        "Risiko",
        "Budsjett (MNOK)",
        "Rapportert",
    ]
    _header(sheet, 1, headers)
    row = 1
    for row, m in enumerate(view.measures, start=2):
        _put(
            sheet,
            row,
            [
                m.measure_id,
                m.name,
                m.agency,
                m.strategic_area,
                m.segment.capitalize() if m.segment else None,
                NORWEGIAN[m.status] if m.status else None,
                NORWEGIAN[m.risk] if m.risk else None,
                _amount(m.budget_mnok),
                "Ja" if m.reported else "Nei",
            ],
        )
        sheet.cell(row=row, column=1).number_format = "0"
        sheet.cell(row=row, column=9).alignment = Alignment(horizontal="center")
        for column, colour in ((6, m.status), (7, m.risk)):
            if colour:
                sheet.cell(row=row, column=column).fill = _TONES[colour]
    _finish(sheet, 1, row, len(headers))
    _fit_columns(sheet)
    sheet.column_dimensions["B"].width = 50
    sheet.column_dimensions["D"].width = 50

    _group_sheet(
        workbook, "Virksomheter", "Ansvarlig virksomhet", view.agencies, view.budget_total_mnok
    )
    _group_sheet(
        workbook,
        "Segmenter",
        "Segment",
        view.segments,
        view.budget_total_mnok,
        reports=view.knows_reports_due,
    )
    _changes_sheet(workbook, view)
    _candidates_sheet(workbook, view)
    _areas_sheet(workbook, view)
    return _save(workbook)


def _korona_facts(view: KoronaView, made_on: date) -> list[tuple[str, Cell]]:
    facts: list[tuple[str, Cell]] = [
        ("Antall forslag", view.total),
        ("Antall kategorier", len(view.categories)),
    ]
    if view.knows_path:
        facts.append(("Prioriterte tiltak", len(view.net_list)))
    f = view.funding
    if f is not None:
        facts += [
            ("Ramme (MNOK)", _amount(f.total_mnok)),
            ("Tildelt (MNOK)", _amount(f.allocated_mnok)),
            ("Forpliktet (MNOK)", _amount(f.committed_mnok)),
            ("Utbetalt (MNOK)", _amount(f.paid_mnok)),
            ("Gjenstående (MNOK)", _amount(f.left_mnok)),
        ]
    if view.knows_path:
        median = view.median_days_to_feedback
        facts += [
            ("Venter på tilbakemelding", view.awaiting_feedback),
            (
                "Median dager til første tilbakemelding",
                _amount(round(median, 1)) if median is not None else None,
            ),
        ]
    return [*facts, *([("Per", view.as_of)] if view.as_of else []), ("Laget", made_on)]


def _states_sheet(workbook: Workbook, view: KoronaView) -> None:
    """ "Behandling": proposals per state, with shares."""
    sheet = workbook.create_sheet("Behandling")
    _header(sheet, 1, ["Behandlingsstatus", "Forslag", "Andel"])
    for row, s in enumerate(view.states, start=2):
        _put(sheet, row, [s.label, s.proposals])
        _share(sheet, row, 3, s.proposals, view.total)
    last = len(view.states) + 1
    counted = sum(s.proposals for s in view.states)
    _put(sheet, last + 1, ["Sum", counted])
    _share(sheet, last + 1, 3, counted, view.total)
    _sum_row(sheet, last + 1)
    _finish(sheet, 1, last, 3)
    _fit_columns(sheet)


def _net_list_sheet(workbook: Workbook, view: KoronaView) -> None:
    """ "Nettoliste": the prioritised measures, their implementation status and money."""
    measures = view.net_list
    rows: list[list[Cell]] = [
        [
            m.title,
            m.agency or None,
            m.category_code or None,
            m.status_label,
            _amount(m.allocated_mnok),
            _amount(m.committed_mnok),
            _amount(m.paid_mnok),
        ]
        for m in measures
    ]
    sheet = _rows_sheet(
        workbook,
        "Nettoliste",
        [
            "Tiltak",
            "Ansvarlig virksomhet",
            "Kategori",
            "Status",
            "Tildelt (MNOK)",
            "Forpliktet (MNOK)",
            "Utbetalt (MNOK)",
        ],
        rows,
        wide="A",
    )
    total = len(rows) + 2
    _put(
        sheet,
        total,
        [
            "Sum",
            None,
            None,
            None,
            _amount(sum(m.allocated_mnok for m in measures)),
            _amount(sum(m.committed_mnok for m in measures)),
            _amount(sum(m.paid_mnok for m in measures)),
        ],
    )
    _sum_row(sheet, total)


def korona_xlsx(
    data: Mapping[str, Any], names: Mapping[str, str] | None = None, *, made_on: date
) -> bytes:
    """The corona report as an XLSX workbook: "Oppsummering" (with the envelope's and the
    feedback figures when the report has them) and "Kategorier", then "Behandling"
    (proposals per state) and "Nettoliste" from a server that sends them."""
    view = KoronaView.from_json(data, names)
    title = KORONA_TITLE if view.knows_path else KORONA_CATEGORIES_TITLE
    workbook = _workbook(title)
    summary = workbook.active
    assert summary is not None  # a new workbook always has its first sheet
    summary.title = "Oppsummering"
    _title(summary, title)
    for row, (label, value) in enumerate(_korona_facts(view, made_on), start=3):
        _put(summary, row, [label, value])
        summary.cell(row=row, column=1).font = Font(bold=True)
    summary.column_dimensions["A"].width = 40 if view.knows_path else 22
    summary.column_dimensions["B"].width = 14
    _print_setup(summary, "portrait")

    sheet = workbook.create_sheet("Kategorier")
    _header(sheet, 1, ["Kode", "Kategori", "Forslag", "Andel"])
    row = 1
    for row, c in enumerate(view.categories, start=2):
        _put(sheet, row, [c.code, c.name or None, c.proposals])
        _share(sheet, row, 4, c.proposals, view.total)
    last = row
    _put(sheet, last + 1, ["Sum", None, sum(c.proposals for c in view.categories)])
    _share(sheet, last + 1, 4, sum(c.proposals for c in view.categories), view.total)
    _sum_row(sheet, last + 1)
    _finish(sheet, 1, last, 4)
    _fit_columns(sheet)
    if view.knows_path:
        _states_sheet(workbook, view)
        _net_list_sheet(workbook, view)
    return _save(workbook)
