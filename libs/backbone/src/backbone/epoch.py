"""The broker's epoch: which broker instance (and so which offsets) we are talking to.

The embedded broker keeps nothing when it stops, and its cluster id is the same on
every start, so positions recorded against one broker instance mean nothing on the
next. The first record of the one-partition topic ``_portfolio.broker-epoch`` names
the instance: whoever finds the topic empty writes a random id, and everyone reads
the record at offset 0. A real Kafka keeps that record (infinite retention), so its
epoch never changes; a fresh embedded broker gets a new one.
"""

from __future__ import annotations

import contextlib
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

EPOCH_TOPIC = "_portfolio.broker-epoch"
_TP = TopicPartition(EPOCH_TOPIC, 0)


class BrokerEpochError(RuntimeError):
    """The epoch could not be read (broker unreachable)."""


async def ensure_topics(
    admin: AIOKafkaAdminClient, topics: dict[str, int], *, config: dict[str, str] | None = None
) -> None:
    """Create ``topics`` (name -> partitions) that do not exist yet."""
    existing = set(await admin.list_topics())
    missing = [
        NewTopic(name, num_partitions=n, replication_factor=1, topic_configs=config or {})
        for name, n in topics.items()
        if name not in existing
    ]
    if not missing:
        return
    with contextlib.suppress(TopicAlreadyExistsError):  # another service was quicker
        await admin.create_topics(missing)


class BrokerEpoch:
    """Reads (and if need be founds) the epoch of the broker at ``bootstrap_servers``."""

    def __init__(self, bootstrap_servers: str, client_id: str) -> None:
        self._bootstrap = bootstrap_servers
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None

    async def start(self) -> None:
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-epoch-admin"
        )
        await self._admin.start()
        self._producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap, client_id=f"{self._client_id}-epoch", acks="all"
        )
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self._bootstrap,
            client_id=f"{self._client_id}-epoch",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        self._consumer.assign([_TP])

    async def stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
        if self._producer is not None:
            await self._producer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def read(self) -> str:
        """The current broker's epoch id; founds it if the broker has none yet."""
        if self._consumer is None or self._producer is None or self._admin is None:
            raise BrokerEpochError("BrokerEpoch.start() was not called")
        try:
            await ensure_topics(self._admin, {EPOCH_TOPIC: 1}, config={"retention.ms": "-1"})
            end = (await self._consumer.end_offsets([_TP]))[_TP]
            if end == 0:
                await self._producer.send_and_wait(
                    EPOCH_TOPIC, uuid.uuid4().hex.encode(), partition=0
                )
            self._consumer.seek(_TP, 0)
            for _ in range(20):
                batch = await self._consumer.getmany(_TP, timeout_ms=500, max_records=1)
                records = batch.get(_TP, [])
                if records and records[0].offset == 0 and records[0].value:
                    return bytes(records[0].value).decode()
        except KafkaError as exc:
            raise BrokerEpochError(f"cannot read broker epoch: {exc!r}") from exc
        raise BrokerEpochError("broker epoch record did not arrive")
