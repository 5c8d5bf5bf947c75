"""Translation of intake's domain events into its published contracts."""

from __future__ import annotations

from typing import Any

from backbone.outbox import Outgoing
from contracts import intake as c
from contracts import topics
from contracts.common import BudgetLine
from intake.domain import MeasureIntake, ProposalIntake


def translate(event: Any) -> Outgoing | None:
    """The integration event for a domain event; receipts stay private."""
    if isinstance(event, MeasureIntake.MeasureSubmitted):
        payload: Any = c.MeasureSubmitted(
            receipt_id=event.receipt_id,
            received_at=event.received_at,
            measure_id=event.measure_id,
            name=event.name,
            description=event.description,
            responsible_agency=event.responsible_agency,
            owner=event.owner,
            strategic_area=event.strategic_area,
            in_portfolio_since=event.in_portfolio_since,
            planned_start=event.planned_start,
            planned_end=event.planned_end,
            budget=event.budget or [],
            depends_on=event.depends_on or [],
            checklist=event.checklist or [],
            proposed_segment=event.proposed_segment,
            operating_cost_nok_per_year=event.operating_cost_nok_per_year,
            candidate_for=event.candidate_for,
            reported_at=event.reported_at,
        )
        topic = topics.INTAKE_MEASURE
    elif isinstance(event, MeasureIntake.StatusReportSubmitted):
        payload = c.StatusReportSubmitted(
            receipt_id=event.receipt_id,
            received_at=event.received_at,
            measure_id=event.measure_id,
            period=event.period,
            status=event.status,
            risk=event.risk,
            budget=[BudgetLine(**line) for line in event.budget],
            explanation=event.explanation,
            historical=event.historical,
            progress=event.progress,
            obstacles=event.obstacles,
            experiences=event.experiences,
            dependency_notes=event.dependency_notes,
            reported_at=event.reported_at,
        )
        topic = topics.INTAKE_MEASURE
    elif isinstance(event, ProposalIntake.ProposalSubmitted):
        payload = c.ProposalSubmitted(
            receipt_id=event.receipt_id,
            received_at=event.received_at,
            proposal_id=event.proposal_id,
            title=event.title,
            description=event.description,
            proposer=event.proposer,
            organisation=event.organisation,
            organisation_type=event.organisation_type,
            contact=event.contact,
            need=event.need,
            target_groups=event.target_groups,
            category_code=event.category_code,
        )
        topic = topics.INTAKE_PROPOSAL
    else:
        return None
    return Outgoing(
        topic=topic,
        event_type=type(payload).__name__,
        schema_version=1,
        payload=payload.model_dump(mode="json"),
        # when it held in the domain: a historical item's own time, else its receipt
        occurred_at=getattr(event, "reported_at", None) or event.received_at,
    )
