"""IntakeService over gRPC: checks requests field by field, then calls the application."""

from __future__ import annotations

import asyncio
from typing import Any

from backbone import validation as check
from backbone.errors import Violations
from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc
from intake.application import (
    IntakeApplication,
    ReceiptView,
    SubmitMeasure,
    SubmitProposal,
    SubmitStatusReport,
)

COLOURS: dict[int, str] = {
    common_pb2.COLOUR_GREEN: "green",
    common_pb2.COLOUR_YELLOW: "yellow",
    common_pb2.COLOUR_RED: "red",
}
ORG_TYPES: dict[int, str] = {
    intake_pb2.ORGANISATION_TYPE_PUBLIC: "public",
    intake_pb2.ORGANISATION_TYPE_PRIVATE: "private",
}
TARGET_GROUPS = {"citizens", "health_personnel", "authorities"}
MAX_KEY = 200


def _receipt(view: ReceiptView) -> common_pb2.Receipt:
    return common_pb2.Receipt(
        receipt_id=view.receipt_id,
        received_at=view.received_at.isoformat(),
        subject_id=view.subject_id,
        replayed=view.replayed,
    )


def _key(value: str, v: Violations) -> str:
    if len(value) > MAX_KEY:
        v.add("idempotency_key", f"is longer than {MAX_KEY} characters")
    return value


def _colour(value: int, field: str, v: Violations) -> str | None:
    if value == common_pb2.COLOUR_UNSPECIFIED:
        return None
    if value not in COLOURS:
        v.add(field, f"unknown colour {value}; use GREEN, YELLOW or RED")
        return None
    return COLOURS[value]


SEGMENTS: dict[int, str] = {
    common_pb2.SEGMENT_SAMSTYRE: "samstyre",
    common_pb2.SEGMENT_KOORDINERE: "koordinere",
    common_pb2.SEGMENT_OBSERVERE: "observere",
    common_pb2.SEGMENT_INSPIRERE: "inspirere",
}
CRITERIA = {"digitalisation", "several_actors", "reuse_or_national"}
MAX_LINES = 100


def _year(value: int, field: str, v: Violations) -> int:
    if not 1900 <= value <= 2200:
        v.add(field, f"must be a year, got {value}")
    return value


def _planned_budget(lines: Any, v: Violations) -> list[dict[str, Any]]:
    budget: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    if len(lines) > MAX_LINES:
        v.add("budget", f"has more than {MAX_LINES} lines")
    for i, line in enumerate(lines[:MAX_LINES]):
        _year(line.year, f"budget[{i}].year", v)
        funder = check.text(line.funder, f"budget[{i}].funder", v, max_len=200)
        if line.amount_nok < 0:
            v.add(f"budget[{i}].amount_nok", "must not be negative")
        if (line.year, funder) in seen:
            v.add(f"budget[{i}]", f"year {line.year} from {funder or 'the agency'} is given twice")
        seen.add((line.year, funder))
        budget.append({"year": line.year, "funder": funder, "amount_nok": line.amount_nok})
    return budget


def _checklist(answers: Any, v: Violations) -> list[dict[str, Any]]:
    checklist: list[dict[str, Any]] = []
    seen: set[str] = set()
    for i, answer in enumerate(check.items(answers, "checklist", v, max_items=MAX_LINES)):
        if answer.criterion not in CRITERIA:
            v.add(
                f"checklist[{i}].criterion",
                f"unknown criterion {answer.criterion[:40]!r}; use " + ", ".join(sorted(CRITERIA)),
            )
        elif answer.criterion in seen:
            v.add(f"checklist[{i}].criterion", f"{answer.criterion} is answered twice")
        seen.add(answer.criterion)
        checklist.append(
            {
                "criterion": answer.criterion,
                "answer": answer.answer,
                "justification": check.text(
                    answer.justification, f"checklist[{i}].justification", v
                ),
            }
        )
    return checklist


def measure_command(req: intake_pb2.SubmitMeasureRequest) -> SubmitMeasure:
    v = Violations()
    _key(req.idempotency_key, v)
    if req.measure_id < 0:
        v.add("measure_id", "must be a positive number, or 0 for a new measure")
    start = check.period(req.planned_start, "planned_start", v, required=False)
    end = check.period(req.planned_end, "planned_end", v, required=False)
    if start and end and end < start:
        v.add("planned_end", "is before planned_start")
    since = check.period(req.in_portfolio_since, "in_portfolio_since", v, required=False)
    candidate_for = _year(req.candidate_for, "candidate_for", v) if req.candidate_for else None
    if since and candidate_for:
        v.add(
            "candidate_for",
            "a candidate is not in the portfolio yet; leave in_portfolio_since empty",
        )
    depends_on = list(check.items(req.depends_on, "depends_on", v, max_items=MAX_LINES))
    for i, other in enumerate(depends_on):
        if other <= 0:
            v.add(f"depends_on[{i}]", "must be a portfolio id")
        elif other == req.measure_id:
            v.add(f"depends_on[{i}]", "a measure cannot depend on itself")
    proposed: str | None = None
    if req.proposed_segment != common_pb2.SEGMENT_UNSPECIFIED:
        proposed = SEGMENTS.get(req.proposed_segment)
        if proposed is None:
            v.add("proposed_segment", f"unknown segment {req.proposed_segment}")
    if req.operating_cost_nok_per_year < 0:
        v.add("operating_cost_nok_per_year", "must not be negative")
    cmd = SubmitMeasure(
        measure_id=req.measure_id,
        name=check.text(req.name, "name", v, required=True, max_len=500),
        description=check.text(req.description, "description", v),
        responsible_agency=check.text(
            req.responsible_agency, "responsible_agency", v, required=True, max_len=200
        ),
        owner=check.text(req.owner, "owner", v, max_len=500),
        strategic_area=check.text(req.strategic_area, "strategic_area", v, max_len=500),
        in_portfolio_since=since,
        planned_start=start,
        planned_end=end,
        budget=_planned_budget(req.budget, v),
        depends_on=sorted(set(depends_on)),
        checklist=_checklist(req.checklist, v),
        proposed_segment=proposed,
        operating_cost_nok_per_year=req.operating_cost_nok_per_year,
        candidate_for=candidate_for,
        reported_at=check.timestamp(req.reported_at, "reported_at", v),
    )
    v.raise_if_any()
    return cmd


