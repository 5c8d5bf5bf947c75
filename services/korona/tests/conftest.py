"""Fixtures for korona's tests: intake's proposal messages as deliveries, and the application.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from backbone.persistence import eventsourcing_env
from backbone.testing import Deliveries, Origin
from contracts import Actor, topics
from contracts import intake as c
from korona.application import KoronaApplication
from korona.settings import KoronaSettings

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def proposal_submitted(proposal_id: str = "p-1", **changes: Any) -> c.ProposalSubmitted:
    fields: dict[str, Any] = {
        "receipt_id": f"receipt-{proposal_id}",
        "received_at": RECEIVED,
        "proposal_id": proposal_id,
        "title": f"Proposal {proposal_id}",
        "description": "Remote consultations",
        "proposer": "Ola",
        "organisation": "Kommune X",
        "organisation_type": "public",
        "contact": "ola@example.org",
        "need": "Fewer visits",
        "target_groups": ["citizens"],
        "category_code": "A1",
    }
    return c.ProposalSubmitted(**{**fields, **changes})


INTAKE_PROPOSAL = Origin("intake", "ProposalIntake", "proposal-intake", topics.INTAKE_PROPOSAL)


@pytest.fixture
def deliver() -> Deliveries:
    """``deliver(payload)``: a Delivery of one of intake's messages, at the next position."""
    return Deliveries(
        lambda _: INTAKE_PROPOSAL,
        lambda p: getattr(p, "proposal_id", None) or getattr(p, "measure_id", ""),
        actor=Actor(agency="kommune-x", user="ola", role="proposer"),
        at=RECEIVED,
    )


@pytest.fixture
def proposed() -> Callable[..., c.ProposalSubmitted]:
    """``proposed(proposal_id, **changes)``: a valid ProposalSubmitted payload."""
    return proposal_submitted


@pytest.fixture
def memory_app() -> Iterator[KoronaApplication]:
    """Korona's application in memory."""
    app = KoronaApplication(env=eventsourcing_env(KoronaSettings(database_url="memory:"), "korona"))
    yield app
    app.close()


@pytest.fixture
def korona_app(database_url: tuple[str, str]) -> Iterator[KoronaApplication]:
    """Korona's application on memory, SQLite and PostgreSQL (one test run each)."""
    url, schema = database_url
    settings = KoronaSettings(database_url=url, database_schema=schema)
    app = KoronaApplication(env=eventsourcing_env(settings, "korona"))
    try:
        yield app
    finally:
        app.close()
