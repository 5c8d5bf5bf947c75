"""Reports as plain-text tables for the terminal (``--format table``), bokmål headings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from report_views.colours import Colour, norwegian
from report_views.render import nb
from report_views.render.view import ChangeItem, ColourCounts, KoronaView, PortfolioView
from report_views.tables import clip, render_table

NAME_WIDTH = 50


def _figure(value: float) -> str:
    return nb.number(value).replace(nb.NBSP, " ")


def _counts_line(label: str, counts: ColourCounts) -> str:
    colours: list[Colour | None] = [Colour.GREEN, Colour.YELLOW, Colour.RED, None]
    parts = [f"{norwegian(c)} {counts.of(c)}" for c in colours]
    return f"{label}: " + ", ".join(parts)


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + _figure(round(value, 3))


def _comparison(view: PortfolioView) -> list[str]:
    """ "Forrige periode 2020-01: 54 tiltak, budsjett 1 650 MNOK (endring -2 tiltak, -79 MNOK)"."""
    previous = view.previous
    if previous is None:
        return []
    was: list[str] = []
    change: list[str] = []
    if previous.measure_count is not None:
        was.append(f"{previous.measure_count} tiltak")
        change.append(f"{_signed(view.measure_count - previous.measure_count)} tiltak")
    if previous.budget_total_mnok is not None:
        was.append(f"budsjett {_figure(previous.budget_total_mnok)} MNOK")
        change.append(f"{_signed(view.budget_total_mnok - previous.budget_total_mnok)} MNOK")
    line = f"Forrige periode {previous.period}"
    if was:
        line += ": " + ", ".join(was) + f" (endring {', '.join(change)})"
    lines = [line]
    if previous.status:
        lines.append(_counts_line(f"Status {previous.period}", previous.status))
    if previous.risk:
        lines.append(_counts_line(f"Risiko {previous.period}", previous.risk))
    return lines


def _change_lines(title: str, items: Sequence[ChangeItem], left: bool) -> list[str]:
    lines = [f"{title} ({len(items)}):" if items else f"{title}: ingen"]
    for item in items:
        tail = item.way_forward_label if left else f"{_figure(item.budget_mnok)} MNOK"
        who = f", {item.agency}" if item.agency else ""
        lines.append(
            f"  {item.measure_id:>4}  {clip(item.name, NAME_WIDTH)}{who}"
            + (f" {nb.EN_DASH} {tail}" if tail else "")
        )
    return lines


def _changes(view: PortfolioView) -> list[str]:
    """What entered and left since the previous period, one line each; nothing from a server
    that does not tell."""
    if not view.knows_changes or not (view.entered or view.exited or view.previous):
        return []
    since = f" siden {view.previous.period}" if view.previous else ""
    lines = [
        "",
        *_change_lines(f"Nye tiltak{since}", view.entered, left=False),
        *_change_lines(f"Ut av porteføljen{since}", view.exited, left=True),
    ]
    if view.knows_outlook:
        year = nb.period_year(view.period)
        lines.append(
            f"Prosjektkandidater for {int(year) + 1 if year else 'neste år'}: "
            f"{len(view.candidates)}"
        )
        lines.append(f"Planlagt avsluttet{f' i {year}' if year else ''}: {len(view.finishing)}")
    return lines


def portfolio_table(data: Mapping[str, Any]) -> str:
    """Totals against the previous period, colour counts, what entered and left, one line
    per measure, one per agency, one per segment."""
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
    segment_headers = ["Segment", "Tiltak", "Budsjett (MNOK)"]
    segments = [[s.label, str(s.measures), _figure(s.budget_mnok)] for s in view.segments]
    if view.knows_reports_due:
        segment_headers += ["Rapporter", "Forsinket"]
        for row, s in zip(segments, view.segments, strict=True):
            row += [str(s.reports_due), str(s.reports_overdue)]
    parts = [
        f"Porteføljerapport {view.period}",
        *([f"Per {nb.moment(view.as_of)}"] if view.as_of else []),
        f"Antall tiltak: {view.measure_count}",
        f"Budsjett: {_figure(view.budget_total_mnok)} MNOK",
        _counts_line("Status", view.status),
        _counts_line("Risiko", view.risk),
        *_comparison(view),
        *_changes(view),
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
        render_table(segment_headers, segments, right=(1, 2, 3, 4)),
    ]
    return "\n".join(parts)


def _korona_sections(view: KoronaView) -> list[str]:
    """Per state, the net list, the envelope and the feedback figures; nothing from an older
    server that sends only the categories."""
    lines: list[str] = []
    if view.knows_path:
        states = [[s.label, str(s.proposals)] for s in view.states]
        lines += ["", render_table(["Behandlingsstatus", "Forslag"], states, right=(1,))]
        lines += ["", f"Nettoliste: {len(view.net_list)} prioriterte tiltak (midler i MNOK)"]
        if view.net_list:
            rows = [
                [
                    clip(m.title, NAME_WIDTH),
                    m.agency or "-",
                    m.status_label,
                    _figure(m.allocated_mnok),
                    _figure(m.committed_mnok),
                    _figure(m.paid_mnok),
                ]
                for m in view.net_list
            ]
            headers = ["Tiltak", "Ansvarlig virksomhet", "Status", "Tildelt", "Forpliktet"]
            lines.append(render_table([*headers, "Utbetalt"], rows, right=(3, 4, 5)))
    f = view.funding
    if f is not None:
        figures = [
            f"tildelt {_figure(f.allocated_mnok)}",
            f"forpliktet {_figure(f.committed_mnok)}",
            f"utbetalt {_figure(f.paid_mnok)}",
            f"gjenstående {_figure(f.left_mnok)} MNOK",
        ]
        lines += ["", f"Finansieringsramme: {_figure(f.total_mnok)} MNOK; " + ", ".join(figures)]
    if view.knows_path:
        median = view.median_days_to_feedback
        lines.append(
            f"Venter på tilbakemelding: {view.awaiting_feedback}"
            + (
                f"; median {_figure(round(median, 1))} dager til første tilbakemelding"
                if median is not None
                else ""
            )
        )
    return lines


def korona_table(data: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """Proposals in total and per category (with the categories' names when known), then
    per state, the net list, the funding envelope and the feedback figures."""
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
            *_korona_sections(view),
        ]
    )
