"""Fixtures for intake's tests: actors, valid commands, and the application on each store.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from backbone.domain import EventMeta
from backbone.persistence import eventsourcing_env
from intake.application import IntakeApplication, SubmitMeasure, SubmitProposal, SubmitStatusReport
from intake.settings import IntakeSettings

AGENCY = EventMeta(agency="helsedir", user="kari", role="agency", correlation_id="corr-1")
OTHER_AGENCY = EventMeta(agency="nhn", user="ola", role="office", correlation_id="corr-2")
"""Another caller: the office, which may act on any measure."""


def _measure(measure_id: int = 7, **changes: Any) -> SubmitMeasure:
    fields: dict[str, Any] = {
        "measure_id": measure_id,
        "name": "Kjernejournal",
        "description": "Summary care record",
        "responsible_agency": "helsedir",
        "owner": "Kari",
        "strategic_area": "Samhandling",
        "in_portfolio_since": None,
    }
    return SubmitMeasure(**{**fields, **changes})


def _status_report(measure_id: int = 7, **changes: Any) -> SubmitStatusReport:
    fields: dict[str, Any] = {
        "measure_id": measure_id,
        "period": "2024-03",
        "status": "green",
        "risk": "yellow",
        "budget": [{"year": 2024, "amount_nok": 1_000_000}],
        "explanation": "on track",
    }
    return SubmitStatusReport(**{**fields, **changes})


def _proposal(**changes: Any) -> SubmitProposal:
    fields: dict[str, Any] = {
        "title": "Video consultations",
        "description": "Remote consultations for GPs",
        "proposer": "Ola",
        "organisation": "Kommune X",
        "organisation_type": "public",
        "contact": "ola@example.org",
        "need": "Fewer visits",
        "target_groups": ["citizens"],
        "category_code": "A1",
    }
    return SubmitProposal(**{**fields, **changes})


def _notifications(app: IntakeApplication) -> list[Notification]:
    """Every stored event of ``app``, in notification-log order."""
    return list(app.recorder.select_notifications(start=1, limit=10_000))


def _event_names(app: IntakeApplication) -> list[str]:
    """The stored events as ``Aggregate.Event`` names, in notification-log order."""
    return [n.topic.rsplit(":", 1)[1] for n in _notifications(app)]


@pytest.fixture
def agency() -> EventMeta:
    return AGENCY


@pytest.fixture
def other_agency() -> EventMeta:
    return OTHER_AGENCY


@pytest.fixture
def a_measure() -> Callable[..., SubmitMeasure]:
    """Builds a valid SubmitMeasure; keyword arguments change fields."""
    return _measure


@pytest.fixture
def a_status_report() -> Callable[..., SubmitStatusReport]:
    """Builds a valid SubmitStatusReport; keyword arguments change fields."""
    return _status_report


@pytest.fixture
def a_proposal() -> Callable[..., SubmitProposal]:
    """Builds a valid SubmitProposal; keyword arguments change fields."""
    return _proposal


@pytest.fixture
def stored() -> Callable[[IntakeApplication], list[Notification]]:
    """Every stored event of an application, in notification-log order."""
    return _notifications


@pytest.fixture
def stored_names() -> Callable[[IntakeApplication], list[str]]:
    """The names (``Aggregate.Event``) of an application's stored events, in order."""
    return _event_names


@pytest.fixture
def intake_app(database_url: tuple[str, str]) -> Iterator[IntakeApplication]:
    """Intake's application on memory, SQLite and PostgreSQL (one test run each)."""
    url, schema = database_url
    settings = IntakeSettings(database_url=url, database_schema=schema)
    app = IntakeApplication(env=eventsourcing_env(settings, "intake"))
    try:
        yield app
    finally:
        app.close()
