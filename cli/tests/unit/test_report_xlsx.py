"""Reports as Excel workbooks: the sheets a reader expects, numbers kept numeric."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from portfolio_cli.render.xlsx_report import korona_xlsx, portfolio_xlsx

TODAY = date(2020, 4, 20)


@pytest.fixture(scope="module")
def workbook(march_report: dict[str, Any]) -> Workbook:
    return load_workbook(io.BytesIO(portfolio_xlsx(march_report, made_on=TODAY)))


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_a_summary_the_measures_the_agencies_and_the_segments(
    workbook: Workbook,
) -> None:
    assert workbook.sheetnames == ["Oppsummering", "Tiltak", "Virksomheter", "Segmenter"]
    assert workbook.properties.title == "Nasjonal e-helseportefølje \u2013 rapport for mars 2020"


def test_the_measures_sheet_is_a_filterable_table_with_numeric_budgets(
    workbook: Workbook, march_report: dict[str, Any]
) -> None:
    sheet = workbook["Tiltak"]
    header, *rows = values(sheet)
    assert header == [
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
    assert len(rows) == 52
    assert all(isinstance(r[0], int) and isinstance(r[7], int | float) for r in rows)
    assert sum(r[7] for r in rows) == march_report["budget_total_mnok"]
    assert sheet.auto_filter.ref == "A1:I53"
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold
    assert sheet["H2"].number_format == "#,##0"
    assert sheet.column_dimensions["B"].width >= 40
    red = next(i for i, r in enumerate(rows, start=2) if r[0] == 160)
    assert (sheet[f"F{red}"].value, sheet[f"F{red}"].fill.fgColor.rgb[-6:]) == ("Rød", "F8D3CF")


def test_the_summary_has_totals_and_colour_counts_with_shares(
    workbook: Workbook, march_report: dict[str, Any]
) -> None:
    rows = {r[0]: r[1:] for r in values(workbook["Oppsummering"]) if r[0]}
    assert rows["Antall tiltak"][0] == 52
    assert rows["Samlet budsjett 2020 (MNOK)"][0] == 1571
    assert isinstance(rows["Laget"][0], datetime)
    assert rows["Gul"][:4] == [
        march_report["status"]["yellow"],
        pytest.approx(march_report["status"]["yellow"] / 52),
        march_report["risk"]["yellow"],
        pytest.approx(march_report["risk"]["yellow"] / 52),
    ]
    assert rows["Sum"][:4] == [52, 1, 52, 1]
    shares = [rows[c][1] for c in ("Grønn", "Gul", "Rød", "Ikke rapportert")]
    assert sum(shares) == pytest.approx(1)
    share_cell = next(
        c for row in workbook["Oppsummering"].iter_rows() for c in row if c.value == shares[1]
    )
    assert share_cell.number_format == "0 %"


def test_the_agency_and_segment_sheets_add_up_to_the_report(
    workbook: Workbook, march_report: dict[str, Any]
) -> None:
    header, *rows, total = values(workbook["Virksomheter"])
    assert header == [
        "Ansvarlig virksomhet",
        "Antall tiltak",
        "Budsjett (MNOK)",
        "Andel av budsjett",
    ]
    assert [r[0] for r in rows] == [a["agency"] for a in march_report["by_agency"]]
    assert total[:3] == ["Sum", 52, 1571]
    _, *segments, total = values(workbook["Segmenter"])
    assert [s[0] for s in segments] == [
        "Samstyre",
        "Koordinere",
        "Observere",
        "Inspirere",
        "Ikke plassert",
    ]
    assert sum(s[1] for s in segments) == total[1] == 52
    assert sum(s[3] for s in segments) == pytest.approx(total[3]) == pytest.approx(1)


def test_the_korona_workbook_lists_the_categories_with_names_and_shares(
    korona_report: dict[str, Any], category_names: dict[str, str]
) -> None:
    book = load_workbook(io.BytesIO(korona_xlsx(korona_report, category_names, made_on=TODAY)))
    assert book.sheetnames == ["Oppsummering", "Kategorier"]
    header, *rows, total = values(book["Kategorier"])
    assert header == ["Kode", "Kategori", "Forslag", "Andel"]
    assert ["12", "Infeksjonsovervåking", 84, pytest.approx(84 / 337)] in rows
    assert total[:3] == ["Sum", None, 337]
