"""How assessment applies intake's messages to its measures (one unit of work)."""

from __future__ import annotations

from typing import Any

import pytest

from assessment.adapters.intake_events import HANDLED, handle
from assessment.application import AssessmentApplication
from assessment.domain import Measure
from backbone.errors import NotFoundError
from backbone.sinks import EventSourcedSink, UnitOfWork
from contracts import Actor


def test_assessment_handles_submitted_measures_and_status_reports() -> None:
    assert {"MeasureSubmitted", "StatusReportSubmitted"} == HANDLED


def test_a_submitted_measure_is_registered(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any
) -> None:
    uow = UnitOfWork(memory_app)
    handle(uow, deliver(submitted(7, in_portfolio_since="2023-05", owner="Kari")))
    measure = uow.get(Measure.create_id(7))
    assert isinstance(measure, Measure)
    assert (measure.measure_id, measure.name, measure.owner) == (7, "Measure 7", "Kari")
    assert measure.in_portfolio_since == "2023-05"
    (registered,) = uow.collect_events()
    assert isinstance(registered, Measure.Registered)
    assert registered.receipt_id == "receipt-m7"


def test_a_second_submission_of_a_measure_in_the_same_batch_is_a_no_op(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any
) -> None:
    uow = UnitOfWork(memory_app)
    handle(uow, deliver(submitted(7)))
    handle(uow, deliver(submitted(7, name="Renamed")))
    assert len(uow.collect_events()) == 1
    assert uow.get(Measure.create_id(7)).name == "Measure 7"


def test_a_submission_of_a_stored_measure_is_a_no_op(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any
) -> None:
    first = UnitOfWork(memory_app)
    handle(first, deliver(submitted(7)))
    memory_app.events.put(first.collect_events())
    again = UnitOfWork(memory_app)
    handle(again, deliver(submitted(7, name="Renamed")))
    assert again.collect_events() == []
    assert memory_app.get_measure(7).name == "Measure 7"


def test_a_status_report_is_recorded_on_its_measure(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any, reported: Any
) -> None:
    uow = UnitOfWork(memory_app)
    handle(uow, deliver(submitted(7)))
    handle(
        uow, deliver(reported(7, "2024-03", status="red", budget=[{"year": 2024, "amount_nok": 5}]))
    )
    measure = uow.get(Measure.create_id(7))
    assert measure.status_reports["2024-03"]["status"] == "red"
    assert measure.status_reports["2024-03"]["budget"] == [{"year": 2024, "amount_nok": 5}]
    assert measure.status_reports["2024-03"]["receipt_id"] == "receipt-m7-2024-03"
    assert [type(e).__name__ for e in uow.collect_events()] == [
        "Registered",
        "StatusReportRecorded",
    ]


def test_a_status_report_for_an_unknown_measure_is_not_found(
    memory_app: AssessmentApplication, deliver: Any, reported: Any
) -> None:
    uow = UnitOfWork(memory_app)
    with pytest.raises(NotFoundError):
        handle(uow, deliver(reported(99)))
    assert uow.collect_events() == []


def test_events_caused_by_a_message_carry_its_actor_and_name_it_as_cause(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any
) -> None:
    delivery = deliver(
        submitted(7), actor=Actor(agency="nhn", user="ola", role="admin"), correlation_id="c-9"
    )
    EventSourcedSink(memory_app, handle).apply(
        "assessment.test", delivery.envelope.position, [delivery]
    )
    (notification,) = memory_app.recorder.select_notifications(start=1, limit=10)
    registered = memory_app.mapper.to_domain_event(notification)
    assert registered.meta == {
        "agency": "nhn",
        "user": "ola",
        "role": "admin",
        "correlation_id": "c-9",
        "causation_id": str(delivery.envelope.event_id),
    }
