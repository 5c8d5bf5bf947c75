"""Korona's proposals through EventSourcedSink, on memory, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from backbone.errors import NotFoundError
from backbone.sinks import EventSourcedSink
from korona.adapters.intake_events import ProposalArrivals
from korona.application import KoronaApplication

pytestmark = pytest.mark.integration

NAME = "korona.intake-proposals:intake.proposal.v1:0"


def test_proposals_are_registered_once_with_their_position(
    korona_app: KoronaApplication, deliver: Any, proposed: Any
) -> None:
    sink = EventSourcedSink(korona_app, ProposalArrivals(korona_app).handle)
    sink.apply(NAME, 2, [deliver(proposed("p-1")), deliver(proposed("p-2"))])
    sink.apply(NAME, 3, [deliver(proposed("p-1", title="Again"))])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 3, [deliver(proposed("p-3"), position=3)])
    assert sink.position(NAME) == 3
    stored = korona_app.recorder.select_notifications(start=1, limit=100)
    registered = [n for n in stored if n.topic.endswith("Proposal.Registered")]
    assert len(registered) == 2
    proposal = korona_app.get_proposal("p-1")
    assert (proposal.title, proposal.state) == ("Proposal p-1", "registered")
    assert proposal.target_groups == ["citizens"]
    assert proposal.received_at == datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    with pytest.raises(NotFoundError):
        korona_app.get_proposal("p-3")
