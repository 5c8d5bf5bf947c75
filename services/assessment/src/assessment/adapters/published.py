"""Translation of assessment's domain events into its published contracts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from assessment.domain import Measure, Segment
from assessment.domain.measure import UNNAMED_MEASURE, NamesTheMeasure
from backbone.outbox import Outgoing
from contracts import assessment as c
from contracts import topics
from contracts.common import BudgetLine


def _payload(event: Any, measure_ids: Callable[[Any], int]) -> BaseModel | None:
    if isinstance(event, Measure.Registered):
        return c.MeasureRegistered(
            measure_id=event.measure_id,
            name=event.name,
            description=event.description,
            responsible_agency=event.responsible_agency,
            owner=event.owner,
            strategic_area=event.strategic_area,
            in_portfolio_since=event.in_portfolio_since,
            receipt_id=event.receipt_id,
            lifecycle=(
                "active"
                if event.in_portfolio_since
                else "candidate"
                if event.candidate_for
                else "submitted"
            ),
            planned_start=event.planned_start,
            planned_end=event.planned_end,
            planned_budget=event.planned_budget or [],
            depends_on=event.depends_on or [],
            checklist=event.checklist or [],
            proposed_segment=event.proposed_segment,
            operating_cost_nok_per_year=event.operating_cost_nok_per_year,
            candidate_for=event.candidate_for,
        )
    if isinstance(event, Measure.StatusReportRecorded):
        return c.StatusReportRecorded(
            measure_id=event.measure_id,
            period=event.period,
            status=event.status,
            risk=event.risk,
            budget=[BudgetLine(**line) for line in event.budget],
            explanation=event.explanation,
            receipt_id=event.receipt_id,
            explanation_missing=event.explanation_missing,
            correction=event.correction,
            **(event.notes or {}),
            missing_focus=event.missing_focus or [],
        )
    if isinstance(event, Measure.ReminderIssued):
        return c.ReportReminderIssued(
            measure_id=event.measure_id,
            responsible_agency=event.responsible_agency,
            period=event.period,
            deadline=event.deadline,
            kind=event.kind,
        )
    if isinstance(event, NamesTheMeasure):
        return _decision_payload(event, event.measure_id or measure_ids(event))
    return None


def _decision_payload(event: Any, mid: int) -> BaseModel | None:  # noqa: PLR0911
    if isinstance(event, Measure.StatusReportRefused):
        return c.StatusReportRefused(
            measure_id=mid, period=event.period, receipt_id=event.receipt_id, reason=event.reason
        )
    if isinstance(event, Measure.CriteriaAssessed):
        return c.CriteriaAssessed(
            measure_id=mid,
            criteria_version=event.criteria_version,
            results=event.results,
            all_met=event.all_met,
        )
    if isinstance(event, Measure.Included):
        return c.MeasureIncluded(
            measure_id=mid,
            segment=event.segment,
            report_months=list(Segment(event.segment).report_months),
            period=event.period,
            reason=event.reason,
            decision=event.decision,
        )
    if isinstance(event, Measure.NotIncluded):
        return c.MeasureNotIncluded(measure_id=mid, reason=event.reason)
    if isinstance(event, Measure.SegmentChanged):
        return c.SegmentChanged(
            measure_id=mid,
            from_segment=event.from_segment,
            to_segment=event.to_segment,
            report_months=list(Segment(event.to_segment).report_months),
            reason=event.reason,
            decision=event.decision,
            period=event.period,
        )
    if isinstance(event, Measure.Completed):
        return c.MeasureLeft(
            measure_id=mid,
            lifecycle="completed",
            period=event.period,
            way_forward=event.way_forward,
            reason=event.reason,
        )
    if isinstance(event, Measure.Paused):
        return c.MeasureLeft(
            measure_id=mid,
            lifecycle="paused",
            period=event.period,
            way_forward="Pauset",
            reason=event.reason,
        )
    if isinstance(event, Measure.Withdrawn):
        return c.MeasureLeft(
            measure_id=mid, lifecycle="withdrawn", period=event.period, reason=event.reason
        )
    return None


def translate_with(measure_ids: Callable[[Any], int]) -> Callable[[Any], Outgoing | None]:
    """A translator; ``measure_ids(event)`` names the measure of an event stored before its
    kind named it (v1 of :class:`NamesTheMeasure`; pass :class:`MeasureIds`)."""

    def translate(event: Any) -> Outgoing | None:
        payload = _payload(event, measure_ids)
        if payload is None:
            return None
        return Outgoing(
            topic=topics.ASSESSMENT_MEASURE,
            event_type=type(payload).__name__,
            schema_version=1,
            payload=payload.model_dump(mode="json"),
            occurred_at=_occurred_at(event),
        )

    return translate


translate = translate_with(lambda _event: UNNAMED_MEASURE)
"""Publishes an event stored before its kind named the measure with ``measure_id`` 0."""


class MeasureIds:
    """The measure id of an event's stream (read once from its ``Registered`` event)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._ids: dict[Any, int] = {}

    def __call__(self, event: Any) -> int:
        originator = event.originator_id
        if originator not in self._ids:
            first = self.app.repository.get(originator, version=1)
            self._ids[originator] = int(first.measure_id)
        return self._ids[originator]


def _occurred_at(event: Any) -> Any:
    """When the fact held in the domain: a submission or report at its own time (the
    agency's, or a historical table's); a decision when it was taken."""
    for name in ("reported_at", "registered_at"):
        moment = getattr(event, name, None)
        if moment is not None:
            return moment
    return event.timestamp
