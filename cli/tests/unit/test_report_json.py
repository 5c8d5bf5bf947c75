"""Reports as JSON: colours by name, budgets in million NOK; the table is made from the JSON."""

from __future__ import annotations

from typing import Any

from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2
from report_views.render.table import portfolio_table
from report_views.report_json import korona_json, portfolio_json


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
    koordinere, unplaced = portfolio_json(a_report())["by_segment"]
    assert koordinere == {
        "segment": "koordinere",
        "measures": 1,
        "budget_mnok": 32,
        "budget_nok": 32_000_000,
        "reports_due": 0,
        "reports_overdue": 0,
    }
    assert (unplaced["segment"], unplaced["budget_mnok"]) == (None, 1.5)


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
        "by_category": [{"code": "99A", "category": None, "proposals": 3}],
        "by_state": [],
        "net_list": [],
        "funding": None,
        "awaiting_feedback": 0,
        "median_days_to_feedback": None,
    }


def test_the_korona_report_has_states_net_list_funding_and_feedback() -> None:
    report = reporting_pb2.KoronaReport(
        total=2,
        by_category=[reporting_pb2.CategoryLine(code="03", proposals=2, category="Video")],
        by_state=[
            reporting_pb2.StateLine(state="registered", proposals=1),
            reporting_pb2.StateLine(state="prioritised", proposals=1),
        ],
        net_list=[
            reporting_pb2.NetListLine(
                proposal_id="p-1",
                title="Videokonsultasjon",
                responsible_agency="Norsk Helsenett",
                implementation_status="being_introduced",
                allocated_nok=12_500_000,
                committed_nok=2_000_000,
                category_code="03",
            )
        ],
        funding=reporting_pb2.FundingSummary(
            total_nok=80_000_000,
            allocated_nok=12_500_000,
            committed_nok=2_000_000,
            left_nok=67_500_000,
        ),
        awaiting_feedback=1,
        median_days_to_feedback=2.25,
    )
    data = korona_json(report)
    assert data["by_category"] == [{"code": "03", "category": "Video", "proposals": 2}]
    assert data["by_state"] == [
        {"state": "registered", "proposals": 1},
        {"state": "prioritised", "proposals": 1},
    ]
    assert data["net_list"] == [
        {
            "proposal_id": "p-1",
            "title": "Videokonsultasjon",
            "responsible_agency": "Norsk Helsenett",
            "implementation_status": "being_introduced",
            "category_code": "03",
            "allocated_mnok": 12.5,
            "committed_mnok": 2,
            "paid_mnok": 0,
            "allocated_nok": 12_500_000,
            "committed_nok": 2_000_000,
            "paid_nok": 0,
        }
    ]
    assert data["funding"] == {
        "total_mnok": 80,
        "allocated_mnok": 12.5,
        "committed_mnok": 2,
        "paid_mnok": 0,
        "left_mnok": 67.5,
        "total_nok": 80_000_000,
        "allocated_nok": 12_500_000,
        "committed_nok": 2_000_000,
        "paid_nok": 0,
        "left_nok": 67_500_000,
    }
    assert (data["awaiting_feedback"], data["median_days_to_feedback"]) == (1, 2.3)


def test_a_report_for_a_past_moment_says_which() -> None:
    report = reporting_pb2.KoronaReport(total=0, as_of="2020-05-05T07:00:00+00:00")
    assert korona_json(report)["as_of"] == "2020-05-05T07:00:00+00:00"
    assert portfolio_json(a_report())["as_of"] is None


def test_without_a_previous_period_previous_is_null_and_the_lists_are_empty() -> None:
    data = portfolio_json(a_report())
    assert data["previous"] is None
    for key in ("entered", "exited", "candidates", "by_strategic_area", "finishing_this_year"):
        assert data[key] == []


