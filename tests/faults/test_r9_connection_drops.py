"""RELIABILITY.md R9: every database connection of the services killed, twice, during writes.

The stack runs on a PostgreSQL cluster of the test's own. While clients submit status
reports to intake and move measures between segments in assessment (each command
retried with its idempotency key until acknowledged), ``pg_terminate_backend`` cuts
every connection to the stack's database (pools, health probes, call-log writers), twice.

A cut connection can leave a commit ambiguous: eventsourcing retries the insert, finds
its own event and raises IntegrityError; the receipt logic must then answer with the
stored receipt (STACK_NOTES.md). Pass: every acknowledged write is stored exactly once,
a retry with the same key answers OK with the first receipt, no call answers anything
but OK or UNAVAILABLE, and the first write started after each drop succeeds within 2 s.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.common.v1 import common_pb2
from tests.faults.pg import (
    OFFICE,
    TempCluster,
    WriteLoad,
    count_events,
    temp_cluster,
    terminate_backends,
)
from tests.faults.results import record, size
from tests.stack import Stack, free_block

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.integration]

SERVICES = ["intake", "assessment", "korona", "reporting"]
FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in SERVICES
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}
DROPS = 2
SEGMENTS = [common_pb2.SEGMENT_SAMSTYRE, common_pb2.SEGMENT_KOORDINERE]


@pytest.fixture(scope="module")
def pg_stack(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[tuple[TempCluster, str, Stack]]:
    with temp_cluster(free_block(1)) as cluster:
        url = cluster.create_database("r9")
        env = {"PORTFOLIO_DATABASE_URL": url, **FAST_GROUPS}
        stack = Stack(tmp_path_factory.mktemp("r9") / "var", shared_dir, env)
        stack.start("--no-seed")
        try:
            stack.wait_healthy()
            yield cluster, url, stack
        finally:
            stack.stop()


class Moves:
    """MoveMeasure commands with idempotency keys, each retried until acknowledged."""

    def __init__(self, address: str, measures: int, rounds: int) -> None:
        self.address = address
        self.measures = measures
        self.rounds = rounds
        self.codes: dict[str, int] = {}
        self.acked: set[str] = set()

    def request(self, i: int, n: int) -> assessment_pb2.MoveMeasureRequest:
        return assessment_pb2.MoveMeasureRequest(
            measure_id=1000 + i,
            to=SEGMENTS[n % 2],
            reason=f"Flytting {n}",
            decision=f"NUIT sak {n}/21",
            period="2021-06",
            idempotency_key=f"mv{1000 + i}-{n}",
        )

    async def send(self, stub: assessment_pb2_grpc.AssessmentServiceStub, i: int, n: int) -> str:
        try:
            await stub.MoveMeasure(self.request(i, n), metadata=OFFICE, timeout=10)  # type: ignore[misc]
            code = "OK"
        except grpc.aio.AioRpcError as exc:
            code = exc.code().name
        self.codes[code] = self.codes.get(code, 0) + 1
        return code

    async def run(self) -> None:
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = assessment_pb2_grpc.AssessmentServiceStub(channel)

            async def one_measure(i: int) -> None:
                for n in range(self.rounds):
                    while await self.send(stub, i, n) != "OK":  # noqa: ASYNC110
                        await asyncio.sleep(0.1)  # retried with the same key
                    self.acked.add(f"{i}-{n}")
                    await asyncio.sleep(0.1)

            await asyncio.gather(*(one_measure(i) for i in range(self.measures)))

    async def replay_all(self) -> dict[str, int]:
        before = dict(self.codes)
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
            for i in range(self.measures):
                for n in range(self.rounds):
                    await self.send(stub, i, n)
        return {k: v - before.get(k, 0) for k, v in self.codes.items() if v > before.get(k, 0)}


async def wait_registered(url: str, count: int) -> None:
    deadline = time.monotonic() + 60
    while count_events(url, "assessment", ".Registered") < count:
        assert time.monotonic() < deadline, "assessment did not register the measures"
        await asyncio.sleep(0.3)


def test_r9_connections_killed_twice_during_writes(
    pg_stack: tuple[TempCluster, str, Stack],
) -> None:
    _, url, stack = pg_stack
    load = WriteLoad(
        stack.grpc("intake"),
        measures=size(10, 40),
        periods=[f"2021-{m:02d}" for m in range(1, size(11, 13))],
        workers=6,
        pause_s=0.05,
    )
    moves = Moves(stack.grpc("assessment"), measures=load.measures, rounds=size(6, 20))
    drops: list[dict[str, object]] = []

    async def scenario() -> None:
        await load.register()
        await wait_registered(url, load.measures)
        running = [asyncio.create_task(load.run()), asyncio.create_task(moves.run())]
        total = len(load.keys())
        for k in range(1, DROPS + 1):  # drops spread over the load: at 1/3 and 2/3
            while len(load.acked) < total * k / (DROPS + 1):  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            at = time.monotonic()
            killed = await asyncio.to_thread(terminate_backends, url)
            drops.append({"at": at, "killed": killed})
        await asyncio.gather(*running)

    asyncio.run(scenario())
    firsts = [load.first_success_after(float(d["at"])) for d in drops]  # type: ignore[arg-type]
    codes = load.codes()
    assert set(codes) <= {"OK", "UNAVAILABLE"}, codes
    assert set(moves.codes) <= {"OK", "UNAVAILABLE"}, moves.codes
    for drop in drops:
        killed = drop["killed"]
        assert isinstance(killed, dict)
        assert sum(n for name, n in killed.items() if name.startswith("portfolio-")) >= 4, killed
    assert all(first <= 2.0 for first in firsts), firsts

    # every acknowledged write stored exactly once; a retry answers the first receipt
    reports = len(load.keys())
    assert len(load.acked) == reports
    replayed_under_load = sum(1 for o in load.outcomes if o.replayed)
    replays = asyncio.run(load.replay_all())
    assert all(o.code == "OK" and o.replayed for o in replays), [o for o in replays if o.code][:3]
    assert {o.key: o.receipt_id for o in replays} == load.acked
    assert count_events(url, "intake", ".StatusReportSubmitted") == reports
    move_count = moves.measures * moves.rounds
    assert len(moves.acked) == move_count
    assert asyncio.run(moves.replay_all()) == {"OK": move_count}
    assert count_events(url, "assessment", ".SegmentChanged") == move_count
    deadline = time.monotonic() + 60
    while (applied := count_events(url, "assessment", ".StatusReportRecorded")) < reports:
        assert time.monotonic() < deadline, f"assessment applied {applied} of {reports}"
        time.sleep(0.5)
    time.sleep(1.0)
    assert count_events(url, "assessment", ".StatusReportRecorded") == reports

    record(
        "R9",
        "test_r9_connections_killed_twice_during_writes",
        events=reports + load.measures + move_count,
        calls=len(load.outcomes) + sum(moves.codes.values()),
        faults=DROPS,
        connections_killed=[sum(d["killed"].values()) for d in drops],  # type: ignore[attr-defined]
        unavailable_answers=codes.get("UNAVAILABLE", 0) + moves.codes.get("UNAVAILABLE", 0),
        retries_answered_from_receipt=replayed_under_load,
        first_success_after_drop_s=[round(f, 3) for f in firsts],
        losses=0,
        duplicates=0,
    )
