"""The read-model store on memory (SQLite in memory), SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from reporting.projections import ProjectionSink
from reporting.queries import AgencyLine, korona_report, portfolio_report
from reporting.settings import ReportingSettings
from reporting.store import ReadModelStore, open_store

pytestmark = pytest.mark.integration

NAME = "reporting.portfolio:assessment.measure.v1:0"


def test_the_read_model_opens_empty_on_every_store(database_url: tuple[str, str]) -> None:
    url, schema = database_url
    store = open_store(ReportingSettings(database_url=url, database_schema=schema))
    try:
        assert store.position(NAME) is None
        assert portfolio_report(store, "2024-03").measures == []
        assert korona_report(store) == (0, [])
    finally:
        store.close()


@pytest.fixture
def sink(reporting_store: ReadModelStore) -> ProjectionSink:
    return ProjectionSink(reporting_store)


def test_projected_rows_and_position_make_the_report(
    sink: ProjectionSink,
    reporting_store: ReadModelStore,
    deliver: Any,
    registered: Any,
    recorded: Any,
) -> None:
    assert sink.position(NAME) is None
    sink.apply(
        NAME,
        3,
        [
            deliver(registered(1, "helsedir", "2023-01")),
            deliver(registered(2, "nhn", "2024-01")),
            deliver(registered(3, "nhn", "2024-09")),
        ],
    )
    sink.apply(
        NAME,
        6,
        [
            deliver(recorded(1, "2024-02", "green", "yellow", {2024: 100})),
            deliver(recorded(1, "2024-03", "red", "red", {2024: 120, 2025: 7})),
            deliver(recorded(2, "2024-04", "yellow", None, {2024: 40})),
        ],
    )
    assert sink.position(NAME) == 6
    report = portfolio_report(reporting_store, "2024-03")
    assert [(m.measure_id, m.status, m.budget_nok) for m in report.measures] == [
        (1, "red", 120),
        (2, None, 0),
    ]
    assert report.status == {"green": 0, "yellow": 0, "red": 1, "unreported": 1}
    assert report.by_agency == [AgencyLine("helsedir", 1, 120), AgencyLine("nhn", 1, 0)]
    april = portfolio_report(reporting_store, "2024-04")
    assert [(m.measure_id, m.budget_nok) for m in april.measures] == [(1, 120), (2, 40)]
    assert april.risk == {"green": 0, "yellow": 0, "red": 0, "unreported": 2}


def test_the_same_position_is_refused_and_its_rows_are_not_written(
    sink: ProjectionSink, reporting_store: ReadModelStore, deliver: Any, registered: Any
) -> None:
    sink.apply(NAME, 1, [deliver(registered(1))])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 1, [deliver(registered(2), position=1)])
    assert sink.position(NAME) == 1
    assert [m.measure_id for m in portfolio_report(reporting_store, "2024-03").measures] == [1]


def test_positions_are_kept_per_tracking_name(
    sink: ProjectionSink, deliver: Any, registered: Any, proposal: Any
) -> None:
    sink.apply(NAME, 4, [deliver(registered(1), position=4)])
    sink.apply("reporting.portfolio:korona.proposal.v1:0", 9, [deliver(proposal("p"), position=9)])
    assert sink.position(NAME) == 4
    assert sink.position("reporting.portfolio:korona.proposal.v1:0") == 9
    assert sink.position("reporting.portfolio:korona.proposal.v1:1") is None


def test_an_empty_batch_records_its_position(sink: ProjectionSink) -> None:
    sink.apply(NAME, 5, [])
    assert sink.position(NAME) == 5


def test_proposals_are_counted_per_category(
    sink: ProjectionSink, reporting_store: ReadModelStore, deliver: Any, proposal: Any
) -> None:
    sink.apply(
        NAME,
        3,
        [
            deliver(proposal("p-1", "A1")),
            deliver(proposal("p-2", "B2")),
            deliver(proposal("p-1", "A1")),
        ],
    )
    assert korona_report(reporting_store) == (2, [("A1", 1), ("B2", 1)])
