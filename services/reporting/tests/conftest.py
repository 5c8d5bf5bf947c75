"""Fixtures for reporting's tests: assessment's and korona's messages, and the store.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from backbone.consumer import Delivery
from backbone.domain import stable_id
from contracts import Actor, Envelope, decode, topics
from contracts import assessment as a
from contracts import korona as k
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


class Deliveries:
    """Builds deliveries of assessment's and korona's messages at positions 1, 2, 3, ..."""

    def __init__(self) -> None:
        self._positions = itertools.count(1)
        self._versions: dict[str, itertools.count[int]] = {}

    def __call__(self, payload: BaseModel, *, position: int | None = None) -> Delivery:
        if isinstance(payload, k.ProposalRegistered):
            kind, key = "proposal", payload.proposal_id
            topic, source = topics.KORONA_PROPOSAL, "korona"
        else:
            kind, key = "measure", str(payload.measure_id)  # type: ignore[attr-defined]
            topic, source = topics.ASSESSMENT_MEASURE, "assessment"
        aggregate_id = stable_id(kind, key)
        version = next(self._versions.setdefault(f"{kind}:{key}", itertools.count(1)))
        envelope = Envelope(
            event_id=uuid.uuid5(aggregate_id, str(version)),
            event_type=type(payload).__name__,
            schema_version=1,
            source=source,
            aggregate_type=kind.capitalize(),
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=RECORDED,
            recorded_at=RECORDED,
            recorded_by=Actor(agency="helsedir", user="kari", role="reporter"),
            position=position if position is not None else next(self._positions),
            broker_epoch="epoch-1",
            payload=payload.model_dump(mode="json"),
        )
        decoded, validated = decode(envelope.model_dump_json().encode())
        return Delivery(decoded, validated, topic, 0, decoded.position - 1)


class Feed:
    """Applies payloads to a projection sink, one batch per call, under one tracking name."""

    def __init__(self, sink: ProjectionSink, name: str = "reporting.portfolio:test:0") -> None:
        self.sink = sink
        self.name = name
        self.deliver = Deliveries()

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
    return Deliveries()


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
