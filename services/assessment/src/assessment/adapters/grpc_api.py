"""AssessmentService over gRPC: requests checked field by field, then the application."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from google.protobuf.message import Message

from assessment.application import AssessmentApplication
from assessment.domain import Measure, Segment
from assessment.domain.criteria import check_results
from backbone import validation as check
from backbone.errors import Violations
from backbone.idempotency import idempotent
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from eportfolio.common.v1 import common_pb2

COLOUR = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    "green": common_pb2.COLOUR_GREEN,
    "yellow": common_pb2.COLOUR_YELLOW,
    "red": common_pb2.COLOUR_RED,
}
SEGMENT_OF: dict[int, Segment] = {
    common_pb2.SEGMENT_SAMSTYRE: Segment.SAMSTYRE,
    common_pb2.SEGMENT_KOORDINERE: Segment.KOORDINERE,
    common_pb2.SEGMENT_OBSERVERE: Segment.OBSERVERE,
    common_pb2.SEGMENT_INSPIRERE: Segment.INSPIRERE,
}
SEGMENT_ENUM: dict[str | None, common_pb2.Segment.ValueType] = {
    None: common_pb2.SEGMENT_UNSPECIFIED,
    "samstyre": common_pb2.SEGMENT_SAMSTYRE,
    "koordinere": common_pb2.SEGMENT_KOORDINERE,
    "observere": common_pb2.SEGMENT_OBSERVERE,
    "inspirere": common_pb2.SEGMENT_INSPIRERE,
}


def measure_message(m: Measure) -> assessment_pb2.Measure:
    a = m.assessment
    return assessment_pb2.Measure(
        measure_id=m.measure_id,
        name=m.name,
        description=m.description,
        responsible_agency=m.responsible_agency,
        owner=m.owner,
        strategic_area=m.strategic_area,
        in_portfolio_since=m.in_portfolio_since or "",
        version=m.version,
        lifecycle=m.lifecycle.value,
        segment=SEGMENT_ENUM[m.segment.value if m.segment else None],
        assessment=assessment_pb2.Assessment(
            criteria_version=a["criteria_version"],
            results=[assessment_pb2.CriterionResult(**r) for r in a["results"]],
            all_met=a["all_met"],
        )
        if a
        else None,
        left_after=m.left_after or "",
        way_forward=m.way_forward,
        rejection_reason=m.rejection_reason,
        planned_start=m.planned_start or "",
        planned_end=m.planned_end or "",
        planned_budget=[common_pb2.FundedBudgetLine(**line) for line in m.planned_budget],
        depends_on=m.depends_on,
        checklist=[assessment_pb2.ChecklistAnswer(**c) for c in m.checklist],
        proposed_segment=SEGMENT_ENUM.get(m.proposed_segment, common_pb2.SEGMENT_UNSPECIFIED),
        operating_cost_nok_per_year=m.operating_cost_nok_per_year,
        candidate_for=m.candidate_for or 0,
        refused_reports=[assessment_pb2.RefusedReport(**r) for r in m.refused_reports],
        reminders=[assessment_pb2.Reminder(**r) for r in m.reminders],
        status_reports=[
            assessment_pb2.StatusReport(
                period=r["period"],
                status=COLOUR[r["status"]],
                risk=COLOUR[r["risk"]],
                budget=[common_pb2.BudgetLine(**line) for line in r["budget"]],
                explanation=r["explanation"],
                receipt_id=r["receipt_id"],
                explanation_missing=r["explanation_missing"],
                correction=r["correction"],
                progress=r["progress"],
                obstacles=r["obstacles"],
                experiences=r["experiences"],
                dependency_notes=r["dependency_notes"],
                missing_focus=r["missing_focus"],
            )
            for _, r in sorted(m.status_reports.items())
        ],
    )


def _measure_id(value: int, v: Violations) -> int:
    if value <= 0:
        v.add("measure_id", "must be a positive number")
    return value


def _segment(value: int, field: str, v: Violations) -> Segment:
    if value not in SEGMENT_OF:
        v.add(field, f"unknown segment {value}; use SAMSTYRE, KOORDINERE, OBSERVERE or INSPIRERE")
        return Segment.SAMSTYRE
    return SEGMENT_OF[value]


def _period_or_now(value: str, field: str, v: Violations) -> str:
    return check.period(value, field, v, required=False) or datetime.now(UTC).strftime("%Y-%m")


def _reason(value: str, v: Violations, *, required: bool = True) -> str:
    return check.text(value, "reason", v, required=required, max_len=2000)


class AssessmentServicer(assessment_pb2_grpc.AssessmentServiceServicer):
    """Thin: validate, call the application in a worker thread, answer with the measure."""

    def __init__(self, app: AssessmentApplication) -> None:
        self.app = app

    async def _run(self, call: Callable[[], Measure]) -> assessment_pb2.Measure:
        return measure_message(await asyncio.to_thread(call))

    async def _command(
        self, method: str, request: Message, call: Callable[[], Measure]
    ) -> assessment_pb2.Measure:
        """``call`` as the command ``method(request)``: idempotent by the request's key."""
        with idempotent(method, request):
            return await self._run(call)

    async def GetMeasure(  # noqa: N802 - gRPC method names
        self, request: assessment_pb2.GetMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        v.raise_if_any()
        return await self._run(lambda: self.app.get_measure(mid))

    async def AssessMeasure(  # noqa: N802
        self, request: assessment_pb2.AssessMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        version = check.text(
            request.criteria_version, "criteria_version", v, required=True, max_len=50
        )
        results: list[dict[str, Any]] = []
        for i, r in enumerate(check.items(request.results, "results", v, max_items=20)):
            results.append(
                {
                    "criterion": r.criterion,
                    "met": r.met,
                    "reason": check.text(r.reason, f"results[{i}].reason", v, required=True),
                }
            )
        if version:
            for problem in check_results(version, [r["criterion"] for r in results]):
                v.add("results" if "criterion" in problem else "criteria_version", problem)
        v.raise_if_any()
        return await self._command(
            "AssessMeasure", request, lambda: self.app.assess(mid, version, results)
        )

    async def IncludeMeasure(  # noqa: N802
        self, request: assessment_pb2.IncludeMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        segment = _segment(request.segment, "segment", v)
        period = check.period(request.period, "period", v) or ""
        reason = _reason(request.reason, v, required=False)
        decision = check.text(request.decision, "decision", v, max_len=200)
        v.raise_if_any()
        return await self._command(
            "IncludeMeasure",
            request,
            lambda: self.app.include(mid, segment, period, reason, decision),
        )

    async def RejectMeasure(  # noqa: N802
        self, request: assessment_pb2.RejectMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        reason = _reason(request.reason, v)
        v.raise_if_any()
        return await self._command("RejectMeasure", request, lambda: self.app.reject(mid, reason))

    async def MoveMeasure(  # noqa: N802
        self, request: assessment_pb2.MoveMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        to = _segment(request.to, "to", v)
        reason = _reason(request.reason, v)
        decision = check.text(request.decision, "decision", v, max_len=200)
        period = _period_or_now(request.period, "period", v)
        v.raise_if_any()
        return await self._command(
            "MoveMeasure", request, lambda: self.app.move(mid, to, reason, decision, period)
        )

    async def CompleteMeasure(  # noqa: N802
        self, request: assessment_pb2.CompleteMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        period = _period_or_now(request.period, "period", v)
        way_forward = check.text(request.way_forward, "way_forward", v, required=True, max_len=500)
        reason = _reason(request.reason, v, required=False)
        v.raise_if_any()
        return await self._command(
            "CompleteMeasure", request, lambda: self.app.complete(mid, period, way_forward, reason)
        )

    async def PauseMeasure(  # noqa: N802
        self, request: assessment_pb2.PauseMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        period = _period_or_now(request.period, "period", v)
        reason = _reason(request.reason, v)
        v.raise_if_any()
        return await self._command(
            "PauseMeasure", request, lambda: self.app.pause(mid, period, reason)
        )

    async def WithdrawMeasure(  # noqa: N802
        self, request: assessment_pb2.WithdrawMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        period = _period_or_now(request.period, "period", v)
        reason = _reason(request.reason, v)
        v.raise_if_any()
        return await self._command(
            "WithdrawMeasure", request, lambda: self.app.withdraw(mid, period, reason)
        )

    async def RemindMeasure(  # noqa: N802
        self, request: assessment_pb2.RemindMeasureRequest, context: Any
    ) -> assessment_pb2.Measure:
        v = Violations()
        mid = _measure_id(request.measure_id, v)
        period = check.period(request.period, "period", v) or ""
        deadline = request.deadline
        try:
            date.fromisoformat(deadline)
        except ValueError:
            v.add("deadline", f"must be a date YYYY-MM-DD, got {deadline[:20]!r}")
        v.raise_if_any()
        return await self._command(
            "RemindMeasure",
            request,
            lambda: self.app.remind(mid, period, deadline, request.overdue),
        )
