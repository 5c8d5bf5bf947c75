"""gRPC servers for every service: health, reflection, metrics and error mapping.

Servicers stay thin: they translate requests into application calls. This module
turns what those calls raise into the status a caller should see:
- :class:`~backbone.errors.ValidationError` -> INVALID_ARGUMENT with
  ``google.rpc.BadRequest`` field violations;
- other domain errors -> NOT_FOUND, ALREADY_EXISTS, FAILED_PRECONDITION, PERMISSION_DENIED;
- a database that is down -> UNAVAILABLE (retry later), never UNKNOWN;
- anything else -> INTERNAL, logged with its correlation id.

Caller identity and the correlation id come from request metadata (``x-agency``,
``x-user``, ``x-role``, ``x-correlation-id``) and are put in the event context, so
every event a request causes records them.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import unquote

import grpc
from eventsourcing.persistence import IntegrityError, PersistenceError
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from backbone.domain import EventMeta, _current_meta
from backbone.errors import (
    AlreadyExistsError,
    ConflictError,
    DomainError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from backbone.metrics import ServiceMetrics

log = logging.getLogger(__name__)

Registration = tuple[Callable[[Any, grpc.aio.Server], None], Any, str]
"""(add_XServicer_to_server, servicer, full service name)"""

_CODES: list[tuple[type[DomainError], int]] = [
    (ValidationError, code_pb2.INVALID_ARGUMENT),
    (NotFoundError, code_pb2.NOT_FOUND),
    (AlreadyExistsError, code_pb2.ALREADY_EXISTS),
    (ConflictError, code_pb2.FAILED_PRECONDITION),
    (PermissionDeniedError, code_pb2.PERMISSION_DENIED),
]


def status_for(exc: BaseException) -> status_pb2.Status:
    """The google.rpc.Status a caller sees for ``exc``."""
    if isinstance(exc, DomainError):
        code = next((c for cls, c in _CODES if isinstance(exc, cls)), code_pb2.FAILED_PRECONDITION)
        status = status_pb2.Status(code=code, message=exc.message)
        if isinstance(exc, ValidationError):
            detail = any_pb2.Any()
            detail.Pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(
                            field=v.field, description=v.description
                        )
                        for v in exc.violations
                    ]
                )
            )
            status.details.append(detail)
        return status
    if isinstance(exc, PersistenceError) and not isinstance(exc, IntegrityError):
        return status_pb2.Status(
            code=code_pb2.UNAVAILABLE, message="the event store is unavailable; retry later"
        )
    return status_pb2.Status(code=code_pb2.INTERNAL, message="internal error")


def meta_from(context: grpc.aio.ServicerContext[Any, Any]) -> EventMeta:
    # Metadata values must be ASCII: names like "Helse Sør-Øst RHF" come percent-encoded.
    md = {k: unquote(v) for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}
    return EventMeta(
        agency=md.get("x-agency", ""),
        user=md.get("x-user", ""),
        role=md.get("x-role", ""),
        correlation_id=md.get("x-correlation-id") or uuid.uuid4().hex,
    )


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Sets the event context, maps errors to statuses and records metrics per call."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        self.metrics = metrics

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        method = handler_call_details.method.rsplit("/", 1)[-1]
        inner: Any = handler.unary_unary
        metrics = self.metrics

        async def behaviour(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            started = time.perf_counter()
            meta = meta_from(context)
            token = _current_meta.set(meta)
            code = "OK"
            try:
                return await inner(request, context)
            except Exception as exc:
                if isinstance(exc, grpc.aio.AbortError):
                    code = context.code().name if context.code() else "UNKNOWN"
                    raise
                status = status_for(exc)
                code = code_pb2.Code.Name(status.code)
                if status.code == code_pb2.INTERNAL:
                    log.exception("%s failed (correlation %s)", method, meta.correlation_id)
                elif status.code == code_pb2.UNAVAILABLE:
                    log.warning("%s unavailable: %r", method, exc)
                context.set_trailing_metadata((("x-correlation-id", meta.correlation_id),))
                await context.abort_with_status(rpc_status.to_status(status))
                raise  # unreachable: abort raises
            finally:
                _current_meta.reset(token)
                metrics.grpc_requests.labels(method, code).inc()
                metrics.grpc_latency.labels(method).observe(time.perf_counter() - started)

        return grpc.unary_unary_rpc_method_handler(
            behaviour,
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer,
        )


class GrpcServer:
    """A grpc.aio server with the standard health service and reflection."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        registrations: Sequence[Registration],
        metrics: ServiceMetrics,
        max_message_bytes: int = 4 * 1024 * 1024,
    ) -> None:
        self.server = grpc.aio.server(
            interceptors=[ServiceInterceptor(metrics)],
            options=[
                ("grpc.max_receive_message_length", max_message_bytes),
                ("grpc.max_send_message_length", max_message_bytes),
            ],
        )
        self.health = HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.service_names = [name for _, _, name in registrations]
        for add, servicer, _ in registrations:
            add(servicer, self.server)
        reflection.enable_server_reflection(
            [
                *self.service_names,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ],
            self.server,
        )
        self.port = self.server.add_insecure_port(f"{host}:{port}")
        self.address = f"{host}:{self.port}"

    async def start(self) -> None:
        await self.server.start()
        await self.set_serving(True)

    async def set_serving(self, serving: bool) -> None:
        status = (
            health_pb2.HealthCheckResponse.SERVING
            if serving
            else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in ["", *self.service_names]:
            await self.health.set(name, status)

    async def stop(self, grace: float) -> None:
        await self.health.enter_graceful_shutdown()
        await self.server.stop(grace)
