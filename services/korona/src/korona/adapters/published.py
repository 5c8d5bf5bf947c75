"""Translation of korona's domain events into its published contracts."""

from __future__ import annotations

from typing import Any

from backbone.outbox import Outgoing
from contracts import korona as c
from contracts import topics
from korona.domain import Proposal


def translate(event: Any) -> Outgoing | None:
    if isinstance(event, Proposal.Registered):
        payload = c.ProposalRegistered(
            proposal_id=event.proposal_id,
            title=event.title,
            organisation=event.organisation,
            organisation_type=event.organisation_type,
            category_code=event.category_code,
            target_groups=event.target_groups,
            received_at=event.received_at,
            receipt_id=event.receipt_id,
        )
        return Outgoing(
            topic=topics.KORONA_PROPOSAL,
            event_type="ProposalRegistered",
            schema_version=1,
            payload=payload.model_dump(mode="json"),
            occurred_at=event.received_at,
        )
    return None
