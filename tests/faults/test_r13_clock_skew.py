"""RELIABILITY.md R13: services whose clocks are 2 h off; ordering uses versions and positions.

Intake and assessment run under libfaketime, each with its own clock read from a file
when the process starts. First both run 2 h fast: a measure gets a status report and a
segment move. Then both are restarted 2 h slow, so everything they record next carries
a time 4 h *before* what they recorded first: a correction of the report for the same
period, and a second move. Pass: the second move decides the segment (in assessment's
state and in reporting's calendar), the correction is the report that counts (in
assessment and in reporting's portfolio report), and versions stay gap-free and in
order, although the recorded times run backwards.

libfaketime's ``FAKETIME_DONT_FAKE_MONOTONIC=1`` makes every ``time.sleep`` of Python
fail with EINVAL on this libfaketime build, so the monotonic clock is shifted as well
(by a constant, which no duration notices).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from tests.faults.pg import AGENCY, OFFICE
from tests.faults.results import record, size
from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1"
SKEWED = ["intake", "assessment"]
PERIOD = "2021-06"
FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in ("intake", "assessment", "korona", "reporting")
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}


def wrapper(clock_file: Path) -> str:
    """Start the service with the offset in ``clock_file`` as its clock (FAKETIME)."""
    script = 'FAKETIME="$(cat "$0")" exec "$@"'
    return f"env LD_PRELOAD={LIBFAKETIME} sh -c '{script}' {clock_file}"


@pytest.fixture(scope="module")
def skewed(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Stack]:
    if not Path(LIBFAKETIME).exists():
        pytest.fail(f"{LIBFAKETIME} is missing: run `make fault-tools` (Debian faketime)")
    base = tmp_path_factory.mktemp("r13")
    env = dict(FAST_GROUPS)
    for name in SKEWED:
        clock = base / f"{name}.clock"
        clock.write_text("+2h")
        env[f"PORTFOLIO_{name.upper()}_WRAPPER"] = wrapper(clock)
    stack = Stack(base / "var", shared_dir, env)
    stack.start("--no-seed")
    try:
        stack.wait_healthy()
        yield stack
    finally:
        stack.stop()


def set_clocks(stack: Stack, offset: str) -> None:
    """Restart the skewed services with their clocks at ``offset``."""
    for name in SKEWED:
        clock = Path(stack.extra_env[f"PORTFOLIO_{name.upper()}_WRAPPER"].rsplit(" ", 1)[1])
        clock.write_text(offset)
        pid = stack.pid(name)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        while stack.pid(name) in (0, pid):
            assert time.monotonic() < deadline, f"{name} was not restarted"
            time.sleep(0.1)
    stack.wait_healthy()


def report(
    i: int, key: str, colour: common_pb2.Colour.ValueType, explanation: str = ""
) -> intake_pb2.SubmitStatusReportRequest:
    return intake_pb2.SubmitStatusReportRequest(
        idempotency_key=key,
        measure_id=1000 + i,
        period=PERIOD,
        status=colour,
        risk=colour,
        explanation=explanation,
        budget=[common_pb2.BudgetLine(year=2021, amount_nok=1_000_000)],
    )


def move(i: int, to: common_pb2.Segment.ValueType, n: int) -> assessment_pb2.MoveMeasureRequest:
    return assessment_pb2.MoveMeasureRequest(
        measure_id=1000 + i, to=to, reason=f"Flytting {n}", period=PERIOD,
        idempotency_key=f"r13-move-{i}-{n}",
    )  # fmt: skip


async def retried(call: Any, request: Any, metadata: Any) -> Any:
    """A command retried (same idempotency key) while a restarted service comes up."""
    for _ in range(100):
        try:
            return await call(request, metadata=metadata, timeout=10)
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.NOT_FOUND):
                raise
            await asyncio.sleep(0.2)
    raise AssertionError(f"{request} never succeeded")


def history(stack: Stack, measure_id: int) -> list[dict[str, Any]]:
    out = stack.cli("audit", "history", str(measure_id), "--format", "json").stdout
    return json.loads(out)  # type: ignore[no-any-return]


def test_r13_skewed_clocks_never_decide_the_order(skewed: Stack) -> None:
    stack = skewed
    measures = size(4, 20)
    first_receipts: dict[int, str] = {}
    second_receipts: dict[int, str] = {}
    # Even measures: SAMSTYRE then OBSERVERE; odd: OBSERVERE then SAMSTYRE.
    order = [common_pb2.SEGMENT_SAMSTYRE, common_pb2.SEGMENT_OBSERVERE]

    async def phase(n: int) -> None:
        async with (
            grpc.aio.insecure_channel(stack.grpc("intake")) as ic,
            grpc.aio.insecure_channel(stack.grpc("assessment")) as ac,
        ):
            intake = intake_pb2_grpc.IntakeServiceStub(ic)
            assessment = assessment_pb2_grpc.AssessmentServiceStub(ac)
            for i in range(measures):
                if n == 0:
                    await retried(
                        intake.SubmitMeasure,
                        intake_pb2.SubmitMeasureRequest(
                            idempotency_key=f"r13-m{i}", measure_id=1000 + i, name=f"Tiltak {i}",
                            responsible_agency="Folkehelseinstituttet",
                            in_portfolio_since="2021-01",
                        ),
                        OFFICE,
                    )  # fmt: skip
                    r = await retried(
                        intake.SubmitStatusReport,
                        report(i, f"r13-r{i}-a", common_pb2.COLOUR_GREEN),
                        AGENCY,
                    )
                    first_receipts[i] = r.receipt_id
                else:
                    r = await retried(
                        intake.SubmitStatusReport,
                        report(i, f"r13-r{i}-b", common_pb2.COLOUR_RED, "Forsinket leveranse"),
                        AGENCY,
                    )
                    second_receipts[i] = r.receipt_id
                to = order[(i + n) % 2]
                await retried(assessment.MoveMeasure, move(i, to, n), OFFICE)  # waits for it

    asyncio.run(phase(0))
    set_clocks(stack, "-2h")
    asyncio.run(phase(1))

    want_segment = {1000 + i: order[(i + 1) % 2] for i in range(measures)}
    want_receipt = {1000 + i: second_receipts[i] for i in range(measures)}

    async def observed() -> tuple[dict[int, Any], dict[int, Any], dict[int, Any]]:
        async with (
            grpc.aio.insecure_channel(stack.grpc("assessment")) as ac,
            grpc.aio.insecure_channel(stack.grpc("reporting")) as rc,
        ):
            assessment = assessment_pb2_grpc.AssessmentServiceStub(ac)
            reporting = reporting_pb2_grpc.ReportingServiceStub(rc)
            states = {}
            for mid in want_segment:
                states[mid] = await assessment.GetMeasure(
                    assessment_pb2.GetMeasureRequest(measure_id=mid), metadata=OFFICE, timeout=5
                )
            calendar = await reporting.GetCalendar(
                reporting_pb2.GetCalendarRequest(period=PERIOD), timeout=5
            )
            portfolio = await reporting.GetPortfolioReport(
                reporting_pb2.GetPortfolioReportRequest(period=PERIOD), timeout=5
            )
        return (
            states,
            {e.measure_id: e.segment for e in calendar.due},
            {m.measure_id: m for m in portfolio.measures},
        )

    deadline = time.monotonic() + 60
    while True:
        states, segments, lines = asyncio.run(observed())
        shown = {mid: line.report_receipt_id for mid, line in lines.items()}
        if (
            {m: s.segment for m, s in states.items()} == want_segment
            and {m: segments.get(m) for m in want_segment} == want_segment
            and {m: shown.get(m) for m in want_receipt} == want_receipt
        ):
            break
        assert time.monotonic() < deadline, (states, segments, shown)
        time.sleep(0.5)

    for mid in want_segment:
        assert lines[mid].status == common_pb2.COLOUR_RED  # the correction counts
        latest = [r for r in states[mid].status_reports if r.period == PERIOD]
        assert latest[-1].receipt_id == want_receipt[mid]

    # The clocks really ran backwards: the second move is recorded 4 h before the first,
    # yet versions are gap-free and in order.
    events = history(stack, 1000)
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    moves = [e for e in events if e["type"] == "SegmentChanged"]
    assert len(moves) == 2
    first, second = (datetime.fromisoformat(m["recorded_at"]) for m in moves)
    backwards_h = (first - second).total_seconds() / 3600
    assert 3.5 < backwards_h < 4.5, (first, second)

    record(
        "R13",
        "test_r13_skewed_clocks_never_decide_the_order",
        events=measures * 5,
        faults=2,  # two clock changes (+2 h, then -2 h) in two services
        clock_offsets_h=[2, -2],
        recorded_time_backwards_h=round(backwards_h, 2),
        wrong_order=0,
        losses=0,
        duplicates=0,
    )
