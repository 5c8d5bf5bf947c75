"""EventSourcedSink on assessment, on memory, SQLite and PostgreSQL.

A batch's events and its tracking position are committed together, or not at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from assessment.adapters.intake_events import handle
from assessment.application import AssessmentApplication
from backbone.consumer import PoisonMessageError
from backbone.errors import NotFoundError
from backbone.sinks import EventSourcedSink

pytestmark = pytest.mark.integration

NAME = "assessment.intake-measures:intake.measure.v1:0"


def stored_count(app: AssessmentApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=10_000))


@pytest.fixture
def sink(assessment_app: AssessmentApplication) -> EventSourcedSink:
    return EventSourcedSink(assessment_app, handle)


def test_applying_a_batch_records_its_position_with_its_events(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
    reported: Any,
) -> None:
    assert sink.position(NAME) is None
    batch = [deliver(submitted(7)), deliver(submitted(8)), deliver(reported(7, "2024-03"))]
    sink.apply(NAME, 3, batch)
    assert sink.position(NAME) == 3
    assert stored_count(assessment_app) == 3
    measure = assessment_app.get_measure(7)
    assert measure.status_reports["2024-03"]["receipt_id"] == "receipt-m7-2024-03"
    assert assessment_app.get_measure(8).version == 1


def test_positions_are_kept_per_tracking_name(
    sink: EventSourcedSink, deliver: Any, submitted: Any
) -> None:
    sink.apply(NAME, 1, [deliver(submitted(7))])
    sink.apply("another-partition", 5, [deliver(submitted(8), position=5)])
    assert sink.position(NAME) == 1
    assert sink.position("another-partition") == 5
    assert sink.position("never-seen") is None


def test_applying_the_same_position_again_is_refused_and_stores_nothing(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
) -> None:
    sink.apply(NAME, 1, [deliver(submitted(7))])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 1, [deliver(submitted(9), position=1)])
    assert stored_count(assessment_app) == 1
    with pytest.raises(NotFoundError):
        assessment_app.get_measure(9)
    assert sink.position(NAME) == 1


def test_applying_an_older_position_is_refused_and_stores_nothing(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
) -> None:
    sink.apply(NAME, 5, [deliver(submitted(7), position=5)])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 3, [deliver(submitted(9), position=3)])
    assert stored_count(assessment_app) == 1
    assert sink.position(NAME) == 5


def test_applying_the_same_batch_again_is_refused_even_when_it_changes_nothing(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
) -> None:
    delivery = deliver(submitted(7))
    sink.apply(NAME, 1, [delivery])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 1, [delivery])
    assert stored_count(assessment_app) == 1
    assert sink.position(NAME) == 1


def test_a_batch_that_changes_nothing_still_records_its_position(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
) -> None:
    sink.apply(NAME, 1, [deliver(submitted(7))])
    sink.apply(NAME, 2, [deliver(submitted(7, name="again"))])
    sink.apply(NAME, 3, [])
    assert sink.position(NAME) == 3
    assert stored_count(assessment_app) == 1


def test_a_later_batch_applies_after_a_refused_one(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
    reported: Any,
) -> None:
    sink.apply(NAME, 1, [deliver(submitted(7))])
    with pytest.raises(IntegrityError):
        sink.apply(NAME, 1, [deliver(reported(7, "2024-01"), position=1)])
    sink.apply(NAME, 2, [deliver(reported(7, "2024-02"), position=2)])
    assert sink.position(NAME) == 2
    assert list(assessment_app.get_measure(7).status_reports) == ["2024-02"]


def test_a_handler_failure_names_the_bad_delivery_and_writes_nothing(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
    reported: Any,
) -> None:
    batch = [deliver(submitted(7)), deliver(reported(99)), deliver(submitted(8))]
    with pytest.raises(PoisonMessageError) as caught:
        sink.apply(NAME, 3, batch)
    assert caught.value.index == 1
    assert isinstance(caught.value.reason, NotFoundError)
    assert sink.position(NAME) is None
    assert stored_count(assessment_app) == 0
    with pytest.raises(NotFoundError):
        assessment_app.get_measure(7)


def test_the_batch_without_the_poison_message_applies(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
    reported: Any,
) -> None:
    batch = [deliver(submitted(7)), deliver(reported(99)), deliver(submitted(8))]
    with pytest.raises(PoisonMessageError) as caught:
        sink.apply(NAME, 3, batch)
    del batch[caught.value.index]
    sink.apply(NAME, 3, batch)
    assert sink.position(NAME) == 3
    assert [assessment_app.get_measure(i).measure_id for i in (7, 8)] == [7, 8]


def test_events_stored_by_the_sink_carry_the_messages_actor(
    sink: EventSourcedSink,
    assessment_app: AssessmentApplication,
    deliver: Any,
    submitted: Any,
) -> None:
    delivery = deliver(submitted(7))
    sink.apply(NAME, 1, [delivery])
    (notification,) = assessment_app.recorder.select_notifications(start=1, limit=10)
    registered = assessment_app.mapper.to_domain_event(notification)
    assert registered.meta["agency"] == "helsedir"
    assert registered.meta["causation_id"] == str(delivery.envelope.event_id)
