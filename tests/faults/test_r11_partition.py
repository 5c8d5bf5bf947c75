"""RELIABILITY.md R11: a network partition between a service and the broker or the database.

Assessment runs in a network namespace of the test's own (``tests/faults/netns.py``);
the broker (Tansu) and a PostgreSQL cluster of the test's own listen on the host end of
the veth pair, where intake, korona and reporting reach them too. While intake takes
status reports (consumed by assessment, published again to reporting), iptables in the
namespace first REJECTs assessment's traffic to the broker, then silently DROPs its
traffic to the database, each for a while, and heals. Meanwhile assessment's gRPC API is
asked for a measure again and again with a 3 s deadline. Pass:

- every call ends within its deadline (+1 s slack) with OK, UNAVAILABLE or
  DEADLINE_EXCEEDED; none hangs, none is UNKNOWN or INTERNAL;
- after healing, a call succeeds again at once (no task stuck on a dead connection);
- lag back to 0 within 60 s of healing: assessment applied every acknowledged report
  once, and reporting shows each of them (the outbox relay drained).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from portfolio_cli.stack_config import broker_binary, broker_command
from tests.faults.netns import Namespace, namespace
from tests.faults.pg import OFFICE, WriteLoad, count_events, temp_cluster
from tests.faults.results import record, size
from tests.stack import Stack, free_block

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.integration]

SERVICES = ["intake", "assessment", "korona", "reporting"]
FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in SERVICES
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}
DEADLINE_S = 3.0
SLACK_S = 1.0


@dataclass
class World:
    ns: Namespace
    stack: Stack
    url: str
    kafka_port: int
    pg_port: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[World]:
    if shutil.which("iptables") is None:
        pytest.fail("iptables is needed: run `make fault-tools`")
    base = tmp_path_factory.mktemp("r11")
    ports = free_block(2)
    with namespace() as ns, temp_cluster(ports, listen=f"127.0.0.1,{ns.host_ip}") as cluster:
        cluster.create_database("r11")
        url = cluster.url("r11", host=ns.host_ip)
        kafka_port = ports + 1
        with (base / "broker.log").open("ab") as log:
            broker = subprocess.Popen(
                broker_command(broker_binary(), kafka_port, ns.host_ip), stdout=log, stderr=log
            )
        env = {
            **FAST_GROUPS,
            "PORTFOLIO_DATABASE_URL": url,
            "PORTFOLIO_KAFKA_BOOTSTRAP_SERVERS": f"{ns.host_ip}:{kafka_port}",
            "PORTFOLIO_ASSESSMENT_WRAPPER": ns.exec_prefix,
            "PORTFOLIO_ASSESSMENT_HOST": ns.ns_ip,
        }
        stack = Stack(base / "var", shared_dir, env)
        try:
            stack.start("--no-seed")
            stack.wait_healthy()
            yield World(ns, stack, url, kafka_port, ports)
        finally:
            stack.stop()
            broker.kill()
            broker.wait(10)


@dataclass
class Probe:
    """GetMeasure on assessment every 0.2 s with a deadline; each call's time and code."""

    address: str
    calls: list[tuple[float, float, str]]

    async def run(self, stop: asyncio.Event) -> None:
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = assessment_pb2_grpc.AssessmentServiceStub(channel)

            async def one() -> None:
                started = time.monotonic()
                try:
                    await stub.GetMeasure(
                        assessment_pb2.GetMeasureRequest(measure_id=1000),
                        metadata=OFFICE,
                        timeout=DEADLINE_S,
                    )
                    code = "OK"
                except grpc.aio.AioRpcError as exc:
                    code = exc.code().name
                self.calls.append((started, time.monotonic() - started, code))

            pending: set[asyncio.Task[None]] = set()
            while not stop.is_set():
                task = asyncio.create_task(one())
                pending.add(task)
                task.add_done_callback(pending.discard)
                await asyncio.sleep(0.2)
            await asyncio.wait_for(asyncio.gather(*pending), DEADLINE_S + SLACK_S)


async def all_shown(stack: Stack, load: WriteLoad) -> bool:
    async with grpc.aio.insecure_channel(stack.grpc("reporting")) as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        shown: set[str] = set()
        for period in load.periods:
            r = await stub.GetPortfolioReport(
                reporting_pb2.GetPortfolioReportRequest(period=period), timeout=5
            )
            shown |= {m.report_receipt_id for m in r.measures}
    return set(load.acked.values()) <= shown


def test_r11_partitions_end_calls_in_time_and_lag_recovers(world: World) -> None:
    stack, ns = world.stack, world.ns
    cut_s = float(size(6, 20))
    load = WriteLoad(
        stack.grpc("intake"),
        measures=size(5, 20),
        periods=[f"2021-{m:02d}" for m in range(1, 13)],
        workers=2,
        pause_s=size(40, 20) / 100,  # the load spans both partitions
    )
    probe = Probe(stack.grpc("assessment"), [])
    catch_up: dict[str, float] = {}

    async def partition(port: int, target: str, label: str) -> None:
        await asyncio.to_thread(ns.cut, port, target)
        await asyncio.sleep(cut_s)
        await asyncio.to_thread(ns.heal, port, target)
        healed = time.monotonic()
        deadline = healed + 60
        while count_events(world.url, "assessment", ".StatusReportRecorded") < len(load.acked):
            assert time.monotonic() < deadline, f"assessment's lag after the {label} partition"
            await asyncio.sleep(0.2)
        catch_up[label] = time.monotonic() - healed

    async def scenario() -> None:
        await load.register()
        while count_events(world.url, "assessment", ".Registered") < load.measures:  # noqa: ASYNC110
            await asyncio.sleep(0.2)
        stop = asyncio.Event()
        probing = asyncio.create_task(probe.run(stop))
        writing = asyncio.create_task(load.run())
        await asyncio.sleep(1.0)
        await partition(world.kafka_port, "REJECT", "broker")
        await partition(world.pg_port, "DROP", "database")
        await writing
        healed = time.monotonic()
        while not await all_shown(stack, load):
            assert time.monotonic() - healed < 60, "reporting did not catch up"
            await asyncio.sleep(0.5)
        catch_up["reporting_after_load"] = time.monotonic() - healed
        await asyncio.sleep(1.0)
        stop.set()
        await probing

    asyncio.run(scenario())

    codes: dict[str, int] = {}
    for _, _, code in probe.calls:
        codes[code] = codes.get(code, 0) + 1
    slowest = max(seconds for _, seconds, _ in probe.calls)
    assert slowest <= DEADLINE_S + SLACK_S, slowest
    assert set(codes) <= {"OK", "UNAVAILABLE", "DEADLINE_EXCEEDED"}, codes
    assert set(load.codes()) <= {"OK"}, load.codes()  # intake is not partitioned
    assert probe.calls[-1][2] == "OK" and probe.calls[-2][2] == "OK", probe.calls[-3:]
    reports = len(load.keys())
    assert len(load.acked) == reports
    assert count_events(world.url, "assessment", ".StatusReportRecorded") == reports

    record(
        "R11",
        "test_r11_partitions_end_calls_in_time_and_lag_recovers",
        events=reports + load.measures,
        faults=2,
        partition_s=cut_s,
        probe_calls=len(probe.calls),
        probe_codes=codes,
        slowest_call_s=round(slowest, 2),
        deadline_s=DEADLINE_S,
        lag_zero_after_heal_s={k: round(v, 2) for k, v in catch_up.items()},
        losses=0,
        duplicates=0,
    )
