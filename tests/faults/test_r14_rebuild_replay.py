"""RELIABILITY.md R14: drop and rebuild every projection; replay sampled aggregates.

A stack seeded with the directorate's portfolio table, its changes, segments,
candidates and the corona net list (``portfolio stack run``'s first-start import), plus
moves and corrections made here. Pass:

- ``portfolio report rebuild`` (drop every rpt_* table's rows and the tracking records,
  read every topic again from offset 0) gives the same read model as the live one: an
  order-independent hash over every row of every rpt_* table is unchanged;
- a sample of measures and proposals replayed from their stored events by a fresh
  application in this process (no cache, no snapshot) equals the state the running
  service answers.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from assessment.adapters.grpc_api import measure_message
from assessment.domain import Measure
from assessment.settings import AssessmentSettings
from backbone.persistence import ServiceApplication, eventsourcing_env
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.common.v1 import common_pb2
from eportfolio.korona.v1 import korona_pb2, korona_pb2_grpc
from korona.adapters.grpc_api import proposal_pb
from korona.domain import Proposal
from korona.settings import KoronaSettings
from tests.faults.pg import OFFICE
from tests.faults.results import record, size
from tests.stack import Stack

pytestmark = [pytest.mark.e2e, pytest.mark.faults]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory, shared_dir: Path) -> Iterator[Stack]:
    stack = Stack(tmp_path_factory.mktemp("r14") / "var", shared_dir, {})
    stack.start()
    try:
        stack.wait_healthy()
        stack.wait_for_file(stack.var_dir / "seeded-2020-03")
        stack.wait_for_file(stack.var_dir / "seeded-korona-nettoliste-2020")
        yield stack
    finally:
        stack.stop()


def read_model_hash(db_path: Path) -> tuple[str, int]:
    """SHA-256 over the sorted rows of every rpt_* table (so row order does not count)."""
    digest = hashlib.sha256()
    rows_total = 0
    with sqlite3.connect(db_path, timeout=10) as db:
        tables = [
            t
            for (t,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'rpt_%' "
                "ORDER BY name"
            )
        ]
        for table in tables:
            rows = sorted(repr(r) for r in db.execute(f'SELECT * FROM "{table}"'))  # noqa: S608
            rows_total += len(rows)
            digest.update(f"{table}:{len(rows)}\n".encode())
            for row in rows:
                digest.update(row.encode() + b"\n")
    return digest.hexdigest(), rows_total


def settled_hash(db_path: Path, timeout: float = 60) -> tuple[str, int]:
    """The read model's hash once it stops changing (consumers caught up)."""
    deadline = time.monotonic() + timeout
    last = read_model_hash(db_path)
    while True:
        time.sleep(1.5)
        now = read_model_hash(db_path)
        if now == last:
            return now
        assert time.monotonic() < deadline, "the read model kept changing"
        last = now


async def change_things(stack: Stack, measure_ids: list[int]) -> int:
    """Moves between segments for some measures: decisions after the import."""
    done = 0
    refused: list[tuple[int, grpc.StatusCode]] = []
    async with grpc.aio.insecure_channel(stack.grpc("assessment")) as channel:
        stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
        for n, mid in enumerate(measure_ids):
            for k, to in enumerate((common_pb2.SEGMENT_OBSERVERE, common_pb2.SEGMENT_KOORDINERE)):
                try:
                    await stub.MoveMeasure(
                        assessment_pb2.MoveMeasureRequest(
                            measure_id=mid, to=to, reason=f"R14 flytting {k}", period="2020-06",
                            idempotency_key=f"r14-{mid}-{k}",
                        ),
                        metadata=OFFICE,
                        timeout=10,
                    )  # fmt: skip
                    done += 1
                except grpc.aio.AioRpcError as exc:  # e.g. a measure not in the portfolio
                    refused.append((n, exc.code()))
    assert all(code == grpc.StatusCode.FAILED_PRECONDITION for _, code in refused), refused
    return done


