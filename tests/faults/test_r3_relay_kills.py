"""RELIABILITY.md R3: SIGKILL the outbox relay mid-publish, K times.

The relay runs inside each producing service, so killing it means killing intake while
its relay publishes. Each round:

1. the broker is paused (SIGSTOP) while commands keep coming: intake stores them
   (nothing is published on the command path), so a backlog builds up;
2. the test takes SQLite's write lock on intake's store for a moment (as a slow
   database would) and lets the broker go on: the relay publishes the next batch of its
   backlog, the broker acknowledges it (``intake_events_published_total`` rises), and the
   relay then waits to record how far it got;
3. intake is SIGKILLed right there, between the broker's acknowledgement and the
   relay's record: the worst moment, where the restarted relay must publish that batch
   again.

A message that was published, not recorded and published again is on the topic twice.
Pass: every kill left such messages (it came mid-publish), every event committed in
intake's store reaches its consumers exactly once and in version order
(:func:`tests.faults.flow.check_links`), and the consumers skipped, as duplicates,
exactly the messages that are on the broker twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults import flow
from tests.faults.flow import FlowStack, Load, MetricsWatch, one_partition_stack
from tests.faults.results import record, size

__all__ = ["one_partition_stack"]

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(size(300, 900))]

KILLS = size(3, 8)
RATE = size(150, 150)
MEASURES = size(30, 60)
PAUSE_S = 1.0  # the broker's pause: well under the consumers' 3 s session timeout
TOPICS = ("intake.measure.v1", "intake.proposal.v1")


def intake_state(fs: FlowStack) -> tuple[int, int]:
    """(the relay's recorded position, the store's last notification id) in intake.db."""
    with contextlib.closing(sqlite3.connect(fs.var_dir / "intake.db", timeout=10)) as db:
        head = db.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0] or 0
        rows = db.execute(
            "SELECT notification_id FROM tracking WHERE application_name LIKE 'outbox@%'"
        ).fetchall()
    return max((r[0] for r in rows), default=0), head


def published(fs: FlowStack) -> float:
    """``intake_events_published_total`` now: it rises once the broker acknowledged a batch,
    before the relay records its position."""
    url = next(s["metrics"] for s in fs.stack.state()["services"] if s["name"] == "intake")
    sample = flow.scrape(url) or {}
    return sum(v for k, v in sample.items() if k.startswith("intake_events_published_total"))


async def caught_up(fs: FlowStack, timeout: float = 60) -> None:
    """Wait until intake serves and its relay has published what it stored."""
    await flow.wait_serving(fs.stack, "intake", timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        recorded, head = intake_state(fs)
        if head - recorded < 20:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"intake's relay did not catch up: {intake_state(fs)}")


def gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    with contextlib.suppress(OSError):
        return "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    return False


@dataclass
class Kill:
    recorded: int
    """the relay's recorded position when it died"""
    head: int
    """the store's last notification id then"""
    restart_s: float


def test_r3_killing_the_relay_mid_publish_loses_and_doubles_nothing(
    one_partition_stack: FlowStack,
) -> None:
    fs = one_partition_stack
    flow.settle(fs, 60)
    rng = random.Random(3)
    broker_pid = int(fs.stack.state()["broker_pid"])

    async def kill_mid_publish(load: Load) -> Kill:
        await caught_up(fs)
        await load.flowing()
        await asyncio.sleep(rng.uniform(0.2, 0.6))
        os.kill(broker_pid, signal.SIGSTOP)
        try:
            await asyncio.sleep(PAUSE_S)  # intake keeps storing; the relay waits
            await load.hold()  # no command may wait for the lock below
            acknowledged = published(fs)
            lock = sqlite3.connect(fs.var_dir / "intake.db", isolation_level=None, timeout=10)
            lock.execute("BEGIN IMMEDIATE")  # the relay's record will wait for this
        finally:
            os.kill(broker_pid, signal.SIGCONT)
        try:
            deadline = time.monotonic() + 10
            while published(fs) == acknowledged:  # the broker acknowledged a batch
                assert time.monotonic() < deadline, "the relay published nothing"
                await asyncio.sleep(0.005)
            pid = flow.signal_service(fs.stack, "intake", signal.SIGKILL)
            assert pid, "intake was not running"
            for _ in range(5000):  # SIGKILL takes effect at once; bounded all the same
                if gone(pid):
                    break
                await asyncio.sleep(0.002)
        finally:
            lock.rollback()
            lock.close()
            load.resume()
        recorded, head = intake_state(fs)
        return Kill(recorded, head, await flow.wait_restarted(fs.stack, "intake", pid))

    async def scenario() -> list[Kill]:
        stop = asyncio.Event()
        load = Load(fs.stack.grpc("intake"), fs.ledger, rate=RATE, measures=MEASURES)
        loading = load.start(stop)
        try:
            await load.begun(loading)
            return [await kill_mid_publish(load) for _ in range(KILLS)]
        finally:
            stop.set()
            await loading

    with MetricsWatch(fs.stack) as watch:
        start = watch.mark()
        events_before = fs.ledger.events
        retried_before = fs.ledger.retried
        kills = asyncio.run(scenario())
        settle_s = flow.settle(fs, 120)
        events = fs.ledger.events - events_before
        duplicates = {
            topic: watch.since(start, service, "duplicate", topic)
            for service, topic in (("assessment", TOPICS[0]), ("korona", TOPICS[1]))
        }
        dead = watch.outcomes_since(start, "dead_lettered")
        outcomes = watch.totals(start)

    # A message on the broker twice was published, not recorded, and published again.
    repeats = {
        t: Counter(p for p, _ in asyncio.run(flow.topic_positions(fs.bootstrap, t))) for t in TOPICS
    }
    twice = {t: sum(n - 1 for n in c.values()) for t, c in repeats.items()}
    per_kill = [
        sum(n - 1 for c in repeats.values() for p, n in c.items() if k.recorded < p <= k.head)
        for k in kills
    ]
    flow.check_ledger(fs)
    links = flow.check_links(fs.var_dir)
    record(
        "R3",
        "test_r3_killing_the_relay_mid_publish_loses_and_doubles_nothing",
        partitions=1,
        events=events,
        calls_retried=fs.ledger.retried - retried_before,
        kills=len(kills),
        kills_mid_publish=sum(1 for n in per_kill if n),
        published_again_per_kill=per_kill,
        backlog_at_kill=[k.head - k.recorded for k in kills],
        on_broker_twice=twice,
        redeliveries_skipped=duplicates,
        lost=0,
        duplicates_applied=0,
        dead_lettered=sum(dead.values()),
        consumer_outcomes=outcomes,
        restart_seconds_max=round(max(k.restart_s for k in kills), 2),
        settle_seconds=round(settle_s, 2),
        aggregates_followed=links.aggregates,
    )
    assert len(kills) == KILLS
    assert not links.problems, "\n".join(links.problems)
    assert sum(dead.values()) == 0, dead
    assert outcomes["parked"] == 0, "no aggregate was held back for good"
    assert duplicates == twice, "each message on the broker twice was skipped once, no more"
    assert sum(per_kill) == sum(twice.values()), "every repeat comes from a kill's backlog"
    assert all(per_kill), f"a kill did not come mid-publish: {per_kill}, {kills}"
