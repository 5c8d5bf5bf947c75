"""The projection sink: rows and position in one transaction, poison named by index."""

from __future__ import annotations

from typing import Any

import pytest

from backbone.consumer import Delivery, PoisonMessageError
from contracts import assessment as a
from contracts import intake as c
from reporting.projections import HANDLED, ProjectionSink, ops_for
from reporting.queries import portfolio_report
from reporting.store import ReadModelStore


def test_reporting_handles_what_its_views_need() -> None:
    assert {
        "MeasureRegistered",
        "StatusReportRecorded",
        "MeasureIncluded",
        "MeasureNotIncluded",
        "SegmentChanged",
        "MeasureLeft",
        "ProposalRegistered",
        "ProposalCategorised",
        "ProposalRouted",
        "ProposalAssessed",
        "ProposalDecided",
        "ProposalReopened",
        "FeedbackGiven",
        "ImplementationStatusSet",
        "FundingEnvelopeOpened",
        "FundingChanged",
    } == HANDLED


def test_a_message_reporting_does_not_project_writes_nothing(deliver: Any) -> None:
    submitted = c.MeasureSubmitted(
        receipt_id="r",
        received_at="2024-01-01T00:00:00Z",
        measure_id=1,
        name="n",
        responsible_agency="a",
    )
    assert ops_for(deliver(submitted)) == []


def test_a_batch_records_its_position_with_its_rows(
    memory_store: ReadModelStore, deliver: Any, registered: Any, recorded: Any
) -> None:
    sink = ProjectionSink(memory_store)
    assert sink.position("t") is None
    sink.apply("t", 2, [deliver(registered(1)), deliver(recorded(1, "2024-03"))])
    assert sink.position("t") == 2
    assert portfolio_report(memory_store, "2024-03").measures[0].reported is True


def test_a_failing_projection_names_the_message_and_writes_nothing(
    memory_store: ReadModelStore, deliver: Any, registered: Any, recorded: Any
) -> None:
    good = [deliver(registered(1)), deliver(recorded(1, "2024-03"))]
    # A payload that passed no validation: the projection fails reading its fields.
    incomplete = a.MeasureRegistered.model_construct(measure_id=2)
    bad = Delivery(good[0].envelope, incomplete, good[0].topic, 0, 2)
    sink = ProjectionSink(memory_store)
    with pytest.raises(PoisonMessageError) as caught:
        sink.apply("t", 3, [*good, bad])
    assert caught.value.index == 2
    assert isinstance(caught.value.reason, AttributeError)
    assert sink.position("t") is None
    assert portfolio_report(memory_store, "2024-03").measures == []
