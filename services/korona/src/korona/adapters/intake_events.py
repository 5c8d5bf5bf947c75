"""What korona does with intake's events (topic ``intake.proposal.v1``)."""

from __future__ import annotations

from backbone.consumer import Delivery
from backbone.sinks import UnitOfWork
from contracts import intake as c
from korona.domain import Proposal

HANDLED = {"ProposalSubmitted"}


def handle(uow: UnitOfWork, delivery: Delivery) -> None:
    """Register each submitted proposal once."""
    p = delivery.payload
    if not isinstance(p, c.ProposalSubmitted):
        return
    if uow.get(Proposal.create_id(p.proposal_id)) is not None:
        return
    uow.add(
        Proposal(
            proposal_id=p.proposal_id,
            title=p.title,
            description=p.description,
            proposer=p.proposer,
            organisation=p.organisation,
            organisation_type=p.organisation_type,
            contact=p.contact,
            need=p.need,
            target_groups=p.target_groups,
            category_code=p.category_code,
            received_at=p.received_at,
            receipt_id=p.receipt_id,
        )
    )
