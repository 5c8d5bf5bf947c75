"""A corona measure promoted into the national portfolio: registered once, numbered 9000+."""

from __future__ import annotations

from assessment.adapters.korona_events import HANDLED, handle
from assessment.application import AssessmentApplication
from assessment.domain import Measure
from backbone.sinks import UnitOfWork
from backbone.testing import Deliveries, Origin
from contracts import korona as k
from contracts import topics

PROPOSALS = Origin("korona", "Proposal", "proposal", topics.KORONA_PROPOSAL)


def promoted(proposal_id: str, title: str) -> k.ProposalPromoted:
    return k.ProposalPromoted(
        proposal_id=proposal_id,
        title=title,
        description="Laboratoriene sender svar elektronisk",
        responsible_agency="Folkehelseinstituttet",
        note="Varig tiltak",
    )


def test_a_promotion_registers_a_submitted_measure_once(
    memory_app: AssessmentApplication,
) -> None:
    assert {"ProposalPromoted"} == HANDLED
    deliver = Deliveries(lambda _: PROPOSALS, lambda p: p.proposal_id)  # type: ignore[attr-defined]
    uow = UnitOfWork(memory_app)
    handle(uow, deliver(promoted("p-1", "MSIS labdatabase")))
    handle(uow, deliver(promoted("p-2", "Prøvesvar")))
    handle(uow, deliver(promoted("p-1", "MSIS labdatabase")))  # redelivered
    memory_app.events.put(uow.collect_events())
    first = memory_app.get_measure(9000)
    assert (first.name, first.responsible_agency, first.lifecycle.value) == (
        "MSIS labdatabase",
        "Folkehelseinstituttet",
        "submitted",
    )
    assert "Varig tiltak" in first.description
    assert memory_app.get_measure(9001).name == "Prøvesvar"
    assert Measure.create_id(9002) not in memory_app.repository
