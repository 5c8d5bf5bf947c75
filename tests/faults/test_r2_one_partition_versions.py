"""RELIABILITY.md R2: R1 on one partition, checking versions per aggregate.

Every service runs with one partition per topic (``*_KAFKA_PARTITIONS=1``), so all
aggregates share one ordered log per topic. While intake commands flow, the consumer
processes (assessment, korona, reporting) are SIGKILLed at random moments. Afterwards
every aggregate is followed over every link (:func:`tests.faults.flow.check_links`):
the versions each consumer applied are exactly 1..n, in order: none skipped, none
twice, none out of order, none lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from tests.faults import flow
from tests.faults.flow import FlowStack, Load, MetricsWatch, one_partition_stack
from tests.faults.results import record, size

__all__ = ["one_partition_stack"]

pytestmark = [pytest.mark.e2e, pytest.mark.faults, pytest.mark.timeout(size(300, 900))]

KILLS = size(6, 15)
RATE = size(80, 100)  # intake commands per second while the kills happen
MEASURES = size(30, 60)


def test_r2_consumer_kills_on_one_partition_keep_versions_gap_free(
    one_partition_stack: FlowStack,
) -> None:
    fs = one_partition_stack
    flow.settle(fs, 60)
    rng = random.Random(2)

    async def scenario(watch: MetricsWatch) -> tuple[int, list[float]]:
        stop = asyncio.Event()
        load = Load(fs.stack.grpc("intake"), fs.ledger, rate=RATE, measures=MEASURES)
        loading = load.start(stop)
        kills = 0
        restarts: list[float] = []
        try:
            await load.begun(loading)
            while kills < KILLS:
                await asyncio.sleep(rng.uniform(0.3, 1.5))
                name = flow.CONSUMERS[kills % len(flow.CONSUMERS)]
                watch.sample()  # its counters just before it dies
                pid = flow.signal_service(fs.stack, name, signal.SIGKILL)
                if not pid:
                    continue
                kills += 1
                restarts.append(await flow.wait_restarted(fs.stack, name, pid))
        finally:
            stop.set()
            await loading
        return kills, restarts

    with MetricsWatch(fs.stack) as watch:
        start = watch.mark()
        events_before = fs.ledger.events
        retried_before = fs.ledger.retried
        kills, restarts = asyncio.run(scenario(watch))
        stopped = time.monotonic()
        settle_s = flow.settle(fs, 120)
        events = fs.ledger.events - events_before
        duplicates = watch.outcomes_since(start, "duplicate")
        dead = watch.outcomes_since(start, "dead_lettered")
        outcomes = watch.totals(start)

    flow.check_ledger(fs)
    links = flow.check_links(fs.var_dir)
    record(
        "R2",
        "test_r2_consumer_kills_on_one_partition_keep_versions_gap_free",
        partitions=1,
        events=events,
        calls_retried=fs.ledger.retried - retried_before,
        kills=kills,
        lost=0,
        duplicates_applied=0,
        redeliveries_skipped=sum(duplicates.values()),
        redeliveries_by_consumer=duplicates,
        aggregates_followed=links.aggregates,
        versions_checked=links.events,
        version_gaps_or_reorders=len(links.problems),
        dead_lettered=sum(dead.values()),
        consumer_outcomes=outcomes,
        restart_seconds_max=round(max(restarts), 2),
        settle_seconds=round(settle_s, 2),
        settled_after_load_seconds=round(time.monotonic() - stopped, 2),
    )
    assert kills == KILLS
    assert not links.problems, "\n".join(links.problems)
    assert sum(dead.values()) == 0, f"dead-lettered during the kills: {dead}"
    assert outcomes["parked"] == 0, "no aggregate was held back for good"
    assert links.events >= events, "every acknowledged event was followed over its links"


def _copy_stores(var_dir: Path, to: Path) -> Path:
    to.mkdir(parents=True)
    for service in flow.SERVICES:
        with (
            contextlib.closing(sqlite3.connect(var_dir / f"{service}.db")) as src,
            contextlib.closing(sqlite3.connect(to / f"{service}.db")) as dst,
        ):
            src.backup(dst)
    return to


def test_r2_the_version_check_sees_a_skip_a_repeat_and_a_swap(
    one_partition_stack: FlowStack, tmp_path: Path
) -> None:
    """The check R2 rests on fails for each way of getting versions wrong."""
    fs = one_partition_stack
    flow.settle(fs, 60)
    assert not flow.check_links(fs.var_dir).problems

    # Skipped: version 2 of a measure never applied.
    skipped = _copy_stores(fs.var_dir, tmp_path / "skipped")
    with contextlib.closing(sqlite3.connect(skipped / "assessment.db")) as db, db:
        (aggregate,) = db.execute(
            "SELECT originator_id FROM stored_events WHERE originator_version = 3 LIMIT 1"
        ).fetchone()
        db.execute(
            "DELETE FROM stored_events WHERE originator_id = ? AND originator_version = 2",
            (aggregate,),
        )
    assert any("intake->assessment" in p for p in flow.check_links(skipped).problems)

    # Repeated: version 3 of a measure applies intake's version 2 again.
    repeated = _copy_stores(fs.var_dir, tmp_path / "repeated")
    with contextlib.closing(sqlite3.connect(repeated / "assessment.db")) as db, db:
        rows = db.execute(
            "SELECT originator_version, state FROM stored_events WHERE originator_id = ? "
            "AND originator_version IN (2, 3) ORDER BY originator_version",
            (aggregate,),
        ).fetchall()
        v2, v3 = (json.loads(state) for _, state in rows)
        v3["meta"]["causation_id"] = v2["meta"]["causation_id"]
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = 3",
            (json.dumps(v3).encode(), aggregate),
        )
    assert any("intake->assessment" in p for p in flow.check_links(repeated).problems)

    # Swapped: the read model applied a measure's two reports in the wrong order.
    swapped = _copy_stores(fs.var_dir, tmp_path / "swapped")
    with contextlib.closing(sqlite3.connect(swapped / "reporting.db")) as db, db:
        (measure,) = db.execute(
            "SELECT measure_id FROM rpt_status_reports GROUP BY measure_id "
            "HAVING COUNT(*) >= 2 LIMIT 1"
        ).fetchone()
        (r1, s1), (r2, s2) = db.execute(
            "SELECT rowid, seq FROM rpt_status_reports WHERE measure_id = ? ORDER BY rowid LIMIT 2",
            (measure,),
        ).fetchall()
        db.execute("UPDATE rpt_status_reports SET seq = -1 WHERE rowid = ?", (r1,))
        db.execute("UPDATE rpt_status_reports SET seq = ? WHERE rowid = ?", (s1, r2))
        db.execute("UPDATE rpt_status_reports SET seq = ? WHERE rowid = ?", (s2, r1))
    problems = flow.check_links(swapped).problems
    assert any("assessment->reporting" in p for p in problems), problems
