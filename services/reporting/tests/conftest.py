"""Fixtures for reporting's tests: assessment's and korona's messages, and the store.

Helpers are fixtures (returning builders) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import BaseModel

from backbone.consumer import Delivery
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


def proposal_registered(
    proposal_id: str,
    category_code: str = "A1",
    received_at: datetime = RECORDED,
    **changes: Any,
) -> k.ProposalRegistered:
    fields: dict[str, Any] = {
        "proposal_id": proposal_id,
        "title": f"Proposal {proposal_id}",
        "category_code": category_code,
        "received_at": received_at,
        "receipt_id": f"receipt-{proposal_id}",
    }
    return k.ProposalRegistered(**{**fields, **changes})


class KoronaEvents:
    """Builds korona's events; the funding builders keep the envelope's running figures, so
    each FundingChanged carries the totals after it, as korona publishes them."""

    ENVELOPE = "korona-2020"

    def __init__(self) -> None:
        self.total = 0
        self.envelope: dict[str, int] = {"allocated": 0, "committed": 0, "paid": 0}
        self.proposals: dict[str, dict[str, int]] = {}

    registered = staticmethod(proposal_registered)

    @staticmethod
    def categorised(
        proposal_id: str, code: str, name: str = "", state: str = "registered", **changes: Any
    ) -> k.ProposalCategorised:
        fields: dict[str, Any] = {
            "proposal_id": proposal_id,
            "category_code": code,
            "category_name": name,
            "previous_code": "",
            "reason": "belongs there",
            "state": state,
        }
        return k.ProposalCategorised(**{**fields, **changes})

    @staticmethod
    def routed(proposal_id: str, working_group: str = "fhi") -> k.ProposalRouted:
        return k.ProposalRouted(
            proposal_id=proposal_id, working_group=working_group, state="in_assessment"
        )

    @staticmethod
    def assessed(proposal_id: str, recommendation: str = "prioritise") -> k.ProposalAssessed:
        return k.ProposalAssessed(
            proposal_id=proposal_id,
            recommendation=recommendation,
            criteria_met=4,
            working_group="fhi",
            state="assessed",
        )

    @staticmethod
    def decided(proposal_id: str, decision: str = "prioritised") -> k.ProposalDecided:
        return k.ProposalDecided(
            proposal_id=proposal_id,
            title=f"Proposal {proposal_id}",
            decision=decision,
            reason="the board decided",
            reference="PS 1/20",
            state=decision,
        )

    @staticmethod
    def reopened(proposal_id: str) -> k.ProposalReopened:
        return k.ProposalReopened(proposal_id=proposal_id, reason="again", state="in_assessment")

    @staticmethod
    def feedback(
        proposal_id: str, kind: str = "prioritised", first: bool = True
    ) -> k.FeedbackGiven:
        return k.FeedbackGiven(
            proposal_id=proposal_id, kind=kind, received_at=RECORDED, first=first
        )

    @staticmethod
    def status(
        proposal_id: str, status: str = "being_introduced", agency: str = "NHN"
    ) -> k.ImplementationStatusSet:
        return k.ImplementationStatusSet(
            proposal_id=proposal_id,
            title=f"Proposal {proposal_id}",
            status=status,
            responsible_agency=agency,
        )

    def opened(self, total_nok: int = 80_000_000) -> k.FundingEnvelopeOpened:
        self.total = total_nok
        return k.FundingEnvelopeOpened(
            envelope=self.ENVELOPE, name="Koronamidler 2020", total_nok=total_nok
        )

    def funding(self, change: str, proposal_id: str, amount_nok: int) -> k.FundingChanged:
        """``change`` is allocate, release, commit or pay."""
        mine = self.proposals.setdefault(proposal_id, {"allocated": 0, "committed": 0, "paid": 0})
        field, sign = {
            "allocate": ("allocated", 1),
            "release": ("allocated", -1),
            "commit": ("committed", 1),
            "pay": ("paid", 1),
        }[change]
        mine[field] += sign * amount_nok
        self.envelope[field] += sign * amount_nok
        return k.FundingChanged(
            envelope=self.ENVELOPE,
            proposal_id=proposal_id,
            change=change,
            amount_nok=amount_nok,
            reason="as agreed",
            total_nok=self.total,
            allocated_nok=self.envelope["allocated"],
            committed_nok=self.envelope["committed"],
            paid_nok=self.envelope["paid"],
            proposal_allocated_nok=mine["allocated"],
            proposal_committed_nok=mine["committed"],
            proposal_paid_nok=mine["paid"],
        )


MEASURES = Origin("assessment", "Measure", "measure", topics.ASSESSMENT_MEASURE)
PROPOSALS = Origin("korona", "Proposal", "proposal", topics.KORONA_PROPOSAL)
FUNDING = Origin("korona", "FundingEnvelope", "funding-envelope", topics.KORONA_FUNDING)
_FUNDING_EVENTS = (k.FundingEnvelopeOpened, k.FundingChanged)


def _origin(payload: BaseModel) -> Origin:
    if isinstance(payload, _FUNDING_EVENTS):
        return FUNDING
    return PROPOSALS if type(payload).__module__ == k.__name__ else MEASURES


def _key(payload: BaseModel) -> str:
    if isinstance(payload, _FUNDING_EVENTS):
        return payload.envelope
    if type(payload).__module__ == k.__name__:
        return payload.proposal_id  # type: ignore[attr-defined, no-any-return]
    return str(payload.measure_id)  # type: ignore[attr-defined]


def new_deliveries() -> Deliveries:
    return Deliveries(_origin, _key, at=RECORDED)


class Feed:
    """Applies payloads to a projection sink, one batch per call, under one tracking name.

    ``at`` and ``rec`` set the batch's domain time (``occurred_at``) and recorded time
    (``recorded_at``); by default both are ``RECORDED``, and ``rec`` defaults to ``at``.
    """

    def __init__(self, sink: ProjectionSink, name: str = "reporting.portfolio:test:0") -> None:
        self.sink = sink
        self.name = name
        self.deliver = new_deliveries()
        self.applied: list[Delivery] = []

    def __call__(
        self, *payloads: BaseModel, at: datetime | None = None, rec: datetime | None = None
    ) -> int:
        deliveries = [self.deliver(p) for p in payloads]
        if at is not None or rec is not None:
            times = {"occurred_at": at or RECORDED, "recorded_at": rec or at or RECORDED}
            deliveries = [
                replace(d, envelope=d.envelope.model_copy(update=times)) for d in deliveries
            ]
        return self.apply(deliveries)

    def apply(self, deliveries: list[Delivery], name: str | None = None) -> int:
        """Applies deliveries as built (again, to see a duplicate change nothing)."""
        position = deliveries[-1].envelope.position
        self.sink.apply(name or self.name, position, deliveries)
        self.applied.extend(deliveries)
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
    """``proposal(proposal_id, category_code, received_at, **changes)``: a ProposalRegistered."""
    return proposal_registered


@pytest.fixture
def korona() -> KoronaEvents:
    """Builders of korona's events: ``korona.categorised(...)``, ``korona.funding(...)``, ..."""
    return KoronaEvents()


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
