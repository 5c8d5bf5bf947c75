"""KoronaService's answers as JSON-ready data: English keys, enums by lowercase English
name (null when unspecified), empty texts as null, money in million NOK beside whole NOK."""

from __future__ import annotations

from typing import Any

from portfolio_cli.import_views import errors_json
from portfolio_cli.korona_import import NetListImportOutcome, ProposalImportOutcome
from portfolio_cli.korona_values import (
    criterion_name,
    decision_name,
    implementation_name,
    recommendation_name,
    state_name,
)
from portfolio_cli.measure_json import text_or_none
from report_views.money import mnok_number


def money_json(prefix: str, nok: int) -> dict[str, Any]:
    """``{"<prefix>_mnok": 1.5, "<prefix>_nok": 1500000}``."""
    return {f"{prefix}_mnok": mnok_number(int(nok)), f"{prefix}_nok": int(nok)}


def funding_json(funding: Any) -> dict[str, Any]:
    """Allocated, committed and paid."""
    return {
        **money_json("allocated", funding.allocated_nok),
        **money_json("committed", funding.committed_nok),
        **money_json("paid", funding.paid_nok),
    }


def similar_json(similar: Any) -> dict[str, Any]:
    """An earlier proposal, a national-portfolio measure or a net-list measure like it."""
    return {
        "key": str(similar.key),
        "kind": str(similar.kind),
        "title": str(similar.title),
        "score": round(float(similar.score), 3),
    }


def assessment_json(proposal: Any) -> dict[str, Any] | None:
    """The working group's assessment, or None when there is none."""
    if not proposal.HasField("assessment"):
        return None
    assessment = proposal.assessment
    return {
        "criteria": [
            {
                "criterion": criterion_name(a.criterion),
                "met": bool(a.met),
                "reason": str(a.reason),
            }
            for a in assessment.criteria
        ],
        "recommendation": recommendation_name(assessment.recommendation),
        "note": text_or_none(assessment.note),
        "working_group": text_or_none(assessment.working_group),
        "assessed_at": text_or_none(assessment.assessed_at),
        "assessed_by": text_or_none(assessment.assessed_by),
    }


def decision_json(proposal: Any) -> dict[str, Any] | None:
    """The prioritisation board's decision, or None."""
    if not proposal.HasField("decision"):
        return None
    decision = proposal.decision
    return {
        "decision": decision_name(decision.decision),
        "reason": text_or_none(decision.reason),
        "reference": text_or_none(decision.reference),
        "decided_at": text_or_none(decision.decided_at),
    }


def net_list_json(proposal: Any) -> dict[str, Any] | None:
    """Its place on the net list once prioritised, or None."""
    if not proposal.HasField("net_list"):
        return None
    entry = proposal.net_list
    return {
        "responsible_agency": text_or_none(entry.responsible_agency),
        "implementation_status": implementation_name(entry.implementation_status),
        "status_since": text_or_none(entry.status_since),
        "note": text_or_none(entry.note),
    }


def proposal_json(proposal: Any) -> dict[str, Any]:
    """Everything korona shows of the proposal."""
    return {
        "proposal_id": str(proposal.proposal_id),
        "title": str(proposal.title),
        "description": text_or_none(proposal.description),
        "proposer": text_or_none(proposal.proposer),
        "organisation": text_or_none(proposal.organisation),
        "organisation_type": text_or_none(proposal.organisation_type),
        "contact": text_or_none(proposal.contact),
        "need": text_or_none(proposal.need),
        "category_code": text_or_none(proposal.category_code),
        "category_name": text_or_none(proposal.category_name),
        "target_groups": [str(g) for g in proposal.target_groups],
        "received_at": text_or_none(proposal.received_at),
        "state": state_name(proposal.state),
        "working_group": text_or_none(proposal.working_group),
        "overlaps": [similar_json(s) for s in proposal.overlaps],
        "assessment": assessment_json(proposal),
        "decision": decision_json(proposal),
        "feedback": [
            {"kind": str(f.kind), "text": text_or_none(f.text), "sent_at": text_or_none(f.sent_at)}
            for f in proposal.feedback
        ],
        "net_list": net_list_json(proposal),
        "funding": funding_json(proposal.funding) if proposal.HasField("funding") else None,
        "promoted": bool(proposal.promoted),
        "version": int(proposal.version),
    }


