"""The tracked consumer: applies each integration event exactly once, in order.

Kafka delivers at least once; this makes it exactly once in effect. For every
partition batch, a *sink* applies the messages and records the batch's position
as a tracking record in the **same database transaction** as its writes. The
position is the producer's notification id (``envelope.position``), so it means
the same on any broker: a message at or below the recorded position was applied
already and is skipped, however often and from whichever broker it comes.

Two more rules make a restarted embedded broker safe (docs/architecture.md):
- every message carries the epoch of the broker its relay published it to; a
  message whose epoch is not the current broker's is dropped (its relay will
  publish it again on this broker, in order);
- when the broker's epoch changes under a running consumer, it rewinds every
  assigned partition to the beginning, because its fetch positions belong to the
  old broker.

Kafka's committed offsets are only a hint of where to resume. Poison messages go
to ``<service>.deadletter.v1`` with the original bytes and the reason, after
bounded retries; other partitions and later messages keep flowing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel

from backbone.epoch import BrokerEpoch, BrokerEpochError
from backbone.metrics import ServiceMetrics
from backbone.settings import ServiceSettings
from contracts import ContractError, Envelope, UnknownContractError, decode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One decoded message: its envelope, its validated payload and where it came from."""

    envelope: Envelope
    payload: BaseModel
    topic: str
    partition: int
    offset: int


class PoisonMessageError(Exception):
    """A handler failed on ``deliveries[index]`` for a reason a retry will not cure."""

    def __init__(self, index: int, reason: BaseException) -> None:
        super().__init__(f"message {index}: {reason!r}")
        self.index = index
        self.reason = reason


class Sink(Protocol):
    """Where a consumer applies messages: an event-sourced app or a projection store."""

    def position(self, tracking_name: str) -> int | None:
        """The last position recorded under ``tracking_name``."""

    def apply(self, tracking_name: str, position: int, deliveries: Sequence[Delivery]) -> None:
        """Apply ``deliveries`` in order and record ``position`` atomically.

        Raises :class:`PoisonMessageError` naming the message a handler failed on, and
        ``IntegrityError`` when the position was recorded already or a write conflicted.
        """


TRANSIENT = (OperationalError, InterfaceError, OSError, TimeoutError)
"""Failures a retry can cure (a database or network away). Bad data is not among them."""


async def _undecoded(msg: Any) -> Any:
    """Skip FastStream's body decoding: the consumer decodes envelopes itself."""
    return None


