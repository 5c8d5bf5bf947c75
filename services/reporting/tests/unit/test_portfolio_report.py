"""The portfolio report, computed from the read model the projections build."""

from __future__ import annotations

from typing import Any

import pytest

from reporting.queries import AgencyLine, korona_report, portfolio_report, reporting_periods
from reporting.store import ReadModelStore

# Measures 1 and 3 belong to helsedir, 2 and 4 to nhn. Measure 3 has been in the
# portfolio from before records began; 4 joins in June 2024.


@pytest.fixture
def portfolio(feed: Any, registered: Any, recorded: Any) -> None:
    feed(
        registered(1, "helsedir", "2023-01"),
        registered(2, "nhn", "2024-01"),
        registered(3, "helsedir", "2020-01"),
        registered(5, "helsedir", None, lifecycle="submitted"),  # not included: never counted
        registered(4, "nhn", "2024-06"),
    )
    feed(
        recorded(1, "2024-01", "green", "green", {2024: 100}),
        recorded(3, "2024-02", "yellow", "yellow", {2024: 30}),
        recorded(1, "2024-03", "green", "red", {2024: 150}),
        recorded(2, "2024-03", "yellow", "yellow", {2024: 50, 2023: 1_000}),
    )
    # Later figures: they must not change the reports of earlier periods.
    feed(
        recorded(1, "2024-05", "red", "red", {2024: 999}),
        recorded(4, "2024-06", "green", None, {2024: 7}),
    )


@pytest.mark.usefixtures("portfolio")
def test_a_report_counts_every_measure_in_the_portfolio_by_colour(
    memory_store: ReadModelStore,
) -> None:
    report = portfolio_report(memory_store, "2024-03")
    assert [m.measure_id for m in report.measures] == [1, 2, 3]
    assert report.measure_count == 3
    assert report.status == {"green": 1, "yellow": 1, "red": 0, "unreported": 1}
    assert report.risk == {"green": 0, "yellow": 1, "red": 1, "unreported": 1}


@pytest.mark.usefixtures("portfolio")
def test_a_measure_that_did_not_report_for_the_period_is_unreported(
    memory_store: ReadModelStore,
) -> None:
    lines = {m.measure_id: m for m in portfolio_report(memory_store, "2024-03").measures}
    unreported = lines[3]
    assert (unreported.reported, unreported.status, unreported.risk) == (False, None, None)
    assert unreported.report_receipt_id == ""
    assert lines[1].reported is True
    assert lines[1].report_receipt_id == "receipt-m1-2024-03"


@pytest.mark.usefixtures("portfolio")
def test_a_budget_is_the_latest_figure_for_the_year_up_to_the_period(
    memory_store: ReadModelStore,
) -> None:
    def budgets(period: str) -> dict[int, int]:
        return {m.measure_id: m.budget_nok for m in portfolio_report(memory_store, period).measures}

    assert budgets("2024-01") == {1: 100, 2: 0, 3: 0}
    assert budgets("2024-02") == {1: 100, 2: 0, 3: 30}
    # Measure 3 did not report in March: its February figure still counts.
    assert budgets("2024-03") == {1: 150, 2: 50, 3: 30}
    assert budgets("2024-04") == {1: 150, 2: 50, 3: 30}
    assert budgets("2024-05") == {1: 999, 2: 50, 3: 30}
    assert portfolio_report(memory_store, "2024-03").budget_total_nok == 230


@pytest.mark.usefixtures("portfolio")
def test_a_later_periods_figure_does_not_leak_into_an_earlier_report(
    memory_store: ReadModelStore,
) -> None:
    march = portfolio_report(memory_store, "2024-03")
    assert 999 not in [m.budget_nok for m in march.measures]
    assert {m.measure_id: m.status for m in march.measures}[1] == "green"


@pytest.mark.usefixtures("portfolio")
def test_a_budget_counts_only_the_periods_year(memory_store: ReadModelStore) -> None:
    december = portfolio_report(memory_store, "2023-12")
    # Measure 2 gave a 2023 figure only in 2024-03; 2024 figures are for 2024 reports.
    assert {m.measure_id: m.budget_nok for m in december.measures} == {1: 0, 3: 0}


@pytest.mark.usefixtures("portfolio")
def test_measures_not_yet_in_the_portfolio_are_left_out(memory_store: ReadModelStore) -> None:
    assert [m.measure_id for m in portfolio_report(memory_store, "2023-12").measures] == [1, 3]
    assert [m.measure_id for m in portfolio_report(memory_store, "2024-05").measures] == [1, 2, 3]
    june = portfolio_report(memory_store, "2024-06")
    assert [m.measure_id for m in june.measures] == [1, 2, 3, 4]
    assert june.status == {"green": 1, "yellow": 0, "red": 0, "unreported": 3}
    assert june.risk == {"green": 0, "yellow": 0, "red": 0, "unreported": 4}


