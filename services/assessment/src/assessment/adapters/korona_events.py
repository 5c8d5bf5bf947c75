"""What assessment does with korona's events (topic ``korona.proposal.v1``): a prioritised
corona measure promoted into the national portfolio is registered as a submitted measure,
for the office to assess like any other."""

from __future__ import annotations

from assessment.domain import Measure
from assessment.domain.promoted import PromotedNumbers
from backbone.consumer import Delivery
from backbone.sinks import UnitOfWork
from contracts import korona as k

HANDLED = {"ProposalPromoted"}
PROMOTED_AREA = "Koronaporteføljen"


def handle(uow: UnitOfWork, delivery: Delivery) -> None:
    p = delivery.payload
    if not isinstance(p, k.ProposalPromoted):
        return
    numbers: PromotedNumbers | None = uow.get(PromotedNumbers.create_id())
    if numbers is None:
        numbers = PromotedNumbers()
        uow.add(numbers)
    measure_id, new = numbers.number_for(p.proposal_id)
    if not new:
        return  # promoted once already
    description = "\n\n".join(x for x in (p.description, p.need, p.note) if x)
    uow.add(
        Measure(
            measure_id=measure_id,
            name=p.title,
            description=description,
            responsible_agency=p.responsible_agency,
            owner=p.responsible_agency,
            strategic_area=PROMOTED_AREA,
            in_portfolio_since=None,
            receipt_id=f"korona:{p.proposal_id}",
            registered_at=delivery.envelope.occurred_at,
        )
    )
