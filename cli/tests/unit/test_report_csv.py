"""Reports as CSV: what Excel with Norwegian settings opens right, and Python reads back."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from report_views.render import ReportFormat, render_portfolio
from report_views.render.csv_report import PORTFOLIO_HEADERS, korona_csv, portfolio_csv

TODAY = date(2020, 4, 20)


def rows_of(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=";"))


def a_number(text: str) -> float:
    return float(text.replace(",", "."))


def test_the_csv_has_a_row_per_measure_under_norwegian_headings(
    march_report: dict[str, Any],
) -> None:
    header, *rows = rows_of(portfolio_csv(march_report))
    assert header == list(PORTFOLIO_HEADERS)
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
    assert [int(r[0]) for r in rows] == [m["measure_id"] for m in march_report["measures"]]
    epj = next(r for r in rows if r[0] == "11")
    assert epj == [
        "11",
        "EPJ-løftet",
        "Direktoratet for e-helse",
        "1.1 Modernisere journal- og samhandlingsløsninger",
        "Koordinere",
        "Gul",
        "Gul",
        "32",
        "Ja",
    ]


def test_the_csv_budgets_are_plain_numbers_that_add_up_to_the_report_total(
    march_report: dict[str, Any],
) -> None:
    _, *rows = rows_of(portfolio_csv(march_report))
    assert sum(a_number(r[7]) for r in rows) == march_report["budget_total_mnok"] == 1571
    assert all(r[7].isdigit() for r in rows)  # no thousands grouping, no unit


def test_the_csv_counts_agree_with_the_reports_colour_counts(
    march_report: dict[str, Any],
) -> None:
    _, *rows = rows_of(portfolio_csv(march_report))
    statuses = [r[5] for r in rows]
    assert statuses.count("Gul") == march_report["status"]["yellow"]
    assert statuses.count("Rød") == march_report["status"]["red"] == 2
    assert statuses.count("") == march_report["status"]["unreported"]
    assert [r[0] for r in rows if r[8] == "Nei"] == ["167", "168"]


def test_the_csv_is_utf8_with_a_byte_order_mark_semicolons_and_crlf(
    march_report: dict[str, Any],
) -> None:
    data = render_portfolio(march_report, ReportFormat.CSV, made_on=TODAY)
    assert isinstance(data, str)
    raw = data.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbfNr;Tiltak;Ansvarlig virksomhet;Innsatsomr\xc3\xa5de;")
    assert raw.count(b"\r\n") == 53


def test_fractions_get_a_decimal_comma_and_awkward_names_survive_quoting() -> None:
    report = {
        "measures": [
            {"measure_id": 7, "name": 'Del 1; "pilot"', "budget_mnok": 1.5, "reported": True},
            {"measure_id": 8, "name": "Flere\nlinjer", "budget_mnok": 0.25},
        ]
    }
    _, first, second = rows_of(portfolio_csv(report))
    assert (first[1], first[7], first[8]) == ('Del 1; "pilot"', "1,5", "Ja")
    assert (second[1], second[7], second[8]) == ("Flere\nlinjer", "0,25", "Nei")
    assert first[4:7] == ["", "", ""]  # not placed, no colours: empty, as in Vedlegg 1


def test_the_korona_csv_names_each_category_when_the_names_are_known(
    korona_report: dict[str, Any], category_names: dict[str, str]
) -> None:
    header, *rows = rows_of(korona_csv(korona_report, category_names))
    assert header == ["Kode", "Kategori", "Forslag"]
    assert len(rows) == 20
    assert ["12", "Infeksjonsovervåking", "84"] in rows
    assert sum(int(r[2]) for r in rows) == korona_report["total"] == 337
    _, *bare = rows_of(korona_csv(korona_report))
    assert bare[0] == ["01", "", "5"]


def test_the_full_korona_csv_continues_with_its_other_tables(
    korona_full: dict[str, Any],
) -> None:
    rows = rows_of(korona_csv(korona_full))
    blocks: list[list[list[str]]] = [[]]
    for row in rows:
        if row:
            blocks[-1].append(row)
        else:
            blocks.append([])
    categories, states, net_list, figures = blocks
    assert categories[0] == ["Kode", "Kategori", "Forslag"]
    assert ["12", "Infeksjonsovervåking", "84"] in categories  # named by the report itself
    assert states[0] == ["Behandlingsstatus", "Forslag"]
    assert states[1:] == [
        ["Mottatt, ikke vurdert", "118"],
        ["Til vurdering", "96"],
        ["Vurdert, venter på beslutning", "24"],
        ["Prioritert", "18"],
        ["Ikke prioritert", "61"],
        ["Utsatt", "20"],
    ]
    assert net_list[0] == [
        "Tiltak",
        "Ansvarlig virksomhet",
        "Kategori",
        "Status",
        "Tildelt (MNOK)",
        "Forpliktet (MNOK)",
        "Utbetalt (MNOK)",
    ]
    assert len(net_list) == 1 + 18
    assert ["Prøvesvar for innbygger", "Norsk Helsenett", "", "I drift", "5", "2,5", "1,25"] in (
        net_list
    )
    assert dict(figures[1:]) == {
        "Ramme (MNOK)": "80",
        "Tildelt (MNOK)": "39",
        "Forpliktet (MNOK)": "19,5",
        "Utbetalt (MNOK)": "9,75",
        "Gjenstående (MNOK)": "41",
        "Venter på tilbakemelding": "143",
        "Median dager til første tilbakemelding": "4,5",
    }
