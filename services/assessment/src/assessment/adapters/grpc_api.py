"""AssessmentService over gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

from assessment.application import AssessmentApplication
from assessment.domain import Measure
from backbone.errors import Violations
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.common.v1 import common_pb2

COLOUR = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    "green": common_pb2.COLOUR_GREEN,
    "yellow": common_pb2.COLOUR_YELLOW,
    "red": common_pb2.COLOUR_RED,
}


def measure_message(m: Measure) -> assessment_pb2.Measure:
    return assessment_pb2.Measure(
        measure_id=m.measure_id,
        name=m.name,
        description=m.description,
        responsible_agency=m.responsible_agency,
        owner=m.owner,
        strategic_area=m.strategic_area,
        in_portfolio_since=m.in_portfolio_since or "",
        version=m.version,
        status_reports=[
            assessment_pb2.StatusReport(
                period=r["period"],
                status=COLOUR[r["status"]],
                risk=COLOUR[r["risk"]],
                budget=[common_pb2.BudgetLine(**line) for line in r["budget"]],
                explanation=r["explanation"],
                receipt_id=r["receipt_id"],
            )
            for _, r in sorted(m.status_reports.items())
        ],
    )


class AssessmentServicer(assessment_pb2_grpc.AssessmentServiceServicer):
    def __init__(self, app: AssessmentApplication) -> None:
        self.app = app

    async def GetMeasure(  # noqa: N802 - gRPC method name
        self, request: assessment_pb2.GetMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        if request.measure_id <= 0:
            v.add("measure_id", "must be a positive number")
        v.raise_if_any()
        measure = await asyncio.to_thread(self.app.get_measure, request.measure_id)
        return measure_message(measure)
