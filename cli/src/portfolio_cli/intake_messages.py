"""The intake requests an imported row becomes, with their idempotency keys and caller metadata."""

from __future__ import annotations

import calendar

from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.intake.v1 import intake_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.rpc import Metadata, header_value
from portfolio_cli.tsv import MeasureRow
from report_views.colours import Colour

CLI_USER = "portfolio-cli"
CLI_ROLE = "agency"
KEY_HASH_LENGTH = 16

_COLOURS = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    Colour.GREEN: common_pb2.COLOUR_GREEN,
    Colour.YELLOW: common_pb2.COLOUR_YELLOW,
    Colour.RED: common_pb2.COLOUR_RED,
}


def measure_key(row: MeasureRow, period: str) -> str:
    """Idempotency key of the row's SubmitMeasure: one per measure and imported period,
    so importing a later period meets ALREADY_EXISTS rather than a reused key."""
    return f"import-measure:{period}:{row.measure_id}"


def report_key(row: MeasureRow, period: str) -> str:
    """Idempotency key of the row's SubmitStatusReport: the same row gives the same key,
    a corrected row a new one."""
    return f"import-report:{period}:{row.measure_id}:{row.fingerprint()[:KEY_HASH_LENGTH]}"


def measure_request(row: MeasureRow, period: str) -> intake_pb2.SubmitMeasureRequest:
    """SubmitMeasure for the row's measure, in the portfolio since ``period``."""
    return intake_pb2.SubmitMeasureRequest(
        idempotency_key=measure_key(row, period),
        measure_id=row.measure_id,
        name=row.name,
        responsible_agency=row.responsible_agency,
        owner=row.owner,
        strategic_area=row.strategic_area,
        in_portfolio_since=period,
        reported_at=historical_time(period),
    )


def report_request(row: MeasureRow, period: str) -> intake_pb2.SubmitStatusReportRequest:
    """SubmitStatusReport with the row's status, risk and budget figures for ``period``.

    A portfolio table is historical and carries no explanations, so a red colour
    without one is flagged by the servers rather than refused.
    """
    return intake_pb2.SubmitStatusReportRequest(
        historical_import=True,
        reported_at=historical_time(period),
        idempotency_key=report_key(row, period),
        measure_id=row.measure_id,
        period=period,
        status=_COLOURS[row.status],
        risk=_COLOURS[row.risk],
        budget=[
            common_pb2.BudgetLine(year=figure.year, amount_nok=figure.amount_nok)
            for figure in row.budget
        ],
    )


def caller_metadata(agency: str, correlation_id: str, role: str = CLI_ROLE) -> Metadata:
    """Who calls: an agency (percent-encoded when not plain ASCII) in a role, the CLI user."""
    return (
        ("x-agency", header_value(agency)),
        ("x-user", CLI_USER),
        ("x-role", role),
        ("x-correlation-id", correlation_id),
    )


def historical_time(period: str) -> str:
    """When a historical table's figures held: the last day of its period, at noon UTC."""
    year, month = int(period[:4]), int(period[5:7])
    last_day = calendar.monthrange(year, month)[1]
    return f"{period}-{last_day:02d}T12:00:00+00:00"


def status_report_request(
    *,
    measure_id: int,
    period: str,
    status: Colour,
    risk: Colour,
    explanation: str = "",
    budget_nok: int | None = None,
    budget_year: int | None = None,
    idempotency_key: str,
    notes: dict[str, str] | None = None,
) -> intake_pb2.SubmitStatusReportRequest:
    """A status report an agency sends for ``period`` (not a historical import); the
    budget figure, if any, is for ``budget_year``, by default the period's year. ``notes``:
    progress, obstacles, experiences, dependency_notes, as the segment's focus asks."""
    budget = []
    if budget_nok is not None:
        year = budget_year if budget_year is not None else int(period[:4])
        budget.append(common_pb2.BudgetLine(year=year, amount_nok=budget_nok))
    return intake_pb2.SubmitStatusReportRequest(
        idempotency_key=idempotency_key,
        measure_id=measure_id,
        period=period,
        status=_COLOURS[status],
        risk=_COLOURS[risk],
        budget=budget,
        explanation=explanation,
        progress=(notes or {}).get("progress", ""),
        obstacles=(notes or {}).get("obstacles", ""),
        experiences=(notes or {}).get("experiences", ""),
        dependency_notes=(notes or {}).get("dependency_notes", ""),
    )
