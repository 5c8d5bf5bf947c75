"""The backbone end to end on a real broker: outbox relay -> Kafka -> tracked consumer.

The same tests run on the in-memory, SQLite and PostgreSQL stores.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.domain import event

from backbone.consumer import Delivery
from backbone.domain import TracedAggregate, stable_id
from backbone.metrics import ServiceMetrics
from backbone.outbox import Outgoing
from backbone.persistence import ServiceApplication, eventsourcing_env
from backbone.runtime import ConsumerSpec, Service, ServiceRunner
from backbone.settings import ServiceSettings
from backbone.sinks import EventSourcedSink, UnitOfWork
from backbone.testing import TansuBroker
from contracts import register
from contracts.common import Payload

pytestmark = pytest.mark.integration


@register("TestTicked", 1)
class Ticked(Payload):
    n: int


class Clock(TracedAggregate):
    """Producer side: an aggregate that ticks."""

    @event("Started")
    def __init__(self, name: str) -> None:
        self.name = name

    @event("Ticked")
    def tick(self, n: int) -> None:
        pass


TALLY_ID = stable_id("tally", "one")


class Tally(TracedAggregate):
    """Consumer side: every (clock, version) applied, in order of application."""

    @staticmethod
    def create_id() -> uuid.UUID:
        return TALLY_ID

    @event("Opened")
    def __init__(self) -> None:
        self.applied: list[list[Any]] = []

    @event("Applied")
    def apply_tick(self, source: str, version: int, n: int) -> None:
        self.applied.append([source, version, n])


def translator(topic: str) -> Any:
    def translate(ev: Any) -> Outgoing | None:
        if isinstance(ev, Clock.Ticked):
            return Outgoing(topic, "TestTicked", 1, {"n": ev.n}, ev.timestamp)
        return None

    return translate


def handle(uow: UnitOfWork, d: Delivery) -> None:
    tally = uow.get(TALLY_ID)
    if tally is None:
        tally = Tally()
        uow.add(tally)
    p = d.payload
    assert isinstance(p, Ticked)
    tally.apply_tick(str(d.envelope.aggregate_id), d.envelope.aggregate_version, p.n)


def settings_for(url: str, schema: str, kafka: str, tag: str) -> ServiceSettings:
    return ServiceSettings(
        database_url=url.replace("store.db", f"{tag}.db"),
        database_schema=f"{schema}_{tag}" if schema else "",
        kafka_bootstrap_servers=kafka,
        kafka_session_timeout_ms=2000,
        kafka_heartbeat_interval_ms=500,
        kafka_group_prefix=f"test-{uuid.uuid4().hex[:8]}",
        kafka_partitions=4,  # as the embedded broker auto-creates them
        relay_batch_size=100,
    )


class Pair:
    """A producer service and a consumer service running in this process."""

    def __init__(self, url: str, schema: str, kafka: str) -> None:
        ps = settings_for(url, schema, kafka, "producer")
        cs = settings_for(url, schema, kafka, "consumer").model_copy(
            update={"kafka_group_prefix": ps.kafka_group_prefix}
        )
        # One producer per topic, as in the system: each test gets its own topic.
        self.topic = topic = f"test.clock-{uuid.uuid4().hex[:8]}.v1"
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
                translate=translator(topic),
                published_topics=[topic],
            )
        )
        self.consumer_metrics = ServiceMetrics("consumer")
        self.consumer = ServiceRunner(
            Service(
                name="consumer",
                settings=cs,
                metrics=self.consumer_metrics,
                registrations=[],
                app=self.consumer_app,
                consumers=[
                    ConsumerSpec(
                        "consumer.clock", [topic], EventSourcedSink(self.consumer_app, handle)
                    )
                ],
            )
        )

    def write(self, clocks: int, ticks: int) -> int:
        """Append ``ticks`` events to each of ``clocks`` aggregates; returns events written."""
        written = 0
        for c in range(clocks):
            clock = Clock(name=f"c{c}")
            for t in range(ticks):
                clock.tick(n=t)
            self.producer_app.save(clock)
            written += ticks
        return written

    def applied(self) -> list[list[Any]]:
        try:
            tally: Tally = self.consumer_app.repository.get(TALLY_ID)
        except Exception:
            return []
        return tally.applied

    async def wait_applied(self, expected: int, timeout: float = 60) -> list[list[Any]]:
        deadline = asyncio.get_running_loop().time() + timeout
        while asyncio.get_running_loop().time() < deadline:
            applied = await asyncio.to_thread(self.applied)
            if len(applied) >= expected:
                await asyncio.sleep(0.5)  # anything more would be a duplicate
                return await asyncio.to_thread(self.applied)
            await asyncio.sleep(0.1)
        return await asyncio.to_thread(self.applied)


@pytest.fixture
async def pair(database_url: tuple[str, str], kafka: str) -> AsyncIterator[Pair]:
    url, schema = database_url
    p = Pair(url, schema, kafka)
    await p.producer.start()
    await p.consumer.start()
    yield p
    await p.consumer.stop()
    await p.producer.stop()


def assert_exactly_once_in_order(applied: list[list[Any]], clocks: int, ticks: int) -> None:
    per_source: dict[str, list[int]] = {}
    for source, version, _ in applied:
        per_source.setdefault(source, []).append(version)
    assert len(per_source) == clocks
    for versions in per_source.values():
        # version 1 is the Started event, which is not published
        assert versions == list(range(2, ticks + 2)), "versions must be gap-free and in order"
    assert len(applied) == clocks * ticks


async def test_every_event_written_is_applied_once_and_in_order(pair: Pair) -> None:
    written = await asyncio.to_thread(pair.write, 12, 25)
    applied = await pair.wait_applied(written)
    assert_exactly_once_in_order(applied, 12, 25)


async def test_a_restarted_empty_broker_loses_and_doubles_nothing(
    database_url: tuple[str, str], tmp_path: Path
) -> None:
    url, schema = database_url
    with TansuBroker(log_path=tmp_path / "broker.log") as broker:
        p = Pair(url, schema, broker.bootstrap_servers)
        await p.producer.start()
        await p.consumer.start()
        try:
            first = await asyncio.to_thread(p.write, 5, 20)
            await p.wait_applied(first // 2, timeout=60)
            broker.restart()  # a new, empty broker with the same address and cluster id
            second = await asyncio.to_thread(p.write, 5, 20)
            applied = await p.wait_applied(first + second, timeout=90)
            assert_exactly_once_in_order(applied, 10, 20)
            duplicates = p.consumer_metrics.registry.get_sample_value(
                "consumer_consumer_messages_total",
                {"topic": p.topic, "outcome": "duplicate"},
            )
            assert duplicates, "the relay republished; the consumer must have skipped some"
        finally:
            await p.consumer.stop()
            await p.producer.stop()
