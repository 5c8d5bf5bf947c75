"""RELIABILITY.md R4: SIGTERM each service under load; a clean stop hands over cleanly.

While intake commands flow, each service in turn gets SIGTERM (the supervisor starts it
again, as it does with any process that exits). A clean stop lets the gRPC calls in
hand finish, the consumers finish and commit the batch in hand, and the relay record
how far it published. So after the restart nothing is delivered or published again:

- the consumers' duplicate counters (``<service>_consumer_messages_total{outcome=
  "duplicate"}``, summed over every process that ran) stay 0, and so do stale epochs;
- no message is on any topic twice (the relays' records were current);
- every process stopped with exit code 0, and the stores and read model hold exactly
  what intake acknowledged, every aggregate's versions in order.
"""

from __future__ import annotations

import asyncio
import random
import re
import signal
import time
from collections import Counter

import pytest

from tests.faults import flow
from tests.faults.flow import FlowStack, Load, MetricsWatch, one_partition_stack
from tests.faults.results import record, size

__all__ = ["one_partition_stack"]

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(size(300, 900))]

ROUNDS = size(1, 3)  # each round stops every service once
RATE = size(100, 100)
MEASURES = size(30, 60)
TOPICS = (
    "intake.measure.v1",
    "intake.proposal.v1",
    "assessment.measure.v1",
    "korona.proposal.v1",
    "korona.funding.v1",
)


async def repeats_on_broker(fs: FlowStack) -> dict[str, int]:
    """Messages per topic that repeat an earlier message's position."""
    out = {}
    for topic in TOPICS:
        positions = Counter(p for p, _ in await flow.topic_positions(fs.bootstrap, topic))
        out[topic] = sum(n - 1 for n in positions.values())
    return out


def test_r4_sigterm_under_load_redelivers_nothing(one_partition_stack: FlowStack) -> None:
    fs = one_partition_stack
    flow.settle(fs, 60)
    rng = random.Random(4)
    console = fs.var_dir / "stack-console.log"
    stops_before = len(re.findall(r"stopped \(", console.read_text()))

    async def stop_one(name: str) -> tuple[str, float, asyncio.Task[float]]:
        """SIGTERM ``name`` and wait for its new process: (name, seconds until restarted,
        a task that gives the seconds until it serves again)."""
        sent = time.monotonic()
        pid = flow.signal_service(fs.stack, name, signal.SIGTERM)
        assert pid, f"{name} was not running"
        await flow.wait_restarted(fs.stack, name, pid)
        restarted = time.monotonic() - sent  # its clean stop + the supervisor's 0.5 s or more

        async def serving() -> float:
            await flow.wait_serving(fs.stack, name)
            return time.monotonic() - sent

        return name, restarted, asyncio.create_task(serving())

    async def scenario() -> list[tuple[str, float, float]]:
        stop = asyncio.Event()
        load = Load(fs.stack.grpc("intake"), fs.ledger, rate=RATE, measures=MEASURES)
        loading = load.start(stop)
        stops: list[tuple[str, float, float]] = []
        try:
            await load.begun(loading)
            for _ in range(ROUNDS):
                # One after another; the next may go while the previous is coming back.
                round_ = []
                for name in flow.SERVICES:
                    await asyncio.sleep(rng.uniform(0.5, 1.5))
                    round_.append(await stop_one(name))
                stops += [(name, restarted, await back) for name, restarted, back in round_]
        finally:
            stop.set()
            await loading
        return stops

    repeats_before = asyncio.run(repeats_on_broker(fs))
    with MetricsWatch(fs.stack) as watch:
        start = watch.mark()
        events_before = fs.ledger.events
        retried_before = fs.ledger.retried
        codes_before = Counter(fs.ledger.retried_codes)
        stops = asyncio.run(scenario())
        settle_s = flow.settle(fs, 120)
        events = fs.ledger.events - events_before
        duplicates = watch.outcomes_since(start, "duplicate")
        stale = watch.outcomes_since(start, "stale_epoch")
        dead = watch.outcomes_since(start, "dead_lettered")
        outcomes = watch.totals(start)
    repeats = asyncio.run(repeats_on_broker(fs))
    published_again = {t: repeats[t] - repeats_before[t] for t in TOPICS}
    exits = re.findall(r"(\w+) stopped \((exit code -?\d+|killed by \w+)\)", console.read_text())
    exits = exits[stops_before:]
    flow.check_ledger(fs)
    links = flow.check_links(fs.var_dir)
    record(
        "R4",
        "test_r4_sigterm_under_load_redelivers_nothing",
        partitions=1,
        events=events,
        calls_retried=fs.ledger.retried - retried_before,
        calls_retried_by_code=dict(fs.ledger.retried_codes - codes_before),
        sigterms=len(stops),
        exits=[f"{name}: {how}" for name, how in exits],
        redeliveries=duplicates,
        stale_epoch=stale,
        published_again=sum(published_again.values()),
        lost=0,
        duplicates_applied=0,
        dead_lettered=sum(dead.values()),
        consumer_outcomes=outcomes,
        back_serving_seconds_max=round(max(s[2] for s in stops), 2),
        back_serving_seconds={name: round(back, 2) for name, _, back in stops},
        settle_seconds=round(settle_s, 2),
        aggregates_followed=links.aggregates,
    )
    assert len(stops) == ROUNDS * len(flow.SERVICES)
    assert exits == [(name, "exit code 0") for name, _, _ in stops], "each stop was clean"
    assert not links.problems, "\n".join(links.problems)
    assert sum(dead.values()) == 0, dead
    assert outcomes["parked"] == 0, "no aggregate was held back for good"
    assert published_again == dict.fromkeys(TOPICS, 0), "a relay published again after a clean stop"
    assert duplicates == dict.fromkeys(flow.CONSUMERS, 0.0), "redelivered after a clean stop"
    assert stale == dict.fromkeys(flow.CONSUMERS, 0.0)