class TrackedConsumer:
    """A consumer group reading ``topics`` into ``sink`` (one FastStream batch subscriber)."""

    def __init__(
        self,
        *,
        service: str,
        name: str,
        topics: Sequence[str],
        sink: Sink,
        epoch: BrokerEpoch,
        metrics: ServiceMetrics,
        settings: ServiceSettings,
        handled_types: set[str] | None = None,
    ) -> None:
        self.service = service
        self.group_id = f"{settings.kafka_group_prefix}.{name}"
        self.topics = list(topics)
        self.sink = sink
        self.epoch = epoch
        self.metrics = metrics
        self.settings = settings
        self.handled_types = handled_types
        self.dead_letter_topic = f"{service}.deadletter.v1"
        self._epoch_id: str | None = None
        self._positions: dict[str, int | None] = {}
        self._dlq: AIOKafkaProducer | None = None
        self._stopping = asyncio.Event()
        self._subscriber: Any = None
        self._busy = asyncio.Lock()
        """Held while a batch is applied, so a replay can start between batches."""

    def subscribe(self, broker: KafkaBroker) -> None:
        s = self.settings
        subscriber = broker.subscriber(
            *self.topics,
            group_id=self.group_id,
            batch=True,
            max_records=s.consumer_max_records,
            batch_timeout_ms=100,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.MANUAL,
            session_timeout_ms=s.kafka_session_timeout_ms,
            heartbeat_interval_ms=s.kafka_heartbeat_interval_ms,
            title=f"{self.group_id}",
            description=f"{self.service} applies {', '.join(self.topics)} exactly once",
            decoder=_undecoded,
        )
        subscriber(self._handle)
        self._subscriber = subscriber

    async def start(self) -> None:
        self._epoch_id = await self.epoch.read()
        self._dlq = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=f"{self.group_id}-dlq",
            acks="all",
        )
        await self._dlq.start()

    async def stop(self) -> None:
        self._stopping.set()
        if self._dlq is not None:
            await self._dlq.stop()

    # --- replay --------------------------------------------------------------------------

    async def replay(self, reset: Callable[[], None]) -> dict[TopicPartition, int]:
        """Apply every retained message again from the beginning, into a reset sink.

        Between two batches, ``reset`` empties the sink (its rows and its tracking records);
        then every assigned partition is read again from offset 0 (duplicates and stale
        epochs are skipped as always). Returns the end offsets the replay has to reach.
        """
        kafka = getattr(self._subscriber, "consumer", None)
        if kafka is None:
            raise RuntimeError(f"{self.group_id} is not consuming yet")
        async with self._busy:
            await asyncio.to_thread(reset)
            self._positions.clear()
            assigned = list(kafka.assignment())
            ends: dict[TopicPartition, int] = await kafka.end_offsets(assigned)
            await kafka.seek_to_beginning(*assigned)
        return ends

    async def idle(self) -> None:
        """Return once no batch is being applied."""
        async with self._busy:
            pass

    async def fetch_positions(
        self, partitions: Sequence[TopicPartition]
    ) -> dict[TopicPartition, int]:
        """The next offset this consumer will fetch, per partition (for progress)."""
        kafka: Any = getattr(self._subscriber, "consumer", None)
        positions: dict[TopicPartition, int] = {}
        for tp in partitions:
            try:
                positions[tp] = int(await asyncio.wait_for(kafka.position(tp), 2))
            except Exception:  # not assigned (yet), or not consuming
                positions[tp] = 0
        return positions

    # --- the handler -------------------------------------------------------------------

    async def _handle(self, body: Any, msg: KafkaMessage) -> None:
        records: tuple[ConsumerRecord[Any, Any], ...] = msg.raw_message
        consumer: AIOKafkaConsumer = msg.consumer
        if not records:
            return
        try:
            async with self._busy:
                await self._handle_records(records, consumer)
        except Exception:
            # FastStream would move on past a batch whose handler raised: never let it.
            log.exception("%s: batch failed; it will be read again", self.group_id)
            self._rewind(consumer, records)
            await asyncio.sleep(1.0)

    async def _handle_records(
        self, records: tuple[ConsumerRecord[Any, Any], ...], consumer: AIOKafkaConsumer
    ) -> None:
        try:
            epoch_id = await self.epoch.read()
        except BrokerEpochError as exc:
            log.warning("%s: cannot read broker epoch (%r); rewinding", self.group_id, exc)
            self._rewind(consumer, records)
            return
        if epoch_id != self._epoch_id:
            log.warning(
                "%s: broker epoch changed %s -> %s; rewinding all partitions",
                self.group_id,
                self._epoch_id,
                epoch_id,
            )
            self._epoch_id = epoch_id
            await consumer.seek_to_beginning(*consumer.assignment())
            return
        by_partition: dict[tuple[str, int], list[ConsumerRecord[Any, Any]]] = defaultdict(list)
        for record in records:
            by_partition[(record.topic, record.partition)].append(record)
        offsets: dict[TopicPartition, int] = {}
        for (topic, partition), recs in by_partition.items():
            done = await self._process_partition(topic, partition, recs, epoch_id)
            if not done:
                # Stopping or unrecoverable now: re-read this partition from here later.
                consumer.seek(TopicPartition(topic, partition), recs[0].offset)
                continue
            offsets[TopicPartition(topic, partition)] = recs[-1].offset + 1
        if offsets:
            try:
                await consumer.commit(offsets)
            except KafkaError as exc:  # a hint only: the database has the truth
                log.info(
                    "%s: offset commit failed (%r); positions are in the database",
                    self.group_id,
                    exc,
                )

    def _rewind(
        self, consumer: AIOKafkaConsumer, records: Sequence[ConsumerRecord[Any, Any]]
    ) -> None:
        first: dict[TopicPartition, int] = {}
        for r in records:
            first.setdefault(TopicPartition(r.topic, r.partition), r.offset)
        for tp, offset in first.items():
            consumer.seek(tp, offset)

    async def _process_partition(
        self, topic: str, partition: int, records: list[ConsumerRecord[Any, Any]], epoch_id: str
    ) -> bool:
        name = f"{self.group_id}:{topic}:{partition}"
        position = await self._position(name)
        fresh: list[Delivery] = []
        last_position = position or 0
        for record in records:
            delivery = await self._decode(record)
            if delivery is None:
                continue
            env = delivery.envelope
            if env.broker_epoch != epoch_id:
                self.metrics.consumer_messages.labels(topic, "stale_epoch").inc()
                continue
            if env.position <= last_position:
                self.metrics.consumer_messages.labels(topic, "duplicate").inc()
                continue
            last_position = env.position
            if self.handled_types is not None and env.event_type not in self.handled_types:
                self.metrics.consumer_messages.labels(topic, "ignored").inc()
                continue
            fresh.append(delivery)
        if last_position == (position or 0):
            return True
        return await self._apply_with_retries(name, topic, last_position, fresh)

    async def _apply_with_retries(
        self, name: str, topic: str, position: int, deliveries: list[Delivery]
    ) -> bool:
        attempts = 0
        backoff = 0.05
        pending = list(deliveries)
        while True:
            if self._stopping.is_set():
                return False
            try:
                with self.metrics.consumer_batch_seconds.time():
                    await asyncio.to_thread(self.sink.apply, name, position, pending)
            except PoisonMessageError as poison:
                attempts += 1
                self.metrics.consumer_retries.inc()
                if attempts < self.settings.consumer_max_attempts:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                bad = pending.pop(poison.index)
                await self._dead_letter(bad, repr(poison.reason))
                attempts = 0
                continue
            except IntegrityError:
                # Either another consumer recorded this position already (a rebalance
                # overlap), or a concurrent write touched the same aggregate.
                stored = await asyncio.to_thread(self.sink.position, name)
                self._positions[name] = stored
                if stored is not None and stored >= position:
                    self.metrics.consumer_messages.labels(topic, "duplicate").inc(len(pending))
                    return True
                if stored is not None:
                    pending = [d for d in pending if d.envelope.position > stored]
                self.metrics.consumer_retries.inc()
                await asyncio.sleep(backoff)
                continue
            except TRANSIENT as exc:
                self.metrics.consumer_retries.inc()
                log.warning("%s: transient failure %r; retrying in %.2fs", name, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            self._positions[name] = position
            self.metrics.consumer_messages.labels(topic, "applied").inc(len(pending))
            return True

    async def _position(self, name: str) -> int | None:
        if name not in self._positions:
            self._positions[name] = await asyncio.to_thread(self.sink.position, name)
        return self._positions[name]

    async def _decode(self, record: ConsumerRecord[Any, Any]) -> Delivery | None:
        try:
            envelope, payload = decode(record.value)
        except UnknownContractError as exc:
            await self._dead_letter_raw(record, f"unknown contract: {exc}")
            return None
        except ContractError as exc:
            await self._dead_letter_raw(record, str(exc))
            return None
        return Delivery(envelope, payload, record.topic, record.partition, record.offset)

    async def _dead_letter(self, delivery: Delivery, reason: str) -> None:
        log.error(
            "%s: dead-lettering %s v%d of %s: %s",
            self.group_id,
            delivery.envelope.event_type,
            delivery.envelope.aggregate_version,
            delivery.envelope.aggregate_id,
            reason,
        )
        await self._send_dead_letter(
            key=str(delivery.envelope.aggregate_id).encode(),
            value=delivery.envelope.model_dump_json().encode(),
            topic=delivery.topic,
            partition=delivery.partition,
            offset=delivery.offset,
            reason=reason,
        )

    async def _dead_letter_raw(self, record: ConsumerRecord[Any, Any], reason: str) -> None:
        log.error(
            "%s: dead-lettering %s[%d]@%d: %s",
            self.group_id,
            record.topic,
            record.partition,
            record.offset,
            reason,
        )
        await self._send_dead_letter(
            key=record.key,
            value=record.value,
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            reason=reason,
        )

    async def _send_dead_letter(
        self, *, key: Any, value: Any, topic: str, partition: int, offset: int, reason: str
    ) -> None:
        assert self._dlq is not None
        headers = [
            ("original_topic", topic.encode()),
            ("original_partition", str(partition).encode()),
            ("original_offset", str(offset).encode()),
            ("consumer_group", self.group_id.encode()),
            ("reason", reason.encode()[:4000]),
        ]
        await self._dlq.send_and_wait(self.dead_letter_topic, value=value, key=key, headers=headers)
        self.metrics.consumer_messages.labels(topic, "dead_lettered").inc()
