"""Korona's application: the proposals, and queries on them."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from backbone.errors import NotFoundError
from backbone.persistence import ServiceApplication
from korona.domain import Proposal


class KoronaApplication(ServiceApplication):
    """Keeps the proposals; they arrive as events from intake (see adapters)."""

    name = "korona"

    def get_proposal(self, proposal_id: str) -> Proposal:
        try:
            proposal: Proposal = self.repository.get(Proposal.create_id(proposal_id))
        except AggregateNotFoundError:
            raise NotFoundError(f"proposal {proposal_id} is not registered") from None
        return proposal
