"""Intake's aggregates.

Intake keeps what was handed in exactly as received, in the order received, so the
services downstream see one ordered stream per measure (the Kafka key is the
aggregate id, and the id of a measure's intake record derives from its portfolio id).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id


class MeasureIntake(TracedAggregate):
    """Everything agencies have submitted about one measure, in the order received."""

    class MeasureSubmitted(TracedAggregate.Created):
        """A measure as its agency submitted it.

        v2 holds every field. v1 (stored without a class_version) lacked the planned
        figures, dependencies, checklist, proposed segment, operating cost and candidacy
        before ecb4389, and ``reported_at`` before b10f6b7: none of them was given then.
        """

        class_version = 2
        measure_id: int
        receipt_id: str
        received_at: datetime
        name: str
        description: str
        responsible_agency: str
        owner: str
        strategic_area: str
        in_portfolio_since: str | None
        planned_start: str | None = None
        planned_end: str | None = None
        budget: list[dict[str, Any]] | None = None
        depends_on: list[int] | None = None
        checklist: list[dict[str, Any]] | None = None
        proposed_segment: str | None = None
        operating_cost_nok_per_year: int = 0
        candidate_for: int | None = None
        reported_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            for name, absent in (
                ("planned_start", None),
                ("planned_end", None),
                ("budget", []),
                ("depends_on", []),
                ("checklist", []),
                ("proposed_segment", None),
                ("operating_cost_nok_per_year", 0),
                ("candidate_for", None),
                ("reported_at", None),  # None: at its receipt (``received_at``)
            ):
                state.setdefault(name, absent)

    class StatusReportSubmitted(TracedAggregate.Event):
        """A status report as its agency sent it.

        v2 holds every field. v1 (stored without a class_version) lacked ``historical``
        before ecb4389, the notes the segment's focus asks for before e8a8b58 and
        ``reported_at`` before b10f6b7.
        """

        class_version = 2
        measure_id: int
        receipt_id: str
        received_at: datetime
        period: str
        status: str | None
        risk: str | None
        budget: list[dict[str, Any]]
        explanation: str
        historical: bool = False
        progress: str = ""
        obstacles: str = ""
        experiences: str = ""
        dependency_notes: str = ""
        reported_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault("historical", False)
            for note in ("progress", "obstacles", "experiences", "dependency_notes"):
                state.setdefault(note, "")
            state.setdefault("reported_at", None)

    @staticmethod
    def create_id(measure_id: int) -> UUID:
        return stable_id("measure-intake", measure_id)

    @event(MeasureSubmitted)
    def __init__(
        self,
        measure_id: int,
        receipt_id: str,
        received_at: datetime,
        name: str,
        description: str,
        responsible_agency: str,
        owner: str,
        strategic_area: str,
        in_portfolio_since: str | None,
        planned_start: str | None = None,
        planned_end: str | None = None,
        budget: list[dict[str, Any]] | None = None,
        depends_on: list[int] | None = None,
        checklist: list[dict[str, Any]] | None = None,
        proposed_segment: str | None = None,
        operating_cost_nok_per_year: int = 0,
        candidate_for: int | None = None,
        reported_at: datetime | None = None,
    ) -> None:
        self.measure_id = measure_id
        self.name = name
        self.responsible_agency = responsible_agency
        self.status_reports = 0

    @event(StatusReportSubmitted)
    def submit_status_report(
        self,
        measure_id: int,
        receipt_id: str,
        received_at: datetime,
        period: str,
        status: str | None,
        risk: str | None,
        budget: list[dict[str, Any]],
        explanation: str,
        historical: bool = False,
        progress: str = "",
        obstacles: str = "",
        experiences: str = "",
        dependency_notes: str = "",
        reported_at: datetime | None = None,
    ) -> None:
        self.status_reports += 1


class ProposalIntake(TracedAggregate):
    """A corona proposal as it was received."""

    # Event classes the @event decorators below create (declared for type checkers).
    ProposalSubmitted: ClassVar[type[Any]]

    @staticmethod
    def create_id(proposal_id: str) -> UUID:
        return stable_id("proposal-intake", proposal_id)

    @event("ProposalSubmitted")
    def __init__(
        self,
        proposal_id: str,
        receipt_id: str,
        received_at: datetime,
        title: str,
        description: str,
        proposer: str,
        organisation: str,
        organisation_type: str | None,
        contact: str,
        need: str,
        target_groups: list[str],
        category_code: str,
    ) -> None:
        self.proposal_id = proposal_id
        self.title = title


class Receipt(TracedAggregate):
    """The answer given for one command, kept so a retried command gets it again.

    Its id derives from the caller and the caller's idempotency key; it is saved in
    the same transaction as the command's events, so "stored" and "answered" cannot
    drift apart, even when a commit succeeded but the client never heard.
    """

    @staticmethod
    def create_id(caller: str, idempotency_key: str) -> UUID:
        return stable_id("receipt", f"{caller}\x1f{idempotency_key}")

    @event("Issued")
    def __init__(
        self,
        caller: str,
        idempotency_key: str,
        fingerprint: str,
        command: str,
        subject_id: str,
        received_at: datetime,
    ) -> None:
        self.fingerprint = fingerprint
        self.command = command
        self.subject_id = subject_id
        self.received_at = received_at


class MeasureNumbers(TracedAggregate):
    """Hands out portfolio ids to new measures, one after the other, never twice."""

    FIRST = 1000
    """Above every id of the historical portfolio tables."""
    Allocated: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return stable_id("measure-numbers", "portfolio")

    @event("Started")
    def __init__(self) -> None:
        self.last = self.FIRST - 1

    def allocate(self) -> int:
        self._allocated(measure_id=self.last + 1)
        return self.last

    @event("Allocated")
    def _allocated(self, measure_id: int) -> None:
        self.last = measure_id
