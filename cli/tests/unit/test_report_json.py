"""Reports as JSON: colours by name, budgets in million NOK; the table is made from the JSON."""

from __future__ import annotations

from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2
from portfolio_cli.render.table import portfolio_table
from portfolio_cli.report_json import korona_json, portfolio_json


def a_report() -> reporting_pb2.PortfolioReport:
    return reporting_pb2.PortfolioReport(
        period="2020-03",
        measure_count=2,
        budget_total_nok=33_500_000,
        status=reporting_pb2.ColourCounts(yellow=1, unreported=1),
        risk=reporting_pb2.ColourCounts(red=2),
        by_agency=[reporting_pb2.AgencyLine(agency="KS", measures=2, budget_nok=33_500_000)],
        by_segment=[
            reporting_pb2.SegmentLine(
                segment=common_pb2.SEGMENT_KOORDINERE, measures=1, budget_nok=32_000_000
            ),
            reporting_pb2.SegmentLine(measures=1, budget_nok=1_500_000),
        ],
        measures=[
            reporting_pb2.MeasureLine(
                measure_id=11,
                name="EPJ-løftet",
                responsible_agency="KS",
                strategic_area="1.1",
                status=common_pb2.COLOUR_YELLOW,
                risk=common_pb2.COLOUR_RED,
                budget_nok=32_000_000,
                reported=True,
                report_receipt_id="r-1",
                segment=common_pb2.SEGMENT_KOORDINERE,
            ),
            reporting_pb2.MeasureLine(
                measure_id=131, name="API", budget_nok=1_500_000, risk=common_pb2.COLOUR_RED
            ),
        ],
    )


def test_the_portfolio_report_has_totals_in_nok_and_million_nok() -> None:
    data = portfolio_json(a_report())
    assert data["period"] == "2020-03"
    assert data["measure_count"] == 2
    assert data["budget_total_nok"] == 33_500_000
    assert data["budget_total_mnok"] == 33.5
    assert data["status"] == {"green": 0, "yellow": 1, "red": 0, "unreported": 1}
    assert data["by_agency"] == [
        {"agency": "KS", "measures": 2, "budget_mnok": 33.5, "budget_nok": 33_500_000}
    ]


def test_measures_have_colour_names_and_null_for_not_reported() -> None:
    first, second = portfolio_json(a_report())["measures"]
    assert first == {
        "measure_id": 11,
        "name": "EPJ-løftet",
        "responsible_agency": "KS",
        "strategic_area": "1.1",
        "status": "yellow",
        "risk": "red",
        "budget_mnok": 32,
        "reported": True,
        "segment": "koordinere",
        "explanation": None,
    }
    assert (second["status"], second["budget_mnok"], second["reported"]) == (None, 1.5, False)
    assert second["segment"] is None


def test_a_measure_carries_the_explanation_it_gave_for_red() -> None:
    report = a_report()
    report.measures[1].explanation = "Leverandøren er forsinket."
    second = portfolio_json(report)["measures"][1]
    assert second["explanation"] == "Leverandøren er forsinket."


def test_the_report_counts_measures_and_budget_per_segment_with_null_for_not_placed() -> None:
    assert portfolio_json(a_report())["by_segment"] == [
        {"segment": "koordinere", "measures": 1, "budget_mnok": 32, "budget_nok": 32_000_000},
        {"segment": None, "measures": 1, "budget_mnok": 1.5, "budget_nok": 1_500_000},
    ]


def test_the_table_shows_each_measures_segment_and_the_segment_totals() -> None:
    text = portfolio_table(portfolio_json(a_report()))
    measure_line = next(line for line in text.splitlines() if "EPJ-løftet" in line)
    assert measure_line.rstrip().endswith("Koordinere")
    api_line = next(line for line in text.splitlines() if line.startswith("131"))
    assert api_line.rstrip().endswith("Ikke plassert")
    assert any(line.startswith("Segment ") for line in text.splitlines())
    assert any(line.startswith("Ikke plassert  ") for line in text.splitlines())


def test_the_table_has_norwegian_headings_and_colours() -> None:
    text = portfolio_table(portfolio_json(a_report()))
    for word in [
        "Tiltak",
        "Ansvarlig virksomhet",
        "Status",
        "Risiko",
        "Budsjett (MNOK)",
        "Gul",
        "Rød",
        "Ikke rapportert",
        "33,5",
    ]:
        assert word in text


def test_the_korona_report_counts_proposals_per_category() -> None:
    report = reporting_pb2.KoronaReport(
        total=3, by_category=[reporting_pb2.CategoryLine(code="99A", proposals=3)]
    )
    assert korona_json(report) == {
        "total": 3,
        "as_of": None,
        "by_category": [{"code": "99A", "proposals": 3}],
    }


def test_a_report_for_a_past_moment_says_which() -> None:
    report = reporting_pb2.KoronaReport(total=0, as_of="2020-05-05T07:00:00+00:00")
    assert korona_json(report)["as_of"] == "2020-05-05T07:00:00+00:00"
    assert portfolio_json(a_report())["as_of"] is None
