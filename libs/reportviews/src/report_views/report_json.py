"""Reports from the reporting service as plain JSON-ready data."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]
from report_views.colours import Colour
from report_views.money import mnok_number
from report_views.segment_names import segment_json

_COLOURS: dict[int, Colour] = {
    int(common_pb2.COLOUR_GREEN): Colour.GREEN,
    int(common_pb2.COLOUR_YELLOW): Colour.YELLOW,
    int(common_pb2.COLOUR_RED): Colour.RED,
}


def colour_of(value: int) -> Colour | None:
    """The colour of a ``common.v1.Colour`` value; None for unspecified (not reported)."""
    return _COLOURS.get(int(value))


def _colour_name(value: int) -> str | None:
    colour = colour_of(value)
    return colour.value if colour else None


def _counts(counts: Any) -> dict[str, int]:
    return {
        "green": int(counts.green),
        "yellow": int(counts.yellow),
        "red": int(counts.red),
        "unreported": int(counts.unreported),
    }


def _as_of(report: Any) -> str | None:
    """The moment a report is for (RFC 3339), null for now (or a server that does not say)."""
    return str(getattr(report, "as_of", "")) or None


def _previous(report: Any) -> dict[str, Any] | None:
    """The previous period's figures, or None when the report has none (the first period)."""
    if not report.HasField("previous"):
        return None
    previous = report.previous
    return {
        "period": str(previous.period),
        "measure_count": int(previous.measure_count),
        "budget_total_mnok": mnok_number(previous.budget_total_nok),
        "budget_total_nok": int(previous.budget_total_nok),
        "status": _counts(previous.status),
        "risk": _counts(previous.risk),
    }


def _change(line: Any) -> dict[str, Any]:
    return {
        "measure_id": int(line.measure_id),
        "name": str(line.name),
        "responsible_agency": str(line.responsible_agency),
        "period": str(line.period),
        "lifecycle": str(line.lifecycle) or None,
        "way_forward": str(line.way_forward) or None,
        "budget_mnok": mnok_number(line.budget_nok),
        "budget_nok": int(line.budget_nok),
    }


def portfolio_json(report: Any) -> dict[str, Any]:
    """A ``reporting.v1.PortfolioReport`` as JSON data; colours are green/yellow/red/null,
    segments lowercase names or null (not placed), ``*_mnok`` values numbers in million NOK;
    a measure's ``explanation`` (of a red status or risk) is null when it gave none.

    ``previous`` holds the previous period's figures (null when there is none);
    ``entered``/``exited`` the measures that came and went since then (``lifecycle`` and
    ``way_forward`` null for those that came); ``candidates`` next year's candidates;
    ``by_strategic_area`` the budget per area this year and next; ``finishing_this_year``
    the measures planned to end in the period's year (``planned_end`` null when unknown)."""
    return {
        "period": str(report.period),
        "as_of": _as_of(report),
        "measure_count": int(report.measure_count),
        "budget_total_mnok": mnok_number(report.budget_total_nok),
        "budget_total_nok": int(report.budget_total_nok),
        "status": _counts(report.status),
        "risk": _counts(report.risk),
        "by_agency": [
            {
                "agency": str(line.agency),
                "measures": int(line.measures),
                "budget_mnok": mnok_number(line.budget_nok),
                "budget_nok": int(line.budget_nok),
            }
            for line in report.by_agency
        ],
        "by_segment": [
            {
                "segment": segment_json(line.segment),
                "measures": int(line.measures),
                "budget_mnok": mnok_number(line.budget_nok),
                "budget_nok": int(line.budget_nok),
                "reports_due": int(line.reports_due),
                "reports_overdue": int(line.reports_overdue),
            }
            for line in report.by_segment
        ],
        "measures": [
            {
                "measure_id": int(m.measure_id),
                "name": str(m.name),
                "responsible_agency": str(m.responsible_agency),
                "strategic_area": str(m.strategic_area),
                "status": _colour_name(m.status),
                "risk": _colour_name(m.risk),
                "budget_mnok": mnok_number(m.budget_nok),
                "reported": bool(m.reported),
                "segment": segment_json(m.segment),
                "explanation": str(m.explanation) or None,
            }
            for m in report.measures
        ],
        "previous": _previous(report),
        "entered": [_change(line) for line in report.entered],
        "exited": [_change(line) for line in report.exited],
        "candidates": [
            {
                "measure_id": int(c.measure_id),
                "name": str(c.name),
                "responsible_agency": str(c.responsible_agency),
                "strategic_area": str(c.strategic_area),
                "candidate_for": int(c.candidate_for) or None,
            }
            for c in report.candidates
        ],
        "by_strategic_area": [
            {
                "strategic_area": str(a.strategic_area),
                "measures": int(a.measures),
                "budget_mnok_this_year": mnok_number(a.budget_nok_this_year),
                "budget_mnok_next_year": mnok_number(a.budget_nok_next_year),
                "budget_nok_this_year": int(a.budget_nok_this_year),
                "budget_nok_next_year": int(a.budget_nok_next_year),
            }
            for a in report.by_strategic_area
        ],
        "finishing_this_year": [
            {
                "measure_id": int(f.measure_id),
                "name": str(f.name),
                "responsible_agency": str(f.responsible_agency),
                "planned_end": str(f.planned_end) or None,
            }
            for f in report.finishing_this_year
        ],
    }


