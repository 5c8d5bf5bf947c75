"""RELIABILITY.md R5: stop the broker under load and start it again.

The embedded broker (Tansu) keeps everything in memory, so a stopped broker comes back
empty, with a new epoch (docs/architecture.md): every relay publishes its whole store
again, and every consumer skips what it applied already. While intake commands flow,
the broker is stopped (alternately SIGTERM and SIGKILL); the supervisor starts it again.

Pass: no command acknowledged to a gRPC caller is lost (each receipt, also those given
while the broker was away, is in the stores and the read model, every aggregate's
versions in order), and every relay's outbox drains (lag back to 0). Records the drain
time: from the new broker's start until everything acknowledged is in the read model and
every relay's lag is 0.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time

import pytest

from tests.faults import flow
from tests.faults.flow import FlowStack, Load, MetricsWatch, one_partition_stack
from tests.faults.results import record, size

__all__ = ["one_partition_stack"]

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(size(300, 900))]

STOPS = size(1, 3)
RATE = size(100, 100)
MEASURES = size(30, 60)
AFTER_S = 2.0  # the load keeps going this long after the new broker started


def broker_pid(fs: FlowStack) -> int:
    return int(fs.stack.state()["broker_pid"] or 0)


async def wait_new_broker(fs: FlowStack, old: int, timeout: float = 30) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if broker_pid(fs) not in (0, old):
            return time.monotonic() - start
        await asyncio.sleep(0.02)
    raise AssertionError(f"the broker was not started again\n{fs.stack.console()}")


def test_r5_broker_stopped_under_load_loses_no_acknowledged_command(
    one_partition_stack: FlowStack,
) -> None:
    fs = one_partition_stack
    flow.settle(fs, 60)
    rng = random.Random(5)

    async def one_stop(sig: signal.Signals) -> dict[str, float]:
        await asyncio.sleep(rng.uniform(1.0, 2.0))
        old = broker_pid(fs)
        acked = fs.ledger.events
        os.kill(old, sig)
        away = await wait_new_broker(fs, old)
        back = time.monotonic()
        acked_away = fs.ledger.events - acked
        await asyncio.sleep(AFTER_S)
        return {"away_s": away, "back": back, "acked_while_away": acked_away}

    async def scenario() -> list[dict[str, float]]:
        stops = []
        for i in range(STOPS):
            stop = asyncio.Event()
            load = Load(fs.stack.grpc("intake"), fs.ledger, rate=RATE, measures=MEASURES)
            loading = load.start(stop)
            try:
                await load.begun(loading)
                stops.append(await one_stop(signal.SIGKILL if i % 2 else signal.SIGTERM))
            finally:
                stop.set()
                await loading
            await asyncio.to_thread(flow.settle, fs, 180)
            stops[-1]["drain_s"] = time.monotonic() - stops[-1]["back"]
        return stops

    with MetricsWatch(fs.stack) as watch:
        start = watch.mark()
        events_before = fs.ledger.events
        retried_before = fs.ledger.retried
        stops = asyncio.run(scenario())
        events = fs.ledger.events - events_before
        duplicates = watch.outcomes_since(start, "duplicate")
        stale = watch.outcomes_since(start, "stale_epoch")
        dead = watch.outcomes_since(start, "dead_lettered")
        outcomes = watch.totals(start)
        lags = watch.lags()

    flow.check_ledger(fs)
    links = flow.check_links(fs.var_dir)
    epochs = {
        s: [name for name in flow.tracking(fs.var_dir, s) if name.startswith("outbox@")]
        for s in flow.PRODUCERS
    }
    record(
        "R5",
        "test_r5_broker_stopped_under_load_loses_no_acknowledged_command",
        partitions=1,
        events=events,
        calls_retried=fs.ledger.retried - retried_before,
        broker_stops=len(stops),
        acknowledged_while_broker_away=[int(s["acked_while_away"]) for s in stops],
        broker_away_seconds=[round(s["away_s"], 2) for s in stops],
        drain_seconds=[round(s["drain_s"], 2) for s in stops],
        lost=0,
        duplicates_applied=0,
        redeliveries_skipped=duplicates,
        stale_epoch_dropped=stale,
        dead_lettered=sum(dead.values()),
        consumer_outcomes=outcomes,
        relay_lag_after=lags,
        aggregates_followed=links.aggregates,
    )
    assert len(stops) == STOPS
    assert not links.problems, "\n".join(links.problems)
    assert sum(dead.values()) == 0, dead
    assert outcomes["parked"] == 0, "no aggregate was held back for good"
    assert lags == dict.fromkeys(flow.PRODUCERS, 0.0), "every outbox drained"
    assert all(len(names) >= 1 + STOPS for names in epochs.values()), (
        f"each relay recorded its position in each new broker's epoch: {epochs}"
    )
    assert sum(duplicates.values()) > 0, "the new broker got everything again; skipped as applied"
