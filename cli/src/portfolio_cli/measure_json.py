"""A measure (``assessment.v1.Measure``) as JSON-ready data: English keys, colours and
segments by lowercase name (null when none), empty texts as null, money in million NOK."""

from __future__ import annotations

from typing import Any

from report_views.money import mnok_number
from report_views.report_json import colour_of
from report_views.segment_names import segment_json


def text_or_none(value: str) -> str | None:
    """``value``, or None when empty (proto3 has no "absent" for strings)."""
    return str(value) or None


def _colour(value: int) -> str | None:
    colour = colour_of(value)
    return colour.value if colour else None


def assessment_json(measure: Any) -> dict[str, Any] | None:
    """The office's assessment, or None when the measure has not been assessed."""
    if not measure.HasField("assessment") or not measure.assessment.criteria_version:
        return None
    assessment = measure.assessment
    return {
        "criteria_version": str(assessment.criteria_version),
        "all_met": bool(assessment.all_met),
        "results": [
            {"criterion": str(r.criterion), "met": bool(r.met), "reason": str(r.reason)}
            for r in assessment.results
        ],
    }


def status_report_json(report: Any) -> dict[str, Any]:
    """One status report of the measure."""
    return {
        "period": str(report.period),
        "status": _colour(report.status),
        "risk": _colour(report.risk),
        "budget": [
            {
                "year": int(line.year),
                "amount_mnok": mnok_number(line.amount_nok),
                "amount_nok": int(line.amount_nok),
            }
            for line in report.budget
        ],
        "explanation": text_or_none(report.explanation),
        "explanation_missing": bool(report.explanation_missing),
        "correction": bool(report.correction),
        "receipt_id": text_or_none(report.receipt_id),
        "progress": text_or_none(report.progress),
        "obstacles": text_or_none(report.obstacles),
        "experiences": text_or_none(report.experiences),
        "dependency_notes": text_or_none(report.dependency_notes),
        "missing_focus": list(report.missing_focus),
    }


def measure_json(measure: Any) -> dict[str, Any]:
    """Everything assessment knows about the measure."""
    return {
        "measure_id": int(measure.measure_id),
        "name": str(measure.name),
        "description": text_or_none(measure.description),
        "responsible_agency": str(measure.responsible_agency),
        "owner": text_or_none(measure.owner),
        "strategic_area": text_or_none(measure.strategic_area),
        "lifecycle": text_or_none(measure.lifecycle),
        "segment": segment_json(measure.segment),
        "proposed_segment": segment_json(measure.proposed_segment),
        "candidate_for": int(measure.candidate_for) or None,
        "in_portfolio_since": text_or_none(measure.in_portfolio_since),
        "left_after": text_or_none(measure.left_after),
        "way_forward": text_or_none(measure.way_forward),
        "rejection_reason": text_or_none(measure.rejection_reason),
        "planned_start": text_or_none(measure.planned_start),
        "planned_end": text_or_none(measure.planned_end),
        "planned_budget": [
            {
                "year": int(line.year),
                "funder": text_or_none(line.funder),
                "amount_mnok": mnok_number(line.amount_nok),
                "amount_nok": int(line.amount_nok),
            }
            for line in measure.planned_budget
        ],
        "operating_cost_mnok_per_year": mnok_number(measure.operating_cost_nok_per_year),
        "checklist": [
            {
                "criterion": str(a.criterion),
                "answer": bool(a.answer),
                "justification": str(a.justification),
            }
            for a in measure.checklist
        ],
        "assessment": assessment_json(measure),
        "status_reports": [status_report_json(r) for r in measure.status_reports],
        "refused_reports": [
            {"period": r.period, "receipt_id": r.receipt_id, "reason": r.reason}
            for r in measure.refused_reports
        ],
        "reminders": [
            {"period": r.period, "deadline": r.deadline, "kind": r.kind} for r in measure.reminders
        ],
        "depends_on": [int(d) for d in measure.depends_on],
        "version": int(measure.version),
    }


def receipt_json(receipt: Any) -> dict[str, Any]:
    """An intake receipt."""
    return {
        "receipt_id": str(receipt.receipt_id),
        "received_at": text_or_none(receipt.received_at),
        "subject_id": text_or_none(receipt.subject_id),
        "replayed": bool(receipt.replayed),
    }
