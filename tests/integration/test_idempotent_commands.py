"""A lost command answer, end to end: the CLI's client, assessment's gRPC server, PostgreSQL.

The store commits the command and then the connection goes: the caller hears UNAVAILABLE
(never UNKNOWN), and the CLI sends the same request (the same idempotency key) again. The
retry answers OK with the measure as the first call left it; the measure changed once.
Once with an error the store raises after its commit, once with every connection of the
service's pool terminated by PostgreSQL (``pg_terminate_backend``) right after the commit.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
import pytest_asyncio
from eventsourcing.persistence import OperationalError

from assessment.adapters import intake_events
from assessment.domain import Measure
from assessment.main import create_service
from assessment.settings import AssessmentSettings
from backbone.persistence import postgres_params
from backbone.runtime import grpc_server_for
from backbone.sinks import EventSourcedSink
from backbone.testing import Deliveries, Origin, drop_schema, new_schema_name
from contracts import intake as c
from contracts import topics
from eportfolio.assessment.v1 import assessment_pb2 as pb
from portfolio_cli.caller import Caller, Role
from portfolio_cli.clients import COMMAND, Client, connect

pytestmark = pytest.mark.integration

OFFICE = Caller("Direktoratet for e-helse", Role.OFFICE, "kari")
QUICK = dataclasses.replace(COMMAND, first_pause_s=0.05)


@dataclasses.dataclass
class Running:
    app: Any
    client: Client
    url: str


@pytest_asyncio.fixture
async def assessment(postgres: str) -> AsyncIterator[Running]:
    """Assessment's gRPC server alone (no broker) on a fresh PostgreSQL schema."""
    schema = new_schema_name()
    service = create_service(
        AssessmentSettings(database_url=postgres, database_schema=schema, postgres_pool_size=2)
    )
    app = service.app
    assert app is not None
    deliver = Deliveries(
        lambda _: Origin("intake", "MeasureIntake", "measure-intake", topics.INTAKE_MEASURE),
        lambda p: p.measure_id,  # type: ignore[attr-defined]
    )
    registered = c.MeasureSubmitted(
        receipt_id="r-7",
        received_at=datetime(2024, 3, 5, tzinfo=UTC),
        measure_id=7,
        name="Kjernejournal",
        description="",
        responsible_agency="Norsk Helsenett",
        owner="Kari",
        strategic_area="Samhandling",
        in_portfolio_since="2024-01",
    )
    EventSourcedSink(app, intake_events.handle).apply("it:0", 1, [deliver(registered)])
    server = grpc_server_for(service)
    await server.start()
    try:
        async with connect("assessment", server.address) as client:
            yield Running(app, client, postgres)
    finally:
        await server.stop(0)
        app.close()
        drop_schema(postgres, schema)


def terminate(running: Running) -> int:
    """Every connection of the service's pool, ended by the server (by backend pid: other
    tests' services use the same application name)."""
    pool = running.app.recorder.datastore.pool
    pids = [conn.info.backend_pid for conn in list(pool._pool)]  # the idle connections
    with psycopg.connect(**postgres_params(running.url), autocommit=True) as conn:  # type: ignore[arg-type]
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid = ANY(%s)", (pids,)
        ).fetchall()
    return sum(1 for (ended,) in rows if ended)


def after_the_commit(running: Running, then: Any) -> list[int]:
    """The store's next insert commits, then ``then()`` happens (and raises)."""
    recorder = running.app.recorder
    insert = recorder.insert_events
    done: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        result = insert(*args, **kwargs)
        if not done:
            done.append(1)
            then()
        return result

    recorder.insert_events = flaky
    return done


def effects(running: Running) -> int:
    return len(running.app.recorder.select_events(Measure.create_id(7)))


@pytest.mark.parametrize("how", ["error", "pg_terminate_backend"])
async def test_a_command_whose_answer_was_lost_is_retried_and_answers_the_first_result(
    assessment: Running, how: str
) -> None:
    killed: list[int] = []

    def drop() -> None:
        if how == "pg_terminate_backend":
            killed.append(terminate(assessment))
        raise OperationalError("server closed the connection unexpectedly")

    done = after_the_commit(assessment, drop)
    request = pb.PauseMeasureRequest(measure_id=7, period="2024-06", reason="venter på midler")
    started = time.monotonic()
    answer = await assessment.client.call("PauseMeasure", request, OFFICE, QUICK)
    seconds = time.monotonic() - started
    assert done, "the first attempt committed and its answer was lost"
    assert request.idempotency_key, "the client gave the command its key"
    assert (answer.lifecycle, answer.version) == ("paused", 2)
    assert effects(assessment) == 2, "registered, paused: once"
    if how == "pg_terminate_backend":
        assert killed and killed[0] >= 1
    again = await assessment.client.call("PauseMeasure", request, OFFICE, QUICK)
    assert again == answer
    assert effects(assessment) == 2
    assert seconds < 15, f"the retry answered after {seconds:.1f} s"
