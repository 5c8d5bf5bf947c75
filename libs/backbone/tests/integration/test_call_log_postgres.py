"""The call log on PostgreSQL: two processes' logs on one table keep one dense chain."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from audit_log import chain
from backbone.audit.calls import CallInfo, CallLog, CallRecordRow
from backbone.metrics import ServiceMetrics
from backbone.persistence import postgres_params
from backbone.settings import ServiceSettings
from backbone.testing import drop_schema, new_schema_name

pytestmark = pytest.mark.integration


@pytest.fixture
def settings(postgres: str) -> Iterator[ServiceSettings]:
    schema = new_schema_name("calls")
    yield ServiceSettings(database_url=postgres, database_schema=schema)
    drop_schema(postgres, schema)


def call(writer: str, n: int) -> CallInfo:
    return CallInfo(
        at=f"2024-03-05T12:{n // 60 % 60:02d}:{n % 60:02d}.{n:06d}Z",
        method="eportfolio.korona.v1.KoronaService/" + ("Decide" if n % 2 else "GetProposal"),
        agency="Helse Sør-Øst RHF" if writer == "a" else "helsedir",
        user=writer,
        role="office",
        outcome="OK" if n % 5 else "PERMISSION_DENIED",
        correlation_id=f"{writer}-{n}",
        duration_ms=n / 7,
        peer=f"ipv4:10.0.0.1:{n}",
    )


def verify(rows: list[CallRecordRow]) -> None:
    previous = chain.GENESIS
    for i, r in enumerate(rows, start=1):
        assert r.seq == i
        previous = chain.call_hash(previous, r.hashed_fields())
        assert r.chain_hash == previous, f"the chain forks or breaks at {i}"


async def test_two_logs_on_one_table_keep_one_unforked_dense_chain(
    settings: ServiceSettings,
) -> None:
    a = CallLog("korona", settings, ServiceMetrics("korona"))
    b = CallLog("korona", settings, ServiceMetrics("korona"))
    await asyncio.gather(a.start(), b.start())  # both create the schema and table
    try:

        async def burst(log: CallLog, writer: str, start: int) -> None:
            await asyncio.gather(*(log.record(call(writer, n)) for n in range(start, start + 40)))

        # Interleaved bursts, so both writers contend for the table many times.
        for round_ in range(5):
            await asyncio.gather(burst(a, "a", round_ * 40), burst(b, "b", round_ * 40))
    finally:
        await asyncio.gather(a.stop(), b.stop())

    rows = list(a.records())
    assert len(rows) == 400
    verify(rows)
    assert {r.correlation_id for r in rows} == {f"{w}-{n}" for w in "ab" for n in range(200)}
    for writer in "ab":  # each process's records keep its own order
        own = [r.correlation_id for r in rows if r.user == writer]
        assert own == [f"{writer}-{n}" for n in range(200)]
    assert a.head() == b.head() == (400, rows[-1].chain_hash)
    assert b.chain_hash_at(200) == rows[199].chain_hash
    assert [r.seq for r in b.records(method="Decide", agency="helsedir", limit=3)] == [
        r.seq for r in rows if r.method.endswith("/Decide") and r.agency == "helsedir"
    ][:3]
    assert [r.correlation_id for r in b.records(since="2024-03-05T12:03:19.000199Z")] == [
        r.correlation_id for r in rows if r.at >= "2024-03-05T12:03:19.000199Z"
    ]
    assert a.metrics is not None and b.metrics is not None
    recorded = a.metrics.audit_calls_recorded._value.get()
    assert recorded + b.metrics.audit_calls_recorded._value.get() == 400
    # The writers took turns: no batch collided with the other's and had to be retried.
    assert a.metrics.audit_call_write_failures._value.get() == 0
    assert b.metrics.audit_call_write_failures._value.get() == 0

    # The table is where the issue says, in the service's schema.
    with psycopg.connect(**postgres_params(settings.database_url)) as conn:  # type: ignore[arg-type]
        count = conn.execute(
            sql.SQL("SELECT count(*), max(seq) FROM {}").format(
                sql.Identifier(settings.database_schema, "audit_calls")
            )
        ).fetchone()
    assert count == (400, 400)


async def test_a_database_that_is_away_does_not_fail_the_caller() -> None:
    # Nothing listens on port 1: every write fails, every call still returns promptly.
    settings = ServiceSettings(
        database_url="postgresql://postgres@127.0.0.1:1/none", database_schema="x"
    )
    metrics = ServiceMetrics("korona")
    log = CallLog("korona", settings, metrics, flush_timeout_s=0.2)
    await log.start()
    await log.record(call("a", 1))
    await log.record(call("a", 2))
    await log.stop()
    assert metrics.audit_call_write_failures._value.get() >= 1
    assert metrics.audit_calls_dropped._value.get() == 2
