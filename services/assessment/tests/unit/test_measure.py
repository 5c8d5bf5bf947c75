"""A measure of the portfolio: registered once, with one status report per period."""

from __future__ import annotations

from typing import Any

import pytest

from assessment.domain import Measure
from backbone.domain import SYSTEM, EventMeta, acting_as
from backbone.errors import ConflictError

DIRECTORATE = EventMeta(agency="helsedir", user="kari", role="reporter", correlation_id="c-1")
NHN = EventMeta(agency="nhn", user="ola", role="reporter", correlation_id="c-2")


def a_measure(measure_id: int = 7) -> Measure:
    return Measure(
        measure_id=measure_id,
        name="Kjernejournal",
        description="Summary care record",
        responsible_agency="helsedir",
        owner="Kari",
        strategic_area="Samhandling",
        in_portfolio_since="2024-01",
        receipt_id="r-0",
    )


def report(measure: Measure, period: str, receipt_id: str, **changes: Any) -> None:
    fields: dict[str, Any] = {
        "period": period,
        "status": "green",
        "risk": "yellow",
        "budget": [{"year": int(period[:4]), "amount_nok": 100}],
        "explanation": "forsinket leveranse",
        "receipt_id": receipt_id,
    }
    measure.record_status_report(**{**fields, **changes})


def test_a_registered_measure_keeps_what_was_submitted() -> None:
    measure = a_measure()
    assert measure.id == Measure.create_id(7)
    assert (measure.measure_id, measure.name, measure.responsible_agency) == (
        7,
        "Kjernejournal",
        "helsedir",
    )
    assert measure.in_portfolio_since == "2024-01"
    assert measure.status_reports == {}
    (registered,) = measure.collect_events()
    assert isinstance(registered, Measure.Registered)
    assert registered.receipt_id == "r-0"


def test_a_measures_events_carry_the_meta_of_whoever_acted() -> None:
    with acting_as(DIRECTORATE):
        measure = a_measure()
    with acting_as(NHN):
        report(measure, "2024-03", "r-1")
    report(measure, "2024-04", "r-2")
    registered, by_nhn, by_system = measure.collect_events()
    assert registered.meta == DIRECTORATE.as_dict()
    assert isinstance(by_nhn, Measure.StatusReportRecorded)
    assert by_nhn.meta == NHN.as_dict()
    assert by_system.meta == SYSTEM.as_dict()


def test_status_reports_are_kept_per_period() -> None:
    measure = a_measure()
    report(measure, "2024-02", "r-1", status="red", risk=None)
    report(measure, "2024-03", "r-2", budget=[{"year": 2024, "amount_nok": 5}])
    assert sorted(measure.status_reports) == ["2024-02", "2024-03"]
    assert measure.status_reports["2024-02"]["status"] == "red"
    assert measure.status_reports["2024-02"]["risk"] is None
    assert measure.status_reports["2024-03"] == {
        "period": "2024-03",
        "status": "green",
        "risk": "yellow",
        "budget": [{"year": 2024, "amount_nok": 5}],
        "explanation": "forsinket leveranse",
        "receipt_id": "r-2",
        "explanation_missing": False,
        "correction": False,
        "progress": "",
        "obstacles": "",
        "experiences": "",
        "dependency_notes": "",
        "missing_focus": [],
    }
    assert measure.version == 3


def test_a_later_report_for_the_same_period_replaces_the_earlier_one() -> None:
    measure = a_measure()
    report(measure, "2024-03", "r-1", status="green")
    report(measure, "2024-03", "r-2", status="red")
    assert list(measure.status_reports) == ["2024-03"]
    assert measure.status_reports["2024-03"]["status"] == "red"
    assert measure.status_reports["2024-03"]["receipt_id"] == "r-2"
    recorded = measure.collect_events()[1:]
    assert [e.receipt_id for e in recorded] == ["r-1", "r-2"]


def test_the_same_receipt_is_refused_a_second_time() -> None:
    measure = a_measure()
    report(measure, "2024-03", "r-1")
    with pytest.raises(ConflictError):
        report(measure, "2024-03", "r-1")
    with pytest.raises(ConflictError):
        report(measure, "2024-04", "r-1")
    assert measure.version == 2
    assert len(measure.collect_events()) == 2


def test_a_receipt_is_refused_again_even_after_its_report_was_corrected() -> None:
    measure = a_measure()
    report(measure, "2024-03", "r-1", status="green")
    report(measure, "2024-03", "r-2", status="red")
    # r-1 was recorded; seeing it again must not bring the stale report back.
    with pytest.raises(ConflictError):
        report(measure, "2024-03", "r-1", status="green")
    assert measure.status_reports["2024-03"]["status"] == "red"


def test_a_status_report_event_names_its_measure() -> None:
    measure = a_measure(42)
    report(measure, "2024-03", "r-1")
    recorded = measure.collect_events()[-1]
    assert recorded.measure_id == 42
    assert recorded.originator_id == Measure.create_id(42)
    assert recorded.originator_version == 2
