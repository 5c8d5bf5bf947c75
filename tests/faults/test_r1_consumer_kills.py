"""RELIABILITY.md R1: SIGKILL consumers at random moments while events flow.

2,000 intake events (FAULTS_SCALE=full: 5,300) flow through every link (intake->assessment,
intake->korona, assessment->reporting, korona->reporting) while the consumer processes
are killed 10 times (full: 30). Afterwards every event is applied exactly once: the event
stores and the read model hold exactly what was submitted, with the receipts intake gave out.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from tests.faults.flow import MetricsWatch
from tests.faults.results import record, size
from tests.stack import Stack, event_counts

pytestmark = [pytest.mark.e2e, pytest.mark.faults]

MEASURES = size(100, 300)
PERIODS = [f"2021-{m:02d}" for m in range(1, 11)]  # CI: 10 periods x 100 = 1,000 reports
PROPOSALS = size(900, 2000)  # CI: + 100 measures = 2,000 intake events
KILLS = size(10, 30)
CONSUMERS = ["assessment", "korona", "reporting"]
FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in CONSUMERS
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}


@pytest.fixture
def stack(tmp_path: Path, shared_dir: Path) -> Iterator[Stack]:
    s = Stack(var_dir=tmp_path / "var", shared_dir=shared_dir, extra_env=FAST_GROUPS)
    s.start("--no-seed")
    s.wait_healthy()
    yield s
    s.stop()


async def submit_all(address: str) -> dict[tuple[int, str], str]:
    """Submit the load; returns the receipt of each (measure, period) report."""
    receipts: dict[tuple[int, str], str] = {}
    limit = asyncio.Semaphore(16)
    async with grpc.aio.insecure_channel(address) as channel:
        stub = intake_pb2_grpc.IntakeServiceStub(channel)
        md = (("x-agency", "Folkehelseinstituttet"), ("x-user", "r1-test"), ("x-role", "agency"))

        # measures already in the portfolio are the office's to register
        office = (
            ("x-agency", "Direktoratet%20for%20e-helse"),
            ("x-user", "r1-test"),
            ("x-role", "office"),
        )

        async def call(method: str, request: object) -> common_pb2.Receipt:
            async with limit:
                for attempt in range(20):
                    try:
                        who = office if method == "SubmitMeasure" else md
                        return await getattr(stub, method)(request, metadata=who, timeout=10)  # type: ignore[no-any-return]
                    except grpc.aio.AioRpcError as exc:
                        if (
                            exc.code()
                            not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED)
                            or attempt == 19
                        ):
                            raise
                        await asyncio.sleep(0.2)
                raise AssertionError("unreachable")

        await asyncio.gather(
            *(
                call(
                    "SubmitMeasure",
                    intake_pb2.SubmitMeasureRequest(
                        idempotency_key=f"m{i}",
                        measure_id=1000 + i,
                        name=f"Tiltak {i}",
                        responsible_agency="Folkehelseinstituttet",
                        in_portfolio_since=PERIODS[0],
                    ),
                )
                for i in range(MEASURES)
            )
        )

        async def report(i: int, period: str) -> None:
            r = await call(
                "SubmitStatusReport",
                intake_pb2.SubmitStatusReportRequest(
                    idempotency_key=f"r{i}-{period}",
                    measure_id=1000 + i,
                    period=period,
                    status=common_pb2.COLOUR_GREEN,
                    risk=common_pb2.COLOUR_YELLOW,
                    budget=[common_pb2.BudgetLine(year=2021, amount_nok=1_000_000 + i)],
                ),
            )
            receipts[(1000 + i, period)] = r.receipt_id

        async def proposal(j: int) -> None:
            await call(
                "SubmitProposal",
                intake_pb2.SubmitProposalRequest(
                    idempotency_key=f"p{j}",
                    title=f"Forslag {j}",
                    category_code=f"{j % 18 + 1:02d}",
                ),
            )

        jobs = [report(i, p) for p in PERIODS for i in range(MEASURES)]
        jobs += [proposal(j) for j in range(PROPOSALS)]
        random.Random(1).shuffle(jobs)
        # A steady flow (about 100 events/s for 20 s), so the kills land while it runs.
        for start in range(0, len(jobs), 50):
            await asyncio.gather(*jobs[start : start + 50], asyncio.sleep(0.5))
    return receipts


async def kill_consumers(stack: Stack, done: asyncio.Event) -> int:
    rng = random.Random(7)
    kills = 0
    while kills < KILLS:
        await asyncio.sleep(rng.uniform(0.3, 2.0))
        name = CONSUMERS[kills % len(CONSUMERS)]
        state = stack.state()
        entry = next(s for s in state["services"] if s["name"] == name)
        if not entry["pid"]:
            continue
        try:
            os.kill(int(entry["pid"]), signal.SIGKILL)
        except ProcessLookupError:
            continue
        kills += 1
        # wait for the supervisor to start it again before the next kill
        for _ in range(100):
            await asyncio.sleep(0.1)
            if stack.pid(name) not in (0, int(entry["pid"])):
                break
    done.set()
    return kills


async def wait_projected(
    address: str, receipts: dict[tuple[int, str], str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    async with grpc.aio.insecure_channel(address) as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        while time.monotonic() < deadline:
            try:
                k = await stub.GetKoronaReport(reporting_pb2.GetKoronaReportRequest(), timeout=5)
                shown = {}
                for period in PERIODS:
                    r = await stub.GetPortfolioReport(
                        reporting_pb2.GetPortfolioReportRequest(period=period), timeout=5
                    )
                    shown.update({(m.measure_id, period): m.report_receipt_id for m in r.measures})
                if k.total == PROPOSALS and shown == receipts:
                    return
            except grpc.aio.AioRpcError:
                pass
            await asyncio.sleep(1)
    raise AssertionError("the report views did not show every submission in time")


def test_r1_killing_consumers_loses_and_doubles_nothing(stack: Stack) -> None:
    async def scenario() -> tuple[dict[tuple[int, str], str], int]:
        done = asyncio.Event()
        killer = asyncio.create_task(kill_consumers(stack, done))
        receipts = await submit_all(stack.grpc("intake"))
        kills = await killer
        await wait_projected(stack.grpc("reporting"), receipts, timeout=size(180, 900))
        return receipts, kills

    with MetricsWatch(stack) as watch:  # counts every consumer process, also the killed ones
        start = watch.mark()
        began = time.monotonic()
        receipts, kills = asyncio.run(scenario())
        seconds = time.monotonic() - began
        skipped = watch.outcomes_since(start, "duplicate")
        dead = watch.outcomes_since(start, "dead_lettered")
    record(
        "R1",
        "test_r1_killing_consumers_loses_and_doubles_nothing",
        partitions=4,
        events=len(receipts) + MEASURES + PROPOSALS,
        kills=kills,
        lost=0,
        duplicates_applied=0,
        redeliveries_skipped=sum(skipped.values()),
        redeliveries_by_consumer=skipped,
        dead_lettered=sum(dead.values()),
        seconds_until_projected=round(seconds, 1),
    )
    assert kills == KILLS
    assert sum(dead.values()) == 0, dead
    assert len(receipts) == MEASURES * len(PERIODS)

    # Exactly once, read from the stores themselves.
    assert event_counts(stack, "assessment") == {
        "Registered": MEASURES,
        "StatusReportRecorded": MEASURES * len(PERIODS),
    }
    korona = event_counts(stack, "korona")
    assert korona["Registered"] == PROPOSALS
    assert korona["FeedbackGiven"] == PROPOSALS, "one acknowledgement each, never two"
    with sqlite3.connect(stack.var_dir / "reporting.db") as db:
        assert db.execute("SELECT COUNT(*) FROM rpt_status_reports").fetchone()[0] == len(receipts)
        assert db.execute("SELECT COUNT(*) FROM rpt_proposals").fetchone()[0] == PROPOSALS
    print(
        f"R1: {len(receipts) + MEASURES + PROPOSALS} events, {kills} kills, "
        f"0 lost, 0 doubled, {sum(skipped.values()):.0f} redeliveries skipped"
    )
