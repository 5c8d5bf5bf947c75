"""The interceptor records every call a real grpc.aio server answered in the call log:
unary and streaming, who, what, when, the status code and the correlation id;
health checks are left out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from audit_log import chain
from backbone.audit.calls import CallLog, CallRecordRow
from backbone.domain import current_meta
from backbone.errors import NotFoundError, PermissionDeniedError
from backbone.grpc_server import GrpcServer
from backbone.metrics import ServiceMetrics
from backbone.settings import ServiceSettings
from eportfolio.audit.v1 import audit_pb2, audit_pb2_grpc

SERVICE = audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name


class Servicer(audit_pb2_grpc.AuditServiceServicer):
    """A tiny AuditService: enough to answer, fail and stream."""

    def __init__(self) -> None:
        self.streaming = asyncio.Event()
        self.seen: list[str] = []

    async def TreeHead(  # noqa: N802
        self, request: audit_pb2.TreeHeadRequest, context: Any
    ) -> audit_pb2.SignedTreeHead:
        meta = current_meta()
        self.seen.append(meta.correlation_id)
        if meta.role != "auditor":
            raise PermissionDeniedError("the tree head is for auditors")
        if meta.user == "sleepy":
            await asyncio.sleep(5)
        return audit_pb2.SignedTreeHead(service="test", calls_size=1)

    async def FindStreams(  # noqa: N802
        self, request: audit_pb2.FindStreamsRequest, context: Any
    ) -> audit_pb2.FindStreamsResponse:
        context.set_trailing_metadata((("x-extra", "kept"),))
        if request.subject == "gone":
            context.set_code(grpc.StatusCode.NOT_FOUND)
            context.set_details("no such subject")
        return audit_pb2.FindStreamsResponse()

    async def ListCalls(  # noqa: N802
        self, request: audit_pb2.ListCallsRequest, context: Any
    ) -> AsyncIterator[audit_pb2.CallRecord]:
        if request.limit < 0:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "limit must be 0 or more")
        for seq in range(1, request.limit + 1):
            yield audit_pb2.CallRecord(seq=seq, correlation_id=current_meta().correlation_id)
        if request.agency == "boom":
            raise NotFoundError("nothing after that")
        if request.agency == "endless":
            seq = 0
            while True:
                seq += 1
                yield audit_pb2.CallRecord(seq=seq)
                self.streaming.set()
                await asyncio.sleep(0.01)

    async def StoredRecords(  # type: ignore[override]  # noqa: N802
        self, request: audit_pb2.StoredRecordsRequest, context: Any
    ) -> None:
        # The other way to answer a stream: a coroutine that writes.
        for seq in (1, 2):
            await context.write(audit_pb2.StoredRecord(call=audit_pb2.CallRecord(seq=seq)))

    # Not called here.
    def History(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise NotImplementedError

    def StateAt(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise NotImplementedError

    def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise NotImplementedError

    def PortfolioAt(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise NotImplementedError

    def ConsistencyProof(self, request: Any, context: Any) -> Any:  # noqa: N802
        raise NotImplementedError


class Running:
    def __init__(self, server: GrpcServer, log: CallLog, servicer: Servicer) -> None:
        self.server = server
        self.log = log
        self.servicer = servicer
        self.channel = grpc.aio.insecure_channel(server.address)
        self.stub = audit_pb2_grpc.AuditServiceStub(self.channel)

    async def wait_for(self, size: int) -> list[CallRecordRow]:
        for _ in range(250):
            rows = list(self.log.records())
            if len(rows) >= size:
                return rows
            await asyncio.sleep(0.02)
        raise AssertionError(f"the call log holds {len(list(self.log.records()))} records")


@pytest.fixture
async def running() -> AsyncIterator[Running]:
    metrics = ServiceMetrics("audited")
    log = CallLog("audited", ServiceSettings(database_url="memory:"), metrics)
    await log.start()
    servicer = Servicer()
    server = GrpcServer(
        host="127.0.0.1",
        port=0,
        registrations=[(audit_pb2_grpc.add_AuditServiceServicer_to_server, servicer, SERVICE)],
        metrics=metrics,
        call_log=log,
    )
    await server.start()
    r = Running(server, log, servicer)
    yield r
    await r.channel.close()
    await server.stop(0)
    await log.stop()


def md(
    correlation_id: str = "corr-1",
    agency: str = "Helse Sør-Øst RHF",
    user: str = "kari",
    role: str = "auditor",
) -> tuple[tuple[str, str], ...]:
    return (
        ("x-agency", quote(agency)),
        ("x-user", user),
        ("x-role", role),
        ("x-correlation-id", correlation_id),
    )


def assert_chain(rows: list[CallRecordRow]) -> None:
    previous = chain.GENESIS
    for r in rows:
        previous = chain.call_hash(previous, r.hashed_fields())
        assert r.chain_hash == previous


async def test_a_unary_call_is_recorded_with_who_what_when_outcome(running: Running) -> None:
    before = datetime.now(UTC)
    call = running.stub.TreeHead(audit_pb2.TreeHeadRequest(), metadata=md())
    head = await call
    after = datetime.now(UTC)
    assert head.service == "test"
    # The correlation id comes back with a successful answer too.
    assert dict(await call.trailing_metadata())["x-correlation-id"] == "corr-1"

    [row] = await running.wait_for(1)
    assert row.seq == 1
    assert row.service == "audited"
    assert row.method == f"{SERVICE}/TreeHead"
    assert (row.agency, row.user, row.role) == ("Helse Sør-Øst RHF", "kari", "auditor")
    assert row.outcome == "OK"
    assert row.correlation_id == "corr-1"
    assert row.at.endswith("Z")
    assert len(row.at) == len("2024-03-05T12:00:00.000000Z")
    assert before <= datetime.fromisoformat(row.at) <= after
    assert 0 < row.duration_ms < 5000
    assert row.duration_ms == round(row.duration_ms, 3)
    assert row.peer.startswith("ipv4:127.0.0.1:")
    assert_chain([row])


async def test_a_failing_call_records_its_status_code(running: Running) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await running.stub.TreeHead(audit_pb2.TreeHeadRequest(), metadata=md(role="office"))
    assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
    trailers = dict(raised.value.trailing_metadata() or ())
    assert trailers["x-correlation-id"] == "corr-1"
    assert "grpc-status-details-bin" in trailers  # the google.rpc.Status travels too

    [row] = await running.wait_for(1)
    assert row.outcome == "PERMISSION_DENIED"
    assert row.role == "office"
    assert row.correlation_id == "corr-1"


async def test_a_status_set_without_raising_is_recorded(running: Running) -> None:
    ok = running.stub.FindStreams(audit_pb2.FindStreamsRequest(subject="160"), metadata=md())
    await ok
    trailers = dict(await ok.trailing_metadata())
    assert trailers == {"x-extra": "kept", "x-correlation-id": "corr-1"}
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await running.stub.FindStreams(
            audit_pb2.FindStreamsRequest(subject="gone"), metadata=md("corr-2")
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    rows = await running.wait_for(2)
    assert [(r.method.rsplit("/")[-1], r.outcome) for r in rows] == [
        ("FindStreams", "OK"),
        ("FindStreams", "NOT_FOUND"),
    ]


async def test_streaming_calls_are_recorded(running: Running) -> None:
    stream = running.stub.ListCalls(audit_pb2.ListCallsRequest(limit=3), metadata=md("corr-s"))
    got = [m async for m in stream]
    assert [m.seq for m in got] == [1, 2, 3]
    # The event context holds the caller's identity while the stream runs.
    assert {m.correlation_id for m in got} == {"corr-s"}
    assert dict(await stream.trailing_metadata())["x-correlation-id"] == "corr-s"

    bad = running.stub.ListCalls(audit_pb2.ListCallsRequest(limit=-1), metadata=md("corr-bad"))
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        _ = [m async for m in bad]
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert dict(raised.value.trailing_metadata() or ())["x-correlation-id"] == "corr-bad"

    boom = running.stub.ListCalls(
        audit_pb2.ListCallsRequest(limit=1, agency="boom"), metadata=md("corr-boom")
    )
    first = await boom.read()
    assert isinstance(first, audit_pb2.CallRecord)
    assert first.seq == 1
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await boom.read()
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND  # a domain error, mapped
    assert dict(raised.value.trailing_metadata() or ())["x-correlation-id"] == "corr-boom"

    written = running.stub.StoredRecords(audit_pb2.StoredRecordsRequest(), metadata=md("corr-w"))
    assert [r.call.seq async for r in written] == [1, 2]

    rows = await running.wait_for(4)
    assert [(r.method, r.outcome, r.correlation_id) for r in rows] == [
        (f"{SERVICE}/ListCalls", "OK", "corr-s"),
        (f"{SERVICE}/ListCalls", "INVALID_ARGUMENT", "corr-bad"),
        (f"{SERVICE}/ListCalls", "NOT_FOUND", "corr-boom"),
        (f"{SERVICE}/StoredRecords", "OK", "corr-w"),
    ]
    assert_chain(rows)
    assert {(r.agency, r.user, r.role) for r in rows} == {("Helse Sør-Øst RHF", "kari", "auditor")}


async def test_a_client_that_goes_away_is_recorded_as_cancelled(running: Running) -> None:
    stream = running.stub.ListCalls(
        audit_pb2.ListCallsRequest(agency="endless"), metadata=md("corr-gone")
    )
    await stream.read()
    await running.servicer.streaming.wait()
    stream.cancel()

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await running.stub.TreeHead(
            audit_pb2.TreeHeadRequest(), metadata=md("corr-late", user="sleepy"), timeout=0.2
        )
    assert raised.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED

    rows = await running.wait_for(2)
    outcomes = {r.correlation_id: r.outcome for r in rows}
    assert outcomes == {"corr-gone": "CANCELLED", "corr-late": "DEADLINE_EXCEEDED"}


async def test_health_checks_are_not_recorded(running: Running) -> None:
    health = health_pb2_grpc.HealthStub(running.channel)
    answer = await health.Check(health_pb2.HealthCheckRequest(service=SERVICE))
    assert answer.status == health_pb2.HealthCheckResponse.SERVING
    watch = health.Watch(health_pb2.HealthCheckRequest(service=""))
    assert (await watch.read()).status == health_pb2.HealthCheckResponse.SERVING
    watch.cancel()
    await running.stub.TreeHead(audit_pb2.TreeHeadRequest(), metadata=md("corr-after"))

    rows = await running.wait_for(1)
    await asyncio.sleep(0.1)
    rows = list(running.log.records())
    assert [r.correlation_id for r in rows] == ["corr-after"]


async def test_a_correlation_id_is_made_when_the_caller_sends_none(running: Running) -> None:
    call = running.stub.TreeHead(audit_pb2.TreeHeadRequest(), metadata=(("x-role", "auditor"),))
    await call
    made = dict(await call.trailing_metadata())["x-correlation-id"]
    assert len(made) == 32
    [row] = await running.wait_for(1)
    assert row.correlation_id == made == running.servicer.seen[0]
    assert (row.agency, row.user, row.role) == ("", "", "auditor")


async def test_a_server_without_a_call_log_still_answers() -> None:
    metrics = ServiceMetrics("plain")
    servicer = Servicer()
    server = GrpcServer(
        host="127.0.0.1",
        port=0,
        registrations=[(audit_pb2_grpc.add_AuditServiceServicer_to_server, servicer, SERVICE)],
        metrics=metrics,
    )
    await server.start()
    try:
        async with grpc.aio.insecure_channel(server.address) as channel:
            stub = audit_pb2_grpc.AuditServiceStub(channel)
            call = stub.TreeHead(audit_pb2.TreeHeadRequest(), metadata=md())
            assert (await call).service == "test"
            assert dict(await call.trailing_metadata())["x-correlation-id"] == "corr-1"
            got = [m.seq async for m in stub.ListCalls(audit_pb2.ListCallsRequest(limit=2))]
            assert got == [1, 2]
    finally:
        await server.stop(0)
    value: Callable[[str, dict[str, str]], float | None] = metrics.registry.get_sample_value
    assert value("plain_grpc_requests_total", {"method": "TreeHead", "code": "OK"}) == 1
    assert value("plain_grpc_requests_total", {"method": "ListCalls", "code": "OK"}) == 1
