"""An auditor's reading of a measure: its history, its state at a version or a moment on
either time axis, and what changed between two moments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from assessment.adapters import audit
from assessment.adapters.published import translate
from assessment.application import AssessmentApplication
from assessment.domain import Measure, Segment
from backbone.audit.trail import AuditTrail, Point, held_at_by
from backbone.domain import EventMeta, acting_as
from backbone.errors import NotFoundError, ValidationError

OFFICE = EventMeta(
    agency="Direktoratet for e-helse", user="kari", role="office", correlation_id="c-9"
)
AGENCY = EventMeta(agency="Helse Vest RHF", user="ola", role="agency", correlation_id="c-7")
T0 = datetime(2020, 3, 31, 12, tzinfo=UTC)


@pytest.fixture
def trail() -> AuditTrail:
    app = AssessmentApplication(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    with acting_as(AGENCY):
        measure = Measure(
            measure_id=160,
            name="Digitalisering av legemiddelområdet",
            description="",
            responsible_agency="Helse Vest RHF",
            owner="Robert",
            strategic_area="2.2",
            in_portfolio_since="2020-03",
            receipt_id="r-1",
            registered_at=T0,
        )
        measure.record_status_report(
            period="2020-03",
            status="red",
            risk="red",
            budget=[{"year": 2020, "amount_nok": 62_000_000}],
            explanation="forsinket",
            receipt_id="r-2",
            reported_at=T0 + timedelta(days=10),
        )
    app.save(measure)
    with acting_as(OFFICE):
        measure.move(
            to=Segment.SAMSTYRE, reason="stort omfang", decision="NUIT 15/20", period="2020-04"
        )
    app.save(measure)
    with acting_as(OFFICE):
        measure.move(
            to=Segment.KOORDINERE, reason="mindre risiko", decision="NUIT 22/20", period="2020-06"
        )
    app.save(measure)
    return AuditTrail("assessment", app, audit.STREAMS, held_at_by(translate))


def test_the_history_names_who_when_and_why_in_version_order(trail: AuditTrail) -> None:
    stream = trail.stream("160")
    events = list(trail.history(stream))
    assert [e.type for e in events] == [
        "Registered",
        "StatusReportRecorded",
        "SegmentChanged",
        "SegmentChanged",
    ]
    assert [e.version for e in events] == [1, 2, 3, 4]
    assert [e.position for e in events] == [1, 2, 3, 4]
    moved = events[2]
    assert moved.meta["agency"] == "Direktoratet for e-helse"
    assert moved.meta["role"] == "office"
    assert moved.meta["correlation_id"] == "c-9"
    assert moved.reason == "stort omfang"
    assert moved.data["to_segment"] == "samstyre"
    assert moved.data["decision"] == "NUIT 15/20"
    # a status report holds when the agency gave it, a decision when it was recorded
    assert events[1].held_at == T0 + timedelta(days=10)
    assert events[1].reason == "forsinket"
    assert moved.held_at == moved.recorded_at


def test_state_at_a_version_and_at_moments_on_both_axes(trail: AuditTrail) -> None:
    stream = trail.stream("160")
    assert trail.state_at(stream, Point(version=3)).data["segment"] == "samstyre"
    assert trail.state_at(stream, Point(version=4)).data["segment"] == "koordinere"
    assert trail.state_at(stream, Point(version=0)).version == 0

    # on the domain axis, on 2020-04-01 the measure was registered but had not reported
    at = trail.state_at(stream, Point(moment=T0 + timedelta(days=1)))
    assert at.version == 1
    assert at.data["status_reports"] == {}
    at = trail.state_at(stream, Point(moment=T0 + timedelta(days=11)))
    assert at.version == 2
    assert at.data["status_reports"]["2020-03"]["status"] == "red"
    assert at.data["segment"] is None  # the moves were decided later (when recorded)

    # on the recorded axis, before anything was stored nothing existed
    before = trail.state_at(stream, Point(moment=T0, recorded=True))
    assert (before.version, before.data) == (0, {})
    now = trail.state_at(stream, Point(moment=datetime.now(UTC), recorded=True))
    assert now.version == 4


def test_diff_lists_the_changed_fields_and_the_events_between(trail: AuditTrail) -> None:
    stream = trail.stream("160")
    before, after, changes, events = trail.diff(stream, Point(version=2), Point(version=4))
    assert (before.version, after.version) == (2, 4)
    by_path = {c.path: c for c in changes}
    assert by_path["/segment"].before is None
    assert by_path["/segment"].after == "koordinere"
    assert by_path["/segment_since"].after == "2020-06"
    assert [e.version for e in events] == [3, 4]


def test_the_portfolio_at_a_moment_holds_each_measure_as_it_stood(trail: AuditTrail) -> None:
    states = list(trail.portfolio_at(Point(moment=T0 + timedelta(days=11))))
    assert [(s.stream.subject, s.version) for s in states] == [("160", 2)]
    assert list(trail.portfolio_at(Point(moment=T0 - timedelta(days=1)))) == []


def test_unknown_subjects_and_types_are_named(trail: AuditTrail) -> None:
    with pytest.raises(NotFoundError, match="keeps no stream for '999'"):
        trail.stream("999")
    with pytest.raises(ValidationError, match="keeps no Proposal streams"):
        trail.stream("160", "Proposal")
    assert trail.find("a-proposal-id") == []
