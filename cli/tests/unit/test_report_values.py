"""Figures for people the Norwegian way, and report data read leniently."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from portfolio_cli.shared_data import korona_category_names, shared_dir
from report_views.render import ReportFormat, nb, render_korona, render_portfolio
from report_views.render.html_report import portfolio_html
from report_views.render.table import korona_table, portfolio_table
from report_views.render.view import PortfolioView, area_sort_key

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0, "0"),
        (32, "32"),
        (1571, f"1{NBSP}571"),
        (1571.0, f"1{NBSP}571"),
        (1.5, "1,5"),
        (1234567.25, f"1{NBSP}234{NBSP}567,25"),
        (-7, "-7"),
    ],
)
def test_numbers_have_spaced_thousands_and_a_decimal_comma(value: float, text: str) -> None:
    assert nb.number(value) == text


def test_shares_are_whole_per_cents_after_a_space_and_never_a_false_zero() -> None:
    assert nb.percent(31, 52) == f"60{NBSP}%"  # seed 002: 60 % yellow status
    assert nb.percent(34, 52) == f"65{NBSP}%"  # and 65 % yellow risk
    assert nb.percent(2, 1571) == f"<{NBSP}1{NBSP}%"
    assert nb.percent(0, 52) == f"0{NBSP}%"
    assert nb.percent(0, 0) == f"0{NBSP}%"
    assert nb.mnok(1571) == f"1{NBSP}571{NBSP}MNOK"
    assert nb.number(1.565, 2) == "1,57"


def test_periods_and_dates_are_written_out_in_bokmal() -> None:
    assert nb.period_name("2020-03") == "mars 2020"
    assert nb.period_name("2020-12") == "desember 2020"
    assert nb.period_name("vår 2020") == "vår 2020"
    assert nb.long_date(date(2020, 5, 5)) == "5. mai 2020"
    assert nb.moment("2020-05-05T07:00:00+00:00") == "5. mai 2020 kl. 09.00"  # Oslo, summer
    assert nb.moment("2020-12-24T18:30:00Z") == "24. desember 2020 kl. 19.30"
    assert nb.moment("i går") == "i går"


def test_strategic_areas_sort_by_their_codes() -> None:
    areas = ["10.1 Ti", "2.1 To", "1.2 En-to", "1.10 En-ti", "Uten kode", "1.1 En"]
    assert sorted(areas, key=area_sort_key) == [
        "1.1 En",
        "1.2 En-to",
        "1.10 En-ti",
        "2.1 To",
        "10.1 Ti",
        "Uten kode",
    ]


def test_a_report_with_fields_missing_or_unknown_still_renders() -> None:
    report: dict[str, Any] = {
        "period": "2021-06",
        "as_of": "2021-07-01T12:00:00Z",
        "previous": {"period": "2021-03"},  # a field this CLI does not know yet
        "measures": [{"measure_id": 5, "name": "Nytt", "status": "purple", "budget_mnok": "x"}],
    }
    view = PortfolioView.from_json(report)
    assert view.measures[0].status is None
    assert view.measures[0].budget_mnok == 0
    assert view.measure_count == 1
    assert "Per 1. juli 2021 kl. 14.00" in portfolio_table(report)
    assert "Per 1. juli 2021 kl. 14.00" in portfolio_html(report, made_on=date(2021, 7, 2))


def test_the_korona_table_shows_names_when_known_and_codes_alone_otherwise(
    korona_report: dict[str, Any], category_names: dict[str, str]
) -> None:
    named = korona_table(korona_report, category_names).splitlines()
    assert named[0] == "Koronaforslag: 337"
    assert named[2].split() == ["Kode", "Kategori", "Forslag"]
    assert named[-1].split() == ["99B", "Behov", "3"]
    bare = korona_table(korona_report).splitlines()
    assert bare[2].split() == ["Kategori", "Forslag"]
    assert bare[-1].split() == ["99B", "3"]


def test_category_names_come_from_the_newest_category_table(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "korona-categories-2020-04-29.tsv").write_text(
        "code\tcategory\tproposals\n03\tVideo (gammel)\t30\n", encoding="utf-8"
    )
    (data / "korona-categories-2020-05-05.tsv").write_text(
        "code\tcategory\tproposals_2020_05_05\n03\tVideo\t35\n99A\tAnnet\t8\n\t\t1\n",
        encoding="utf-8",
    )
    assert korona_category_names(tmp_path) == {"03": "Video", "99A": "Annet"}
    assert korona_category_names(tmp_path / "nowhere") == {}
    (data / "korona-categories-2020-06-01.tsv").write_bytes(b"\xff\xfe broken")
    assert korona_category_names(tmp_path) == {}


def test_the_shared_directory_is_the_environments_or_the_one_beside_the_checkout() -> None:
    assert shared_dir({"PORTFOLIO_SHARED_DIR": "/data/shared"}, Path("/x/main")) == Path(
        "/data/shared"
    )
    assert shared_dir({}, Path("/work/main")) == Path("/work/shared")


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_an_empty_period_and_an_empty_corona_portfolio_render_in_every_format(
    fmt: ReportFormat,
) -> None:
    empty = {"period": "2019-01", "measure_count": 0, "measures": [], "by_agency": []}
    portfolio = render_portfolio(empty, fmt, made_on=date(2019, 2, 1))
    korona = render_korona({"total": 0, "by_category": []}, fmt, made_on=date(2019, 2, 1))
    assert portfolio and korona
    if fmt is ReportFormat.HTML:
        assert "Porteføljen har ingen tiltak i rapporteringsperioden januar 2019." in portfolio
        assert "Det er ikke registrert noen forslag ennå." in korona


def test_the_full_korona_table_lists_states_net_list_envelope_and_feedback(
    korona_full: dict[str, Any],
) -> None:
    text = korona_table(korona_full)
    lines = text.splitlines()
    assert lines[:2] == ["Koronaforslag: 337", "Per 5. mai 2020 kl. 09.00"]
    assert lines[3].split() == ["Kode", "Kategori", "Forslag"]  # named by the report
    state = next(line for line in lines if line.startswith("Vurdert, venter på beslutning"))
    assert state.split()[-1] == "24"
    assert "Nettoliste: 18 prioriterte tiltak (midler i MNOK)" in lines
    row = next(line for line in lines if line.startswith("Prøvesvar for innbygger"))
    assert row.split()[-6:] == ["Helsenett", "I", "drift", "5", "2,5", "1,25"]
    assert lines[-2:] == [
        "Finansieringsramme: 80 MNOK; tildelt 39, forpliktet 19,5, utbetalt 9,75, "
        "gjenstående 41 MNOK",
        "Venter på tilbakemelding: 143; median 4,5 dager til første tilbakemelding",
    ]


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_an_empty_corona_portfolio_from_the_current_service_renders_in_every_format(
    fmt: ReportFormat,
) -> None:
    states = ("registered", "in_assessment", "assessed", "prioritised", "not_prioritised")
    empty = {
        "total": 0,
        "as_of": None,
        "by_category": [],
        "by_state": [{"state": s, "proposals": 0} for s in (*states, "deferred")],
        "net_list": [],
        "funding": {"total_mnok": 0, "allocated_mnok": 0, "left_mnok": 0},
        "awaiting_feedback": 0,
        "median_days_to_feedback": None,
    }
    assert render_korona(empty, fmt, made_on=date(2020, 3, 1))
    if fmt is ReportFormat.HTML:
        html = str(render_korona(empty, fmt, made_on=date(2020, 3, 1)))
        assert "Det er ikke mottatt noen forslag ennå." in html
        assert "Ingen tiltak er prioritert ennå." in html