@pytest.mark.usefixtures("portfolio")
def test_by_agency_sums_measures_and_budgets_largest_first(
    memory_store: ReadModelStore,
) -> None:
    assert portfolio_report(memory_store, "2024-03").by_agency == [
        AgencyLine("helsedir", 2, 180),
        AgencyLine("nhn", 1, 50),
    ]
    assert portfolio_report(memory_store, "2024-06").by_agency == [
        AgencyLine("helsedir", 2, 1_029),
        AgencyLine("nhn", 2, 57),
    ]


def test_agencies_with_equal_budgets_are_ordered_by_name(
    feed: Any, registered: Any, memory_store: ReadModelStore
) -> None:
    feed(registered(1, "nhn"), registered(2, "fhi"), registered(3, "helsedir"))
    assert [a.agency for a in portfolio_report(memory_store, "2024-03").by_agency] == [
        "fhi",
        "helsedir",
        "nhn",
    ]


def test_a_corrected_report_replaces_the_periods_report_and_budget(
    feed: Any, registered: Any, recorded: Any, memory_store: ReadModelStore
) -> None:
    feed(registered(1))
    feed(recorded(1, "2024-03", "green", "green", {2024: 100}))
    feed(recorded(1, "2024-03", "red", None, {2024: 80}, receipt_id="correction"))
    report = portfolio_report(memory_store, "2024-03")
    (line,) = report.measures
    assert (line.status, line.risk, line.budget_nok) == ("red", None, 80)
    assert line.report_receipt_id == "correction"
    assert report.status["red"] == 1
    assert report.risk["unreported"] == 1


def test_a_budget_line_dropped_by_a_correction_no_longer_counts(
    feed: Any, registered: Any, recorded: Any, memory_store: ReadModelStore
) -> None:
    feed(registered(1, since="2024-01"))
    # The agency typed the wrong year, then corrected the period's report.
    feed(recorded(1, "2024-03", "green", "green", {2025: 100}))
    feed(recorded(1, "2024-03", "green", "green", {2024: 100}, receipt_id="correction"))
    assert portfolio_report(memory_store, "2024-03").budget_total_nok == 100
    # The corrected report gives no figure for 2025: none may count for 2025.
    assert portfolio_report(memory_store, "2025-01").budget_total_nok == 0


def test_a_report_without_a_status_counts_as_unreported_colour_but_reported(
    feed: Any, registered: Any, recorded: Any, memory_store: ReadModelStore
) -> None:
    feed(registered(1), recorded(1, "2024-03", None, "yellow", {2024: 5}))
    report = portfolio_report(memory_store, "2024-03")
    assert report.measures[0].reported is True
    assert report.measures[0].budget_nok == 5
    assert report.status == {"green": 0, "yellow": 0, "red": 0, "unreported": 1}
    assert report.risk == {"green": 0, "yellow": 1, "red": 0, "unreported": 0}


def test_a_registration_seen_again_updates_the_measure(
    feed: Any, registered: Any, memory_store: ReadModelStore
) -> None:
    feed(registered(1, "helsedir", "2024-01"))
    feed(registered(1, "nhn", "2024-05", name="Renamed"))
    assert portfolio_report(memory_store, "2024-03").measures == []
    (line,) = portfolio_report(memory_store, "2024-05").measures
    assert (line.name, line.responsible_agency) == ("Renamed", "nhn")


def test_an_empty_portfolio_reports_zeros(memory_store: ReadModelStore) -> None:
    report = portfolio_report(memory_store, "2024-03")
    assert report.measures == []
    assert report.status == {"green": 0, "yellow": 0, "red": 0, "unreported": 0}
    assert report.by_agency == []
    assert report.budget_total_nok == 0


def test_the_korona_report_counts_proposals_per_category_once_each(
    feed: Any, proposal: Any, memory_store: ReadModelStore
) -> None:
    feed(proposal("p-1", "A1"), proposal("p-2", "B2"), proposal("p-3", "A1"))
    feed(proposal("p-1", "B2"))  # seen again: registered once
    report = korona_report(memory_store)
    assert report.total == 3
    assert [(c.code, c.proposals) for c in report.by_category] == [("A1", 2), ("B2", 1)]


@pytest.mark.usefixtures("portfolio")
def test_the_periods_to_pick_are_those_something_happened_in(
    memory_store: ReadModelStore,
) -> None:
    # Reports for 2024-01..06; entries 2023-01 (within a year before the first report),
    # 2024-01, 2024-06; measure 3's entry in 2020 is too far back to list.
    assert reporting_periods(memory_store) == [
        "2023-01",
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-05",
        "2024-06",
    ]
    assert reporting_periods(memory_store, reach_back_months=0)[0] == "2024-01"
