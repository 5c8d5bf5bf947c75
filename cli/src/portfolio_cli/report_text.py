"""Reports as readable tables with Norwegian (bokmål) headings."""

from __future__ import annotations

from typing import Any

from portfolio_cli.colours import Colour, norwegian
from portfolio_cli.money import format_mnok_nb
from portfolio_cli.report_json import colour_of
from portfolio_cli.segment_names import segment_label
from portfolio_cli.tables import clip, render_table

NAME_WIDTH = 50


def _counts_line(label: str, counts: Any) -> str:
    parts = [
        f"{norwegian(Colour.GREEN)} {counts.green}",
        f"{norwegian(Colour.YELLOW)} {counts.yellow}",
        f"{norwegian(Colour.RED)} {counts.red}",
        f"{norwegian(None)} {counts.unreported}",
    ]
    return f"{label}: " + ", ".join(parts)


def portfolio_text(report: Any) -> str:
    """The portfolio report: totals, colour counts, one line per measure, one per agency,
    one per segment."""
    measures = [
        [
            str(m.measure_id),
            clip(str(m.name), NAME_WIDTH),
            str(m.responsible_agency),
            norwegian(colour_of(m.status)),
            norwegian(colour_of(m.risk)),
            format_mnok_nb(m.budget_nok) if m.reported else "-",
            segment_label(m.segment),
        ]
        for m in report.measures
    ]
    agencies = [
        [str(a.agency), str(a.measures), format_mnok_nb(a.budget_nok)] for a in report.by_agency
    ]
    segments = [
        [segment_label(s.segment), str(s.measures), format_mnok_nb(s.budget_nok)]
        for s in report.by_segment
    ]
    parts = [
        f"Porteføljerapport {report.period}",
        f"Antall tiltak: {report.measure_count}",
        f"Budsjett: {format_mnok_nb(report.budget_total_nok)} MNOK",
        _counts_line("Status", report.status),
        _counts_line("Risiko", report.risk),
        "",
        render_table(
            [
                "Nr",
                "Tiltak",
                "Ansvarlig virksomhet",
                "Status",
                "Risiko",
                "Budsjett (MNOK)",
                "Segment",
            ],
            measures,
            right=(0, 5),
        ),
        "",
        render_table(["Ansvarlig virksomhet", "Tiltak", "Budsjett (MNOK)"], agencies, right=(1, 2)),
        "",
        render_table(["Segment", "Tiltak", "Budsjett (MNOK)"], segments, right=(1, 2)),
    ]
    return "\n".join(parts)


def korona_text(report: Any) -> str:
    """The corona report: proposals in total and per category."""
    rows = [[str(c.code), str(c.proposals)] for c in report.by_category]
    return "\n".join(
        [
            f"Koronaforslag: {report.total}",
            "",
            render_table(["Kategori", "Forslag"], rows, right=(1,)),
        ]
    )
