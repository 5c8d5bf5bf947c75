"""Assessment's published contracts: registrations and recorded status reports."""

from __future__ import annotations

import json
from typing import Any

from assessment.adapters.published import translate
from assessment.domain import Measure
from backbone.outbox import Outgoing
from contracts import payload_model, topics


def _events() -> list[Any]:
    measure = Measure(
        measure_id=7,
        name="Kjernejournal",
        description="",
        responsible_agency="helsedir",
        owner="",
        strategic_area="Samhandling",
        in_portfolio_since="2024-01",
        receipt_id="r-0",
    )
    measure.record_status_report(
        period="2024-03",
        status=None,
        risk="red",
        budget=[{"year": 2024, "amount_nok": 10}, {"year": 2025, "amount_nok": 20}],
        explanation="late",
        receipt_id="r-1",
    )
    return measure.collect_events()


def _validated(out: Outgoing) -> Any:
    model = payload_model(out.event_type, out.schema_version)
    return model.model_validate(json.loads(json.dumps(out.payload)))


def test_a_registered_measure_is_published_as_measure_registered() -> None:
    registered, _ = _events()
    out = translate(registered)
    assert out is not None
    assert (out.topic, out.event_type, out.schema_version) == (
        topics.ASSESSMENT_MEASURE,
        "MeasureRegistered",
        1,
    )
    assert out.occurred_at == registered.timestamp
    payload = _validated(out)
    assert (payload.measure_id, payload.name, payload.responsible_agency) == (
        7,
        "Kjernejournal",
        "helsedir",
    )
    assert payload.in_portfolio_since == "2024-01"
    assert payload.receipt_id == "r-0"


def test_a_recorded_status_report_is_published_with_its_budget() -> None:
    _, recorded = _events()
    out = translate(recorded)
    assert out is not None
    assert (out.topic, out.event_type) == (topics.ASSESSMENT_MEASURE, "StatusReportRecorded")
    payload = _validated(out)
    assert (payload.measure_id, payload.period, payload.status, payload.risk) == (
        7,
        "2024-03",
        None,
        "red",
    )
    assert [(b.year, b.amount_nok) for b in payload.budget] == [(2024, 10), (2025, 20)]
    assert (payload.explanation, payload.receipt_id) == ("late", "r-1")


def test_anything_else_is_not_published() -> None:
    assert translate(object()) is None
