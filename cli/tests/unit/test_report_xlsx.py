"""Reports as Excel workbooks: the sheets a reader expects, numbers kept numeric."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from report_views.render.xlsx_report import korona_xlsx, portfolio_xlsx

TODAY = date(2020, 4, 20)


@pytest.fixture(scope="module")
def workbook(march_report: dict[str, Any]) -> Workbook:
    return load_workbook(io.BytesIO(portfolio_xlsx(march_report, made_on=TODAY)))


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_has_a_summary_the_measures_the_agencies_and_the_segments(
    workbook: Workbook,
) -> None:
    assert workbook.sheetnames == [
        "Oppsummering",
        "Tiltak",
        "Virksomheter",
        "Segmenter",
        "Endringer",
        "Kandidater",
        "Innsatsområder",
    ]
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


def test_a_workbook_from_an_older_server_has_only_the_first_four_sheets(
    older_march_report: dict[str, Any],
) -> None:
    book = load_workbook(io.BytesIO(portfolio_xlsx(older_march_report, made_on=TODAY)))
    assert book.sheetnames == ["Oppsummering", "Tiltak", "Virksomheter", "Segmenter"]
    header = values(book["Segmenter"])[0]
    assert header == ["Segment", "Antall tiltak", "Budsjett (MNOK)", "Andel av budsjett"]


def test_the_summary_has_the_previous_period(workbook: Workbook) -> None:
    sheet = values(workbook["Oppsummering"])
    rows = {r[0]: r[1:] for r in sheet if r[0]}
    assert rows["Forrige periode"][0] == "2020-01"
    assert rows["Antall tiltak forrige periode"][0] == 54
    assert rows["Samlet budsjett 2020 forrige periode (MNOK)"][0] == 1650
    assert rows["Farge"][4:6] == ["Status 2020-01 (andel)", "Risiko 2020-01 (andel)"]
    assert rows["Gul"][4:6] == [pytest.approx(30 / 54), pytest.approx(35 / 54)]


def test_the_changes_sheet_has_the_new_and_the_departed(workbook: Workbook) -> None:
    header, *rows = values(workbook["Endringer"])
    assert header == [
        "Endring",
        "Nr",
        "Tiltak",
        "Ansvarlig virksomhet",
        "Periode",
        "Veien videre",
        "Budsjett 2020 (MNOK)",
    ]
    assert rows == [
        [
            "Ny",
            131,
            "Realisere API-management som en tjeneste",
            "Norsk Helsenett",
            "2020-03",
            None,
            7,
        ],
        [
            "Ut",
            143,
            "Medikamentell kreftbehandling",
            "Helse Sør-Øst",
            "2020-01",
            "Forvaltning",
            None,
        ],
        ["Ut", 142, "Regionalt laboratoriedatasystem", "Helse Sør-Øst", "2020-01", "Pauset", None],
        [
            "Ut",
            183,
            "Ny saksbehandlingsløsning for meldeordningen Biovigilans",
            "Helsedirektoratet",
            "2020-01",
            "Pauset",
            None,
        ],
    ]
    assert workbook["Endringer"].auto_filter.ref == "A1:G5"


def test_the_candidates_and_areas_sheets(workbook: Workbook, march_report: dict[str, Any]) -> None:
    header, *candidates = values(workbook["Kandidater"])
    assert header == ["Nr", "Kandidat", "Ansvarlig virksomhet", "Innsatsområde", "Kandidat for"]
    assert [c[1] for c in candidates] == [c["name"] for c in march_report["candidates"]]
    assert candidates[0] == [
        190,
        "Akson journal",
        "Akson journal AS",
        "Digitalisering av arbeidsprosesser",
        2021,
    ]
    assert candidates[4][3] is None
    header, *areas, total = values(workbook["Innsatsområder"])
    assert header == [
        "Innsatsområde",
        "Antall tiltak",
        "Budsjett 2020 (MNOK)",
        "Budsjett 2021 (MNOK)",
    ]
    assert areas[0] == ["1.1 Modernisere journal- og samhandlingsløsninger", 13, 476, 464]
    assert total[:3] == ["Sum", 52, 1571]
    assert total[3] == sum(a[3] for a in areas)


def test_the_segments_sheet_counts_the_reports_due_and_overdue(workbook: Workbook) -> None:
    header, *rows, total = values(workbook["Segmenter"])
    assert header[4:] == ["Rapporter forventet", "Rapporter forsinket"]
    assert rows[1][0] == "Koordinere" and rows[1][4:] == [10, 1]
    assert total[4:] == [35, 1]


def test_the_full_korona_workbook_has_the_states_and_the_net_list(
    korona_full: dict[str, Any],
) -> None:
    book = load_workbook(io.BytesIO(korona_xlsx(korona_full, made_on=TODAY)))
    assert book.sheetnames == ["Oppsummering", "Kategorier", "Behandling", "Nettoliste"]
    summary = {r[0]: r[1] for r in values(book["Oppsummering"]) if r[0]}
    assert summary["Koronaporteføljen \u2013 forslag, nettoliste og midler"] is None
    assert summary["Antall forslag"] == 337
    assert summary["Prioriterte tiltak"] == 18
    assert (summary["Ramme (MNOK)"], summary["Tildelt (MNOK)"]) == (80, 39)
    assert (summary["Forpliktet (MNOK)"], summary["Utbetalt (MNOK)"]) == (19.5, 9.75)
    assert summary["Gjenstående (MNOK)"] == 41
    assert summary["Venter på tilbakemelding"] == 143
    assert summary["Median dager til første tilbakemelding"] == 4.5
    assert ["12", "Infeksjonsovervåking", 84, pytest.approx(84 / 337)] in values(book["Kategorier"])
    header, *states, total = values(book["Behandling"])
    assert header == ["Behandlingsstatus", "Forslag", "Andel"]
    assert [s[0] for s in states] == [
        "Mottatt, ikke vurdert",
        "Til vurdering",
        "Vurdert, venter på beslutning",
        "Prioritert",
        "Ikke prioritert",
        "Utsatt",
    ]
    assert total[:2] == ["Sum", 337]
    header, *measures, total = values(book["Nettoliste"])
    assert header == [
        "Tiltak",
        "Ansvarlig virksomhet",
        "Kategori",
        "Status",
        "Tildelt (MNOK)",
        "Forpliktet (MNOK)",
        "Utbetalt (MNOK)",
    ]
    assert len(measures) == 18
    assert {m[3] for m in measures} == {"Planlagt", "Under innføring", "Innført", "I drift"}
    assert [
        "Prøvesvar for innbygger",
        "Norsk Helsenett",
        None,
        "I drift",
        5,
        2.5,
        1.25,
    ] in measures
    assert total == ["Sum", None, None, None, 39, 19.5, 9.75]
