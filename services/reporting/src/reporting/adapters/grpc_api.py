"""ReportingService over gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

from backbone import validation as check
from backbone.errors import Violations
from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from reporting.queries import korona_report, portfolio_report
from reporting.store import ReadModelStore

COLOUR = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    "green": common_pb2.COLOUR_GREEN,
    "yellow": common_pb2.COLOUR_YELLOW,
    "red": common_pb2.COLOUR_RED,
}


class ReportingServicer(reporting_pb2_grpc.ReportingServiceServicer):
    def __init__(self, store: ReadModelStore) -> None:
        self.store = store

    async def GetPortfolioReport(  # noqa: N802 - gRPC method name
        self, request: reporting_pb2.GetPortfolioReportRequest, context: Any
    ) -> reporting_pb2.PortfolioReport:
        v = Violations()
        period = check.period(request.period, "period", v)
        v.raise_if_any()
        assert period is not None
        r = await asyncio.to_thread(portfolio_report, self.store, period)
        return reporting_pb2.PortfolioReport(
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
                )
                for m in r.measures
            ],
        )

    async def GetKoronaReport(  # noqa: N802
        self, request: reporting_pb2.GetKoronaReportRequest, context: Any
    ) -> reporting_pb2.KoronaReport:
        total, by_category = await asyncio.to_thread(korona_report, self.store)
        return reporting_pb2.KoronaReport(
            total=total,
            by_category=[reporting_pb2.CategoryLine(code=c, proposals=n) for c, n in by_category],
        )
