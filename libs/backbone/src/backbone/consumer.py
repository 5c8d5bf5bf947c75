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

Kafka's committed offsets are only a hint of where to resume.

Order: a partition's messages form a chain (each names the position of the one before
it); a message whose predecessor has not been applied is held until it arrives, so a
reordered delivery never applies a later version first (R7).

Poison messages (bytes without an envelope, an unknown contract, a handler that keeps
failing after bounded retries) are parked in a sequenced dead-letter queue
(:mod:`backbone.deadletters`): stored with the position, in the same transaction, and
published to ``<service>.deadletter.v1`` with the original bytes and the reason. Later
messages of the same aggregate are parked behind them; other aggregates keep flowing.
An operator replays them after a fix. A consumer with ``handled_types`` ignores every
other event type, in any version, by policy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError
from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage
from pydantic import BaseModel, ValidationError

from backbone.deadletters import DeadLetter, Letters, Routed, raw_letter
from backbone.epoch import BrokerEpoch, BrokerEpochError
from backbone.metrics import ServiceMetrics
from backbone.settings import ServiceSettings
from contracts import ContractError, Envelope, UnknownContractError, decode, payload_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Delivery:
    """One decoded message: its envelope, its validated payload and where it came from."""

    envelope: Envelope
    payload: BaseModel
    topic: str
    partition: int
    offset: int
    raw: bytes = b""
    """The record's original bytes (what a dead letter keeps)."""
    key: bytes | None = None


@dataclass
class _Link:
    """A message with a position: a link of its partition's chain. ``item`` is what to do
    with it: a delivery to apply, a letter to park, or None (a type this consumer ignores)."""

    position: int
    previous: int | None
    offset: int
    item: Delivery | DeadLetter | None


@dataclass(frozen=True)
class Replayed:
    """What replaying one parked sequence did."""

    sequence: str
    replayed: int
    remaining: int
    reason: str
    """Why the first remaining letter still fails ("" when none remain)."""


def _position_of(item: Delivery | DeadLetter) -> int:
    return item.envelope.position if isinstance(item, Delivery) else item.position


def _bad_envelope(exc: ValidationError) -> ContractError:
    return ContractError(f"bad envelope: {exc.errors(include_url=False)}")


def _envelope_letter(
    record: ConsumerRecord[Any, Any], envelope: Envelope, reason: str
) -> DeadLetter:
    return DeadLetter(
        letter_id=str(envelope.event_id),
        sequence=str(envelope.aggregate_id),
        topic=record.topic,
        partition=record.partition,
        offset=record.offset,
        value=record.value or b"",
        key=record.key,
        reason=reason,
        event_type=envelope.event_type,
        schema_version=envelope.schema_version,
        aggregate_version=envelope.aggregate_version,
        position=envelope.position,
    )


class PoisonMessageError(Exception):
    """A handler failed on ``deliveries[index]`` for a reason a retry will not cure."""

    def __init__(self, index: int, reason: BaseException) -> None:
        super().__init__(f"message {index}: {reason!r}")
        self.index = index
        self.reason = reason


