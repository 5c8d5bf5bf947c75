"""What korona does with intake's events (topic ``intake.proposal.v1``).

Each submitted proposal is registered once, with its category's name, what it looks like
(earlier proposals, national-portfolio and net-list measures above the overlap threshold)
and an acknowledgement to the proposer that says so, all in the consumer's transaction.
"""

from __future__ import annotations

from backbone.consumer import Delivery
from backbone.domain import current_meta
from backbone.sinks import UnitOfWork
from contracts import intake as c
from korona.application import KoronaApplication
from korona.catalogue import candidate_of
from korona.domain import Proposal
from korona.domain.feedback import feedback_text, overlap_note
from korona.domain.proposal import proposer_identity

HANDLED = {"ProposalSubmitted"}


class ProposalArrivals:
    def __init__(self, app: KoronaApplication) -> None:
        self.app = app

    def handle(self, uow: UnitOfWork, delivery: Delivery) -> None:
        p = delivery.payload
        if not isinstance(p, c.ProposalSubmitted):
            return
        if uow.get(Proposal.create_id(p.proposal_id)) is not None:
            return
        meta = current_meta()  # the submitter, carried from intake's event
        proposal = Proposal(
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
            category_name=self.app.categories.name_of(p.category_code),
            received_at=p.received_at,
            receipt_id=p.receipt_id,
            submitted_by=proposer_identity(meta.agency, meta.user),
        )
        self.app.note_overlaps(proposal)
        ack = feedback_text("received", proposal.title) + overlap_note(proposal.overlaps)
        proposal.give_feedback("received", ack, p.received_at)
        uow.add(proposal)
        # Later proposals of the same batch are compared with this one too.
        self.app.catalogue.index.add(candidate_of(proposal))
