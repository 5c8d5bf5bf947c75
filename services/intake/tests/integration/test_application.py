"""IntakeApplication on memory, SQLite and PostgreSQL: idempotent, ordered, stamped."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import Notification

from backbone.domain import EventMeta, acting_as
from backbone.errors import (
    AlreadyExistsError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
)
from intake.adapters.published import translate
from intake.application import IntakeApplication
from intake.domain import MeasureIntake, ProposalIntake, Receipt

pytestmark = pytest.mark.integration

Names = Callable[[IntakeApplication], list[str]]
Stored = Callable[[IntakeApplication], list[Notification]]


def test_a_retried_submission_returns_the_first_receipt(
    intake_app: IntakeApplication, agency: EventMeta, a_measure: Any, stored_names: Names
) -> None:
    with acting_as(agency):
        first = intake_app.submit_measure(a_measure(), "key-1")
        again = intake_app.submit_measure(a_measure(), "key-1")
    assert first.replayed is False
    assert again.replayed is True
    assert again.receipt_id == first.receipt_id
    assert again.received_at == first.received_at
    assert again.subject_id == first.subject_id == "7"
    assert stored_names(intake_app) == ["MeasureIntake.MeasureSubmitted", "Receipt.Issued"]


def test_the_receipt_id_is_the_one_the_event_carries(
    intake_app: IntakeApplication, agency: EventMeta, a_measure: Any
) -> None:
    with acting_as(agency):
        view = intake_app.submit_measure(a_measure(), "key-1")
    assert view.receipt_id == str(Receipt.create_id("helsedir", "key-1"))
    record = intake_app.repository.get(MeasureIntake.create_id(7))
    assert record.version == 1
    assert record.name == "Kjernejournal"


def test_a_retried_status_report_is_stored_once(
    intake_app: IntakeApplication,
    agency: EventMeta,
    a_measure: Any,
    a_status_report: Any,
    stored_names: Names,
) -> None:
    with acting_as(agency):
        intake_app.submit_measure(a_measure(), "key-1")
        first = intake_app.submit_status_report(a_status_report(), "key-2")
        again = intake_app.submit_status_report(a_status_report(), "key-2")
    assert (again.receipt_id, again.replayed) == (first.receipt_id, True)
    assert stored_names(intake_app).count("MeasureIntake.StatusReportSubmitted") == 1
    assert intake_app.repository.get(MeasureIntake.create_id(7)).status_reports == 1


def test_the_same_key_for_a_different_request_is_a_conflict(
    intake_app: IntakeApplication,
    agency: EventMeta,
    a_measure: Any,
    a_status_report: Any,
    stored_names: Names,
) -> None:
    with acting_as(agency):
        intake_app.submit_measure(a_measure(), "key-1")
        with pytest.raises(ConflictError):
            intake_app.submit_measure(a_measure(name="Another name"), "key-1")
        with pytest.raises(ConflictError):
            intake_app.submit_measure(a_measure(8), "key-1")
        with pytest.raises(ConflictError):
            intake_app.submit_status_report(a_status_report(), "key-1")
    assert stored_names(intake_app) == ["MeasureIntake.MeasureSubmitted", "Receipt.Issued"]


def test_the_same_key_from_another_caller_is_another_request(
    intake_app: IntakeApplication,
    agency: EventMeta,
    other_agency: EventMeta,
    a_measure: Any,
) -> None:
    with acting_as(agency):
        first = intake_app.submit_measure(a_measure(7), "key-1")
    with acting_as(other_agency):
        second = intake_app.submit_measure(a_measure(8, responsible_agency="nhn"), "key-1")
    assert second.replayed is False
    assert second.receipt_id != first.receipt_id
    assert second.subject_id == "8"


def test_a_status_report_for_an_unknown_measure_is_not_found(
    intake_app: IntakeApplication, agency: EventMeta, a_status_report: Any, stored: Stored
) -> None:
    with acting_as(agency), pytest.raises(NotFoundError):
        intake_app.submit_status_report(a_status_report(99), "key-1")
    assert stored(intake_app) == []


def test_a_measure_submitted_again_under_another_key_already_exists(
    intake_app: IntakeApplication, agency: EventMeta, a_measure: Any, stored_names: Names
) -> None:
    with acting_as(agency):
        intake_app.submit_measure(a_measure(), "key-1")
        with pytest.raises(AlreadyExistsError):
            intake_app.submit_measure(a_measure(), "key-2")
    assert stored_names(intake_app) == ["MeasureIntake.MeasureSubmitted", "Receipt.Issued"]


def test_the_notification_log_holds_intake_events_in_order(
    intake_app: IntakeApplication,
    agency: EventMeta,
    a_measure: Any,
    a_status_report: Any,
    a_proposal: Any,
) -> None:
    with acting_as(agency):
        intake_app.submit_measure(a_measure(7), "k1")
        intake_app.submit_measure(a_measure(8), "k2")
        intake_app.submit_status_report(a_status_report(7, period="2024-02"), "k3")
        intake_app.submit_proposal(a_proposal(), "k4")
        intake_app.submit_status_report(a_status_report(7, period="2024-03"), "k5")
    notifications = intake_app.recorder.select_notifications(start=1, limit=100)
    ids = [n.id for n in notifications]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids) == 10
    events = [intake_app.mapper.to_domain_event(n) for n in notifications]
    published = [(o.event_type, o.payload) for o in map(translate, events) if o is not None]
    assert [(t, p.get("measure_id"), p.get("period")) for t, p in published] == [
        ("MeasureSubmitted", 7, None),
        ("MeasureSubmitted", 8, None),
        ("StatusReportSubmitted", 7, "2024-02"),
        ("ProposalSubmitted", None, None),
        ("StatusReportSubmitted", 7, "2024-03"),
    ]
    # Each aggregate's events are in version order within the log.
    versions = [
        n.originator_version for n in notifications if n.originator_id == MeasureIntake.create_id(7)
    ]
    assert versions == [1, 2, 3]


def test_stored_events_keep_the_meta_of_the_caller(
    intake_app: IntakeApplication, agency: EventMeta, a_measure: Any, stored: Stored
) -> None:
    with acting_as(agency):
        intake_app.submit_measure(a_measure(), "key-1")
    events = [intake_app.mapper.to_domain_event(n) for n in stored(intake_app)]
    assert [e.meta for e in events] == [agency.as_dict(), agency.as_dict()]


def test_a_retried_proposal_returns_the_first_receipt_naming_the_proposal(
    intake_app: IntakeApplication, agency: EventMeta, a_proposal: Any, stored_names: Names
) -> None:
    with acting_as(agency):
        first = intake_app.submit_proposal(a_proposal(), "key-1")
        again = intake_app.submit_proposal(a_proposal(), "key-1")
        with pytest.raises(ConflictError):
            intake_app.submit_proposal(a_proposal(title="Something else"), "key-1")
    assert (again.receipt_id, again.subject_id, again.replayed) == (
        first.receipt_id,
        first.subject_id,
        True,
    )
    proposal = intake_app.repository.get(ProposalIntake.create_id(first.subject_id))
    assert proposal.proposal_id == first.subject_id
    assert stored_names(intake_app) == ["ProposalIntake.ProposalSubmitted", "Receipt.Issued"]


def test_a_proposal_without_an_idempotency_key_gets_a_receipt_naming_its_own_proposal(
    intake_app: IntakeApplication, agency: EventMeta, a_proposal: Any
) -> None:
    with acting_as(agency):
        first = intake_app.submit_proposal(a_proposal(title="One"), "")
        second = intake_app.submit_proposal(a_proposal(title="Two"), "")
    assert first.subject_id != second.subject_id
    for view, title in ((first, "One"), (second, "Two")):
        proposal = intake_app.repository.get(ProposalIntake.create_id(view.subject_id))
        assert proposal.title == title


# --- S6: when a submission happened is the server's, or the office's import's ----------


def test_only_the_office_dates_or_flags_a_submission_historical(
    intake_app: IntakeApplication,
    agency: EventMeta,
    a_measure: Any,
    a_status_report: Any,
    a_proposal: Any,
    stored_names: Names,
) -> None:
    """RELIABILITY.md S6: an agency backdating its report (views "as of" a moment go by
    reported_at), skipping the red-needs-explanation rule (historical_import), or a
    proposer backdating a proposal, is refused and stores nothing; the office's import
    may do all three."""
    past = datetime(2020, 3, 20, 12, tzinfo=UTC)
    office = EventMeta(agency="Direktoratet for e-helse", user="imp", role="office")
    proposer = EventMeta(agency="Oslo kommune", user="per", role="proposer")
    with acting_as(agency):
        intake_app.submit_measure(a_measure(), "key-1")
    before = stored_names(intake_app)
    refused = [
        (
            agency,
            lambda: intake_app.submit_measure(a_measure(measure_id=8, reported_at=past), "k2"),
        ),
        (agency, lambda: intake_app.submit_status_report(a_status_report(reported_at=past), "k3")),
        (agency, lambda: intake_app.submit_status_report(a_status_report(historical=True), "k4")),
        (proposer, lambda: intake_app.submit_proposal(a_proposal(received_at=past), "k5")),
    ]
    for who, attempt in refused:
        with acting_as(who), pytest.raises(PermissionDeniedError, match="office"):
            attempt()
    assert stored_names(intake_app) == before
    with acting_as(office):
        intake_app.submit_status_report(a_status_report(reported_at=past, historical=True), "k6")
        intake_app.submit_proposal(a_proposal(received_at=past), "k7")
    assert stored_names(intake_app).count("MeasureIntake.StatusReportSubmitted") == 1
