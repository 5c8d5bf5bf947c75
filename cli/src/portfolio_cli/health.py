"""The standard gRPC health check (grpc.health.v1) against a service address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

import grpc  # type: ignore[import-untyped, unused-ignore]
from grpc_health.v1 import (  # type: ignore[import-untyped, unused-ignore]
    health_pb2,
    health_pb2_grpc,
)

from portfolio_cli.rpc import insecure_channel

HEALTH_TIMEOUT_S = 2.0


async def is_serving(address: str, timeout_s: float = HEALTH_TIMEOUT_S) -> bool:
    """True when the server at ``address`` answers the overall health check SERVING in time."""
    try:
        async with insecure_channel(address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            response = await stub.Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout_s
            )
    except (grpc.RpcError, OSError, ValueError):
        return False
    return bool(response.status == health_pb2.HealthCheckResponse.SERVING)


async def serving_map(
    addresses: Iterable[tuple[str, str]], timeout_s: float = HEALTH_TIMEOUT_S
) -> dict[str, bool]:
    """``{name: serving}`` for ``(name, address)`` pairs, checked concurrently."""
    pairs = list(addresses)
    results = await asyncio.gather(*(is_serving(address, timeout_s) for _, address in pairs))
    return {name: ok for (name, _), ok in zip(pairs, results, strict=True)}
