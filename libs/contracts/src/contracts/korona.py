"""What korona publishes: proposals on ``korona.proposal.v1``, funding on ``korona.funding.v1``.

Every proposal event carries ``state``, the proposal's state after it, so a consumer can
keep a proposal's history without knowing korona's rules.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from contracts.common import Payload
from contracts.registry import register

ProposalStateName = Literal[
    "registered", "in_assessment", "assessed", "prioritised", "not_prioritised", "deferred"
]
ImplementationStatusName = Literal["planned", "being_introduced", "introduced", "in_operation"]
RecommendationName = Literal["prioritise", "not_prioritise", "defer"]
DecisionName = Literal["prioritised", "not_prioritised", "deferred"]
FundingChangeName = Literal["allocate", "release", "commit", "pay"]


@register("ProposalRegistered", 1)
class ProposalRegistered(Payload):
    proposal_id: str
    title: str
    organisation: str = ""
    organisation_type: str | None = None
    category_code: str = ""
    category_name: str = ""
    target_groups: list[str] = []
    received_at: datetime
    receipt_id: str = ""
    state: ProposalStateName = "registered"
    working_group: str = ""
    # "intake" for proposals submitted through intake, "netlist" for the historical net list.
    source: str = "intake"


@register("ProposalCategorised", 1)
class ProposalCategorised(Payload):
    proposal_id: str
    category_code: str
    category_name: str
    previous_code: str
    reason: str
    state: ProposalStateName
    working_group: str = ""


@register("ProposalRouted", 1)
class ProposalRouted(Payload):
    proposal_id: str
    working_group: str
    reason: str = ""
    state: ProposalStateName


@register("ProposalAssessed", 1)
class ProposalAssessed(Payload):
    proposal_id: str
    recommendation: RecommendationName
    criteria_met: int = Field(ge=0, le=4)
    working_group: str
    state: ProposalStateName


@register("ProposalDecided", 1)
class ProposalDecided(Payload):
    proposal_id: str
    title: str
    decision: DecisionName
    reason: str
    reference: str = ""
    state: ProposalStateName


@register("ProposalReopened", 1)
class ProposalReopened(Payload):
    proposal_id: str
    reason: str
    state: ProposalStateName


@register("FeedbackGiven", 1)
class FeedbackGiven(Payload):
    proposal_id: str
    kind: str
    received_at: datetime
    # True for the first feedback beyond the acknowledgement of receipt.
    first: bool = False


@register("ImplementationStatusSet", 1)
class ImplementationStatusSet(Payload):
    proposal_id: str
    title: str
    status: ImplementationStatusName
    responsible_agency: str
    note: str = ""


@register("ProposalPromoted", 1)
class ProposalPromoted(Payload):
    """A prioritised corona measure goes to the national portfolio; assessment registers it."""

    proposal_id: str
    title: str
    description: str = ""
    need: str = ""
    responsible_agency: str
    note: str = ""


@register("FundingChanged", 1)
class FundingChanged(Payload):
    """One change to the funding envelope, with the envelope's totals after it."""

    envelope: str
    proposal_id: str
    change: FundingChangeName
    amount_nok: int = Field(gt=0)
    reason: str
    total_nok: int
    allocated_nok: int
    committed_nok: int
    paid_nok: int
    # The proposal's own figures after the change.
    proposal_allocated_nok: int
    proposal_committed_nok: int
    proposal_paid_nok: int


@register("FundingEnvelopeOpened", 1)
class FundingEnvelopeOpened(Payload):
    """The envelope exists, with its total (published once, before any change)."""

    envelope: str
    name: str
    total_nok: int = Field(gt=0)
