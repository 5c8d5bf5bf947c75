"""Korona's published contract: each registered proposal."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from contracts import payload_model, topics
from korona.adapters.published import translate_with
from korona.domain import Proposal

RECEIVED = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
translate = translate_with(lambda _event: "p-1")


def test_a_registered_proposal_is_published_on_korona_proposal() -> None:
    proposal = Proposal(
        proposal_id="p-1",
        title="Video consultations",
        description="secret details stay inside",
        proposer="Ola",
        organisation="Kommune X",
        organisation_type=None,
        contact="ola@example.org",
        need="",
        target_groups=["health_personnel"],
        category_code="B2",
        received_at=RECEIVED,
        receipt_id="r-1",
    )
    out = translate(proposal.collect_events()[0])
    assert out is not None
    assert (out.topic, out.event_type, out.schema_version) == (
        topics.KORONA_PROPOSAL,
        "ProposalRegistered",
        1,
    )
    assert out.occurred_at == RECEIVED
    model = payload_model(out.event_type, out.schema_version)
    payload = model.model_validate(json.loads(json.dumps(out.payload)))
    assert payload.proposal_id == "p-1"
    assert payload.organisation_type is None
    assert payload.target_groups == ["health_personnel"]
    assert payload.category_code == "B2"
    assert payload.received_at == RECEIVED
    assert payload.receipt_id == "r-1"
    # The contract publishes no contact details.
    assert "contact" not in out.payload
    assert "proposer" not in out.payload


def test_anything_else_is_not_published() -> None:
    assert translate(object()) is None
