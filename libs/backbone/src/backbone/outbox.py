"""The outbox relay: publishes a service's stored events to Kafka, after the fact.

Commands only append to the event store; nothing is published on the command path.
The relay follows the store's notification log (the global order of its events),
translates each event of a published aggregate into an integration event and
produces it keyed by aggregate id. Only when the broker has acknowledged a batch
does it record how far it got, as a tracking record named ``outbox@<epoch>``.

On a broker it has not seen before (a new epoch) it starts again from the first
event: the embedded broker forgets everything when it stops, and consumers drop
what they already applied (see :mod:`backbone.consumer`).

Each message also names the position of the message sent before it to the same
partition (``previous_position``), so a consumer can tell a reordered or missing
message from a duplicate: positions of one partition form a chain. The relay knows
the chain's head from what it sent since it started; the first message per partition
after a start in the middle of the log says "unknown" (None), after a start from the
beginning "none before" (0).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from aiokafka.partitioner import DefaultPartitioner
from eventsourcing.persistence import Notification, PersistenceError, Tracking

from backbone.epoch import BrokerEpoch, BrokerEpochError, ensure_topics
from backbone.metrics import ServiceMetrics
from backbone.persistence import ServiceApplication
from contracts import Actor, Envelope, encode

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """A domain event translated into an integration event's parts."""

    topic: str
    event_type: str
    schema_version: int
    payload: dict[str, Any]
    occurred_at: datetime


Record = tuple[bytes, bytes, list[tuple[str, bytes]]]
"""Key, value and headers of one Kafka record."""

Translator = Callable[[Any], Outgoing | None]
"""Maps a domain event to what is published, or None for events that stay private."""


