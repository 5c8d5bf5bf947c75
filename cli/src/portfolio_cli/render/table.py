"""Reports as plain-text tables for the terminal (``--format table``), bokmål headings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from portfolio_cli.colours import Colour, norwegian
from portfolio_cli.render import nb
from portfolio_cli.render.view import ColourCounts, KoronaView, PortfolioView
from portfolio_cli.tables import clip, render_table

NAME_WIDTH = 50


def _figure(value: float) -> str:
    return nb.number(value).replace(nb.NBSP, " ")


def _counts_line(label: str, counts: ColourCounts) -> str:
    colours: list[Colour | None] = [Colour.GREEN, Colour.YELLOW, Colour.RED, None]
    parts = [f"{norwegian(c)} {counts.of(c)}" for c in colours]
    return f"{label}: " + ", ".join(parts)


def portfolio_table(data: Mapping[str, Any]) -> str:
    """Totals, colour counts, one line per measure, one per agency, one per segment."""
    view = PortfolioView.from_json(data)
    measures = [
        [
            str(m.measure_id),
            clip(m.name, NAME_WIDTH),
            m.agency,
            norwegian(m.status),
            norwegian(m.risk),
            _figure(m.budget_mnok) if m.reported else "-",
            m.segment_label,
        ]
        for m in view.measures
    ]
    agencies = [[a.label, str(a.measures), _figure(a.budget_mnok)] for a in view.agencies]
    segments = [[s.label, str(s.measures), _figure(s.budget_mnok)] for s in view.segments]
    parts = [
        f"Porteføljerapport {view.period}",
        *([f"Per {nb.moment(view.as_of)}"] if view.as_of else []),
        f"Antall tiltak: {view.measure_count}",
        f"Budsjett: {_figure(view.budget_total_mnok)} MNOK",
        _counts_line("Status", view.status),
        _counts_line("Risiko", view.risk),
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


def korona_table(data: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Proposals in total and per category (with the categories' names when known)."""
    view = KoronaView.from_json(data, names)
    named = any(c.name for c in view.categories)
    if named:
        headers = ["Kode", "Kategori", "Forslag"]
        rows = [[c.code, c.name, str(c.proposals)] for c in view.categories]
    else:
        headers = ["Kategori", "Forslag"]
        rows = [[c.code, str(c.proposals)] for c in view.categories]
    return "\n".join(
        [
            f"Koronaforslag: {view.total}",
            *([f"Per {nb.moment(view.as_of)}"] if view.as_of else []),
            "",
            render_table(headers, rows, right=(len(headers) - 1,)),
        ]
    )
