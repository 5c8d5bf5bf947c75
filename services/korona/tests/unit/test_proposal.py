"""A corona proposal: registered as received, stamped with who sent it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from backbone.domain import SYSTEM, EventMeta, acting_as
from korona.domain import Proposal

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def a_proposal(**changes: Any) -> Proposal:
    fields: dict[str, Any] = {
        "proposal_id": "p-1",
        "title": "Video consultations",
        "description": "Remote consultations",
        "proposer": "Ola",
        "organisation": "Kommune X",
        "organisation_type": "public",
        "contact": "ola@example.org",
        "need": "Fewer visits",
        "target_groups": ["citizens", "authorities"],
        "category_code": "A1",
        "received_at": RECEIVED,
        "receipt_id": "r-1",
    }
    return Proposal(**{**fields, **changes})


def test_a_new_proposal_is_registered_and_not_yet_assessed() -> None:
    proposal = a_proposal()
    assert proposal.state == "registered"
    assert proposal.id == Proposal.create_id("p-1")
    assert (proposal.title, proposal.organisation, proposal.organisation_type) == (
        "Video consultations",
        "Kommune X",
        "public",
    )
    assert proposal.target_groups == ["citizens", "authorities"]
    assert proposal.received_at == RECEIVED
    assert proposal.version == 1


def test_a_proposal_keeps_its_own_copy_of_the_target_groups() -> None:
    groups = ["citizens"]
    proposal = a_proposal(target_groups=groups)
    groups.append("authorities")
    assert proposal.target_groups == ["citizens"]


def test_a_registration_carries_the_meta_of_whoever_acted() -> None:
    meta = EventMeta(agency="kommune-x", user="ola", role="proposer", correlation_id="c-1")
    with acting_as(meta):
        proposal = a_proposal()
    (registered,) = proposal.collect_events()
    assert isinstance(registered, Proposal.Registered)
    assert registered.meta == meta.as_dict()
    assert a_proposal(proposal_id="p-2").collect_events()[0].meta == SYSTEM.as_dict()


def test_proposal_ids_derive_from_the_proposal_id() -> None:
    assert Proposal.create_id("p-1") == Proposal.create_id("p-1")
    assert Proposal.create_id("p-1") != Proposal.create_id("p-2")
