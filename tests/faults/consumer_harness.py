"""A tracked consumer fed by hand: records as the relay would publish them, delivered in
any order, doubled, or spoiled, into a real sink on memory, SQLite or PostgreSQL.

The Kafka side is faked (assignment, seek, commit, the broker epoch, the dead-letter
producer) so a test decides exactly what is delivered, and when; everything after the
fetch (decoding, the chain check, retries, parking, the sink's transaction) is the
production code. RELIABILITY.md R6, R7, R8 and I5 use it.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import ConsumerRecord, TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from eventsourcing.domain import event

from backbone.consumer import Delivery, TrackedConsumer
from backbone.domain import TracedAggregate, stable_id
from backbone.metrics import ServiceMetrics
from backbone.persistence import ServiceApplication, eventsourcing_env
from backbone.settings import ServiceSettings
from backbone.sinks import EventSourcedSink, UnitOfWork
from contracts import Actor, Envelope, register
from contracts.common import Payload

EVENT_TYPE = "HarnessTicked"
EPOCH = "epoch-harness"
TOPIC = "harness.clock.v1"


@register(EVENT_TYPE, 1)
class Ticked(Payload):
    n: int


POISON: set[int] = set()
"""Values of ``n`` the handler fails on (a bug; clearing it is the fix)."""


TALLY_ID = stable_id("harness-tally", "one")


class Tally(TracedAggregate):
    """Consumer side: every (aggregate, version, n) applied, in order of application."""

    @staticmethod
    def create_id() -> uuid.UUID:
        return TALLY_ID

    @event("Opened")
    def __init__(self) -> None:
        self.applied: list[list[Any]] = []

    @event("Applied")
    def apply_tick(self, source: str, version: int, n: int) -> None:
        self.applied.append([source, version, n])


def handle(uow: UnitOfWork, d: Delivery) -> None:
    p = d.payload
    n = int(getattr(p, "n", -1))
    if n in POISON:
        raise ValueError(f"handler bug on n={n}")
    tally = uow.get(TALLY_ID)
    if tally is None:
        tally = Tally()
        uow.add(tally)
    tally.apply_tick(str(d.envelope.aggregate_id), d.envelope.aggregate_version, n)


class Producer:
    """Builds records as the outbox relay publishes them: positions 1, 2, ... in the
    producer's log, keyed and partitioned by aggregate, each naming the position before it
    in its partition."""

    def __init__(self, partitions: int = 4, topic: str = TOPIC) -> None:
        self.topic = topic
        self.partitions = partitions
        self._positions = itertools.count(1)
        self._versions: dict[uuid.UUID, int] = {}
        self._heads: dict[int, int] = {}
        self._offsets: dict[int, itertools.count[int]] = {}
        self._partitioner = DefaultPartitioner()
        self.records: list[ConsumerRecord[bytes, bytes]] = []
        self.at = datetime(2026, 3, 5, 12, 0, tzinfo=UTC)

    def aggregate(self, name: str) -> uuid.UUID:
        return stable_id("harness-clock", name)

    def partition_of(self, aggregate_id: uuid.UUID) -> int:
        key = str(aggregate_id).encode()
        every = list(range(self.partitions))
        return int(self._partitioner(key, every, every))

    def tick(
        self, name: str, n: int, *, event_type: str = EVENT_TYPE, schema_version: int = 1
    ) -> ConsumerRecord[bytes, bytes]:
        aggregate_id = self.aggregate(name)
        version = self._versions.get(aggregate_id, 0) + 1
        self._versions[aggregate_id] = version
        partition = self.partition_of(aggregate_id)
        position = next(self._positions)
        envelope = Envelope(
            event_id=uuid.uuid5(aggregate_id, str(version)),
            event_type=event_type,
            schema_version=schema_version,
            source="harness",
            aggregate_type="Clock",
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=self.at,
            recorded_at=self.at,
            recorded_by=Actor(agency="helsedir", user="kari", role="agency"),
            correlation_id="corr",
            position=position,
            previous_position=self._heads.get(partition, 0),
            broker_epoch=EPOCH,
            payload={"n": n},
        )
        self._heads[partition] = position
        return self.append(
            partition, str(aggregate_id).encode(), envelope.model_dump_json().encode()
        )

    def append(
        self, partition: int, key: bytes | None, value: bytes
    ) -> ConsumerRecord[bytes, bytes]:
        """Put any bytes on the topic (a foreign or broken producer)."""
        offset = next(self._offsets.setdefault(partition, itertools.count(0)))
        record: ConsumerRecord[bytes, bytes] = ConsumerRecord(
            self.topic, partition, offset, 0, 0, key, value, None, 0, len(value), ()
        )
        self.records.append(record)
        return record


def redeliver(record: ConsumerRecord[bytes, bytes], offset: int) -> ConsumerRecord[bytes, bytes]:
    """The same message at another offset (published twice)."""
    r = record
    return ConsumerRecord(
        r.topic, r.partition, offset, 0, 0, r.key, r.value, None, 0, len(r.value or b""), ()
    )


class FakeKafka:
    """What the consumer asks of aiokafka's consumer: assignment, seek, commit."""

    def __init__(self, topic: str, partitions: int) -> None:
        self.tps = [TopicPartition(topic, p) for p in range(partitions)]
        self.seeks: list[tuple[TopicPartition, int]] = []
        self.committed: dict[TopicPartition, int] = {}

    def assignment(self) -> set[TopicPartition]:
        return set(self.tps)

    def seek(self, tp: TopicPartition, offset: int) -> None:
        self.seeks.append((tp, offset))

    async def seek_to_beginning(self, *tps: TopicPartition) -> None:
        self.seeks.extend((tp, 0) for tp in tps)

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)


