"""Translation of assessment's domain events into its published contracts."""

from __future__ import annotations

from typing import Any

from assessment.domain import Measure
from backbone.outbox import Outgoing
from contracts import assessment as c
from contracts import topics
from contracts.common import BudgetLine


def translate(event: Any) -> Outgoing | None:
    payload: Any
    if isinstance(event, Measure.Registered):
        payload = c.MeasureRegistered(
            measure_id=event.measure_id,
            name=event.name,
            description=event.description,
            responsible_agency=event.responsible_agency,
            owner=event.owner,
            strategic_area=event.strategic_area,
            in_portfolio_since=event.in_portfolio_since,
            receipt_id=event.receipt_id,
        )
    elif isinstance(event, Measure.StatusReportRecorded):
        payload = c.StatusReportRecorded(
            measure_id=event.measure_id,
            period=event.period,
            status=event.status,
            risk=event.risk,
            budget=[BudgetLine(**line) for line in event.budget],
            explanation=event.explanation,
            receipt_id=event.receipt_id,
        )
    else:
        return None
    return Outgoing(
        topic=topics.ASSESSMENT_MEASURE,
        event_type=type(payload).__name__,
        schema_version=1,
        payload=payload.model_dump(mode="json"),
        occurred_at=event.timestamp,
    )
