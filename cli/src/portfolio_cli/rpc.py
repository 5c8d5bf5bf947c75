"""Unary gRPC calls with deadlines and retries, and failures a person can read.

A call that fails with UNAVAILABLE or DEADLINE_EXCEEDED (as its policy says) is retried
with the same request (so the same idempotency key) after a growing pause. Any other failure is
final and comes back as :class:`CallError`, with the ``google.rpc.BadRequest``
field violations of an INVALID_ARGUMENT decoded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

import grpc  # type: ignore[import-untyped, unused-ignore]
from google.rpc import error_details_pb2  # type: ignore[import-untyped, unused-ignore]
from grpc_status import rpc_status  # type: ignore[import-untyped, unused-ignore]

T = TypeVar("T")
Metadata = Sequence[tuple[str, str]]

RETRYABLE = frozenset({"UNAVAILABLE", "DEADLINE_EXCEEDED"})
# Printable ASCII except "%": what a gRPC header value may hold as it is.
_SAFE = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "%")


@dataclass(frozen=True)
class RetryPolicy:
    """How long one attempt may take and how often to try again."""

    attempts: int = 6
    deadline_s: float = 10.0
    first_pause_s: float = 0.2
    max_pause_s: float = 2.0
    retry_on: frozenset[str] = RETRYABLE
    """Status codes tried again; commands without an idempotency key retry UNAVAILABLE only."""


@dataclass(frozen=True)
class FieldViolation:
    """One bad request field as the server named it (e.g. ``budget[0].amount_nok``)."""

    field: str
    description: str


@dataclass(frozen=True)
class CallFailure:
    """A failed call: the status code's name, the server's message and any field violations."""

    code: str
    message: str
    violations: tuple[FieldViolation, ...] = ()

    def describe(self) -> str:
        """``CODE: message`` on one line."""
        message = " ".join(self.message.split())
        return f"{self.code}: {message}" if message else self.code


class CallError(Exception):
    """Raised when a call failed for good (after any retries)."""

    def __init__(
        self, method: str, failure: CallFailure, address: str = "", caller: str = ""
    ) -> None:
        super().__init__(f"{method}: {failure.describe()}")
        self.method = method
        self.failure = failure
        self.address = address
        """Where the service was called, when known."""
        self.caller = caller
        """Who called (e.g. ``office "Direktoratet for e-helse"``), when known."""


def header_value(text: str) -> str:
    """``text`` as a gRPC metadata value: unchanged when printable ASCII without "%",
    else percent-encoded UTF-8 (RFC 3986), which a server undoes with ``unquote``."""
    if all(ch in _SAFE for ch in text):
        return text
    return quote(text, safe=_SAFE)


def failure_of(error: BaseException) -> CallFailure:
    """What went wrong, from a gRPC error (or any exception raised while calling)."""
    if not isinstance(error, grpc.RpcError):
        return CallFailure("INTERNAL", f"the call could not be made: {error}")
    code: Any = error.code()
    name = str(code.name) if code is not None else "UNKNOWN"
    message = str(error.details() or "")
    return CallFailure(name, message, _violations(error))


def _violations(error: Any) -> tuple[FieldViolation, ...]:
    try:
        status = rpc_status.from_call(error)
    except (ValueError, AttributeError, TypeError):
        return ()
    if status is None:
        return ()
    found: list[FieldViolation] = []
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            detail.Unpack(bad_request)
            found.extend(
                FieldViolation(str(v.field), str(v.description))
                for v in bad_request.field_violations
            )
    return tuple(found)


async def call(
    method_name: str,
    method: Callable[..., Awaitable[T]],
    request: Any,
    *,
    metadata: Metadata = (),
    policy: RetryPolicy = RetryPolicy(),
) -> T:
    """Call ``method(request)``; retry UNAVAILABLE and DEADLINE_EXCEEDED; raise CallError."""
    pause = policy.first_pause_s
    for attempt in range(1, policy.attempts + 1):
        try:
            return await method(request, metadata=tuple(metadata), timeout=policy.deadline_s)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # every failure becomes a CallError
            failure = failure_of(exc)
        if failure.code not in policy.retry_on or attempt == policy.attempts:
            raise CallError(method_name, failure)
        await asyncio.sleep(pause)
        pause = min(pause * 2, policy.max_pause_s)
    raise AssertionError("unreachable")  # pragma: no cover


def open_channel(address: str) -> Any:
    """A grpc.aio channel to ``address`` (``host:port``): plaintext as inside the stack, or
    mutual TLS with per-call tokens as ``PORTFOLIO_TLS_*``/``PORTFOLIO_TOKEN_*`` say
    (:mod:`portfolio_cli.security`)."""
    from portfolio_cli.security import open_channel as secure_or_plain

    return secure_or_plain(address)


insecure_channel = open_channel
"""The older name, kept for callers: plaintext unless the environment asks for TLS."""


async def wait_reachable(channel: Any, timeout_s: float) -> bool:
    """True when ``channel`` connects within ``timeout_s`` seconds."""
    try:
        await asyncio.wait_for(channel.channel_ready(), timeout_s)
    except TimeoutError:
        return False
    return True
