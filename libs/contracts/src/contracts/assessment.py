"""What assessment publishes about measures, on topic ``assessment.measure.v1``.

Segments are lowercase names (samstyre, koordinere, observere, inspirere); periods YYYY-MM.
"""

from __future__ import annotations

from contracts.common import BudgetLine, Colour, Payload, Period
from contracts.intake import ChecklistAnswer, FundedBudgetLine
from contracts.registry import register


@register("MeasureRegistered", 1)
class MeasureRegistered(Payload):
    measure_id: int
    name: str
    description: str = ""
    responsible_agency: str
    owner: str = ""
    strategic_area: str = ""
    in_portfolio_since: Period | None = None
    receipt_id: str = ""
    lifecycle: str = "active"
    planned_start: Period | None = None
    planned_end: Period | None = None
    planned_budget: list[FundedBudgetLine] = []
    depends_on: list[int] = []
    checklist: list[ChecklistAnswer] = []
    proposed_segment: str | None = None
    operating_cost_nok_per_year: int = 0
    candidate_for: int | None = None


@register("StatusReportRecorded", 1)
class StatusReportRecorded(Payload):
    measure_id: int
    period: Period
    status: Colour | None = None
    risk: Colour | None = None
    budget: list[BudgetLine] = []
    explanation: str = ""
    receipt_id: str = ""
    explanation_missing: bool = False
    correction: bool = False
    progress: str = ""
    obstacles: str = ""
    experiences: str = ""
    dependency_notes: str = ""
    missing_focus: list[str] = []


@register("StatusReportRefused", 1)
class StatusReportRefused(Payload):
    """A status report the measure could not take, and why (sent back to the agency)."""

    measure_id: int
    period: Period
    receipt_id: str
    reason: str


class CriterionResult(Payload):
    criterion: str
    met: bool
    reason: str = ""


@register("CriteriaAssessed", 1)
class CriteriaAssessed(Payload):
    measure_id: int
    criteria_version: str
    results: list[CriterionResult]
    all_met: bool


@register("MeasureIncluded", 1)
class MeasureIncluded(Payload):
    measure_id: int
    segment: str
    report_months: list[int] = []
    """The months whose period the segment reports for (its cadence)."""
    period: Period
    reason: str = ""
    decision: str = ""


@register("MeasureNotIncluded", 1)
class MeasureNotIncluded(Payload):
    measure_id: int
    reason: str


@register("SegmentChanged", 1)
class SegmentChanged(Payload):
    measure_id: int
    from_segment: str | None = None
    to_segment: str
    report_months: list[int] = []
    """The new segment's reporting months, from ``period`` on."""
    reason: str
    decision: str = ""
    period: Period


@register("MeasureLeft", 1)
class MeasureLeft(Payload):
    """The measure left the portfolio: completed, paused or withdrawn, after ``period``."""

    measure_id: int
    lifecycle: str
    period: Period
    way_forward: str = ""
    reason: str = ""


@register("ReportReminderIssued", 1)
class ReportReminderIssued(Payload):
    """A measure owes a status report for ``period`` (kind ``due``) or is late (``overdue``)."""

    measure_id: int
    responsible_agency: str
    period: Period
    deadline: str
    kind: str
