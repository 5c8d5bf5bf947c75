"""How korona applies intake's proposal messages (one unit of work)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backbone.sinks import UnitOfWork
from contracts import intake as c
from korona.adapters.intake_events import HANDLED, ProposalArrivals
from korona.application import KoronaApplication
from korona.domain import Proposal


def test_korona_handles_submitted_proposals_only() -> None:
    assert {"ProposalSubmitted"} == HANDLED


def test_a_submitted_proposal_is_registered(
    memory_app: KoronaApplication, deliver: Any, proposed: Any
) -> None:
    uow = UnitOfWork(memory_app)
    ProposalArrivals(memory_app).handle(
        uow, deliver(proposed("p-1", organisation_type="private", target_groups=[]))
    )
    proposal = uow.get(Proposal.create_id("p-1"))
    assert isinstance(proposal, Proposal)
    assert proposal.state == "registered"
    assert proposal.organisation_type == "private"
    assert proposal.target_groups == []
    registered, acknowledged = uow.collect_events()
    assert acknowledged.kind == "received"
    assert "Takk for forslaget" in acknowledged.text
    assert registered.receipt_id == "receipt-p-1"
    assert registered.received_at == datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def test_a_second_submission_of_a_proposal_is_a_no_op(
    memory_app: KoronaApplication, deliver: Any, proposed: Any
) -> None:
    uow = UnitOfWork(memory_app)
    ProposalArrivals(memory_app).handle(uow, deliver(proposed("p-1")))
    ProposalArrivals(memory_app).handle(uow, deliver(proposed("p-1", title="Changed")))
    assert len(uow.collect_events()) == 2  # registered and acknowledged, once
    stored = UnitOfWork(memory_app)
    ProposalArrivals(memory_app).handle(stored, deliver(proposed("p-2")))
    memory_app.events.put(stored.collect_events())
    again = UnitOfWork(memory_app)
    ProposalArrivals(memory_app).handle(again, deliver(proposed("p-2", title="Changed")))
    assert again.collect_events() == []
    assert memory_app.get_proposal("p-2").title == "Proposal p-2"


def test_other_messages_are_ignored(memory_app: KoronaApplication, deliver: Any) -> None:
    uow = UnitOfWork(memory_app)
    other = c.MeasureSubmitted(
        receipt_id="r",
        received_at=datetime(2024, 1, 1, tzinfo=UTC),
        measure_id=1,
        name="n",
        responsible_agency="a",
    )
    ProposalArrivals(memory_app).handle(uow, deliver(other))
    assert uow.collect_events() == []
