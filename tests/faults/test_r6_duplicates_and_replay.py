"""RELIABILITY.md R6: every message delivered twice, then the whole topic replayed from
offset 0: the consumer's store is unchanged (same hash) and every duplicate is counted.

On the in-memory, SQLite and PostgreSQL stores, through the production consumer and sink
(the Kafka fetch is played by tests/faults/consumer_harness.py).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from tests.faults.consumer_harness import Harness, Producer, redeliver
from tests.faults.results import record, size

pytestmark = [pytest.mark.faults, pytest.mark.integration]


@pytest.fixture
def harness(database_url: tuple[str, str]) -> Iterator[Harness]:
    h = Harness(*database_url)
    yield h
    h.close()


async def test_r6_doubled_delivery_and_full_replay_change_nothing(
    harness: Harness, database_url: tuple[str, str]
) -> None:
    aggregates, ticks = size(20, 200), size(10, 50)
    producer = Producer()
    for t in range(ticks):
        for a in range(aggregates):
            producer.tick(f"a{a}", t)
    events = aggregates * ticks
    # Every message published twice: the copy follows it at the next offset.
    offsets = {p: itertools.count(0) for p in range(producer.partitions)}
    doubled = [redeliver(r, next(offsets[r.partition])) for r in producer.records for _ in range(2)]
    started = time.monotonic()
    await harness.deliver(doubled)

    versions = harness.versions()
    assert len(versions) == aggregates
    assert all(v == list(range(1, ticks + 1)) for v in versions.values())
    assert harness.count("applied") == events
    assert harness.count("duplicate") == events, "every second copy is a counted duplicate"
    before = harness.store_hash()

    # The whole topic again from offset 0 (a rewound consumer), doubled copies included.
    await harness.deliver(doubled)
    after = harness.store_hash()
    seconds = time.monotonic() - started

    assert after == before, "a replay from offset 0 must not change the store"
    assert harness.count("applied") == events
    assert harness.count("duplicate") == events + len(doubled)
    assert not harness.dlq.sent
    record(
        "R6",
        f"test_r6_doubled_delivery_and_full_replay_change_nothing[{database_url[0].split(':')[0]}]",
        events=events,
        delivered=2 * len(doubled),
        duplicates_counted=harness.count("duplicate"),
        applied=harness.count("applied"),
        hash_equal=after == before,
        seconds=round(seconds, 2),
    )
