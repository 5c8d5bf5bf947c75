"""The reporting calendar (``reporting.v1.Calendar``) as JSON data and as a table."""

from __future__ import annotations

from typing import Any

from portfolio_cli.measure_text import yes_no
from report_views.segment_names import segment_json, segment_label
from report_views.tables import clip, render_table

NAME_WIDTH = 50


def calendar_json(calendar: Any) -> dict[str, Any]:
    """``{"period", "due": [{"measure_id", "name", "responsible_agency", "segment",
    "deadline", "reported", "overdue"}]}``."""
    return {
        "period": str(calendar.period),
        "due": [
            {
                "measure_id": int(e.measure_id),
                "name": str(e.name),
                "responsible_agency": str(e.responsible_agency),
                "segment": segment_json(e.segment),
                "deadline": str(e.deadline) or None,
                "reported": bool(e.reported),
                "overdue": bool(e.overdue),
            }
            for e in calendar.due
        ],
    }


def calendar_text(calendar: Any) -> str:
    """Who owes a report for the period, by when, and who is late."""
    rows = [
        [
            str(e.measure_id),
            clip(str(e.name), NAME_WIDTH),
            str(e.responsible_agency),
            segment_label(e.segment),
            str(e.deadline) or "-",
            yes_no(e.reported),
            yes_no(e.overdue),
        ]
        for e in calendar.due
    ]
    overdue = sum(1 for e in calendar.due if e.overdue)
    reported = sum(1 for e in calendar.due if e.reported)
    headers = [
        "Nr",
        "Tiltak",
        "Ansvarlig virksomhet",
        "Segment",
        "Frist",
        "Rapportert",
        "Forsinket",
    ]
    return "\n".join(
        [
            f"Rapporteringskalender {calendar.period}",
            f"Skal rapportere: {len(rows)}, har rapportert: {reported}, forsinket: {overdue}",
            "",
            render_table(headers, rows, right=(0,)),
        ]
    )
