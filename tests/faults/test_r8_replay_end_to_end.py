"""RELIABILITY.md R8 end to end on a real broker: outbox relay -> Kafka -> tracked consumer,
with a handler bug, then the operator's ``portfolio deadletters list|replay`` through the
consuming service's gRPC OperationsService after the fix.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from aiokafka import AIOKafkaConsumer
from eventsourcing.domain import event
from typer.testing import CliRunner

from backbone.domain import TracedAggregate
from backbone.metrics import ServiceMetrics
from backbone.operations import operations_parts
from backbone.outbox import Outgoing
from backbone.persistence import ServiceApplication, eventsourcing_env
from backbone.runtime import ConsumerSpec, Service, ServiceRunner
from backbone.security.policy import shared_policy
from backbone.settings import ServiceSettings
from backbone.sinks import EventSourcedSink
from eportfolio.operations.v1 import operations_pb2, operations_pb2_grpc
from portfolio_cli.main import app as cli
from tests.faults.consumer_harness import EVENT_TYPE, POISON, TALLY_ID, Tally, handle
from tests.faults.results import record, size

pytestmark = [pytest.mark.faults, pytest.mark.integration]


class Clock(TracedAggregate):
    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Ticked")
    def tick(self, n: int) -> None:
        pass


class Pair:
    def __init__(self, tmp: Path, kafka: str) -> None:
        prefix = f"e2e-{uuid.uuid4().hex[:8]}"
        self.topic = topic = f"test.r8-{uuid.uuid4().hex[:8]}.v1"

        def settings(tag: str) -> ServiceSettings:
            return ServiceSettings(
                database_url=f"sqlite:///{tmp}/{tag}.db",
                kafka_bootstrap_servers=kafka,
                kafka_session_timeout_ms=2000,
                kafka_heartbeat_interval_ms=500,
                kafka_group_prefix=prefix,
                relay_batch_size=100,
            )

        def translate(ev: Any) -> Outgoing | None:
            if isinstance(ev, Clock.Ticked):  # type: ignore[attr-defined]
                return Outgoing(topic, EVENT_TYPE, 1, {"n": ev.n}, ev.timestamp)
            return None

        ps, cs = settings("producer"), settings("consumer")
        self.producer_app = ServiceApplication(
            env={**eventsourcing_env(ps, "producer"), "NAME": "producer"}
        )
        self.consumer_app = ServiceApplication(env=eventsourcing_env(cs, "consumer"))
        self.producer = ServiceRunner(
            Service(
                name="producer",
                settings=ps,
                metrics=ServiceMetrics("producer"),
                registrations=[],
                app=self.producer_app,
                translate=translate,
                published_topics=[topic],
            )
        )
        operations = operations_parts()
        self.metrics = ServiceMetrics("consumer")
        self.group = f"{prefix}.consumer.clock"
        self.consumer = ServiceRunner(
            Service(
                name="consumer",
                settings=cs,
                metrics=self.metrics,
                registrations=[operations.registration],
                policy=shared_policy(),
                app=self.consumer_app,
                consumers=[
                    ConsumerSpec(
                        "consumer.clock", [topic], EventSourcedSink(self.consumer_app, handle)
                    )
                ],
                on_consuming=[*operations.on_consuming],
            )
        )

    def applied(self) -> list[list[Any]]:
        try:
            tally: Tally = self.consumer_app.repository.get(TALLY_ID)
        except Exception:
            return []
        return tally.applied

    async def wait(self, check: Any, timeout: float = 60) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            if await asyncio.to_thread(check):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"not reached in {timeout}s: {check}")


@pytest.fixture
async def pair(tmp_path: Path, kafka: str) -> AsyncIterator[Pair]:
    p = Pair(tmp_path, kafka)
    await p.producer.start()
    await p.consumer.start()
    yield p
    await p.consumer.stop()
    await p.producer.stop()
    POISON.clear()


def cli_run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


async def test_r8_replay_through_the_cli_on_a_real_broker(pair: Pair, kafka: str) -> None:
    clocks, ticks = size(6, 40), size(8, 50)
    POISON.add(666)
    names = []
    for c in range(clocks):
        clock = Clock(name=f"c{c}")
        for t in range(ticks):
            clock.tick(n=666 if (c == 0 and t == 2) else t)  # clock 0's third tick: poison
        names.append(str(clock.id))
        await asyncio.to_thread(pair.producer_app.save, clock)
    events = clocks * ticks
    bad = names[0]
    await pair.wait(lambda: len(pair.applied()) >= events - ticks + 2)
    await asyncio.sleep(0.5)  # anything more would be wrong
    per: dict[str, list[int]] = {}
    for source, version, _ in pair.applied():
        per.setdefault(source, []).append(version)
    assert per[bad] == [2, 3], "clock 0 stops before its poison (version 4)"
    assert all(per[n] == list(range(2, ticks + 2)) for n in names[1:])

    assert pair.consumer.grpc is not None
    address = pair.consumer.grpc.address
    listed = await asyncio.to_thread(
        cli_run,
        "deadletters",
        "list",
        "--service",
        "assessment",
        "--address",
        address,
        "--format",
        "json",
    )
    assert listed.exit_code == 0, listed.output
    letters = json.loads(listed.stdout)
    assert [x["aggregate_version"] for x in letters] == list(range(4, ticks + 2))
    assert all(x["sequence"] == bad for x in letters)
    assert "handler bug on n=666" in letters[0]["reason"]

    # The dead-letter topic holds the first letter with its original bytes and the reason.
    reader = AIOKafkaConsumer(
        "consumer.deadletter.v1",
        bootstrap_servers=kafka,
        auto_offset_reset="earliest",
        group_id=f"reader-{uuid.uuid4().hex[:6]}",
    )
    await reader.start()
    try:
        batch = await reader.getmany(timeout_ms=5000)
        on_topic = [r for rs in batch.values() for r in rs]
    finally:
        await reader.stop()
    mine = [r for r in on_topic if dict(r.headers).get("sequence") == bad.encode()]
    assert len(mine) == len(letters)
    first = json.loads(mine[0].value)
    assert first["aggregate_version"] == 4 and first["payload"] == {"n": 666}
    assert b"handler bug" in dict(mine[0].headers)["reason"]

    # Another role is refused; before the fix, a replay leaves the letters parked (exit 1).
    async with grpc.aio.insecure_channel(address) as channel:
        stub = operations_pb2_grpc.OperationsServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as denied:
            await stub.ReplayDeadLetters(
                operations_pb2.ReplayDeadLettersRequest(),
                metadata=(("x-role", "auditor"), ("x-agency", "Riksrevisjonen")),
            )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    refused = await asyncio.to_thread(
        cli_run, "deadletters", "replay", "--service", "korona", "--address", address
    )
    assert refused.exit_code == 1  # still failing: the bug is not fixed
    POISON.clear()  # the fix
    replayed = await asyncio.to_thread(
        cli_run,
        "deadletters",
        "replay",
        "--service",
        "korona",
        "--address",
        address,
        "--format",
        "json",
    )
    assert replayed.exit_code == 0, replayed.output
    (outcome,) = json.loads(replayed.stdout)
    assert outcome == {
        "consumer_group": pair.group,
        "sequence": bad,
        "replayed": ticks - 2,
        "remaining": 0,
        "reason": "",
    }
    per = {}
    for source, version, _ in pair.applied():
        per.setdefault(source, []).append(version)
    assert all(per[n] == list(range(2, ticks + 2)) for n in names), "in order, exactly once"
    empty = await asyncio.to_thread(
        cli_run,
        "deadletters",
        "list",
        "--service",
        "reporting",
        "--address",
        address,
        "--format",
        "json",
    )
    assert json.loads(empty.stdout) == []
    record(
        "R8",
        "test_r8_replay_through_the_cli_on_a_real_broker",
        events=events,
        dead_lettered=1,
        parked_behind=len(letters) - 1,
        replayed=ticks - 2,
        on_dead_letter_topic=len(mine),
    )