class OutboxRelay:
    """Follows one application's notification log and publishes it to Kafka."""

    def __init__(
        self,
        *,
        app: ServiceApplication,
        source: str,
        translate: Translator,
        bootstrap_servers: str,
        topics: list[str],
        partitions: int,
        epoch: BrokerEpoch,
        metrics: ServiceMetrics,
        batch_size: int = 500,
        idle_sleep_s: float = 0.05,
    ) -> None:
        self.app = app
        self.source = source
        self.translate = translate
        self.bootstrap_servers = bootstrap_servers
        self.topics = topics
        self.partitions = partitions
        self.epoch = epoch
        self.metrics = metrics
        self.batch_size = batch_size
        self.idle_sleep_s = idle_sleep_s
        self._partitioner = DefaultPartitioner()
        self._producer: AIOKafkaProducer | None = None
        self._epoch_id: str | None = None
        self._position = 0
        self._epoch_checked = 0.0
        self.epoch_check_s = 1.0
        self.published_position = 0
        """Notification id up to which everything is published (for tests and metrics)."""
        self._heads: dict[tuple[str, int], int] = {}
        """Per (topic, partition): the position of the last message sent there."""
        self._heads_from_zero = False
        """True when this relay has sent everything since the log's start (head 0 if absent)."""

    async def start(self) -> None:
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap_servers,
            client_id=f"{self.source}-outbox",
            acks="all",
            linger_ms=0,
            max_batch_size=1_000_000,
            max_request_size=4_000_000,
            request_timeout_ms=15_000,
        )
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    async def run(self, stop: asyncio.Event) -> None:
        """Publish until ``stop`` is set, surviving broker and database outages."""
        backoff = 0.1
        while not stop.is_set():
            try:
                published = await self.publish_once()
                backoff = 0.1
                if not published:
                    await _sleep_or_stop(stop, self.idle_sleep_s)
            except (KafkaError, BrokerEpochError, PersistenceError, OSError) as exc:
                log.warning("outbox relay of %s: %r; retrying in %.1fs", self.source, exc, backoff)
                await _sleep_or_stop(stop, backoff)
                backoff = min(backoff * 2, 5.0)

    async def publish_once(self) -> int:
        """Publish the next batch; returns how many notifications it covered."""
        recorder = self.app.process_recorder
        head = await asyncio.to_thread(recorder.max_notification_id) or 0
        now = time.monotonic()
        if self._epoch_id is not None:
            self.metrics.outbox_lag.set(max(head - self._position, 0))
            # Idle: look at the broker now and then, so a restarted broker gets
            # everything again even when nothing new is written.
            if head <= self._position and now - self._epoch_checked < self.epoch_check_s:
                return 0
        epoch_id = await self.epoch.read()
        self._epoch_checked = now
        if epoch_id != self._epoch_id:
            await self._enter_epoch(epoch_id)
        if head <= self._position:
            return 0
        notifications = await asyncio.to_thread(
            recorder.select_notifications,
            self._position + 1,
            self.batch_size,
        )
        if not notifications:
            return 0
        heads = await self._produce(notifications, epoch_id)
        last = notifications[-1].id
        await asyncio.to_thread(recorder.insert_tracking, Tracking(self._tracking_name, last))
        self._heads = heads
        self._position = self.published_position = last
        self.metrics.outbox_lag.set(max(head - last, 0))
        return len(notifications)

    @property
    def _tracking_name(self) -> str:
        return f"outbox@{self._epoch_id}"

    async def _enter_epoch(self, epoch_id: str) -> None:
        first = self._epoch_id is None
        self._epoch_id = epoch_id
        recorder = self.app.process_recorder
        name = self._tracking_name
        stored: int | None = await asyncio.to_thread(recorder.max_tracking_id, name)
        self._position = stored or 0
        self._heads = {}
        self._heads_from_zero = self._position == 0
        admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap_servers, client_id=f"{self.source}-outbox-admin"
        )
        await admin.start()
        try:
            await ensure_topics(admin, dict.fromkeys(self.topics, self.partitions))
        finally:
            await admin.close()
        if not first or self._position == 0:
            log.info(
                "outbox of %s: broker epoch %s, publishing from %d",
                self.source,
                epoch_id,
                self._position + 1,
            )
        if not first:
            self.metrics.outbox_republishes.inc()

    async def _produce(
        self, notifications: Sequence[Notification], epoch_id: str
    ) -> dict[tuple[str, int], int]:
        """Send one batch; returns the chain heads after it (kept once it is recorded)."""
        assert self._producer is not None
        by_partition: dict[tuple[str, int], list[Record]] = defaultdict(list)
        heads = dict(self._heads)  # kept only once the whole batch is acknowledged
        for notification in notifications:
            event = self.app.mapper.to_domain_event(notification)
            outgoing = self.translate(event)
            if outgoing is None:
                continue
            key = str(event.originator_id).encode()
            partitions = await self._producer.partitions_for(outgoing.topic)
            all_partitions = sorted(partitions)
            partition = self._partitioner(key, all_partitions, all_partitions)
            head = heads.get((outgoing.topic, partition), 0 if self._heads_from_zero else None)
            heads[(outgoing.topic, partition)] = notification.id
            envelope = self._envelope(event, notification, outgoing, epoch_id, head)
            headers = [
                ("event_type", envelope.event_type.encode()),
                ("schema_version", str(envelope.schema_version).encode()),
                ("correlation_id", envelope.correlation_id.encode()),
            ]
            by_partition[(outgoing.topic, partition)].append((key, encode(envelope), headers))
        await asyncio.gather(
            *(self._send_partition(t, p, recs) for (t, p), recs in by_partition.items())
        )
        for (topic, _), recs in by_partition.items():
            self.metrics.events_published.labels(topic).inc(len(recs))
        return heads

    async def _send_partition(
        self,
        topic: str,
        partition: int,
        records: list[Record],
    ) -> None:
        """Send one partition's records in order, one batch at a time."""
        assert self._producer is not None
        batch = self._producer.create_batch()
        for key, value, headers in records:
            if batch.append(key=key, value=value, timestamp=None, headers=headers) is None:
                await (await self._producer.send_batch(batch, topic, partition=partition))
                batch = self._producer.create_batch()
                batch.append(key=key, value=value, timestamp=None, headers=headers)
        if batch.record_count():
            await (await self._producer.send_batch(batch, topic, partition=partition))

    def _envelope(
        self,
        event: Any,
        notification: Notification,
        outgoing: Outgoing,
        epoch_id: str,
        previous_position: int | None,
    ) -> Envelope:
        meta: dict[str, str] = getattr(event, "meta", {}) or {}
        aggregate_id = event.originator_id
        return Envelope(
            event_id=uuid.uuid5(aggregate_id, str(event.originator_version)),
            event_type=outgoing.event_type,
            schema_version=outgoing.schema_version,
            source=self.source,
            aggregate_type=type(event).__qualname__.split(".")[0],
            aggregate_id=aggregate_id,
            aggregate_version=event.originator_version,
            occurred_at=outgoing.occurred_at,
            recorded_at=event.timestamp,
            recorded_by=Actor(
                agency=meta.get("agency", ""), user=meta.get("user", ""), role=meta.get("role", "")
            ),
            correlation_id=meta.get("correlation_id", ""),
            causation_id=meta.get("causation_id", ""),
            position=notification.id,
            previous_position=previous_position,
            broker_epoch=epoch_id,
            payload=outgoing.payload,
        )


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