class FakeEpoch:
    async def read(self) -> str:
        return EPOCH


class FakeDeadLetterTopic:
    """The dead-letter topic: what was sent to it."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    async def send_and_wait(
        self, topic: str, value: bytes, key: bytes | None, headers: list[tuple[str, bytes]]
    ) -> None:
        self.sent.append(
            {"topic": topic, "value": value, "key": key, **{k: v.decode() for k, v in headers}}
        )


class Harness:
    """A consumer group of service ``svc`` applying ``TOPIC`` into an event-sourced app."""

    def __init__(self, url: str, schema: str, partitions: int = 4, max_attempts: int = 3) -> None:
        self.settings = ServiceSettings(
            database_url=url,
            database_schema=schema,
            kafka_group_prefix=f"h-{uuid.uuid4().hex[:6]}",
            consumer_max_attempts=max_attempts,
        )
        self.app = ServiceApplication(env=eventsourcing_env(self.settings, "harness"))
        self.sink = EventSourcedSink(self.app, handle)
        self.metrics = ServiceMetrics("svc")
        self.kafka = FakeKafka(TOPIC, partitions)
        self.dlq = FakeDeadLetterTopic()
        self.consumer = TrackedConsumer(
            service="svc",
            name="svc.clock",
            topics=[TOPIC],
            sink=self.sink,
            epoch=FakeEpoch(),  # type: ignore[arg-type]
            metrics=self.metrics,
            settings=self.settings,
            handled_types={EVENT_TYPE},
        )
        self.consumer._epoch_id = EPOCH
        self.consumer._dlq = self.dlq

    async def deliver(
        self, records: Sequence[ConsumerRecord[bytes, bytes]], batch: int = 50
    ) -> None:
        """Hand ``records`` to the consumer in fetched batches of ``batch``, in this order."""
        for i in range(0, len(records), batch):
            await self.consumer._handle_records(tuple(records[i : i + batch]), self.kafka)

    def applied(self) -> list[list[Any]]:
        try:
            tally: Tally = self.app.repository.get(TALLY_ID)
        except Exception:
            return []
        return tally.applied

    def versions(self) -> dict[str, list[int]]:
        per: dict[str, list[int]] = {}
        for source, version, _ in self.applied():
            per.setdefault(source, []).append(version)
        return per

    def store_hash(self) -> str:
        """SHA-256 over every event in the consumer's store (its read model and letters)."""
        digest = hashlib.sha256()
        for n in self.app.recorder.select_notifications(1, 1_000_000):
            digest.update(
                json.dumps([str(n.originator_id), n.originator_version, n.topic]).encode()
            )
            digest.update(n.state)
        return digest.hexdigest()

    def count(self, outcome: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "svc_consumer_messages_total", {"topic": TOPIC, "outcome": outcome}
        )
        return value or 0.0

    def close(self) -> None:
        self.app.close()
