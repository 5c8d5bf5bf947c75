"""Fixtures for korona's tests: intake's proposal messages as deliveries, and the application.

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
from backbone.persistence import eventsourcing_env
from contracts import Actor, Envelope, decode, topics
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


class Deliveries:
    """Builds deliveries of intake's messages, numbering their positions 1, 2, 3, ..."""

    def __init__(self) -> None:
        self._positions = itertools.count(1)

    def __call__(self, payload: BaseModel, *, position: int | None = None) -> Delivery:
        key = getattr(payload, "proposal_id", None) or getattr(payload, "measure_id", "")
        aggregate_id = stable_id("proposal-intake", str(key))
        envelope = Envelope(
            event_id=uuid.uuid5(aggregate_id, "1"),
            event_type=type(payload).__name__,
            schema_version=1,
            source="intake",
            aggregate_type="ProposalIntake",
            aggregate_id=aggregate_id,
            aggregate_version=1,
            occurred_at=RECEIVED,
            recorded_at=RECEIVED,
            recorded_by=Actor(agency="kommune-x", user="ola", role="proposer"),
            correlation_id="corr-1",
            position=position if position is not None else next(self._positions),
            broker_epoch="epoch-1",
            payload=payload.model_dump(mode="json"),
        )
        decoded, validated = decode(envelope.model_dump_json().encode())
        return Delivery(decoded, validated, topics.INTAKE_PROPOSAL, 0, decoded.position - 1)


@pytest.fixture
def deliver() -> Deliveries:
    """``deliver(payload)``: a Delivery of one of intake's messages, at the next position."""
    return Deliveries()


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
