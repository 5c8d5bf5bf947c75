"""Connections to the services, one stub each, and calls that carry the caller.

Every command carries an idempotency key, generated once per logical command (here, when
the request has none) and sent again on every retry of it: the services answer a retry
with the first result and never act twice, so any lost command may be repeated.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from eportfolio.assessment.v1 import (  # type: ignore[import-untyped, unused-ignore]
    assessment_pb2_grpc,
)
from eportfolio.audit.v1 import audit_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.intake.v1 import intake_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.korona.v1 import korona_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2_grpc,
)
from portfolio_cli.caller import Caller
from portfolio_cli.rpc import CallError, RetryPolicy, call, failure_of, insecure_channel

READ = RetryPolicy(attempts=3, deadline_s=10.0)
"""Queries: safe to repeat."""
COMMAND = RetryPolicy(attempts=6, deadline_s=15.0)
"""Assessment's and korona's commands carry an idempotency key (:func:`with_key`): any lost
call may be repeated, as intake's submissions."""
SUBMIT = RetryPolicy(attempts=6, deadline_s=10.0)
"""Intake commands carry an idempotency key: any lost call may be repeated."""
KEY_FIELD = "idempotency_key"


def with_key(request: Any) -> Any:
    """``request`` with a fresh idempotency key if it is a command without one.

    Called once per logical command, before its first attempt; the retries send the same
    request object, so the same key.
    """
    descriptor = getattr(request, "DESCRIPTOR", None)
    is_command = descriptor is not None and KEY_FIELD in descriptor.fields_by_name
    if is_command and not getattr(request, KEY_FIELD):
        setattr(request, KEY_FIELD, str(uuid.uuid4()))
    return request


STREAM = RetryPolicy(attempts=3, deadline_s=3600.0)
"""Server streams (an audit replay may be long): the whole stream within the deadline; a
stream is opened again only when it failed before its first message."""

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
        caller) when it fails for good. A command gets its idempotency key here if it has
        none (:func:`with_key`), kept for every retry."""
        metadata = caller.metadata() if caller is not None else ()
        request = with_key(request)
        try:
            return await call(
                method, getattr(self.stub, method), request, metadata=metadata, policy=policy
            )
        except CallError as exc:
            who = caller.describe() if caller is not None else ""
            raise CallError(exc.method, exc.failure, self.address, who) from None

    async def stream(
        self,
        method: str,
        request: Any,
        caller: Caller | None = None,
        policy: RetryPolicy = STREAM,
    ) -> AsyncIterator[Any]:
        """The messages of the server stream ``method(request)`` as ``caller``.

        A stream that fails before its first message (as ``policy`` says) is opened again;
        one that fails later ends with CallError, as does any other failure.
        """
        metadata = tuple(caller.metadata()) if caller is not None else ()
        pause = policy.first_pause_s
        for attempt in range(1, policy.attempts + 1):
            received = False
            try:
                responses = getattr(self.stub, method)(
                    request, metadata=metadata, timeout=policy.deadline_s
                )
                async for message in responses:
                    received = True
                    yield message
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # every failure becomes a CallError
                failure = failure_of(exc)
            if received or failure.code not in policy.retry_on or attempt == policy.attempts:
                who = caller.describe() if caller is not None else ""
                raise CallError(method, failure, self.address, who)
            await asyncio.sleep(pause)
            pause = min(pause * 2, policy.max_pause_s)


@asynccontextmanager
async def connect(service: str, address: str) -> AsyncIterator[Client]:
    """A client of ``service`` (assessment, intake, korona or reporting) at ``address``."""
    async with insecure_channel(address) as channel:
        yield Client(service, address, _STUBS[service](channel))


@asynccontextmanager
async def connect_audit(service: str, address: str) -> AsyncIterator[Client]:
    """A client of the ``AuditService`` that ``service`` (any of the four) serves beside
    its own on its gRPC port at ``address``."""
    async with insecure_channel(address) as channel:
        yield Client(service, address, audit_pb2_grpc.AuditServiceStub(channel))
