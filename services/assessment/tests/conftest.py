"""Fixtures for assessment's tests: intake's messages as deliveries, and the application.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from assessment.application import AssessmentApplication
from assessment.settings import AssessmentSettings
from backbone.persistence import eventsourcing_env
from backbone.testing import Deliveries, Origin
from contracts import intake as c
from contracts import topics

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


INTAKE_MEASURE = Origin("intake", "MeasureIntake", "measure-intake", topics.INTAKE_MEASURE)


@pytest.fixture
def deliver() -> Deliveries:
    """``deliver(payload)``: a Delivery of one of intake's messages, at the next position."""
    return Deliveries(lambda _: INTAKE_MEASURE, lambda p: p.measure_id, at=RECEIVED)  # type: ignore[attr-defined]


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
