"""Fixtures for assessment's tests: intake's messages as deliveries, and the application.

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

from assessment.application import AssessmentApplication
from assessment.settings import AssessmentSettings
from backbone.consumer import Delivery
from backbone.domain import stable_id
from backbone.persistence import eventsourcing_env
from contracts import Actor, Envelope, decode, topics
from contracts import intake as c

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def measure_submitted(measure_id: int = 7, **changes: Any) -> c.MeasureSubmitted:
    fields: dict[str, Any] = {
        "receipt_id": f"receipt-m{measure_id}",
        "received_at": RECEIVED,
        "measure_id": measure_id,
        "name": f"Measure {measure_id}",
        "description": "what it does",
        "responsible_agency": "helsedir",
        "owner": "Kari",
        "strategic_area": "Samhandling",
        "in_portfolio_since": "2024-01",
    }
    return c.MeasureSubmitted(**{**fields, **changes})


def status_report_submitted(
    measure_id: int = 7, period: str = "2024-03", **changes: Any
) -> c.StatusReportSubmitted:
    fields: dict[str, Any] = {
        "receipt_id": f"receipt-m{measure_id}-{period}",
        "received_at": RECEIVED,
        "measure_id": measure_id,
        "period": period,
        "status": "green",
        "risk": "yellow",
        "budget": [{"year": int(period[:4]), "amount_nok": 1_000}],
        "explanation": "on track",
    }
    return c.StatusReportSubmitted(**{**fields, **changes})


class Deliveries:
    """Builds deliveries of intake's messages, numbering their positions 1, 2, 3, ..."""

    def __init__(self) -> None:
        self._positions = itertools.count(1)
        self._versions: dict[int, itertools.count[int]] = {}

    def __call__(
        self,
        payload: BaseModel,
        *,
        position: int | None = None,
        actor: Actor | None = None,
        correlation_id: str = "corr-1",
    ) -> Delivery:
        measure_id: int = payload.measure_id  # type: ignore[attr-defined]
        version = next(self._versions.setdefault(measure_id, itertools.count(1)))
        aggregate_id = stable_id("measure-intake", measure_id)
        envelope = Envelope(
            event_id=uuid.uuid5(aggregate_id, str(version)),
            event_type=type(payload).__name__,
            schema_version=1,
            source="intake",
            aggregate_type="MeasureIntake",
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=RECEIVED,
            recorded_at=RECEIVED,
            recorded_by=actor or Actor(agency="helsedir", user="kari", role="reporter"),
            correlation_id=correlation_id,
            position=position if position is not None else next(self._positions),
            broker_epoch="epoch-1",
            payload=payload.model_dump(mode="json"),
        )
        # Decode from bytes as the consumer does, so the payload is the validated contract.
        decoded, validated = decode(envelope.model_dump_json().encode())
        return Delivery(decoded, validated, topics.INTAKE_MEASURE, 0, decoded.position - 1)


@pytest.fixture
def deliver() -> Deliveries:
    """``deliver(payload)``: a Delivery of one of intake's messages, at the next position."""
    return Deliveries()


@pytest.fixture
def submitted() -> Callable[..., c.MeasureSubmitted]:
    """``submitted(measure_id, **changes)``: a valid MeasureSubmitted payload."""
    return measure_submitted


@pytest.fixture
def reported() -> Callable[..., c.StatusReportSubmitted]:
    """``reported(measure_id, period, **changes)``: a valid StatusReportSubmitted payload."""
    return status_report_submitted


@pytest.fixture
def memory_app() -> Iterator[AssessmentApplication]:
    """Assessment's application in memory."""
    settings = AssessmentSettings(database_url="memory:")
    app = AssessmentApplication(env=eventsourcing_env(settings, "assessment"))
    yield app
    app.close()


@pytest.fixture
def assessment_app(database_url: tuple[str, str]) -> Iterator[AssessmentApplication]:
    """Assessment's application on memory, SQLite and PostgreSQL (one test run each)."""
    url, schema = database_url
    settings = AssessmentSettings(database_url=url, database_schema=schema)
    app = AssessmentApplication(env=eventsourcing_env(settings, "assessment"))
    try:
        yield app
    finally:
        app.close()
