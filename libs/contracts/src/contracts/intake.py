"""What intake publishes: submissions as received, each with its receipt."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from contracts.common import BudgetLine, Colour, Payload, Period
from contracts.registry import register


@register("MeasureSubmitted", 1)
class MeasureSubmitted(Payload):
    """An agency submitted a measure; on topic ``intake.measure.v1``."""

    receipt_id: str
    received_at: datetime
    measure_id: int
    name: str
    description: str = ""
    responsible_agency: str
    owner: str = ""
    strategic_area: str = ""
    in_portfolio_since: Period | None = None


@register("StatusReportSubmitted", 1)
class StatusReportSubmitted(Payload):
    """An agency reported on a measure for a period; on topic ``intake.measure.v1``."""

    receipt_id: str
    received_at: datetime
    measure_id: int
    period: Period
    status: Colour | None = None
    risk: Colour | None = None
    budget: list[BudgetLine] = []
    explanation: str = ""


@register("ProposalSubmitted", 1)
class ProposalSubmitted(Payload):
    """Someone proposed a corona measure; on topic ``intake.proposal.v1``."""

    receipt_id: str
    received_at: datetime
    proposal_id: str
    title: str
    description: str = ""
    proposer: str = ""
    organisation: str = ""
    organisation_type: Literal["public", "private"] | None = None
    contact: str = ""
    need: str = ""
    target_groups: list[str] = []
    category_code: str = ""
