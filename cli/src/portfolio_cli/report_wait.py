"""Waits until the reporting view shows the status reports an import sent."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2,
    reporting_pb2_grpc,
)
from portfolio_cli.rpc import CallError, RetryPolicy, call, insecure_channel

_ONE_TRY = RetryPolicy(attempts=1, deadline_s=5.0)
_SHOWN_IN_MESSAGE = 10


async def wait_for_receipts(
    address: str,
    period: str,
    expected: Mapping[int, str],
    timeout_s: float,
    poll_s: float = 0.5,
) -> str | None:
    """Poll GetPortfolioReport(period) until every measure in ``expected`` shows the
    receipt id its status report got. None when it does; else why not (timed out)."""
    deadline = time.monotonic() + timeout_s
    missing = sorted(expected)
    last_error = ""
    async with insecure_channel(address) as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        while True:
            request = reporting_pb2.GetPortfolioReportRequest(period=period)
            try:
                report = await call(
                    "GetPortfolioReport", stub.GetPortfolioReport, request, policy=_ONE_TRY
                )
            except CallError as exc:
                last_error = str(exc)
            else:
                last_error = ""
                shown = {m.measure_id: m.report_receipt_id for m in report.measures}
                missing = [mid for mid in sorted(expected) if shown.get(mid) != expected[mid]]
                if not missing:
                    return None
            if time.monotonic() >= deadline:
                return _timed_out(
                    address=address,
                    period=period,
                    timeout_s=timeout_s,
                    total=len(expected),
                    missing=missing,
                    last_error=last_error,
                )
            await asyncio.sleep(min(poll_s, max(deadline - time.monotonic(), 0.0)))


def _timed_out(
    *, address: str, period: str, timeout_s: float, total: int, missing: list[int], last_error: str
) -> str:
    ids = ", ".join(str(mid) for mid in missing[:_SHOWN_IN_MESSAGE])
    if len(missing) > _SHOWN_IN_MESSAGE:
        ids += ", ..."
    message = (
        f"timed out after {timeout_s:g} s waiting for the reporting service at {address}"
        f" to show the imported status reports for {period}:"
        f" {len(missing)} of {total} not shown yet (measures {ids})"
    )
    if last_error:
        message += f"; last error: {last_error}"
    return message