def test_the_previous_period_is_there_even_when_its_figures_are_zero() -> None:
    report = a_report()
    report.previous.SetInParent()
    report.previous.period = "2020-01"
    assert portfolio_json(report)["previous"] == {
        "period": "2020-01",
        "measure_count": 0,
        "budget_total_mnok": 0,
        "budget_total_nok": 0,
        "status": {"green": 0, "yellow": 0, "red": 0, "unreported": 0},
        "risk": {"green": 0, "yellow": 0, "red": 0, "unreported": 0},
    }


def test_march_2020_compares_with_january(march_report: dict[str, Any]) -> None:
    previous = march_report["previous"]
    assert (previous["period"], previous["measure_count"]) == ("2020-01", 54)
    assert (previous["budget_total_mnok"], previous["budget_total_nok"]) == (1650, 1_650_000_000)
    assert previous["status"]["yellow"] == 30
    assert previous["risk"] == {"green": 14, "yellow": 35, "red": 3, "unreported": 2}


def test_measures_that_came_and_went_since_january(march_report: dict[str, Any]) -> None:
    (entered,) = march_report["entered"]
    assert entered == {
        "measure_id": 131,
        "name": "Realisere API-management som en tjeneste",
        "responsible_agency": "Norsk Helsenett",
        "period": "2020-03",
        "lifecycle": None,
        "way_forward": None,
        "budget_mnok": 7,
        "budget_nok": 7_000_000,
    }
    exited = {e["measure_id"]: (e["lifecycle"], e["way_forward"]) for e in march_report["exited"]}
    assert exited == {
        143: ("completed", "Forvaltning"),
        142: ("paused", "Pauset"),
        183: ("paused", "Pauset"),
    }


def test_candidates_areas_and_measures_finishing(march_report: dict[str, Any]) -> None:
    candidates = march_report["candidates"]
    assert [c["name"] for c in candidates][:3] == [
        "Akson journal",
        "Akson samhandling",
        "DigiHOT - Digitalisering av hjelpemiddelformidlingen i NAV og kommune",
    ]
    assert len(candidates) == 5
    assert {c["candidate_for"] for c in candidates} == {2021}
    assert candidates[3]["strategic_area"] == ""
    areas = {a["strategic_area"]: a for a in march_report["by_strategic_area"]}
    area = areas["1.2 Digitalisere legemiddelkjeden innenfor hver virksomhet"]
    assert area == {
        "strategic_area": "1.2 Digitalisere legemiddelkjeden innenfor hver virksomhet",
        "measures": 2,
        "budget_mnok_this_year": 100,
        "budget_mnok_next_year": 0,
        "budget_nok_this_year": 100_000_000,
        "budget_nok_next_year": 0,
    }
    assert sum(a["budget_mnok_this_year"] for a in areas.values()) == 1571
    finishing = {f["measure_id"]: f["planned_end"] for f in march_report["finishing_this_year"]}
    assert finishing[128] == "2020-06"
    assert march_report["by_segment"][1]["reports_overdue"] == 1


def test_the_table_compares_with_the_previous_period_and_lists_the_changes(
    march_report: dict[str, Any],
) -> None:
    lines = portfolio_table(march_report).splitlines()
    assert (
        "Forrige periode 2020-01: 54 tiltak, budsjett 1 650 MNOK (endring -2 tiltak, -79 MNOK)"
        in lines
    )
    assert "Nye tiltak siden 2020-01 (1):" in lines
    assert "Ut av porteføljen siden 2020-01 (3):" in lines
    assert any(line.split()[:1] == ["143"] and line.endswith("Forvaltning") for line in lines)
    assert any(line.split()[:1] == ["183"] and line.endswith("Pauset") for line in lines)
    assert "Prosjektkandidater for 2021: 5" in lines
    segment_head = next(line for line in lines if line.startswith("Segment "))
    assert segment_head.split()[-2:] == ["Rapporter", "Forsinket"]


def test_a_table_from_an_older_server_has_no_comparison(
    older_march_report: dict[str, Any],
) -> None:
    text = portfolio_table(older_march_report)
    assert "Forrige periode" not in text
    assert "Nye tiltak" not in text
    assert "Forsinket" not in text
