"""RELIABILITY.md R7: deliveries reordered; versions 2 and 3 of one aggregate swapped, in
one fetched batch and across two: version 3 is never applied before 2, nothing is lost.

Positions are tracked per partition, so without more a reordered message is lost: v3
(position 12) applied first moves the partition's position to 12 and v2 (11) then looks
like a duplicate. Each message therefore names the position before it in its partition
(``previous_position``, set by the relay); the consumer holds a message whose predecessor
has not been applied and applies it once the predecessor arrives.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator

import pytest
from aiokafka import TopicPartition

from tests.faults.consumer_harness import TOPIC, Harness, Producer
from tests.faults.results import record, size

pytestmark = [pytest.mark.faults, pytest.mark.integration]


@pytest.fixture
def harness(database_url: tuple[str, str]) -> Iterator[Harness]:
    h = Harness(*database_url, partitions=1)
    yield h
    h.close()


def assert_in_order(h: Harness, aggregates: int, ticks: int) -> None:
    versions = h.versions()
    assert len(versions) == aggregates
    for v in versions.values():
        assert v == list(range(1, ticks + 1)), "applied versions strictly increasing, gap-free"


async def test_r7_swapped_versions_are_applied_in_order(
    harness: Harness, database_url: tuple[str, str]
) -> None:
    producer = Producer(partitions=1)
    x = [producer.tick("x", n) for n in range(1, 4)]  # versions 1, 2, 3
    others = [producer.tick(f"o{i}", 0) for i in range(3)]
    # Version 3 arrives in one batch, version 2 in the next one, with others between.
    await harness.deliver([x[0], x[2], others[0]], batch=3)
    assert [v for _, v, _ in harness.applied()] == [1], "v3 and what follows it wait"
    assert harness.count("held") == 2
    committed = harness.kafka.committed[TopicPartition(TOPIC, 0)]
    assert committed <= x[2].offset, "the Kafka offset never passes a held message"
    await harness.deliver([x[1], others[1], others[2]], batch=3)
    assert harness.versions()[str(producer.aggregate("x"))] == [1, 2, 3]
    assert len(harness.applied()) == 6
    assert harness.count("duplicate") == 0, "the late v2 is not mistaken for a duplicate"


async def test_r7_shuffled_windows_lose_and_reorder_nothing(
    harness: Harness, database_url: tuple[str, str]
) -> None:
    aggregates, ticks, window = size(8, 50), size(12, 40), 7
    rng = random.Random(7)
    producer = Producer(partitions=1)
    for t in range(ticks):
        for a in range(aggregates):
            producer.tick(f"a{a}", t)
    shuffled = []
    for i in range(0, len(producer.records), window):
        chunk = producer.records[i : i + window]
        rng.shuffle(chunk)
        shuffled.extend(chunk)
    started = time.monotonic()
    await harness.deliver(shuffled, batch=5)  # windows straddle batches
    seconds = time.monotonic() - started
    assert_in_order(harness, aggregates, ticks)
    assert harness.count("applied") == aggregates * ticks
    assert harness.count("held") > 0
    record(
        "R7",
        f"test_r7_shuffled_windows_lose_and_reorder_nothing[{database_url[0].split(':')[0]}]",
        events=aggregates * ticks,
        held=harness.count("held"),
        applied=harness.count("applied"),
        out_of_order_applied=0,
        lost=aggregates * ticks - len(harness.applied()),
        seconds=round(seconds, 2),
    )
