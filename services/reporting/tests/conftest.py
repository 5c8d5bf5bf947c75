"""Fixtures for reporting's tests: assessment's and korona's messages, and the store.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from backbone.testing import Deliveries, Origin
from contracts import assessment as a
from contracts import korona as k
from contracts import topics
from reporting.projections import ProjectionSink
from reporting.settings import ReportingSettings
from reporting.store import ReadModelStore, open_store

RECORDED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def measure_registered(
    measure_id: int, agency: str = "helsedir", since: str | None = "2024-01", **changes: Any
) -> a.MeasureRegistered:
    fields: dict[str, Any] = {
        "measure_id": measure_id,
        "name": f"Measure {measure_id}",
        "responsible_agency": agency,
        "strategic_area": "Samhandling",
        "in_portfolio_since": since,
        "receipt_id": f"receipt-m{measure_id}",
    }
    return a.MeasureRegistered(**{**fields, **changes})


def status_report_recorded(
    measure_id: int,
    period: str,
    status: str | None = "green",
    risk: str | None = "green",
    budget: dict[int, int] | None = None,
    **changes: Any,
) -> a.StatusReportRecorded:
    fields: dict[str, Any] = {
        "measure_id": measure_id,
        "period": period,
        "status": status,
        "risk": risk,
        "budget": [{"year": y, "amount_nok": n} for y, n in (budget or {}).items()],
        "receipt_id": f"receipt-m{measure_id}-{period}",
    }
    return a.StatusReportRecorded(**{**fields, **changes})


def proposal_registered(proposal_id: str, category_code: str = "A1") -> k.ProposalRegistered:
    return k.ProposalRegistered(
        proposal_id=proposal_id,
        title=f"Proposal {proposal_id}",
        category_code=category_code,
        received_at=RECORDED,
        receipt_id=f"receipt-{proposal_id}",
    )


MEASURES = Origin("assessment", "Measure", "measure", topics.ASSESSMENT_MEASURE)
PROPOSALS = Origin("korona", "Proposal", "proposal", topics.KORONA_PROPOSAL)


def _origin(payload: BaseModel) -> Origin:
    return PROPOSALS if isinstance(payload, k.ProposalRegistered) else MEASURES


def _key(payload: BaseModel) -> str:
    if isinstance(payload, k.ProposalRegistered):
        return payload.proposal_id
    return str(payload.measure_id)  # type: ignore[attr-defined]


def new_deliveries() -> Deliveries:
    return Deliveries(_origin, _key, at=RECORDED)


class Feed:
    """Applies payloads to a projection sink, one batch per call, under one tracking name."""

    def __init__(self, sink: ProjectionSink, name: str = "reporting.portfolio:test:0") -> None:
        self.sink = sink
        self.name = name
        self.deliver = new_deliveries()

    def __call__(self, *payloads: BaseModel) -> int:
        deliveries = [self.deliver(p) for p in payloads]
        position = deliveries[-1].envelope.position
        self.sink.apply(self.name, position, deliveries)
        return position


@pytest.fixture
def registered() -> Callable[..., a.MeasureRegistered]:
    """``registered(measure_id, agency, since, **changes)``: a MeasureRegistered payload."""
    return measure_registered


@pytest.fixture
def recorded() -> Callable[..., a.StatusReportRecorded]:
    """``recorded(measure_id, period, status, risk, budget={year: nok})``."""
    return status_report_recorded


@pytest.fixture
def proposal() -> Callable[..., k.ProposalRegistered]:
    """``proposal(proposal_id, category_code)``: a ProposalRegistered payload."""
    return proposal_registered


@pytest.fixture
def deliver() -> Deliveries:
    return new_deliveries()


@pytest.fixture
def memory_store() -> Iterator[ReadModelStore]:
    """The read model in memory (SQLite ``:memory:``)."""
    store = open_store(ReportingSettings(database_url="memory:"))
    yield store
    store.close()


@pytest.fixture
def feed(memory_store: ReadModelStore) -> Feed:
    """``feed(*payloads)``: applies one batch to the in-memory read model; returns its position."""
    return Feed(ProjectionSink(memory_store))


@pytest.fixture
def reporting_store(database_url: tuple[str, str]) -> Iterator[ReadModelStore]:
    """The read model on memory (SQLite in memory), SQLite and PostgreSQL."""
    url, schema = database_url
    store = open_store(ReportingSettings(database_url=url, database_schema=schema))
    try:
        yield store
    finally:
        store.close()