def status_report_command(req: intake_pb2.SubmitStatusReportRequest) -> SubmitStatusReport:
    v = Violations()
    _key(req.idempotency_key, v)
    budget: list[dict[str, int]] = []
    years: set[int] = set()
    if len(req.budget) > 50:
        v.add("budget", "has more than 50 lines")
    for i, line in enumerate(req.budget[:50]):
        if not 1900 <= line.year <= 2200:
            v.add(f"budget[{i}].year", f"must be a year, got {line.year}")
        elif line.year in years:
            v.add(f"budget[{i}].year", f"year {line.year} is given twice")
        if line.amount_nok < 0:
            v.add(f"budget[{i}].amount_nok", "must not be negative")
        years.add(line.year)
        budget.append({"year": line.year, "amount_nok": line.amount_nok})
    cmd = SubmitStatusReport(
        measure_id=check.positive(req.measure_id, "measure_id", v),
        period=check.period(req.period, "period", v) or "",
        status=_colour(req.status, "status", v),
        risk=_colour(req.risk, "risk", v),
        budget=budget,
        explanation=check.text(req.explanation, "explanation", v),
        historical=req.historical_import,
        progress=check.text(req.progress, "progress", v),
        obstacles=check.text(req.obstacles, "obstacles", v),
        experiences=check.text(req.experiences, "experiences", v),
        dependency_notes=check.text(req.dependency_notes, "dependency_notes", v),
        reported_at=check.timestamp(req.reported_at, "reported_at", v),
    )
    if "red" in (cmd.status, cmd.risk) and not cmd.explanation and not cmd.historical:
        v.add("explanation", "is required when status or risk is red")
    v.raise_if_any()
    return cmd


def proposal_command(req: intake_pb2.SubmitProposalRequest) -> SubmitProposal:
    v = Violations()
    _key(req.idempotency_key, v)
    org_type: str | None = None
    if req.organisation_type != intake_pb2.ORGANISATION_TYPE_UNSPECIFIED:
        org_type = ORG_TYPES.get(req.organisation_type)
        if org_type is None:
            v.add("organisation_type", f"unknown organisation type {req.organisation_type}")
    groups = []
    for i, group in enumerate(check.items(req.target_groups, "target_groups", v, max_items=10)):
        if group not in TARGET_GROUPS:
            v.add(
                f"target_groups[{i}]",
                f"unknown target group {group[:40]!r}; use " + ", ".join(sorted(TARGET_GROUPS)),
            )
        groups.append(group)
    cmd = SubmitProposal(
        title=check.text(req.title, "title", v, required=True, max_len=500),
        description=check.text(req.description, "description", v),
        proposer=check.text(req.proposer, "proposer", v, max_len=500),
        organisation=check.text(req.organisation, "organisation", v, max_len=500),
        organisation_type=org_type,
        contact=check.text(req.contact, "contact", v, max_len=500),
        need=check.text(req.need, "need", v),
        target_groups=groups,
        category_code=check.text(req.category_code, "category_code", v, max_len=10),
        received_at=check.timestamp(req.received_at, "received_at", v),
    )
    v.raise_if_any()
    return cmd


class IntakeServicer(intake_pb2_grpc.IntakeServiceServicer):
    """Thin: validate, call the application in a worker thread, answer with the receipt."""

    def __init__(self, app: IntakeApplication) -> None:
        self.app = app

    async def SubmitMeasure(  # noqa: N802 - gRPC method name
        self, request: intake_pb2.SubmitMeasureRequest, context: Any
    ) -> common_pb2.Receipt:
        cmd = measure_command(request)
        view = await asyncio.to_thread(self.app.submit_measure, cmd, request.idempotency_key)
        return _receipt(view)

    async def SubmitStatusReport(  # noqa: N802
        self, request: intake_pb2.SubmitStatusReportRequest, context: Any
    ) -> common_pb2.Receipt:
        cmd = status_report_command(request)
        view = await asyncio.to_thread(self.app.submit_status_report, cmd, request.idempotency_key)
        return _receipt(view)

    async def SubmitProposal(  # noqa: N802
        self, request: intake_pb2.SubmitProposalRequest, context: Any
    ) -> common_pb2.Receipt:
        cmd = proposal_command(request)
        view = await asyncio.to_thread(self.app.submit_proposal, cmd, request.idempotency_key)
        return _receipt(view)
