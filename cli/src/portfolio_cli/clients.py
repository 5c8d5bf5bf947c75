"""Connections to the services, one stub each, and calls that carry the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from eportfolio.assessment.v1 import (  # type: ignore[import-untyped, unused-ignore]
    assessment_pb2_grpc,
)
from eportfolio.intake.v1 import intake_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.korona.v1 import korona_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2_grpc,
)
from portfolio_cli.caller import Caller
from portfolio_cli.rpc import CallError, RetryPolicy, call, insecure_channel

READ = RetryPolicy(attempts=3, deadline_s=10.0)
"""Queries: safe to repeat."""
COMMAND = RetryPolicy(attempts=4, deadline_s=15.0, retry_on=frozenset({"UNAVAILABLE"}))
"""Assessment commands carry no idempotency key: only a call that never arrived is repeated."""
SUBMIT = RetryPolicy(attempts=6, deadline_s=10.0)
"""Intake commands carry an idempotency key: any lost call may be repeated."""

_STUBS: dict[str, Any] = {
    "assessment": assessment_pb2_grpc.AssessmentServiceStub,
    "intake": intake_pb2_grpc.IntakeServiceStub,
    "korona": korona_pb2_grpc.KoronaServiceStub,
    "reporting": reporting_pb2_grpc.ReportingServiceStub,
}


@dataclass(frozen=True)
class Client:
    """One service's stub and the address it was reached at."""

    service: str
    address: str
    stub: Any

    async def call(
        self, method: str, request: Any, caller: Caller | None = None, policy: RetryPolicy = READ
    ) -> Any:
        """``method(request)`` as ``caller``; CallError (naming the address and the
        caller) when it fails for good."""
        metadata = caller.metadata() if caller is not None else ()
        try:
            return await call(
                method, getattr(self.stub, method), request, metadata=metadata, policy=policy
            )
        except CallError as exc:
            who = caller.describe() if caller is not None else ""
            raise CallError(exc.method, exc.failure, self.address, who) from None


@asynccontextmanager
async def connect(service: str, address: str) -> AsyncIterator[Client]:
    """A client of ``service`` (assessment, intake, korona or reporting) at ``address``."""
    async with insecure_channel(address) as channel:
        yield Client(service, address, _STUBS[service](channel))