class Sink(Protocol):
    """Where a consumer applies messages: an event-sourced app or a projection store.

    It also keeps the consumer group's parked letters (:mod:`backbone.deadletters`), in
    the same database and the same transactions.
    """

    def position(self, tracking_name: str) -> int | None:
        """The last position recorded under ``tracking_name``."""

    def apply(
        self,
        tracking_name: str,
        position: int | None,
        deliveries: Sequence[Delivery | DeadLetter],
        failed: Mapping[int, str] | None = None,
    ) -> Routed | None:
        """Apply ``deliveries`` in order and record ``position`` atomically.

        Letters among them, the deliveries ``failed`` names (index -> reason) and every
        later delivery of a parked sequence are parked instead (:func:`~backbone.
        deadletters.route`). ``position`` None: only letters to park, no new position.
        Raises :class:`PoisonMessageError` naming the message a handler failed on, and
        ``IntegrityError`` when the position was recorded already or a write conflicted.
        """

    def dead_letters(self, group: str) -> Letters:
        """The parked letters of consumer group ``group``."""

    def replay(self, group: str, sequence: str, deliveries: Sequence[Delivery]) -> None:
        """Apply the first ``len(deliveries)`` letters of a parked sequence and release
        them, atomically; PoisonMessageError names one that fails again."""

    def change_letters(self, group: str, change: Callable[[Letters], Any]) -> Any:
        """Run ``change`` on the group's letters and store what it changed."""


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
        self._held: dict[str, dict[int, _Link]] = {}
        """Per tracking name: messages waiting for their predecessor, by position."""
        self._held_since: dict[str, float] = {}
        self.gap_timeout_s = 30.0
        """How long a gap in a partition's chain may stay open before the message after it
        is parked (its predecessor is taken to be lost)."""

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
            self._held.clear()
            self._held_since.clear()
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
            self._held.clear()  # held messages came from the old broker
            self._held_since.clear()
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
            held = self._held.get(f"{self.group_id}:{topic}:{partition}")
            # Never commit past a held message: after a restart it must be read again.
            offsets[TopicPartition(topic, partition)] = (
                min(link.offset for link in held.values()) if held else recs[-1].offset + 1
            )
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
        """Apply what is new in one partition's records, in chain order, in one transaction.

        Messages form a chain per partition (``previous_position``); one whose predecessor
        has not been applied yet is *held* (kept in memory, not applied, Kafka offset not
        committed past it) until the predecessor arrives, so a reordered delivery can
        neither apply version 3 before 2 nor make 2 look like a duplicate afterwards.
        """
        name = f"{self.group_id}:{topic}:{partition}"
        position = await self._position(name) or 0
        held = self._held.setdefault(name, {})
        raw: list[DeadLetter] = []
        arrived: set[int] = set()
        for record in records:
            link = self._link(record, epoch_id)
            if link is None:
                continue
            if isinstance(link, DeadLetter):
                raw.append(link)
                continue
            if link.position <= position or link.position in held:
                self.metrics.consumer_messages.labels(topic, "duplicate").inc()
                continue
            held[link.position] = link
            arrived.add(link.position)
        accepted, forced = self._chain(name, held, position)
        still_held = len(arrived & held.keys())
        if still_held:
            self.metrics.consumer_messages.labels(topic, "held").inc(still_held)
            log.warning(
                "%s: %d message(s) held: a message before position %d has not arrived",
                name,
                len(held),
                min(held),
            )
        if not accepted and not raw:
            return True
        items: list[Delivery | DeadLetter] = []
        failed: dict[int, str] = {}
        pending_raw = sorted(raw, key=lambda r: r.offset)
        ignored = 0
        for link in accepted:
            while pending_raw and pending_raw[0].offset < link.offset:
                items.append(pending_raw.pop(0))
            if link.item is None:
                ignored += 1
                continue
            if link.position in forced:
                failed[len(items)] = forced[link.position]
            items.append(link.item)
        items.extend(pending_raw)
        if ignored:
            self.metrics.consumer_messages.labels(topic, "ignored").inc(ignored)
        new_position = accepted[-1].position if accepted else None
        return await self._apply_with_retries(name, topic, new_position, items, failed)

    def _chain(
        self, name: str, held: dict[int, _Link], position: int
    ) -> tuple[list[_Link], dict[int, str]]:
        """The held links that follow ``position`` without a gap, in order; a gap that has
        not closed after :attr:`gap_timeout_s` parks the message after it (``forced``)."""
        accepted: list[_Link] = []
        forced: dict[int, str] = {}
        current = position
        now = time.monotonic()
        for pos in sorted(held):
            link = held[pos]
            if link.previous is not None and link.previous > current:
                since = self._held_since.setdefault(name, now)
                if now - since < self.gap_timeout_s:
                    break
                log.error(
                    "%s: the message at position %d never arrived; parking the one after it",
                    name,
                    link.previous,
                )
                forced[pos] = (
                    f"gap: the message at position {link.previous} (after {current}) "
                    f"never arrived within {self.gap_timeout_s:.0f}s"
                )
            accepted.append(link)
            current = pos
        for link in accepted:
            del held[link.position]
        if accepted:
            self._held_since.pop(name, None)
        if held:
            self._held_since.setdefault(name, now)
        return accepted, forced

    def _link(self, record: ConsumerRecord[Any, Any], epoch_id: str) -> _Link | DeadLetter | None:
        """Decode a record: a link of its partition's chain, a letter for bytes without an
        envelope, or None for a message of another broker epoch."""
        topic, partition, offset = record.topic, record.partition, record.offset
        try:
            if record.value is None:
                raise ContractError("empty message")
            envelope = Envelope.model_validate_json(record.value)
        except (ValidationError, ContractError) as exc:
            error = exc if isinstance(exc, ContractError) else _bad_envelope(exc)
            return raw_letter(
                topic=topic,
                partition=partition,
                offset=offset,
                key=record.key,
                value=record.value,
                reason=str(error),
            )
        if envelope.broker_epoch != epoch_id:
            self.metrics.consumer_messages.labels(topic, "stale_epoch").inc()
            return None
        link = _Link(envelope.position, envelope.previous_position, offset, None)
        if self.handled_types is not None and envelope.event_type not in self.handled_types:
            return link  # not this consumer's business, in any version: ignored by policy
        try:
            model = payload_model(envelope.event_type, envelope.schema_version)
            payload = model.model_validate(envelope.payload)
        except UnknownContractError as exc:
            link.item = _envelope_letter(record, envelope, f"unknown contract: {exc}")
            return link
        except ValidationError as exc:
            reason = (
                f"bad payload for {envelope.event_type} v{envelope.schema_version}: "
                f"{exc.errors(include_url=False)}"
            )
            link.item = _envelope_letter(record, envelope, reason)
            return link
        link.item = Delivery(envelope, payload, topic, partition, offset, record.value, record.key)
        return link

    async def _apply_with_retries(
        self,
        name: str,
        topic: str,
        position: int | None,
        items: list[Delivery | DeadLetter],
        failed: dict[int, str],
    ) -> bool:
        attempts = 0
        backoff = 0.05
        pending = list(items)
        while True:
            if self._stopping.is_set():
                return False
            try:
                with self.metrics.consumer_batch_seconds.time():
                    routed = await asyncio.to_thread(
                        self.sink.apply, name, position, pending, failed
                    )
            except PoisonMessageError as poison:
                attempts += 1
                self.metrics.consumer_retries.inc()
                if attempts < self.settings.consumer_max_attempts:
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, 2.0)
                    continue
                # Given up: the message is parked (with its sequence) in the next attempt.
                failed[poison.index] = repr(poison.reason)
                attempts = 0
                continue
            except IntegrityError:
                # Either another consumer recorded this position already (a rebalance
                # overlap), or a concurrent write touched the same aggregate (or the
                # dead-letter book, during a replay).
                stored = await asyncio.to_thread(self.sink.position, name)
                self._positions[name] = stored
                if position is not None and stored is not None and stored >= position:
                    self.metrics.consumer_messages.labels(topic, "duplicate").inc(len(pending))
                    return True
                if stored is not None:
                    keep = [i for i, it in enumerate(pending) if _position_of(it) > stored]
                    failed = {keep.index(i): r for i, r in failed.items() if i in keep}
                    pending = [pending[i] for i in keep]
                self.metrics.consumer_retries.inc()
                await asyncio.sleep(backoff)
                continue
            except TRANSIENT as exc:
                self.metrics.consumer_retries.inc()
                log.warning("%s: transient failure %r; retrying in %.2fs", name, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if position is not None:
                self._positions[name] = position
            applied = routed.applied if routed is not None else len(pending)
            self.metrics.consumer_messages.labels(topic, "applied").inc(applied)
            if routed is not None:
                await self._letters_parked(topic, routed)
            return True

    async def _letters_parked(self, topic: str, routed: Routed) -> None:
        if routed.behind:
            self.metrics.consumer_messages.labels(topic, "parked").inc(routed.behind)
        failed = len(routed.parked) - routed.behind
        if failed:
            self.metrics.consumer_messages.labels(topic, "dead_lettered").inc(failed)
        for letter in routed.parked:
            log.error(
                "%s: dead letter %s (%s v%d of %s, %s[%d]@%d): %s",
                self.group_id,
                letter.letter_id,
                letter.event_type or "?",
                letter.aggregate_version,
                letter.sequence,
                letter.topic,
                letter.partition,
                letter.offset,
                letter.reason,
            )
            await self._send_dead_letter(letter)
        if routed.parked:
            await self._count_parked()

    async def _count_parked(self) -> None:
        with contextlib.suppress(Exception):
            letters = await asyncio.to_thread(self.sink.dead_letters, self.group_id)
            self.metrics.dead_letters_parked.labels(self.group_id).set(letters.count())

    async def _send_dead_letter(self, letter: DeadLetter) -> None:
        """Publish a parked letter on the dead-letter topic, for people and tools watching
        Kafka. Best effort: the letter is stored already (the database copy is replayed)."""
        if self._dlq is None:
            return
        headers = [
            ("original_topic", letter.topic.encode()),
            ("original_partition", str(letter.partition).encode()),
            ("original_offset", str(letter.offset).encode()),
            ("consumer_group", self.group_id.encode()),
            ("letter_id", letter.letter_id.encode()),
            ("sequence", letter.sequence.encode()),
            ("parked_behind", letter.behind.encode()),
            ("reason", letter.reason.encode()[:4000]),
        ]
        for attempt in range(3):
            try:
                await self._dlq.send_and_wait(
                    self.dead_letter_topic, value=letter.value, key=letter.key, headers=headers
                )
                return
            except KafkaError as exc:
                log.warning("%s: dead-letter topic: %r (attempt %d)", self.group_id, exc, attempt)
                await asyncio.sleep(0.2 * (attempt + 1))
        log.error("%s: letter %s is stored but not on the topic", self.group_id, letter.letter_id)

    # --- dead letters: what an operator sees and does ------------------------------------

    async def dead_letters(self) -> Letters:
        """This group's parked letters, by sequence."""
        return await asyncio.to_thread(self.sink.dead_letters, self.group_id)

    async def replay_dead_letters(self, sequence: str | None = None) -> list[Replayed]:
        """Apply parked sequences again (all, or one), each in order, from the letters'
        original bytes; between batches, so nothing of theirs is applied concurrently."""
        outcomes: list[Replayed] = []
        async with self._busy:
            letters = await asyncio.to_thread(self.sink.dead_letters, self.group_id)
            for seq, parked in list(letters.parked.items()):
                if sequence is None or seq == sequence:
                    outcomes.append(await self._replay_sequence(seq, parked))
        await self._count_parked()
        return outcomes

    async def _replay_sequence(self, sequence: str, parked: Sequence[DeadLetter]) -> Replayed:
        deliveries: list[Delivery] = []
        reason = ""
        for letter in parked:
            try:
                envelope, payload = decode(letter.value)
            except ContractError as exc:
                reason = str(exc)
                break
            deliveries.append(
                Delivery(
                    envelope,
                    payload,
                    letter.topic,
                    letter.partition,
                    letter.offset,
                    letter.value,
                    letter.key,
                )
            )
        attempts = 0
        conflicts = 0
        while deliveries:
            try:
                await asyncio.to_thread(self.sink.replay, self.group_id, sequence, deliveries)
                break
            except PoisonMessageError as poison:
                attempts += 1
                if attempts < self.settings.consumer_max_attempts:
                    await asyncio.sleep(0.05 * attempts)
                    continue
                reason = repr(poison.reason)
                deliveries = deliveries[: poison.index]
                attempts = 0
            except (IntegrityError, *TRANSIENT):
                conflicts += 1
                if conflicts >= 10:
                    raise
                await asyncio.sleep(0.05 * conflicts)
        if reason:
            note = reason

            def fail(letters: Letters) -> None:
                letters.fail(sequence, note)

            await asyncio.to_thread(self.sink.change_letters, self.group_id, fail)
        self.metrics.dead_letters_replayed.labels(self.group_id).inc(len(deliveries))
        return Replayed(sequence, len(deliveries), len(parked) - len(deliveries), reason)

    async def discard_dead_letter(self, letter_id: str) -> DeadLetter | None:
        """Drop one letter that can never be applied; the letters behind it stay parked
        until replayed."""
        async with self._busy:
            letter: DeadLetter | None = await asyncio.to_thread(
                self.sink.change_letters, self.group_id, lambda ls: ls.discard(letter_id)
            )
        if letter is not None:
            self.metrics.dead_letters_discarded.labels(self.group_id).inc()
        await self._count_parked()
        return letter

    async def _position(self, name: str) -> int | None:
        if name not in self._positions:
            self._positions[name] = await asyncio.to_thread(self.sink.position, name)
        return self._positions[name]
