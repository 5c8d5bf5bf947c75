"""What assessment publishes about measures, on topic ``assessment.measure.v1``."""

from __future__ import annotations

from contracts.common import BudgetLine, Colour, Payload, Period
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


@register("StatusReportRecorded", 1)
class StatusReportRecorded(Payload):
    measure_id: int
    period: Period
    status: Colour | None = None
    risk: Colour | None = None
    budget: list[BudgetLine] = []
    explanation: str = ""
    receipt_id: str = ""