def summary_json(summary: Any) -> dict[str, Any]:
    """One line of a proposal list."""
    return {
        "proposal_id": str(summary.proposal_id),
        "title": str(summary.title),
        "organisation": text_or_none(summary.organisation),
        "category_code": text_or_none(summary.category_code),
        "category_name": text_or_none(summary.category_name),
        "state": state_name(summary.state),
        "working_group": text_or_none(summary.working_group),
        "received_at": text_or_none(summary.received_at),
        "overlaps": int(summary.overlaps),
    }


def proposals_json(summaries: list[Any], total: int) -> dict[str, Any]:
    """``{"total", "proposals": [...]}``: every page of a list."""
    return {"total": int(total), "proposals": [summary_json(s) for s in summaries]}


def categories_json(answer: Any) -> dict[str, Any]:
    """``{"categories": [{"code", "name", "working_group"}]}``."""
    return {
        "categories": [
            {
                "code": str(c.code),
                "name": str(c.name),
                "working_group": text_or_none(c.working_group),
            }
            for c in answer.categories
        ]
    }


def similar_list_json(text: str, answer: Any) -> dict[str, Any]:
    """``{"text", "matches": [...]}``."""
    return {"text": text, "matches": [similar_json(s) for s in answer.matches]}


def bulk_json(result: Any) -> dict[str, Any]:
    """``{"changed": [...], "unchanged": [...]}`` of a bulk command."""
    return {
        "changed": [str(i) for i in result.changed],
        "unchanged": [str(i) for i in result.unchanged],
    }


def netlist_json(net_list: Any) -> dict[str, Any]:
    """``{"measures": [...]}``: the prioritised measures and how far each has come."""
    return {
        "measures": [
            {
                "proposal_id": str(m.proposal_id),
                "title": str(m.title),
                "responsible_agency": text_or_none(m.responsible_agency),
                "implementation_status": implementation_name(m.implementation_status),
                "funding": funding_json(m.funding),
                "promoted": bool(m.promoted),
            }
            for m in net_list.measures
        ]
    }


def envelope_json(envelope: Any, idempotency_key: str | None = None) -> dict[str, Any]:
    """The funding envelope; after a change, the key that change was sent with."""
    data: dict[str, Any] = {
        "name": str(envelope.name),
        **money_json("total", envelope.total_nok),
        **money_json("allocated", envelope.allocated_nok),
        **money_json("committed", envelope.committed_nok),
        **money_json("paid", envelope.paid_nok),
        **money_json("left", envelope.left_nok),
        "lines": [
            {
                "proposal_id": str(line.proposal_id),
                "title": str(line.title),
                **funding_json(line.funding),
            }
            for line in envelope.lines
        ],
        "version": int(envelope.version),
    }
    if idempotency_key is not None:
        data["idempotency_key"] = idempotency_key
    return data


def proposal_import_json(outcome: ProposalImportOutcome) -> dict[str, Any]:
    """How a proposals import went: counts, each proposal taken, each row refused."""
    return {
        "file": str(outcome.file),
        "rows": outcome.row_count,
        "taken": len(outcome.taken),
        "new": outcome.new,
        "replayed": outcome.replayed,
        "refused": outcome.refused,
        "categories_from": outcome.categories_from or None,
        "waited": outcome.waited,
        "problem": outcome.problem,
        "proposals": [
            {
                "line": t.row.line,
                "proposal_id": t.proposal_id,
                "receipt_id": t.receipt_id,
                "replayed": t.replayed,
                "title": t.row.title,
                "category_code": t.row.category_code or None,
                "received_at": t.row.received_at.isoformat(),
            }
            for t in outcome.taken
        ],
        "errors": errors_json(outcome.errors),
    }


def netlist_import_json(outcome: NetListImportOutcome) -> dict[str, Any]:
    """How a net-list import went."""
    return {
        "file": str(outcome.file),
        "rows": outcome.row_count,
        "on_net_list": len(outcome.added),
        "new": outcome.new,
        "refused": outcome.refused,
        "problem": outcome.problem,
        "measures": [
            {
                "line": a.row.line,
                "proposal_id": a.proposal_id or None,
                "title": a.row.title,
                "status": a.row.status,
                "new": a.new,
            }
            for a in outcome.added
        ],
        "errors": errors_json(outcome.errors),
    }
