"""The four services in this process, on a real broker, called over gRPC.

Each service has its own in-memory store and its own gRPC server on a free port; they
talk over the Kafka-protocol broker exactly as the deployed processes do.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import grpc
import pytest
import pytest_asyncio
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from assessment.main import create_service as create_assessment
from assessment.settings import AssessmentSettings
from backbone.runtime import ServiceRunner
from backbone.testing import TansuBroker
from eportfolio.assessment.v1 import assessment_pb2_grpc
from eportfolio.intake.v1 import intake_pb2_grpc
from eportfolio.korona.v1 import korona_pb2_grpc
from eportfolio.reporting.v1 import reporting_pb2_grpc
from intake.main import create_service as create_intake
from intake.settings import IntakeSettings
from korona.main import create_service as create_korona
from korona.settings import KoronaSettings
from reporting.main import create_service as create_reporting
from reporting.settings import ReportingSettings

T = TypeVar("T")
OFFICE = "Direktoratet for e-helse"


def caller(agency: str, role: str, user: str = "tester") -> list[tuple[str, str]]:
    """gRPC metadata for a caller (agency names percent-encoded, as clients send them)."""
    return [
        ("x-agency", quote(agency)),
        ("x-role", role),
        ("x-user", quote(user)),
        ("x-correlation-id", uuid.uuid4().hex),
    ]


def status_of(exc: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, list[str]]:
    """The status code and the fields named in BadRequest field violations."""
    fields: list[str] = []
    status = rpc_status.from_call(exc)
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return exc.code(), fields


async def refused(call: Any) -> tuple[grpc.StatusCode, list[str]]:
    """The status and violated fields of a call that must fail."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return status_of(caught.value)


@dataclass
class System:
    """Stubs to the running services, and the assessment app to read its event store."""

    intake: intake_pb2_grpc.IntakeServiceStub
    assessment: assessment_pb2_grpc.AssessmentServiceStub
    reporting: reporting_pb2_grpc.ReportingServiceStub
    runners: dict[str, ServiceRunner]
    korona: korona_pb2_grpc.KoronaServiceStub

    @property
    def assessment_app(self) -> Any:
        return self.runners["assessment"].service.app

    @property
    def korona_app(self) -> Any:
        return self.runners["korona"].service.app

    async def eventually(
        self, probe: Callable[[], Awaitable[T]], until: Callable[[T], bool], timeout: float = 20
    ) -> T:
        """Poll ``probe`` until ``until`` holds for its answer (the views are eventual)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                value = await probe()
                if until(value):
                    return value
            except grpc.aio.AioRpcError as exc:
                if exc.code() != grpc.StatusCode.NOT_FOUND or time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached in {timeout}s; last answer: {value}")
            await asyncio.sleep(0.1)


@pytest_asyncio.fixture(loop_scope="module", scope="module")
async def system() -> AsyncIterator[System]:
    # A broker of its own: these services publish on the real topic names, and one topic
    # must have one producer (positions are the producer's).
    with TansuBroker() as broker:
        async for running in _system(broker.bootstrap_servers):
            yield running


async def _system(kafka: str) -> AsyncIterator[System]:
    common = {
        "kafka_bootstrap_servers": kafka,
        "kafka_group_prefix": f"it-{uuid.uuid4().hex[:8]}",
        "kafka_session_timeout_ms": 2000,
        "kafka_heartbeat_interval_ms": 500,
    }
    runners = {
        "intake": ServiceRunner(create_intake(IntakeSettings(**common))),
        "assessment": ServiceRunner(create_assessment(AssessmentSettings(**common))),
        "korona": ServiceRunner(create_korona(KoronaSettings(**common))),
        "reporting": ServiceRunner(create_reporting(ReportingSettings(**common))),
    }
    for runner in runners.values():
        await runner.start()
    for runner in runners.values():
        await asyncio.wait_for(runner.kafka_ready.wait(), 30)
    channels = {
        name: grpc.aio.insecure_channel(r.grpc.address)  # type: ignore[union-attr]
        for name, r in runners.items()
    }
    yield System(
        intake=intake_pb2_grpc.IntakeServiceStub(channels["intake"]),
        assessment=assessment_pb2_grpc.AssessmentServiceStub(channels["assessment"]),
        reporting=reporting_pb2_grpc.ReportingServiceStub(channels["reporting"]),
        runners=runners,
        korona=korona_pb2_grpc.KoronaServiceStub(channels["korona"]),
    )
    for channel in channels.values():
        await channel.close()
    for runner in runners.values():
        await runner.stop()
