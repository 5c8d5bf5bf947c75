"""S7 (OWASP API4): one agency bursting ten times its quota gets RESOURCE_EXHAUSTED with a
clear message; another agency's calls meanwhile all succeed. The quota is a moving window
per verified agency: burst 10, 1 call/s (a 10 s window, so the test cannot outlast it)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2 as pb
from tests.faults.results import record, size

pytestmark = pytest.mark.security

FHI, NHN = "Folkehelseinstituttet", "Norsk Helsenett"
BURST = 10


async def test_s7_one_agency_over_its_quota_does_not_touch_the_others(
    serve: Any, pki_files: Any
) -> None:
    from tests.security.conftest import secure_settings

    running = await serve(
        secure_settings(pki_files, rate_limit_per_s=1, rate_limit_burst=BURST), pki_files
    )
    fhi, nhn = running.stub(FHI), running.stub(NHN)
    request = pb.GetMeasureRequest(measure_id=101)
    factor = size(10, 30)
    started = time.monotonic()

    async def one(stub: Any, agency: str) -> tuple[str, str]:
        try:
            await stub.GetMeasure(request, metadata=running.auth(agency, "agency"), timeout=10)
        except grpc.aio.AioRpcError as exc:
            return exc.code().name, exc.details() or ""
        return "OK", ""

    fhi_calls = [one(fhi, FHI) for _ in range(BURST * factor)]
    nhn_calls = [one(nhn, NHN) for _ in range(BURST)]
    results = await asyncio.gather(*fhi_calls, *nhn_calls)
    seconds = time.monotonic() - started
    fhi_results, nhn_results = results[: len(fhi_calls)], results[len(fhi_calls) :]
    fhi_codes = [c for c, _ in fhi_results]
    assert seconds < 10, "the window is 10 s: a slower run would let more through"
    assert fhi_codes.count("OK") == BURST
    assert fhi_codes.count("RESOURCE_EXHAUSTED") == len(fhi_calls) - BURST
    message = next(m for c, m in fhi_results if c == "RESOURCE_EXHAUSTED")
    assert f"{FHI} has used its quota (10 calls per 10 s); retry later" == message
    assert [c for c, _ in nhn_results] == ["OK"] * BURST
    rows = await running.calls(len(results))
    assert sum(r.outcome == "RESOURCE_EXHAUSTED" and r.agency == FHI for r in rows) == (
        len(fhi_calls) - BURST
    )
    record(
        "S7",
        "burst 10x",
        quota=BURST,
        sent=len(fhi_calls),
        exhausted=fhi_codes.count("RESOURCE_EXHAUSTED"),
        other_agency_ok=len(nhn_results),
        seconds=round(seconds, 3),
    )
