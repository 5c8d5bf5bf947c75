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
every event a request causes records them; the correlation id (generated when the
caller sent none) comes back in the trailing metadata of every answer.

With a :class:`~backbone.audit.calls.CallLog`, every call answered (health checks and
reflection aside) is recorded in the service's hash-chained call log: who, what, when,
the status code, the correlation id, the duration and the peer, refused calls included.

With a :class:`~backbone.security.gate.Gate`, every call (health checks and reflection
aside) is identified and admitted before its handler runs: with tokens configured the
caller comes only from verified credentials, then the agency's quota, the method's access
rule (deny by default) and the request's fields are checked (see ``backbone/security``).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import quote, unquote

import grpc
from eventsourcing.persistence import IntegrityError, PersistenceError
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_health.v1._async import HealthServicer
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status

from audit_log.heads import utc_timestamp
from backbone.audit.calls import CallInfo, CallLog
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
from backbone.security.gate import Caller, Gate, Refusal

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
    if isinstance(exc, Refusal):
        return status_pb2.Status(code=exc.code, message=exc.message)
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


def _metadata(context: grpc.aio.ServicerContext[Any, Any]) -> dict[str, str]:
    # Metadata values must be ASCII: names like "Helse Sør-Øst RHF" come percent-encoded.
    return {k: unquote(v) for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


def meta_from(context: grpc.aio.ServicerContext[Any, Any]) -> EventMeta:
    """The caller as its metadata names it (development; see ``backbone.security.gate``)."""
    md = _metadata(context)
    return EventMeta(
        agency=md.get("x-agency", ""),
        user=md.get("x-user", ""),
        role=md.get("x-role", ""),
        correlation_id=md.get("x-correlation-id") or uuid.uuid4().hex,
    )


UNAUDITED_SERVICES = frozenset(
    {
        health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
        reflection.SERVICE_NAME,
        "grpc.reflection.v1.ServerReflection",
    }
)
"""Services whose calls the call log leaves out: probes and tooling, not anyone's acts."""


def _code_name(context: grpc.aio.ServicerContext[Any, Any], default: str) -> str:
    """The status code the handler set on ``context`` (by ``set_code`` or an abort)."""
    code = context.code()
    if code is None:
        return default
    if isinstance(code, grpc.StatusCode):
        return code.name
    try:  # an int, as some versions keep it
        return code_pb2.Code.Name(int(code))
    except (TypeError, ValueError):
        return default


def _ascii(value: str) -> str:
    """A metadata value: printable ASCII as it is, anything else percent-encoded."""
    return value if value.isascii() and value.isprintable() else quote(value, safe="")


class _Call:
    """One call in the interceptor: its actor in the event context, its metrics and
    its record in the call log."""

    def __init__(
        self,
        interceptor: ServiceInterceptor,
        full_method: str,
        audited: bool,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> None:
        self.interceptor = interceptor
        self.full_method = full_method
        self.method = full_method.rsplit("/", 1)[-1]
        self.audited = audited
        self.context = context
        self.at = utc_timestamp()
        self.started = time.perf_counter()
        self.caller: Caller | None = None
        self.refusal: Refusal | None = None
        gate = interceptor.gate
        if gate is None or not audited:
            self.meta = meta_from(context)
        else:
            md = _metadata(context)
            correlation_id = md.get("x-correlation-id") or uuid.uuid4().hex
            try:
                self.caller = gate.identify(context, md, correlation_id)
                self.meta = self.caller.meta
            except Refusal as refusal:
                self.refusal = refusal
                self.meta = refusal.meta or EventMeta(correlation_id=correlation_id)
        self.code = "OK"
        self.cancelled = False
        self._token = _current_meta.set(self.meta)
        # Also what an abort of the handler's own (without trailing metadata) sends.
        context.set_trailing_metadata((self._correlation(),))

    def admit(self, request: Any) -> None:
        """Raise what refuses this call (nothing without a gate, or for health checks)."""
        gate = self.interceptor.gate
        if self.refusal is not None:
            raise self.refusal
        if gate is not None and self.caller is not None:
            gate.admit(self.full_method, self.caller, request)

    async def failed(self, exc: Exception) -> None:
        """Turn ``exc`` into the status the caller sees (raises the abort), or note the
        status an abort of the handler's own carried (the caller re-raises it)."""
        context = self.context
        if isinstance(exc, grpc.aio.AbortError):
            self.code = _code_name(context, "UNKNOWN")
            return
        status = status_for(exc)
        self.code = code_pb2.Code.Name(status.code)
        if status.code == code_pb2.INTERNAL:
            log.exception("%s failed (correlation %s)", self.method, self.meta.correlation_id)
        elif isinstance(exc, Refusal):  # its message names the rule, never a credential
            log.info(
                "%s refused %s for %r (correlation %s): %s",
                self.method,
                self.code,
                self.meta.agency,
                self.meta.correlation_id,
                exc.message,
            )
        elif status.code == code_pb2.UNAVAILABLE:
            log.warning("%s unavailable: %r", self.method, exc)
        # The status details travel in the trailing metadata; the correlation id beside them.
        grpc_status = rpc_status.to_status(status)
        await context.abort(
            grpc_status.code,
            grpc_status.details,
            trailing_metadata=(*grpc_status.trailing_metadata, self._correlation()),
        )

    def succeeded(self) -> None:
        """The handler returned: its code (OK unless it set one), and the correlation id
        in the trailing metadata, next to what the handler put there."""
        self.code = _code_name(self.context, "OK")
        trailing = tuple(self.context.trailing_metadata() or ())
        if not any(key == "x-correlation-id" for key, _ in trailing):
            self.context.set_trailing_metadata((*trailing, self._correlation()))

    def _correlation(self) -> tuple[str, str]:
        return ("x-correlation-id", _ascii(self.meta.correlation_id))

    def went_away(self) -> None:
        """The call was cancelled: the client went away, or its deadline passed."""
        remaining = None
        with contextlib.suppress(Exception):
            remaining = self.context.time_remaining()
        self.code = "DEADLINE_EXCEEDED" if remaining is not None and remaining <= 0 else "CANCELLED"
        self.cancelled = True

    async def end(self) -> None:
        # A streaming handler's generator may be closed from another task (the client
        # went away): then its context variable is not ours to reset.
        with contextlib.suppress(ValueError):
            _current_meta.reset(self._token)
        seconds = time.perf_counter() - self.started
        metrics = self.interceptor.metrics
        metrics.grpc_requests.labels(self.method, self.code).inc()
        metrics.grpc_latency.labels(self.method).observe(seconds)
        call_log = self.interceptor.call_log
        if call_log is None or not self.audited:
            return
        info = CallInfo(
            at=self.at,
            method=self.full_method,
            agency=self.meta.agency,
            user=self.meta.user,
            role=self.meta.role,
            outcome=self.code,
            correlation_id=self.meta.correlation_id,
            duration_ms=round(seconds * 1000, 3),
            peer=self._peer(),
        )
        if self.cancelled:
            call_log.submit(info)  # nobody waits for the answer; don't hold the cancellation
        else:
            await call_log.record(info)

    def _peer(self) -> str:
        try:
            return str(self.context.peer() or "")
        except Exception:  # the call is gone
            return ""


class ServiceInterceptor(grpc.aio.ServerInterceptor):
    """Sets the event context, maps errors to statuses, records metrics per call and,
    with a call log, records every call answered (health and reflection aside).

    Wraps unary-unary and unary-stream methods (the only kinds the contracts have)."""

    def __init__(
        self, metrics: ServiceMetrics, call_log: CallLog | None = None, gate: Gate | None = None
    ) -> None:
        self.metrics = metrics
        self.call_log = call_log
        self.gate = gate
        """None: no checks before the handler (tests of the interceptor itself); services
        always get one (``backbone.runtime``), whose empty policy denies every method."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[Any]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Any:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        full_method = handler_call_details.method.lstrip("/")
        audited = full_method.rsplit("/", 1)[0] not in UNAUDITED_SERVICES
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, full_method, audited),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner = handler.unary_stream
            behaviour = (
                self._unary(inner, full_method, audited)  # writes with context.write()
                if inspect.iscoroutinefunction(inner)
                else self._stream(inner, full_method, audited)
            )
            return grpc.unary_stream_rpc_method_handler(
                behaviour,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _unary(
        self, inner: Any, full_method: str, audited: bool
    ) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], Awaitable[Any]]:
        async def behaviour(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
            call = _Call(self, full_method, audited, context)
            try:
                call.admit(request)
                response = await inner(request, context)
                call.succeeded()
                return response
            except Exception as exc:
                await call.failed(exc)
                raise
            except asyncio.CancelledError:
                call.went_away()
                raise
            finally:
                await call.end()

        return behaviour

    def _stream(
        self, inner: Any, full_method: str, audited: bool
    ) -> Callable[[Any, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Any]]:
        async def behaviour(
            request: Any, context: grpc.aio.ServicerContext[Any, Any]
        ) -> AsyncIterator[Any]:
            call = _Call(self, full_method, audited, context)
            try:
                call.admit(request)
                async with contextlib.aclosing(inner(request, context)) as responses:
                    async for response in responses:
                        yield response
                call.succeeded()
            except Exception as exc:
                await call.failed(exc)
                raise
            except (asyncio.CancelledError, GeneratorExit):
                call.went_away()
                raise
            finally:
                await call.end()

        return behaviour


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
        call_log: CallLog | None = None,
        credentials: grpc.ServerCredentials | None = None,
        gate: Gate | None = None,
    ) -> None:
        """``credentials``: the port speaks (mutual) TLS only; None: plaintext."""
        self.server = grpc.aio.server(
            interceptors=[ServiceInterceptor(metrics, call_log, gate)],
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
        self.port = (
            self.server.add_secure_port(f"{host}:{port}", credentials)
            if credentials is not None
            else self.server.add_insecure_port(f"{host}:{port}")
        )
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
