"""ReportingService over gRPC."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import grpc

from backbone import validation as check
from backbone.access import OFFICE, OPERATIONS
from backbone.errors import Violations
from backbone.grpc_server import meta_from
from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from reporting.adapters.rebuild import Rebuilder
from reporting.projections import utc_text
from reporting.queries import (
    AsOf,
    PortfolioReport,
    calendar,
    dependencies,
    korona_report,
    portfolio_report,
)
from reporting.sections import Change, Sections, SegmentDue, sections
from reporting.store import ReadModelStore

SEGMENT: dict[str | None, common_pb2.Segment.ValueType] = {
    None: common_pb2.SEGMENT_UNSPECIFIED,
    "samstyre": common_pb2.SEGMENT_SAMSTYRE,
    "koordinere": common_pb2.SEGMENT_KOORDINERE,
    "observere": common_pb2.SEGMENT_OBSERVERE,
    "inspirere": common_pb2.SEGMENT_INSPIRERE,
}
COLOUR = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    "green": common_pb2.COLOUR_GREEN,
    "yellow": common_pb2.COLOUR_YELLOW,
    "red": common_pb2.COLOUR_RED,
}


NOTHING_DUE = SegmentDue(0, 0)


def _previous(report: PortfolioReport) -> reporting_pb2.PreviousPeriod:
    return reporting_pb2.PreviousPeriod(
        period=report.period,
        measure_count=report.measure_count,
        budget_total_nok=report.budget_total_nok,
        status=reporting_pb2.ColourCounts(**report.status),
        risk=reporting_pb2.ColourCounts(**report.risk),
    )


def _change(c: Change) -> reporting_pb2.ChangeLine:
    return reporting_pb2.ChangeLine(
        measure_id=c.measure_id,
        name=c.name,
        responsible_agency=c.responsible_agency,
        period=c.period,
        lifecycle=c.lifecycle,
        way_forward=c.way_forward,
        budget_nok=c.budget_nok,
    )


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

        def build() -> tuple[PortfolioReport, Sections]:
            report = portfolio_report(self.store, period, as_of)
            return report, sections(self.store, report, as_of)

        r, sx = await asyncio.to_thread(build)
        return reporting_pb2.PortfolioReport(
            previous=_previous(sx.previous) if sx.previous else None,
            entered=[_change(c) for c in sx.entered],
            exited=[_change(c) for c in sx.exited],
            candidates=[
                reporting_pb2.CandidateLine(
                    measure_id=c.measure_id,
                    name=c.name,
                    responsible_agency=c.responsible_agency,
                    strategic_area=c.strategic_area,
                    candidate_for=c.candidate_for,
                )
                for c in sx.candidates
            ],
            by_strategic_area=[
                reporting_pb2.AreaLine(
                    strategic_area=a.strategic_area,
                    measures=a.measures,
                    budget_nok_this_year=a.budget_nok_this_year,
                    budget_nok_next_year=a.budget_nok_next_year,
                )
                for a in sx.by_strategic_area
            ],
            finishing_this_year=[
                reporting_pb2.FinishingLine(
                    measure_id=f.measure_id,
                    name=f.name,
                    responsible_agency=f.responsible_agency,
                    planned_end=f.planned_end,
                )
                for f in sx.finishing_this_year
            ],
            as_of=utc_text(as_of.moment) if as_of.moment else "",
            period=r.period,
            measure_count=r.measure_count,
            budget_total_nok=r.budget_total_nok,
            status=reporting_pb2.ColourCounts(**r.status),
            risk=reporting_pb2.ColourCounts(**r.risk),
            by_agency=[
                reporting_pb2.AgencyLine(
                    agency=a.agency, measures=a.measures, budget_nok=a.budget_nok
                )
                for a in r.by_agency
            ],
            measures=[
                reporting_pb2.MeasureLine(
                    measure_id=m.measure_id,
                    name=m.name,
                    responsible_agency=m.responsible_agency,
                    strategic_area=m.strategic_area,
                    status=COLOUR[m.status],
                    risk=COLOUR[m.risk],
                    budget_nok=m.budget_nok,
                    reported=m.reported,
                    report_receipt_id=m.report_receipt_id,
                    segment=SEGMENT[m.segment],
                    explanation=m.explanation,
                )
                for m in r.measures
            ],
            by_segment=[
                reporting_pb2.SegmentLine(
                    segment=SEGMENT[s.segment],
                    measures=s.measures,
                    budget_nok=s.budget_nok,
                    reports_due=sx.due_by_segment.get(s.segment, NOTHING_DUE).reports_due,
                    reports_overdue=sx.due_by_segment.get(s.segment, NOTHING_DUE).reports_overdue,
                )
                for s in r.by_segment
            ],
        )

    async def GetKoronaReport(  # noqa: N802
        self, request: reporting_pb2.GetKoronaReportRequest, context: Any
    ) -> reporting_pb2.KoronaReport:
        v = Violations()
        as_of = _as_of(request.as_of, request.axis, v)
        v.raise_if_any()
        total, by_category = await asyncio.to_thread(
            lambda: korona_report(self.store, as_of.moment, recorded=as_of.recorded)
        )
        return reporting_pb2.KoronaReport(
            as_of=utc_text(as_of.moment) if as_of.moment else "",
            total=total,
            by_category=[reporting_pb2.CategoryLine(code=c, proposals=n) for c, n in by_category],
        )

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
        meta = meta_from(context)
        if meta.role not in (OFFICE, OPERATIONS):
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "rebuilding is for the office or operations"
            )
        if self.rebuilder is None:
            await context.abort(grpc.StatusCode.UNIMPLEMENTED, "no rebuilder configured")
        assert self.rebuilder is not None
        try:
            async for p in self.rebuilder.rebuild():
                yield reporting_pb2.RebuildProgress(read=p.read, total=p.total, done=p.done)
        except RuntimeError as exc:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, str(exc))
