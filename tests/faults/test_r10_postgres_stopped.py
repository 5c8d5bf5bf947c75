"""RELIABILITY.md R10: PostgreSQL stopped for 10 s under load.

The whole stack runs on a PostgreSQL cluster of the test's own (``tests/faults/pg.py``;
the machine's shared server is never stopped). While clients submit status reports to
intake (each retried with its idempotency key until acknowledged), the cluster is shut
down (fast: every connection cut) for 10 s and started again. Pass:

- every call answers OK or UNAVAILABLE, never UNKNOWN, INTERNAL or a passed deadline;
- gRPC health of intake and assessment turns NOT_SERVING while the database is away;
- full recovery (every service SERVING and a new write acknowledged) within 10 s of
  the restart;
- nothing lost or doubled: every acknowledged report is stored once in intake and
  applied once by assessment, and each answers its first receipt when retried.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.faults.pg import TempCluster, WriteLoad, count_events, serving, temp_cluster
from tests.faults.results import record, size
from tests.stack import Stack, free_block

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.integration]

SERVICES = ["intake", "assessment", "korona", "reporting"]
FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in SERVICES
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}
OUTAGE_S = 10.0


@pytest.fixture(scope="module")
def pg_stack(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[tuple[TempCluster, str, Stack]]:
    with temp_cluster(free_block(1)) as cluster:
        url = cluster.create_database("r10")
        env = {"PORTFOLIO_DATABASE_URL": url, **FAST_GROUPS}
        stack = Stack(tmp_path_factory.mktemp("r10") / "var", shared_dir, env)
        stack.start("--no-seed")
        try:
            stack.wait_healthy()
            yield cluster, url, stack
        finally:
            stack.stop()


async def outage(stack: Stack, cluster: TempCluster, load: WriteLoad) -> dict[str, float]:
    """Stop the cluster for OUTAGE_S while the load runs; health seen and recovery time."""
    await asyncio.sleep(2.0)  # the load is flowing
    stopped_at = time.monotonic()
    await asyncio.to_thread(cluster.stop)
    not_serving: dict[str, float] = {}
    while time.monotonic() - stopped_at < OUTAGE_S:
        for name in ("intake", "assessment"):
            if name not in not_serving and await serving(stack.grpc(name)) == "NOT_SERVING":
                not_serving[name] = time.monotonic() - stopped_at
        await asyncio.sleep(0.2)
    restart_at = time.monotonic()
    await asyncio.to_thread(cluster.start)
    while True:
        states = [await serving(stack.grpc(name)) for name in SERVICES]
        if all(s == "SERVING" for s in states) and load.first_success_after(restart_at) < 1e9:
            break
        assert time.monotonic() - restart_at < 60, f"no recovery: {states}"
        await asyncio.sleep(0.1)
    recovered = max(time.monotonic(), restart_at + load.first_success_after(restart_at))
    return {
        "stopped_at": stopped_at,
        "restart_at": restart_at,
        "recovery_s": recovered - restart_at,
        **{f"not_serving_after_{k}_s": v for k, v in not_serving.items()},
    }


def test_r10_postgres_stopped_under_load(pg_stack: tuple[TempCluster, str, Stack]) -> None:
    cluster, url, stack = pg_stack
    load = WriteLoad(
        stack.grpc("intake"),
        measures=size(10, 40),
        periods=[f"2021-{m:02d}" for m in range(1, size(13, 13))],
        workers=4,
        pause_s=0.1,
    )

    async def scenario() -> dict[str, float]:
        await load.register()
        running = asyncio.create_task(load.run())
        seen = await outage(stack, cluster, load)
        await running
        return seen

    seen = asyncio.run(scenario())
    during = load.codes(seen["stopped_at"] + 0.5, seen["restart_at"])
    codes = load.codes()
    assert set(codes) <= {"OK", "UNAVAILABLE"}, codes
    assert during.get("UNAVAILABLE", 0) > 0, during
    assert set(during) <= {"UNAVAILABLE"}, during  # no write slips through a dead store
    assert "not_serving_after_intake_s" in seen and "not_serving_after_assessment_s" in seen, seen
    assert seen["recovery_s"] <= 10.0, seen

    # nothing lost, nothing doubled: stored once, the first answer on every retry
    reports = len(load.keys())
    assert len(load.acked) == reports
    replays = asyncio.run(load.replay_all())
    assert all(o.code == "OK" and o.replayed for o in replays), replays[:3]
    assert {o.key: o.receipt_id for o in replays} == load.acked
    assert count_events(url, "intake", ".StatusReportSubmitted") == reports
    deadline = time.monotonic() + 60
    while (applied := count_events(url, "assessment", ".StatusReportRecorded")) < reports:
        assert time.monotonic() < deadline, f"assessment applied {applied} of {reports}"
        time.sleep(0.5)
    time.sleep(1.0)  # a late duplicate would show now
    assert count_events(url, "assessment", ".StatusReportRecorded") == reports

    record(
        "R10",
        "test_r10_postgres_stopped_under_load",
        events=reports + load.measures,
        calls=len(load.outcomes),
        faults=1,
        outage_s=OUTAGE_S,
        unavailable_answers=codes.get("UNAVAILABLE", 0),
        other_errors=sum(n for c, n in codes.items() if c not in ("OK", "UNAVAILABLE")),
        not_serving_after_s=round(
            max(seen["not_serving_after_intake_s"], seen["not_serving_after_assessment_s"]), 2
        ),
        recovery_s=round(seen["recovery_s"], 2),
        losses=0,
        duplicates=0,
    )
