"""The read-model store on memory (SQLite in memory), SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from reporting.projections import ProjectionSink
from reporting.queries import (
    PROPOSAL_STATES,
    AgencyLine,
    AsOf,
    CategoryCount,
    KoronaReport,
    korona_report,
    portfolio_report,
)
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
        assert korona_report(store) == KoronaReport(
            0, [], [(state, 0) for state in PROPOSAL_STATES]
        )
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
    report = korona_report(reporting_store)
    assert (report.total, report.by_category) == (
        2,
        [CategoryCount("A1", "", 1), CategoryCount("B2", "", 1)],
    )


def test_the_corona_portfolio_is_the_same_on_every_store(
    sink: ProjectionSink,
    reporting_store: ReadModelStore,
    memory_store: ReadModelStore,
    deliver: Any,
    korona: Any,
) -> None:
    """Every korona event, through each store's SQL (a registration's conditional insert
    included), gives the same view as of each moment and axis."""
    at = datetime(2020, 4, 20, 8, 0, tzinfo=UTC)
    messages = [
        korona.registered("p-1", "99A", at, category_name="Annet", title="Video"),
        korona.registered("p-2", "12", at, category_name="Infeksjonsovervåking"),
        korona.registered("p-1", "12", at),  # again: kept as first registered
        korona.categorised("p-1", "03", "Video"),
        korona.routed("p-1"),
        korona.assessed("p-1"),
        korona.decided("p-1"),
        korona.status("p-1", "in_operation", "NHN"),
        korona.feedback("p-1", "prioritised"),
        korona.routed("p-2"),
        korona.assessed("p-2", "defer"),
        korona.decided("p-2", "deferred"),
        korona.reopened("p-2"),
        korona.opened(80_000_000),
        korona.funding("allocate", "p-1", 12_500_000),
        korona.funding("commit", "p-1", 2_000_000),
    ]
    deliveries = [deliver(m) for m in messages]
    for store in (reporting_store, memory_store):
        ProjectionSink(store).apply(NAME, len(deliveries), deliveries)
    report = korona_report(reporting_store)
    assert report == korona_report(memory_store)
    assert [(c.code, c.name, c.proposals) for c in report.by_category] == [
        ("03", "Video", 1),
        ("12", "Infeksjonsovervåking", 1),
    ]
    assert dict(report.by_state)["in_assessment"] == 1
    assert [(e.title, e.implementation_status, e.allocated_nok) for e in report.net_list] == [
        ("Video", "in_operation", 12_500_000)
    ]
    assert (report.funding.left_nok, report.funding.committed_nok) == (67_500_000, 2_000_000)
    assert report.awaiting_feedback == 1
    for as_of in (AsOf(at), AsOf(at, recorded=True), AsOf(datetime(2000, 1, 1, tzinfo=UTC))):
        assert korona_report(reporting_store, as_of) == korona_report(memory_store, as_of)
