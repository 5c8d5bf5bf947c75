"""What assessment does with intake's events (topic ``intake.measure.v1``)."""

from __future__ import annotations

from assessment.domain import Measure
from backbone.consumer import Delivery
from backbone.errors import NotFoundError
from backbone.sinks import UnitOfWork
from contracts import intake as c

HANDLED = {"MeasureSubmitted", "StatusReportSubmitted"}


def handle(uow: UnitOfWork, delivery: Delivery) -> None:
    """Register a submitted measure; record a submitted status report on its measure.

    A report the measure cannot take (not in the portfolio, red without explanation) is
    recorded as refused, with the reason, rather than dead-lettered: it is the agency's
    answer, not a fault.
    """
    p = delivery.payload
    if isinstance(p, c.MeasureSubmitted):
        if uow.get(Measure.create_id(p.measure_id)) is not None:
            return  # registered already: a submission is applied once
        uow.add(
            Measure(
                measure_id=p.measure_id,
                name=p.name,
                description=p.description,
                responsible_agency=p.responsible_agency,
                owner=p.owner,
                strategic_area=p.strategic_area,
                in_portfolio_since=p.in_portfolio_since,
                receipt_id=p.receipt_id,
                planned_start=p.planned_start,
                planned_end=p.planned_end,
                planned_budget=[line.model_dump() for line in p.budget],
                depends_on=p.depends_on,
                checklist=[answer.model_dump() for answer in p.checklist],
                proposed_segment=p.proposed_segment,
                operating_cost_nok_per_year=p.operating_cost_nok_per_year,
                candidate_for=p.candidate_for,
                registered_at=p.reported_at or p.received_at,
            )
        )
    elif isinstance(p, c.StatusReportSubmitted):
        measure: Measure | None = uow.get(Measure.create_id(p.measure_id))
        if measure is None:
            raise NotFoundError(f"status report for unknown measure {p.measure_id}")
        measure.record_status_report(
            period=p.period,
            status=p.status,
            risk=p.risk,
            budget=[line.model_dump() for line in p.budget],
            explanation=p.explanation,
            receipt_id=p.receipt_id,
            historical=p.historical,
            notes={
                "progress": p.progress,
                "obstacles": p.obstacles,
                "experiences": p.experiences,
                "dependency_notes": p.dependency_notes,
            },
            reported_at=p.reported_at or p.received_at,
        )
