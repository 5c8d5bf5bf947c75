"""Intake's aggregates: what was handed in, stamped with who handed it in."""

from __future__ import annotations

from datetime import UTC, datetime

from backbone.domain import SYSTEM, EventMeta, acting_as
from intake.domain import MeasureIntake, ProposalIntake, Receipt

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _measure_intake(measure_id: int = 7) -> MeasureIntake:
    return MeasureIntake(
        measure_id=measure_id,
        receipt_id="r-1",
        received_at=NOW,
        name="Kjernejournal",
        description="",
        responsible_agency="helsedir",
        owner="",
        strategic_area="",
        in_portfolio_since="2024-01",
    )


def _report(record: MeasureIntake, receipt_id: str = "r-2") -> None:
    record.submit_status_report(
        measure_id=record.measure_id,
        receipt_id=receipt_id,
        received_at=NOW,
        period="2024-03",
        status="green",
        risk=None,
        budget=[{"year": 2024, "amount_nok": 10}],
        explanation="",
    )


def test_a_submitted_measure_carries_the_meta_of_whoever_acted(agency: EventMeta) -> None:
    with acting_as(agency):
        record = _measure_intake()
    (submitted,) = record.collect_events()
    assert isinstance(submitted, MeasureIntake.MeasureSubmitted)
    assert submitted.meta == agency.as_dict()
    assert submitted.meta["agency"] == "helsedir"
    assert submitted.meta["correlation_id"] == "corr-1"


def test_an_event_triggered_outside_acting_as_is_stamped_as_the_system() -> None:
    record = _measure_intake()
    (submitted,) = record.collect_events()
    assert submitted.meta == SYSTEM.as_dict()


def test_each_event_carries_the_meta_current_when_it_was_triggered(
    agency: EventMeta, other_agency: EventMeta
) -> None:
    with acting_as(agency):
        record = _measure_intake()
    with acting_as(other_agency):
        _report(record)
    submitted, reported = record.collect_events()
    assert submitted.meta["agency"] == "helsedir"
    assert isinstance(reported, MeasureIntake.StatusReportSubmitted)
    assert reported.meta == other_agency.as_dict()


def test_acting_as_restores_the_previous_actor_on_leaving(
    agency: EventMeta, other_agency: EventMeta
) -> None:
    with acting_as(agency):
        with acting_as(other_agency):
            inner = _measure_intake(1)
        outer = _measure_intake(2)
    after = _measure_intake(3)
    assert inner.collect_events()[0].meta["agency"] == "nhn"
    assert outer.collect_events()[0].meta["agency"] == "helsedir"
    assert after.collect_events()[0].meta == SYSTEM.as_dict()


def test_a_status_report_is_an_event_on_the_measures_intake_record() -> None:
    record = _measure_intake()
    _report(record, "r-2")
    _report(record, "r-3")
    assert record.status_reports == 2
    assert record.version == 3
    events = record.collect_events()
    assert [type(e).__name__ for e in events] == [
        "MeasureSubmitted",
        "StatusReportSubmitted",
        "StatusReportSubmitted",
    ]
    assert events[2].receipt_id == "r-3"
    assert events[2].budget == [{"year": 2024, "amount_nok": 10}]


def test_a_measures_intake_id_derives_from_its_portfolio_id() -> None:
    assert _measure_intake(7).id == MeasureIntake.create_id(7)
    assert MeasureIntake.create_id(7) == MeasureIntake.create_id(7)
    assert MeasureIntake.create_id(7) != MeasureIntake.create_id(8)


def test_a_receipt_id_depends_on_both_caller_and_key() -> None:
    assert Receipt.create_id("helsedir", "k") == Receipt.create_id("helsedir", "k")
    assert Receipt.create_id("helsedir", "k") != Receipt.create_id("nhn", "k")
    assert Receipt.create_id("helsedir", "k") != Receipt.create_id("helsedir", "k2")
    # The separator keeps ("ab", "c") and ("a", "bc") apart.
    assert Receipt.create_id("ab", "c") != Receipt.create_id("a", "bc")


def test_a_proposal_intake_keeps_what_was_received(agency: EventMeta) -> None:
    with acting_as(agency):
        proposal = ProposalIntake(
            proposal_id="p-1",
            receipt_id="r-1",
            received_at=NOW,
            title="Video consultations",
            description="",
            proposer="Ola",
            organisation="Kommune X",
            organisation_type="public",
            contact="",
            need="",
            target_groups=["citizens"],
            category_code="A1",
        )
    assert proposal.id == ProposalIntake.create_id("p-1")
    assert proposal.title == "Video consultations"
    (submitted,) = proposal.collect_events()
    assert isinstance(submitted, ProposalIntake.ProposalSubmitted)
    assert submitted.target_groups == ["citizens"]
    assert submitted.meta == agency.as_dict()


def test_a_receipt_keeps_the_fingerprint_and_subject_of_its_command(agency: EventMeta) -> None:
    with acting_as(agency):
        receipt = Receipt(
            caller="helsedir",
            idempotency_key="k",
            fingerprint="abc",
            command="SubmitMeasure",
            subject_id="7",
            received_at=NOW,
        )
    assert (receipt.fingerprint, receipt.command, receipt.subject_id) == (
        "abc",
        "SubmitMeasure",
        "7",
    )
    assert receipt.received_at == NOW
    assert receipt.id == Receipt.create_id("helsedir", "k")
    assert receipt.collect_events()[0].meta["user"] == "kari"
