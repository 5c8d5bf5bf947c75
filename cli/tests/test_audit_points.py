"""``portfolio audit``'s points in time, progress lines and text, without a server."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest

from eportfolio.audit.v1 import audit_pb2
from eportfolio.common.v1 import common_pb2
from portfolio_cli.audit_points import (
    parse_moment_point,
    parse_point,
    parse_since,
    parse_until,
    utc_text,
)
from portfolio_cli.audit_progress import Progress, grouped
from portfolio_cli.audit_text import event_summary, fit, short_method, wrapped_table


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        # A date is the end of that day in Norwegian time (summer: UTC+2, winter: UTC+1).
        ("2020-06-30", "2020-06-30T21:59:59.999999Z"),
        ("2020-01-31", "2020-01-31T22:59:59.999999Z"),
        # A month is the end of its last day.
        ("2020-06", "2020-06-30T21:59:59.999999Z"),
        ("2020-02", "2020-02-29T22:59:59.999999Z"),
        ("2020-12", "2020-12-31T22:59:59.999999Z"),
        # A time without an offset is Norwegian time; with one it is taken as given.
        ("2020-06-30T14:00", "2020-06-30T12:00:00Z"),
        ("2020-06-30 14:00:30", "2020-06-30T12:00:30Z"),
        ("2020-06-30T12:00:00Z", "2020-06-30T12:00:00Z"),
        ("2020-06-30T14:00:00+02:00", "2020-06-30T12:00:00Z"),
        # The repeated autumn hour is the earlier one.
        ("2020-10-25T02:30", "2020-10-25T00:30:00Z"),
    ],
)
def test_moments_go_on_the_wire_in_utc(text: str, wire: str) -> None:
    point = parse_point(text)
    assert point.version is None
    assert point.wire_moment() == wire
    message = point.to_proto(recorded=False)
    assert (message.WhichOneof("at"), message.moment) == ("moment", wire)
    assert message.axis == common_pb2.TIME_AXIS_DOMAIN


def test_a_version_is_v_and_a_number() -> None:
    point = parse_point("v4")
    assert point.version == 4
    assert point.to_proto(recorded=True) == audit_pb2.Point(version=4)
    assert point.to_json(recorded=True) == {"version": 4}
    assert parse_point("V0").version == 0


def test_now_is_the_moment_of_the_call_and_recorded_picks_the_axis() -> None:
    point = parse_point("now")
    assert point.moment is None
    assert point.wire_moment() == ""
    message = point.to_proto(recorded=True)
    assert message.axis == common_pb2.TIME_AXIS_RECORDED
    sent = datetime.fromisoformat(message.moment)
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 5
    assert point.to_json(recorded=True) == {"moment": None, "axis": "recorded"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("4", "write a version as v4"),
        ("2020-13-01", "is not a date"),
        ("2020-13", "is not a month"),
        ("i går", "is not a point in time"),
        ("2020-03-29T02:30", "did not exist in Norwegian time"),
        ("v-1", "is not a point in time"),
    ],
)
def test_bad_points_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_point(text)


def test_the_portfolio_is_rebuilt_at_a_moment_not_a_version() -> None:
    with pytest.raises(ValueError, match="at a moment, not a version"):
        parse_moment_point("v3")
    assert parse_moment_point("2020-06").wire_moment() == "2020-06-30T21:59:59.999999Z"


def test_since_takes_a_date_from_its_start_and_until_to_its_end() -> None:
    assert utc_text(parse_since("2020-06-30")) == "2020-06-29T22:00:00Z"
    assert utc_text(parse_until("2020-06-30")) == "2020-06-30T21:59:59.999999Z"
    assert utc_text(parse_since("2020-06")) == "2020-05-31T22:00:00Z"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_is_throttled_and_ends_with_the_last_count() -> None:
    out = io.StringIO()
    clock = Clock()
    progress = Progress("assessment", "records", 40_000, enabled=True, stream=out, clock=clock)
    for _ in range(12_000):
        progress.step()
    clock.now = 1.0
    progress.step()
    progress.done()
    assert out.getvalue().splitlines() == [
        "assessment: 1 / 40 000 records",
        "assessment: 12 001 / 40 000 records",
        "assessment: 12 001 / 40 000 records",
    ]


def test_progress_is_silent_unless_wanted_and_rewrites_a_terminal_line() -> None:
    quiet = io.StringIO()
    progress = Progress("korona", "events", enabled=False, stream=quiet)
    progress.step(5)
    progress.done()
    assert quiet.getvalue() == ""

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    tty = Terminal()
    progress = Progress("korona", "events", enabled=True, stream=tty)
    progress.step(3)
    progress.done()
    assert tty.getvalue() == "\rkorona: 3 events\x1b[K\rkorona: 3 events\x1b[K\n"
    assert grouped(1234567) == "1 234 567"


def test_an_event_is_summed_up_for_people() -> None:
    moved = {"from_segment": "koordinere", "to_segment": "samstyre", "period": "2020-06"}
    assert event_summary("SegmentChanged", moved) == "Koordinere → Samstyre fra 2020-06"
    placed = {"from_segment": None, "to_segment": "observere", "period": "2020-03"}
    assert event_summary("SegmentChanged", placed).startswith("Ikke plassert → Observere")
    report = {"period": "2020-03", "status": "yellow", "risk": "red", "explanation": "Forsinket"}
    assert event_summary("StatusReportRecorded", report) == (
        "2020-03: status Gul, risiko Rød; Forsinket"
    )
    unreported = {"period": "2020-06", "status": None, "risk": "green"}
    assert "status Ikke rapportert, risiko Grønn" in event_summary(
        "StatusReportRecorded", unreported
    )
    assert event_summary("Unknown", {"a": 1, "reason": "x", "b": "to"}) == "a=1, b=to"
    assert event_summary("Decided", {"decision": "prioritised"}) == "Prioritert"
    assert short_method("eportfolio.assessment.v1.AssessmentService/MoveMeasure") == (
        "AssessmentService/MoveMeasure"
    )


def test_long_cells_wrap_within_their_column() -> None:
    rows = [["1", "kort", "en lang begrunnelse som ikke får plass på én linje i tabellen"]]
    limits = fit(["Nr", "Hva", "Hvorfor"], rows, flexible=(2,), width=40)
    assert limits == [None, None, 30]
    table = wrapped_table(["Nr", "Hva", "Hvorfor"], rows, limits)
    lines = table.splitlines()
    assert max(len(line) for line in lines) <= 40
    assert lines[2].startswith("1   kort  en lang begrunnelse")
    assert lines[3].startswith("          ")
    assert "tabellen" in lines[-1]
