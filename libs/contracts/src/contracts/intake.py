"""What intake publishes: submissions as received, each with its receipt."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from contracts.common import BudgetLine, Colour, Payload, Period
from contracts.registry import register


class FundedBudgetLine(Payload):
    """A planned budget figure for one year from one funder."""

    year: int
    funder: str = ""
    amount_nok: int


class ChecklistAnswer(Payload):
    """The submitter's self-assessment of one inclusion criterion."""

    criterion: str
    answer: bool
    justification: str = ""


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
    planned_start: Period | None = None
    planned_end: Period | None = None
    budget: list[FundedBudgetLine] = []
    depends_on: list[int] = []
    checklist: list[ChecklistAnswer] = []
    proposed_segment: str | None = None
    operating_cost_nok_per_year: int = 0
    candidate_for: int | None = None
    reported_at: datetime | None = None
    """When the measure was submitted (historical imports); None = ``received_at``."""


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
    historical: bool = False
    """From a historical table: a red colour without explanation is flagged, not refused."""
    progress: str = ""
    obstacles: str = ""
    experiences: str = ""
    dependency_notes: str = ""
    reported_at: datetime | None = None
    """When the report was given (historical imports); None = ``received_at``."""


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
