"""What korona publishes about proposals, on topic ``korona.proposal.v1``."""

from __future__ import annotations

from datetime import datetime

from contracts.common import Payload
from contracts.registry import register


@register("ProposalRegistered", 1)
class ProposalRegistered(Payload):
    proposal_id: str
    title: str
    organisation: str = ""
    organisation_type: str | None = None
    category_code: str = ""
    target_groups: list[str] = []
    received_at: datetime
    receipt_id: str = ""
