"""RELIABILITY.md R8: poison messages (corrupt bytes, an unknown event version, a handler
that raises) on the three stores.

Each gets bounded retries (the handler) and is then parked with its original bytes and
the reason, in the consumer's database with its position, and sent to the dead-letter
topic; later messages of the same aggregate are parked behind it; other aggregates keep
flowing. After the fix (the handler stops raising, the new version gets a contract), a
replay applies every parked aggregate's messages in order, exactly once; a corrupt letter
is discarded, which lets the ones behind it through.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import pytest

from contracts import register
from contracts.common import Payload
from contracts.registry import _MODELS
from tests.faults.consumer_harness import EVENT_TYPE, POISON, Harness, Producer, redeliver
from tests.faults.results import record, size

pytestmark = [pytest.mark.faults, pytest.mark.integration]


class TickedV2(Payload):
    n: int
    note: str = ""


@pytest.fixture
def harness(database_url: tuple[str, str]) -> Iterator[Harness]:
    h = Harness(*database_url, max_attempts=3)
    yield h
    h.close()
    POISON.clear()
    _MODELS.pop((EVENT_TYPE, 2), None)


async def test_r8_poison_is_parked_per_aggregate_and_replayed_after_the_fix(
    harness: Harness, database_url: tuple[str, str]
) -> None:
    others, ticks = size(10, 100), size(6, 30)
    producer = Producer()
    expected: dict[str, int] = {}
    for t in range(1, ticks + 1):
        for a in range(others):
            producer.tick(f"ok{a}", t)
        # "bug": the handler raises on its 3rd message; "newer": v2 of the contract at 2.
        producer.tick("bug", 1000 + t if t != 3 else 666)
        if t == 2:
            producer.tick("newer", t, schema_version=2)
        else:
            producer.tick("newer", t)
        producer.tick("broken", t)
        if t == 4:  # bytes that are no message, keyed by aggregate "broken"
            spoilt = producer.aggregate("broken")
            producer.append(producer.partition_of(spoilt), str(spoilt).encode(), b"\xff{not json")
    for name in [*(f"ok{a}" for a in range(others)), "bug", "newer", "broken"]:
        expected[str(producer.aggregate(name))] = ticks
    POISON.add(666)
    started = time.monotonic()
    await harness.deliver(producer.records, batch=40)

    bug, newer, broken = (str(producer.aggregate(n)) for n in ("bug", "newer", "broken"))
    versions = harness.versions()
    for a in range(others):  # other aggregates kept flowing, completely
        assert versions[str(producer.aggregate(f"ok{a}"))] == list(range(1, ticks + 1))
    assert versions[bug] == [1, 2], "nothing of 'bug' after its failed v3"
    assert versions[newer] == [1], "nothing of 'newer' after its unknown v2"
    assert versions[broken] == [1, 2, 3, 4], "the corrupt bytes came after v4"

    letters = (await harness.consumer.dead_letters()).parked
    assert [x.aggregate_version for x in letters[bug]] == list(range(3, ticks + 1))
    assert "handler bug on n=666" in letters[bug][0].reason
    assert all(x.behind == letters[bug][0].letter_id for x in letters[bug][1:])
    assert "unknown contract" in letters[newer][0].reason
    assert letters[broken][0].letter_id.startswith("raw-")
    assert letters[broken][0].value == b"\xff{not json"
    parked_total = sum(len(v) for v in letters.values())
    # The dead-letter topic got each letter once, with the original bytes and why.
    by_id = {m["letter_id"]: m for m in harness.dlq.sent}
    assert len(harness.dlq.sent) == parked_total == len(by_id)
    originals = {r.value for r in producer.records}
    assert all(m["value"] in originals and m["reason"] for m in harness.dlq.sent)
    retries = harness.metrics.registry.get_sample_value("svc_consumer_retries_total")
    assert retries == 3, "bounded: 3 failed attempts on the failing message, then parked"

    # Delivered again (a rewind): nothing changes, nothing is parked twice.
    before = harness.store_hash()
    offsets = {p: itertools.count(10_000) for p in range(producer.partitions)}
    await harness.deliver([redeliver(r, next(offsets[r.partition])) for r in producer.records])
    assert harness.store_hash() == before
    assert len(harness.dlq.sent) == parked_total

    # The fix: the handler no longer fails, version 2 of the contract is known.
    POISON.clear()
    register(EVENT_TYPE, 2)(TickedV2)
    outcomes = {o.sequence: o for o in await harness.consumer.replay_dead_letters()}
    assert outcomes[bug].replayed == ticks - 2 and outcomes[bug].remaining == 0
    assert outcomes[newer].replayed == ticks - 1 and outcomes[newer].remaining == 0
    assert outcomes[broken].replayed == 0 and outcomes[broken].remaining == ticks - 4 + 1
    assert outcomes[broken].reason, "corrupt bytes stay parked, with why"
    discarded = await harness.consumer.discard_dead_letter(letters[broken][0].letter_id)
    assert discarded is not None
    again = await harness.consumer.replay_dead_letters(broken)
    assert again[0].replayed == ticks - 4 and again[0].remaining == 0
    seconds = time.monotonic() - started

    versions = harness.versions()
    for aggregate, count in expected.items():
        assert versions[aggregate] == list(range(1, count + 1)), "in order, exactly once"
    assert not (await harness.consumer.dead_letters()).parked
    # After the replay the aggregates flow directly again.
    producer.tick("bug", 5000)
    await harness.deliver(producer.records[-1:])
    assert harness.versions()[bug][-1] == ticks + 1
    replayed = harness.metrics.registry.get_sample_value(
        "svc_dead_letters_replayed_total", {"group": harness.consumer.group_id}
    )
    record(
        "R8",
        f"test_r8_poison_is_parked_per_aggregate_and_replayed_after_the_fix"
        f"[{database_url[0].split(':')[0]}]",
        events=len(producer.records),
        dead_lettered=harness.count("dead_lettered"),
        parked_behind=harness.count("parked"),
        retries=retries,
        replayed=replayed,
        discarded=1,
        other_aggregates_applied=others * ticks,
        seconds=round(seconds, 2),
    )
