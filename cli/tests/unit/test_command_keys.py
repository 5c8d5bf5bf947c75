"""Every command the CLI sends carries one idempotency key, the same on every retry."""

from __future__ import annotations

import dataclasses
from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2
from eportfolio.korona.v1 import korona_pb2
from portfolio_cli.caller import Caller, Role
from portfolio_cli.clients import COMMAND, Client, with_key
from portfolio_cli.rpc import CallError

FAST = dataclasses.replace(COMMAND, first_pause_s=0.0, max_pause_s=0.0)


class Flaky:
    """A stub method that fails with ``codes`` first, then answers; it keeps each request."""

    def __init__(self, *codes: grpc.StatusCode) -> None:
        self.codes = list(codes)
        self.seen: list[Any] = []

    async def __call__(self, request: Any, metadata: Any = (), timeout: float = 0) -> Any:
        self.seen.append(request.SerializeToString())
        if self.codes:
            code = self.codes.pop(0)
            raise grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), "lost")
        return assessment_pb2.Measure(measure_id=request.measure_id)


@dataclasses.dataclass
class Stub:
    PauseMeasure: Flaky
    GetMeasure: Flaky


async def test_a_lost_command_is_sent_again_with_the_same_key() -> None:
    """UNAVAILABLE and DEADLINE_EXCEEDED (the call may have arrived) are both retried now."""
    pause = Flaky(grpc.StatusCode.DEADLINE_EXCEEDED, grpc.StatusCode.UNAVAILABLE)
    client = Client("assessment", "test:1", Stub(pause, Flaky()))
    request = assessment_pb2.PauseMeasureRequest(measure_id=7, period="2024-06", reason="x")
    caller = Caller("Direktoratet for e-helse", Role.OFFICE, "kari")
    answer = await client.call("PauseMeasure", request, caller, FAST)
    assert answer.measure_id == 7
    sent = [assessment_pb2.PauseMeasureRequest.FromString(b) for b in pause.seen]
    assert len(sent) == 3
    assert len({r.idempotency_key for r in sent}) == 1
    assert sent[0].idempotency_key and sent[0] == request


async def test_each_logical_command_gets_its_own_key() -> None:
    pause = Flaky()
    client = Client("assessment", "test:1", Stub(pause, Flaky()))
    for _ in range(2):
        await client.call("PauseMeasure", assessment_pb2.PauseMeasureRequest(measure_id=7))
    keys = [assessment_pb2.PauseMeasureRequest.FromString(b).idempotency_key for b in pause.seen]
    assert len(set(keys)) == 2 and all(keys)


async def test_a_refusal_is_not_retried() -> None:
    pause = Flaky(grpc.StatusCode.FAILED_PRECONDITION)
    client = Client("assessment", "test:1", Stub(pause, Flaky()))
    with pytest.raises(CallError):
        await client.call("PauseMeasure", assessment_pb2.PauseMeasureRequest(measure_id=7))
    assert len(pause.seen) == 1


def test_a_key_the_caller_chose_is_kept_and_queries_get_none() -> None:
    chosen = korona_pb2.ChangeFundingRequest(idempotency_key="alloc-1")
    assert with_key(chosen).idempotency_key == "alloc-1"
    query = assessment_pb2.GetMeasureRequest(measure_id=7)
    assert with_key(query) == assessment_pb2.GetMeasureRequest(measure_id=7)
    for request in (
        korona_pb2.DecideRequest(),
        korona_pb2.AddToNetListRequest(),
        assessment_pb2.RemindMeasureRequest(),
    ):
        assert len(with_key(request).idempotency_key) == 36
