"""A measure (tiltak) of the national e-health portfolio and its history."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id
from backbone.errors import ConflictError


class Measure(TracedAggregate):
    """One measure: who owns it, where it stands, and every status report it sent."""

    # Event classes the @event decorators below create (declared for type checkers).
    Registered: ClassVar[type[Any]]
    StatusReportRecorded: ClassVar[type[Any]]

    @staticmethod
    def create_id(measure_id: int) -> UUID:
        return stable_id("measure", measure_id)

    @event("Registered")
    def __init__(
        self,
        measure_id: int,
        name: str,
        description: str,
        responsible_agency: str,
        owner: str,
        strategic_area: str,
        in_portfolio_since: str | None,
        receipt_id: str,
    ) -> None:
        self.measure_id = measure_id
        self.name = name
        self.description = description
        self.responsible_agency = responsible_agency
        self.owner = owner
        self.strategic_area = strategic_area
        self.in_portfolio_since = in_portfolio_since
        self.status_reports: dict[str, dict[str, Any]] = {}
        """The latest status report per period (earlier ones stay in the history)."""
        self.receipts: set[str] = set()
        """Receipts of every status report recorded, so none is applied twice."""

    def record_status_report(
        self,
        *,
        period: str,
        status: str | None,
        risk: str | None,
        budget: list[dict[str, int]],
        explanation: str,
        receipt_id: str,
    ) -> None:
        if receipt_id in self.receipts:
            raise ConflictError(f"status report {receipt_id} is recorded already")
        self._status_report_recorded(
            measure_id=self.measure_id,
            period=period,
            status=status,
            risk=risk,
            budget=budget,
            explanation=explanation,
            receipt_id=receipt_id,
        )

    @event("StatusReportRecorded")
    def _status_report_recorded(
        self,
        measure_id: int,
        period: str,
        status: str | None,
        risk: str | None,
        budget: list[dict[str, int]],
        explanation: str,
        receipt_id: str,
    ) -> None:
        self.receipts.add(receipt_id)
        self.status_reports[period] = {
            "period": period,
            "status": status,
            "risk": risk,
            "budget": budget,
            "explanation": explanation,
            "receipt_id": receipt_id,
        }
