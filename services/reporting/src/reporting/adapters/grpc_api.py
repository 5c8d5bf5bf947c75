"""ReportingService over gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc

from backbone import validation as check
from backbone.access import OFFICE, OPERATIONS
from backbone.domain import current_meta
from backbone.errors import Violations
from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from reporting.adapters.messages import SEGMENT, korona_message, portfolio_message
from reporting.adapters.rebuild import Rebuilder
from reporting.queries import (
    AsOf,
    calendar,
    dependencies,
)
from reporting.store import ReadModelStore


def _as_of(moment: str, axis: int, v: Violations) -> AsOf:
    """The moment and time axis a request asks its view for."""
    if axis not in (
        common_pb2.TIME_AXIS_UNSPECIFIED,
        common_pb2.TIME_AXIS_DOMAIN,
        common_pb2.TIME_AXIS_RECORDED,
    ):
        v.add("axis", f"unknown time axis {axis}; use DOMAIN or RECORDED")
    return AsOf(check.timestamp(moment, "as_of", v), axis == common_pb2.TIME_AXIS_RECORDED)


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    def __init__(self, store: ReadModelStore, rebuilder: Rebuilder | None = None) -> None:
        self.store = store
        self.rebuilder = rebuilder

    async def GetPortfolioReport(  # noqa: N802 - gRPC method name
        self, request: reporting_pb2.GetPortfolioReportRequest, context: Any
    ) -> reporting_pb2.PortfolioReport:
        v = Violations()
        period = check.period(request.period, "period", v)
        as_of = _as_of(request.as_of, request.axis, v)
        v.raise_if_any()
        assert period is not None

        return await asyncio.to_thread(portfolio_message, self.store, period, as_of)

    async def GetKoronaReport(  # noqa: N802
        self, request: reporting_pb2.GetKoronaReportRequest, context: Any
    ) -> reporting_pb2.KoronaReport:
        v = Violations()
        as_of = _as_of(request.as_of, request.axis, v)
        v.raise_if_any()
        return await asyncio.to_thread(korona_message, self.store, as_of)

    async def GetCalendar(  # noqa: N802
        self, request: reporting_pb2.GetCalendarRequest, context: Any
    ) -> reporting_pb2.Calendar:
        v = Violations()
        period = check.period(request.period, "period", v) or ""
        at = check.timestamp(request.at, "at", v) or datetime.now(UTC)
        v.raise_if_any()
        entries = await asyncio.to_thread(calendar, self.store, period, at)
        return reporting_pb2.Calendar(
            period=period,
            due=[
                reporting_pb2.CalendarEntry(
                    measure_id=e.measure_id,
                    name=e.name,
                    responsible_agency=e.responsible_agency,
                    segment=SEGMENT[e.segment],
                    deadline=e.deadline.isoformat(),
                    reported=e.reported,
                    overdue=e.overdue,
                )
                for e in entries
            ],
        )

    async def GetDependencies(  # noqa: N802
        self, request: reporting_pb2.GetDependenciesRequest, context: Any
    ) -> reporting_pb2.Dependencies:
        v = Violations()
        if request.measure_id <= 0:
            v.add("measure_id", "must be a positive number")
        v.raise_if_any()
        on, by = await asyncio.to_thread(dependencies, self.store, request.measure_id)
        return reporting_pb2.Dependencies(
            measure_id=request.measure_id,
            depends_on=[reporting_pb2.DependencyLine(measure_id=i, name=n) for i, n in on],
            depended_on_by=[reporting_pb2.DependencyLine(measure_id=i, name=n) for i, n in by],
        )

    async def RebuildProjections(  # noqa: N802
        self, request: reporting_pb2.RebuildProjectionsRequest, context: Any
    ) -> AsyncIterator[reporting_pb2.RebuildProgress]:
        meta = current_meta()  # set by the interceptor, with the recorded correlation id
        if meta.role not in (OFFICE, OPERATIONS):
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "rebuilding is for the office or operations"
            )
        if self.rebuilder is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no rebuilder configured")
        assert self.rebuilder is not None
        try:
            async for p in self.rebuilder.rebuild(key=request.idempotency_key[:200]):
                yield reporting_pb2.RebuildProgress(read=p.read, total=p.total, done=p.done)
        except RuntimeError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
