"""An auditor's reading of korona: a proposal's history and the corona portfolio at a
moment, replayed from the events; the funding envelope by its name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from backbone.audit.trail import AuditTrail, Point, held_at_by
from backbone.domain import EventMeta, acting_as
from korona.adapters import audit
from korona.adapters.published import ProposalIds, translate_with
from korona.application import KoronaApplication
from korona.domain import Proposal
from korona.domain.envelope import KORONA_2020

OFFICE = EventMeta(
    agency="Direktoratet for e-helse", user="kari", role="office", correlation_id="c-1"
)
RECEIVED = datetime(2020, 4, 1, 9, tzinfo=UTC)


def test_a_proposal_is_followed_and_the_portfolio_rebuilt_at_a_moment() -> None:
    app = KoronaApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    proposal = Proposal(
        proposal_id="p-1",
        title="Prøvesvar til innbyggere",
        description="",
        proposer="Kari",
        organisation="FHI",
        organisation_type="public",
        contact="",
        need="",
        target_groups=["citizens"],
        category_code="17",
        received_at=RECEIVED,
        receipt_id="r-1",
    )
    app.save(proposal)
    with acting_as(OFFICE):
        proposal.categorise("09", "Samhandling mellom helseaktører", "feil kategori")
    app.save(proposal)
    trail = AuditTrail("korona", app, audit.STREAMS, held_at_by(translate_with(ProposalIds(app))))

    stream = trail.stream("p-1")
    events = list(trail.history(stream))
    assert [e.type for e in events] == ["Registered", "Categorised"]
    assert events[0].held_at == RECEIVED  # received, not recorded
    assert events[1].meta["agency"] == "Direktoratet for e-helse"
    assert events[1].reason == "feil kategori"

    day_after = [
        s.stream.subject for s in trail.portfolio_at(Point(moment=RECEIVED + timedelta(days=1)))
    ]
    assert day_after == ["p-1"]
    assert list(trail.portfolio_at(Point(moment=RECEIVED - timedelta(days=1)))) == []
    assert trail.state_at(stream, Point(version=1)).data["category_code"] == "17"
    assert trail.state_at(stream, Point(version=2)).data["category_code"] == "09"

    envelope = trail.stream(KORONA_2020)
    assert envelope.kind.name == "FundingEnvelope"
    assert trail.label(app.recorder.select_events(stream.aggregate_id)[0]) == "Proposal p-1"
