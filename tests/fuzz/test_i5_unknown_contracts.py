"""RELIABILITY.md I5: an unknown event type or version on a topic is ignored by policy or
dead-lettered, never a crash loop.

Policy: a consumer that names the types it handles ignores every other type, known or
not, in any version (its position moves past it). A handled type in a version this build
has no contract for, or a type a consumer without such a list does not know, is parked as
a dead letter with its bytes and the reason. Either way the batch completes: no exception
reaches the subscriber (which would rewind and read the same batch again, forever), the
consumer is never rewound, and the messages after it are applied.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.consumer_harness import Harness, Producer
from tests.faults.results import record, size

pytestmark = [pytest.mark.fuzz]


@pytest.fixture
def harness() -> Iterator[Harness]:
    h = Harness("memory:", "")
    yield h
    h.close()


async def test_i5_unknown_types_are_ignored_and_unknown_versions_dead_lettered(
    harness: Harness,
) -> None:
    rounds = size(20, 500)
    producer = Producer()
    for t in range(rounds):
        producer.tick("steady", t)
        producer.tick(f"stranger{t}", t, event_type="SomethingNobodyKnows", schema_version=9)
        producer.tick(f"future{t}", t, schema_version=7)  # a handled type, from the future
        producer.tick(f"after{t}", t)
    await harness.deliver(producer.records, batch=16)

    assert not harness.kafka.seeks, "never rewound: no batch failed"
    assert harness.count("ignored") == rounds
    assert harness.count("dead_lettered") == rounds
    versions = harness.versions()
    assert versions[str(producer.aggregate("steady"))] == list(range(1, rounds + 1))
    assert all(versions[str(producer.aggregate(f"after{t}"))] == [1] for t in range(rounds))
    letters = (await harness.consumer.dead_letters()).parked
    assert len(letters) == rounds
    for t in range(rounds):
        (letter,) = letters[str(producer.aggregate(f"future{t}"))]
        assert "unknown contract" in letter.reason and "version 7" in letter.reason
    originals = {r.value for r in producer.records}
    assert all(m["value"] in originals for m in harness.dlq.sent)
    # Positions moved past every message: all Kafka offsets committed to the end.
    ends = {(r.partition): r.offset + 1 for r in producer.records}
    assert {tp.partition: o for tp, o in harness.kafka.committed.items()} == ends
    record(
        "I5",
        "test_i5_unknown_types_are_ignored_and_unknown_versions_dead_lettered",
        messages=len(producer.records),
        ignored=harness.count("ignored"),
        dead_lettered=harness.count("dead_lettered"),
        applied=harness.count("applied"),
        rewinds=len(harness.kafka.seeks),
    )


async def test_i5_a_consumer_without_a_type_list_dead_letters_unknown_types(
    harness: Harness,
) -> None:
    harness.consumer.handled_types = None
    producer = Producer(partitions=1)
    producer.tick("a", 1)
    producer.tick("b", 1, event_type="SomethingNobodyKnows")
    producer.tick("a", 2)
    await harness.deliver(producer.records)
    assert not harness.kafka.seeks
    assert harness.versions() == {str(producer.aggregate("a")): [1, 2]}
    (letter,) = (await harness.consumer.dead_letters()).parked[str(producer.aggregate("b"))]
    assert letter.value == producer.records[1].value
    assert "SomethingNobodyKnows" in letter.reason
