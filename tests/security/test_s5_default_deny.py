"""S5 (OWASP API5): every write RPC of the four services (and every operations RPC)
called as an auditor is denied
before its handler runs; an RPC without a policy entry is denied to everyone; and every
RPC the four services serve has an entry (so "denied by default" never hides a typo).
Identity from metadata (development): the policy applies there too."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf import descriptor_pool

from assessment.main import create_service as create_assessment
from assessment.settings import AssessmentSettings
from backbone.runtime import Service, grpc_server_for
from backbone.security.policy import OPERATIONS_SCOPE
from intake.main import create_service as create_intake
from intake.settings import IntakeSettings
from korona.main import create_service as create_korona
from korona.settings import KoronaSettings
from reporting.main import create_service as create_reporting
from reporting.settings import ReportingSettings
from tests.faults.results import record

pytestmark = pytest.mark.security

AUDITOR = (("x-agency", "Riksrevisjonen"), ("x-role", "auditor"), ("x-user", "revisor"))
OFFICE = (("x-agency", "Direktoratet%20for%20e-helse"), ("x-role", "office"))


def _same(b: bytes) -> bytes:
    return b


@pytest_asyncio.fixture
async def services() -> AsyncIterator[dict[str, tuple[Service, Any]]]:
    built = {
        "intake": create_intake(IntakeSettings(database_url="memory:")),
        "assessment": create_assessment(AssessmentSettings(database_url="memory:")),
        "korona": create_korona(KoronaSettings(database_url="memory:")),
        "reporting": create_reporting(ReportingSettings(database_url="memory:")),
    }
    running: dict[str, tuple[Service, Any]] = {}
    for name, service in built.items():
        server = grpc_server_for(service)
        await server.start()
        running[name] = (service, server)
    yield running
    for service, server in running.values():
        await server.stop(0)
        for close in service.on_close:
            close()
        if service.app is not None:
            service.app.close()


def _methods(service: Service) -> list[tuple[str, Any]]:
    pool = descriptor_pool.Default()
    found = []
    for _, _, name in service.registrations:
        for m in pool.FindServiceByName(name).methods:
            found.append((f"{name}/{m.name}", m))
    return found


async def _call(channel: Any, full_method: str, streaming: bool, metadata: Any) -> str:
    try:
        if streaming:
            stream = channel.unary_stream(
                f"/{full_method}", request_serializer=_same, response_deserializer=_same
            )
            async for _ in stream(b"", metadata=metadata, timeout=10):
                pass
        else:
            unary = channel.unary_unary(
                f"/{full_method}", request_serializer=_same, response_deserializer=_same
            )
            await unary(b"", metadata=metadata, timeout=10)
    except grpc.aio.AioRpcError as exc:
        return str(exc.code().name)
    return "OK"


async def test_s5_every_write_rpc_is_denied_to_an_auditor(services: Any) -> None:
    denied: dict[str, str] = {}
    writes = 0
    for service, server in services.values():
        policy = service.policy
        assert policy is not None, f"{service.name} declares no policy"
        async with grpc.aio.insecure_channel(server.address) as channel:
            for full_method, m in _methods(service):
                rule = policy.rule(full_method)
                assert rule is not None, f"{full_method} has no policy entry"
                if not (rule.scope.endswith(".write") or rule.scope == OPERATIONS_SCOPE):
                    continue
                writes += 1
                denied[f"{service.name}:{full_method}"] = await _call(
                    channel, full_method, m.server_streaming, AUDITOR
                )
    assert writes >= 22  # 8 assessment, 3 intake, 10 korona, 1 reporting
    assert denied == dict.fromkeys(denied, "PERMISSION_DENIED")
    record("S5", "writes as auditor", write_rpcs=writes, denied=len(denied))


async def test_s5_the_audit_service_is_for_auditors_only(services: Any) -> None:
    codes = {}
    for service, server in services.values():
        async with grpc.aio.insecure_channel(server.address) as channel:
            for full_method, m in _methods(service):
                if ".audit." in full_method:
                    codes[f"{service.name}:{full_method}"] = await _call(
                        channel, full_method, m.server_streaming, OFFICE
                    )
    assert len(codes) >= 4 * 9
    assert set(codes.values()) == {"PERMISSION_DENIED"}
    record("S5", "audit as office", rpcs=len(codes), denied=len(codes))


async def test_s5_an_rpc_without_a_policy_entry_is_denied() -> None:
    ran: list[str] = []

    async def handler(request: bytes, context: Any) -> bytes:
        ran.append("yes")
        return request

    generic = grpc.method_handlers_generic_handler(
        "toy.v1.Toy",
        {
            "Do": grpc.unary_unary_rpc_method_handler(
                handler, request_deserializer=_same, response_serializer=_same
            )
        },
    )
    assessment = create_assessment(AssessmentSettings(database_url="memory:"))
    toy = Service(
        name="toy",
        settings=assessment.settings,
        metrics=assessment.metrics,
        registrations=[
            *assessment.registrations,
            (lambda _s, server: server.add_generic_rpc_handlers((generic,)), None, "toy.v1.Toy"),
        ],
        policy=assessment.policy,
    )
    bare = Service(
        name="bare",
        settings=assessment.settings,
        metrics=assessment.metrics,
        registrations=toy.registrations,
    )  # no policy at all
    codes = []
    for service in (toy, bare):
        server = grpc_server_for(service)
        await server.start()
        try:
            async with grpc.aio.insecure_channel(server.address) as channel:
                for md in (OFFICE, AUDITOR, ()):
                    codes.append(await _call(channel, "toy.v1.Toy/Do", False, md))
                if service is bare:  # without a policy even the service's own RPCs
                    codes.append(
                        await _call(
                            channel,
                            "eportfolio.assessment.v1.AssessmentService/GetMeasure",
                            False,
                            OFFICE,
                        )
                    )
        finally:
            await server.stop(0)
    assessment.app.close()  # type: ignore[union-attr]
    assert codes == ["PERMISSION_DENIED"] * 7
    assert ran == []
    record("S5", "no policy entry", calls=len(codes), denied=len(codes), handler_runs=len(ran))