def test_r14_rebuilt_projections_and_replayed_aggregates_equal_live(seeded: Stack) -> None:
    stack = seeded
    measures = [int(str(m["measure_id"])) for m in _portfolio(stack)]
    rng = random.Random(14)
    moves = asyncio.run(
        change_things(stack, rng.sample(measures, min(size(10, 40), len(measures))))
    )
    assert moves > 0

    db_path = stack.var_dir / "reporting.db"
    live, rows = settled_hash(db_path)
    started = time.monotonic()
    result = json.loads(stack.cli("report", "rebuild", "--format", "json", timeout=300).stdout)
    assert result["done"] and result["read"] >= result["total"] > 0, result
    deadline = time.monotonic() + 120
    while read_model_hash(db_path)[0] != live:
        assert time.monotonic() < deadline, "the rebuilt read model differs from the live one"
        time.sleep(0.5)
    rebuild_s = time.monotonic() - started
    assert settled_hash(db_path) == (live, rows)

    # Replay sampled aggregates from their stored events, in this process.
    sample = rng.sample(measures, min(size(25, len(measures)), len(measures)))
    replayed_measures = _replay_measures(stack, sample)
    proposals = _replay_proposals(stack, size(25, 1000))

    record(
        "R14",
        "test_r14_rebuilt_projections_and_replayed_aggregates_equal_live",
        events=sum(_event_count(stack, s) for s in ("intake", "assessment", "korona")),
        read_model_rows=rows,
        moves=moves,
        rebuild_s=round(rebuild_s, 2),
        rebuild_messages_read=result["read"],
        rebuilt_equals_live=True,
        replayed_measures=replayed_measures,
        replayed_proposals=proposals,
        mismatches=0,
        losses=0,
        duplicates=0,
    )


def replay_app(name: str, env: dict[str, str]) -> ServiceApplication:
    """A bare application on a service's store: reads events, writes nothing, caches
    nothing (the services' own classes may write on start, e.g. korona's envelope)."""
    replay = type(f"Replay_{name}", (ServiceApplication,), {"name": name})
    return replay(env=env)  # type: ignore[no-any-return]


def _portfolio(stack: Stack) -> list[dict[str, object]]:
    out = stack.cli("report", "portfolio", "--period", "2020-03", "--format", "json").stdout
    return json.loads(out)["measures"]  # type: ignore[no-any-return]


def _event_count(stack: Stack, service: str) -> int:
    with sqlite3.connect(stack.var_dir / f"{service}.db", timeout=10) as db:
        return int(db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0])


def _replay_measures(stack: Stack, sample: list[int]) -> int:
    settings = AssessmentSettings(database_url=f"sqlite:///{stack.var_dir}/assessment.db")
    app = replay_app("assessment", eventsourcing_env(settings, "assessment"))
    try:

        async def live() -> dict[int, assessment_pb2.Measure]:
            async with grpc.aio.insecure_channel(stack.grpc("assessment")) as channel:
                stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
                return {
                    mid: await stub.GetMeasure(
                        assessment_pb2.GetMeasureRequest(measure_id=mid), metadata=OFFICE
                    )
                    for mid in sample
                }

        served = asyncio.run(live())
        for mid in sample:
            replayed = measure_message(app.repository.get(Measure.create_id(mid)))
            assert replayed == served[mid], mid
    finally:
        app.close()
    return len(sample)


def _replay_proposals(stack: Stack, limit: int) -> int:
    settings = KoronaSettings(database_url=f"sqlite:///{stack.var_dir}/korona.db")
    app = replay_app("korona", eventsourcing_env(settings, "korona"))
    try:

        async def live() -> dict[str, korona_pb2.Proposal]:
            async with grpc.aio.insecure_channel(stack.grpc("korona")) as channel:
                stub = korona_pb2_grpc.KoronaServiceStub(channel)
                listed = await stub.ListProposals(
                    korona_pb2.ListProposalsRequest(page_size=limit), metadata=OFFICE
                )
                ids = [p.proposal_id for p in listed.proposals][:limit]
                return {
                    pid: await stub.GetProposal(
                        korona_pb2.GetProposalRequest(proposal_id=pid), metadata=OFFICE
                    )
                    for pid in ids
                }

        served = asyncio.run(live())
        assert served, "the net list import made no proposals"
        for pid, message in served.items():
            replayed = proposal_pb(app.repository.get(Proposal.create_id(pid)), "office")
            assert replayed == message, pid
    finally:
        app.close()
    return len(served)
