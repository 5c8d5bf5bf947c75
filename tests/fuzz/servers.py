"""The four services' real servicers on real gRPC servers, for the I2 and I4 fuzz tests.

Each service is built by its own composition root (``create_service``) on a memory store,
with its call log and AuditService, and served by ``backbone.grpc_server.GrpcServer`` on a
socket (interceptor, error mapping and the 4 MiB message limit as deployed). Kafka is not
started: the servers run in an event loop of their own in a background thread, so tests
call them with blocking channels and hypothesis drives the calls synchronously.

Assessment and korona get a few measures and proposals through their consumers' own sinks
(as if intake had published them), so valid requests reach the application's rules, not
only NOT_FOUND.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import grpc
from google.protobuf import descriptor as d
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from assessment.main import create_service as create_assessment
from assessment.settings import AssessmentSettings
from backbone.grpc_server import GrpcServer
from backbone.runtime import Service
from backbone.testing import Deliveries, Origin
from contracts import Actor, topics
from contracts import intake as c
from intake.main import create_service as create_intake
from intake.settings import IntakeSettings
from korona.main import create_service as create_korona
from korona.settings import KoronaSettings
from reporting.main import create_service as create_reporting
from reporting.settings import ReportingSettings
from tests.fuzz import strategies as s
from tests.fuzz.requests import SEEDED_MEASURES, SEEDED_PROPOSALS

AT = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


@dataclass
class Running:
    """One service: its gRPC address and the services (by full name) its server offers."""

    name: str
    service: Service
    server: GrpcServer
    services: list[d.ServiceDescriptor] = field(default_factory=list)


class Servers:
    """The four services in a background event loop; blocking channels to each."""

    def __init__(self, max_message_bytes: int = 4 * 1024 * 1024) -> None:
        self.max_message_bytes = max_message_bytes
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-servers")
        self.running: dict[str, Running] = {}
        self.channels: dict[str, grpc.Channel] = {}

    def call_soon(self, coro: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(60)

    def start(self) -> None:
        self.thread.start()
        builders: dict[str, Callable[[], Service]] = {
            "intake": lambda: create_intake(IntakeSettings()),
            "assessment": lambda: create_assessment(AssessmentSettings()),
            "korona": lambda: create_korona(KoronaSettings()),
            "reporting": lambda: create_reporting(ReportingSettings()),
        }
        for name, build in builders.items():
            service = build()
            self.running[name] = self.call_soon(self._serve(name, service))
            self.channels[name] = grpc.insecure_channel(
                self.running[name].server.address,
                options=[
                    ("grpc.max_send_message_length", 64 * 1024 * 1024),
                    ("grpc.max_receive_message_length", 64 * 1024 * 1024),
                ],
            )
        _seed(self.running)

    async def _serve(self, name: str, service: Service) -> Running:
        if service.call_log is not None:
            await service.call_log.start()
        server = GrpcServer(
            host="127.0.0.1",
            port=0,
            registrations=service.registrations,
            metrics=service.metrics,
            call_log=service.call_log,
            max_message_bytes=self.max_message_bytes,
        )
        await server.start()
        running = Running(name, service, server)
        names = set(server.service_names)
        for module in s.proto_modules():
            for desc in module.DESCRIPTOR.services_by_name.values():
                if desc.full_name in names:
                    running.services.append(desc)
        return running

    def stop(self) -> None:
        for channel in self.channels.values():
            channel.close()
        for running in self.running.values():
            self.call_soon(self._stop(running))
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()

    async def _stop(self, running: Running) -> None:
        await running.server.stop(1)
        if running.service.call_log is not None:
            await running.service.call_log.stop()
        for close in running.service.on_close:
            close()
        if running.service.app is not None:
            running.service.app.close()

    def methods(self) -> list[tuple[str, d.MethodDescriptor]]:
        """(service name, method) for every RPC every server offers."""
        return [
            (name, m) for name, r in self.running.items() for svc in r.services for m in svc.methods
        ]

    def call(
        self,
        service: str,
        method: d.MethodDescriptor,
        request: Any,
        metadata: list[tuple[str, str]],
        timeout: float = 10.0,
    ) -> Outcome:
        """Call ``method`` with ``request`` (a message, or raw bytes) and read every answer."""
        path = f"/{method.containing_service.full_name}/{method.name}"
        out_cls = s.message_class(method.output_type)
        raw = isinstance(request, bytes)
        serializer = (lambda b: b) if raw else (lambda m: m.SerializeToString())
        channel = self.channels[service]
        try:
            if method.server_streaming:
                stream = channel.unary_stream(
                    path, request_serializer=serializer, response_deserializer=out_cls.FromString
                )
                answers = list(stream(request, metadata=metadata, timeout=timeout))
                return Outcome(grpc.StatusCode.OK, [], len(answers))
            unary = channel.unary_unary(
                path, request_serializer=serializer, response_deserializer=out_cls.FromString
            )
            unary(request, metadata=metadata, timeout=timeout)
            return Outcome(grpc.StatusCode.OK, [], 1)
        except grpc.RpcError as exc:
            return Outcome(exc.code(), violations(exc), 0, exc.details() or "")


@dataclass
class Outcome:
    code: grpc.StatusCode
    fields: list[str] | None
    """Fields named by BadRequest violations; None: INVALID_ARGUMENT without BadRequest."""
    answers: int
    details: str = ""


def violations(exc: grpc.RpcError) -> list[str] | None:
    try:
        status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    except ValueError:  # details of another status: grpc replaced the servicer's answer
        return None
    if status is None:
        return None
    fields: list[str] = []
    found = False
    for detail in status.details:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            found = True
            fields += [v.field for v in bad.field_violations]
    return fields if found else None


def caller(agency: str, role: str, user: str = "fuzz") -> list[tuple[str, str]]:
    """Request metadata of a caller; values percent-encoded as clients send them."""
    return [
        ("x-agency", quote(agency, safe="")),
        ("x-role", quote(role, safe="")),
        ("x-user", quote(user, safe="")),
    ]


def _seed(running: dict[str, Running]) -> None:
    """A few measures in assessment and proposals in korona, through their consumer sinks."""
    positions = itertools.count(1)
    measures = Deliveries(
        lambda _: Origin("intake", "MeasureIntake", "measure-intake", topics.INTAKE_MEASURE),
        lambda p: getattr(p, "measure_id", 0),
        actor=Actor(agency="Helsedirektoratet", user="kari", role="agency"),
        at=AT,
    )
    assessment = running["assessment"].service.consumers[0]
    for mid in SEEDED_MEASURES:
        payload = c.MeasureSubmitted(
            receipt_id=f"r-{mid}",
            received_at=AT,
            measure_id=mid,
            name=f"Tiltak {mid}",
            responsible_agency="Helsedirektoratet",
            in_portfolio_since="2024-01" if mid != 1002 else None,
        )
        position = next(positions)
        assessment.sink.apply("fuzz-seed", position, [measures(payload, position=position)])
    proposals = Deliveries(
        lambda _: Origin("intake", "ProposalIntake", "proposal-intake", topics.INTAKE_PROPOSAL),
        lambda p: getattr(p, "proposal_id", ""),
        actor=Actor(agency="Bergen kommune", user="ola", role="proposer"),
        at=AT,
    )
    korona = next(spec for spec in running["korona"].service.consumers if "intake" in spec.name)
    for pid in SEEDED_PROPOSALS:
        payload_p = c.ProposalSubmitted(
            receipt_id=f"r-{pid}",
            received_at=AT,
            proposal_id=pid,
            title=f"Forslag {pid}: videokonsultasjon",
            need="Færre besøk",
            category_code="01" if pid != "p-3" else "A1",  # p-3: unknown to korona
        )
        position = next(positions)
        korona.sink.apply("fuzz-seed", position, [proposals(payload_p, position=position)])


@contextmanager
def servers(max_message_bytes: int = 4 * 1024 * 1024) -> Iterator[Servers]:
    running = Servers(max_message_bytes)
    running.start()
    try:
        yield running
    finally:
        running.stop()
