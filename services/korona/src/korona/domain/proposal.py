"""A corona-portfolio proposal (forslag) and its path from receipt to decision."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id


class Proposal(TracedAggregate):
    """One proposal. ``registered`` means received and not yet assessed by anybody."""

    # Event classes the @event decorators below create (declared for type checkers).
    Registered: ClassVar[type[Any]]

    @staticmethod
    def create_id(proposal_id: str) -> UUID:
        return stable_id("proposal", proposal_id)

    @event("Registered")
    def __init__(
        self,
        proposal_id: str,
        title: str,
        description: str,
        proposer: str,
        organisation: str,
        organisation_type: str | None,
        contact: str,
        need: str,
        target_groups: list[str],
        category_code: str,
        received_at: datetime,
        receipt_id: str,
    ) -> None:
        self.proposal_id = proposal_id
        self.title = title
        self.description = description
        self.proposer = proposer
        self.organisation = organisation
        self.organisation_type = organisation_type
        self.target_groups = list(target_groups)
        self.category_code = category_code
        self.received_at = received_at
        self.state = "registered"