def _funding(report: Any) -> dict[str, Any] | None:
    """The funding envelope's figures, or None from a server that does not send them."""
    if not report.HasField("funding"):
        return None
    f = report.funding
    figures = {
        "total": int(f.total_nok),
        "allocated": int(f.allocated_nok),
        "committed": int(f.committed_nok),
        "paid": int(f.paid_nok),
        "left": int(f.left_nok),
    }
    return {
        **{f"{key}_mnok": mnok_number(nok) for key, nok in figures.items()},
        **{f"{key}_nok": nok for key, nok in figures.items()},
    }


def _median_days(report: Any) -> float | None:
    """Days to the first feedback, to one decimal (half up); None when nobody had one (the
    service sends 0: an answer in no time at all does not happen)."""
    days = float(report.median_days_to_feedback)
    if not days:
        return None
    return float(Decimal(str(days)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def korona_json(report: Any) -> dict[str, Any]:
    """A ``reporting.v1.KoronaReport`` as JSON data.

    ``total`` and ``by_category`` (``code``, ``category``: its name or null, ``proposals``)
    count the proposals received by the moment, each in the category it had then;
    ``by_state`` counts them per state (all six, in order); ``net_list`` holds the
    prioritised measures with their ``implementation_status`` (planned, being_introduced,
    introduced, in_operation) and funding (``*_mnok`` in million NOK, ``*_nok`` in kroner);
    ``funding`` the envelope's total, allocated, committed, paid and left (null from a
    server that does not send it); ``awaiting_feedback`` the proposals without an answer
    beyond the acknowledgement, ``median_days_to_feedback`` the median days from receipt to
    that answer (null when none was given).
    """
    return {
        "total": int(report.total),
        "as_of": _as_of(report),
        "by_category": [
            {
                "code": str(line.code),
                "category": str(line.category) or None,
                "proposals": int(line.proposals),
            }
            for line in report.by_category
        ],
        "by_state": [
            {"state": str(line.state), "proposals": int(line.proposals)} for line in report.by_state
        ],
        "net_list": [
            {
                "proposal_id": str(m.proposal_id),
                "title": str(m.title),
                "responsible_agency": str(m.responsible_agency) or None,
                "implementation_status": str(m.implementation_status) or None,
                "category_code": str(m.category_code) or None,
                "allocated_mnok": mnok_number(m.allocated_nok),
                "committed_mnok": mnok_number(m.committed_nok),
                "paid_mnok": mnok_number(m.paid_nok),
                "allocated_nok": int(m.allocated_nok),
                "committed_nok": int(m.committed_nok),
                "paid_nok": int(m.paid_nok),
            }
            for m in report.net_list
        ],
        "funding": _funding(report),
        "awaiting_feedback": int(report.awaiting_feedback),
        "median_days_to_feedback": _median_days(report),
    }
