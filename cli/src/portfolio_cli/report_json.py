"""Reports from the reporting service as plain JSON-ready data."""

from __future__ import annotations

from typing import Any

from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.colours import Colour
from portfolio_cli.money import mnok_number
from portfolio_cli.segment_names import segment_json

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


def portfolio_json(report: Any) -> dict[str, Any]:
    """A ``reporting.v1.PortfolioReport`` as JSON data; colours are green/yellow/red/null,
    segments lowercase names or null (not placed), ``*_mnok`` values numbers in million NOK;
    a measure's ``explanation`` (of a red status or risk) is null when it gave none."""
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
    }


def korona_json(report: Any) -> dict[str, Any]:
    """A ``reporting.v1.KoronaReport`` as JSON data."""
    return {
        "total": int(report.total),
        "as_of": _as_of(report),
        "by_category": [
            {"code": str(line.code), "proposals": int(line.proposals)}
            for line in report.by_category
        ],
    }
