"""Intake's published contracts: each submission becomes one integration event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from backbone.outbox import Outgoing
from contracts import Actor, Envelope, decode, encode, payload_model, topics
from intake.adapters.published import translate
from intake.domain import MeasureIntake, ProposalIntake, Receipt

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _measure_events() -> list[Any]:
    record = MeasureIntake(
        measure_id=7,
        receipt_id="r-1",
        received_at=NOW,
        name="Kjernejournal",
        description="Summary care record",
        responsible_agency="helsedir",
        owner="Kari",
        strategic_area="Samhandling",
        in_portfolio_since=None,
    )
    record.submit_status_report(
        measure_id=7,
        receipt_id="r-2",
        received_at=NOW,
        period="2024-03",
        status="green",
        risk=None,
        budget=[{"year": 2024, "amount_nok": 10}, {"year": 2025, "amount_nok": 0}],
        explanation="fine",
    )
    return record.collect_events()


def _validated(out: Outgoing) -> Any:
    """The payload parsed by the registered contract, after a JSON round trip."""
    assert out.schema_version == 1
    model = payload_model(out.event_type, out.schema_version)
    return model.model_validate(json.loads(json.dumps(out.payload)))


def test_a_submitted_measure_is_published_on_the_measure_topic() -> None:
    submitted, _ = _measure_events()
    out = translate(submitted)
    assert out is not None
    assert (out.topic, out.event_type) == (topics.INTAKE_MEASURE, "MeasureSubmitted")
    assert out.occurred_at == NOW
    payload = _validated(out)
    assert payload.measure_id == 7
    assert payload.receipt_id == "r-1"
    assert payload.received_at == NOW
    assert payload.name == "Kjernejournal"
    assert payload.responsible_agency == "helsedir"
    assert payload.in_portfolio_since is None


def test_a_submitted_status_report_is_published_with_its_budget() -> None:
    _, reported = _measure_events()
    out = translate(reported)
    assert out is not None
    assert (out.topic, out.event_type) == (topics.INTAKE_MEASURE, "StatusReportSubmitted")
    payload = _validated(out)
    assert (payload.measure_id, payload.period, payload.status, payload.risk) == (
        7,
        "2024-03",
        "green",
        None,
    )
    assert [(b.year, b.amount_nok) for b in payload.budget] == [(2024, 10), (2025, 0)]
    assert payload.receipt_id == "r-2"


def test_a_submitted_proposal_is_published_on_the_proposal_topic() -> None:
    proposal = ProposalIntake(
        proposal_id="p-1",
        receipt_id="r-3",
        received_at=NOW,
        title="Video consultations",
        description="",
        proposer="Ola",
        organisation="Kommune X",
        organisation_type="private",
        contact="ola@example.org",
        need="",
        target_groups=["citizens", "health_personnel"],
        category_code="A1",
    )
    out = translate(proposal.collect_events()[0])
    assert out is not None
    assert (out.topic, out.event_type) == (topics.INTAKE_PROPOSAL, "ProposalSubmitted")
    payload = _validated(out)
    assert payload.proposal_id == "p-1"
    assert payload.organisation_type == "private"
    assert payload.target_groups == ["citizens", "health_personnel"]


def test_receipts_stay_private() -> None:
    receipt = Receipt(
        caller="helsedir",
        idempotency_key="k",
        fingerprint="f",
        command="SubmitMeasure",
        subject_id="7",
        received_at=NOW,
    )
    assert translate(receipt.collect_events()[0]) is None


def test_something_that_is_not_an_intake_event_is_not_published() -> None:
    assert translate(object()) is None


def test_a_translated_event_survives_encoding_and_decoding_in_an_envelope() -> None:
    submitted, _ = _measure_events()
    out = translate(submitted)
    assert out is not None
    envelope = Envelope(
        event_id=submitted.originator_id,
        event_type=out.event_type,
        schema_version=out.schema_version,
        source="intake",
        aggregate_type="MeasureIntake",
        aggregate_id=submitted.originator_id,
        aggregate_version=submitted.originator_version,
        occurred_at=out.occurred_at,
        recorded_at=NOW,
        recorded_by=Actor(agency="helsedir"),
        position=1,
        payload=out.payload,
    )
    _, payload = decode(encode(envelope))
    assert payload == _validated(out)
