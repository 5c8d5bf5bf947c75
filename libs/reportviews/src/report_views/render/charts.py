"""The reports' charts, laid out once as simple shapes and drawn as SVG (HTML) or PDF.

A chart is a ``Scene``: rectangles, lines and text in points (1/72 inch), y growing
downwards as in SVG. ``svg.scene_svg`` and ``pdf_report`` draw the same scene, so the
HTML and PDF reports show the very same figures. Text is measured with Helvetica's
metrics (which Arial and Liberation Sans share), the font both outputs use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from reportlab.pdfbase.pdfmetrics import stringWidth

from report_views.colours import NORWEGIAN, NOT_REPORTED_NB, Colour
from report_views.render import nb, palette
from report_views.render.view import ColourCounts

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
WIDTH = 480.0
ELLIPSIS = "…"
Anchor = Literal["start", "middle", "end"]


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    fill: str


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 0.6


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    """The baseline."""
    text: str
    size: float = 8.0
    anchor: Anchor = "start"
    bold: bool = False
    fill: str = palette.INK


Shape = Rect | Line | Text


@dataclass(frozen=True)
class Scene:
    """A chart: its size in points, its shapes, and a one-line description for screen readers."""

    width: float
    height: float
    shapes: tuple[Shape, ...]
    description: str


@dataclass(frozen=True)
class Panel:
    """One column of bars in a bar chart: a title, a value per row, a colour."""

    title: str
    values: Sequence[float]
    colour: str
    share: float = 1.0
    """The panel's part of the width left after the row labels."""
    show: Callable[[float], str] = nb.number


def text_width(text: str, size: float, bold: bool = False) -> float:
    return float(stringWidth(text, FONT_BOLD if bold else FONT, size))


def fit(text: str, width: float, size: float, bold: bool = False) -> str:
    """``text``, cut with an ellipsis where it would be wider than ``width``."""
    if text_width(text, size, bold) <= width:
        return text
    while text and text_width(text + ELLIPSIS, size, bold) > width:
        text = text[:-1]
    return text.rstrip() + ELLIPSIS


def _baseline(top: float, height: float, size: float) -> float:
    """The baseline that centres text of ``size`` in a band from ``top`` of ``height``."""
    return top + height / 2 + size * 0.35


def bar_chart(
    labels: Sequence[str], panels: Sequence[Panel], description: str, width: float = WIDTH
) -> Scene:
    """Horizontal bars, one row per label, in one or more side-by-side panels.

    Each panel scales to its own largest value and writes each value after its bar.
    """
    size, row, bar, top, gap, value_room = 8.0, 17.0, 10.5, 20.0, 14.0, 30.0
    widest = max((text_width(t, size) for t in labels), default=0)
    label_width = min(widest + 12, width * (0.46 if len(panels) == 1 else 0.36))
    shapes: list[Shape] = []
    bottom = top + row * len(labels)
    room = width - label_width - gap * (len(panels) - 1)
    total_share = sum(p.share for p in panels) or 1.0
    for i, label in enumerate(labels):
        y = _baseline(top + i * row, row, size)
        shapes.append(Text(label_width - 8, y, fit(label, label_width - 10, size), size, "end"))
    x = label_width
    for panel in panels:
        panel_width = room * panel.share / total_share
        longest = max(panel.values, default=0) or 1
        scale = (panel_width - value_room) / longest
        shapes.append(Text(x, 11, fit(panel.title, panel_width, 8.5, True), 8.5, bold=True))
        for i, value in enumerate(panel.values):
            y = top + i * row + (row - bar) / 2
            length = max(value * scale, 0.0)
            if length > 0:
                shapes.append(Rect(x, y, length, bar, panel.colour))
            shapes.append(
                Text(x + length + 3, _baseline(y, bar, size), panel.show(value), size, "start")
            )
        shapes.append(Line(x, top - 2, x, bottom + 2, palette.MUTED, 0.7))
        x += panel_width + gap
    return Scene(width, bottom + 6, tuple(shapes), description)


def count_budget_chart(
    labels: Sequence[str],
    counts: Sequence[int],
    budgets: Sequence[float],
    year: str,
    description: str,
) -> Scene:
    """Measures and budget per group (agency, segment), as in the directorate's Figur 1."""
    budget_title = f"Budsjett {year} (MNOK)" if year else "Budsjett (MNOK)"
    return bar_chart(
        labels,
        [
            Panel("Antall tiltak", counts, palette.BAR_SECOND, share=0.34),
            Panel(budget_title, budgets, palette.BAR, share=0.66),
        ],
        description,
    )


def colour_chart(status: ColourCounts, risk: ColourCounts, width: float = WIDTH) -> Scene:
    """Status and risk as two bars split by colour, with counts and shares, and a legend."""
    colours: tuple[Colour | None, ...] = (Colour.GREEN, Colour.YELLOW, Colour.RED, None)
    size, label_width, bar, gap, top = 8.0, 52.0, 24.0, 12.0, 4.0
    shapes: list[Shape] = []
    length = width - label_width - 4
    for i, (name, counts) in enumerate((("Status", status), ("Risiko", risk))):
        y = top + i * (bar + gap)
        shapes.append(Text(label_width - 8, _baseline(y, bar, 9), name, 9, "end", bold=True))
        x = label_width
        for colour in colours:
            count = counts.of(colour)
            if not count or not counts.total:
                continue
            part = length * count / counts.total
            shapes.append(Rect(x, y, part, bar, palette.solid(colour)))
            label = f"{count} ({nb.percent(count, counts.total)})"
            if text_width(label, size, True) + 6 > part:
                label = str(count)
            if text_width(label, size, True) + 4 <= part:
                shapes.append(
                    Text(
                        x + part / 2,
                        _baseline(y, bar, size),
                        label,
                        size,
                        "middle",
                        bold=True,
                        fill=palette.text_on(colour),
                    )
                )
            x += part
    legend_y = top + 2 * (bar + gap) + 2
    x = label_width
    for colour in colours:
        name = NORWEGIAN[colour] if colour else NOT_REPORTED_NB
        shapes.append(Rect(x, legend_y, 9, 9, palette.solid(colour)))
        shapes.append(Text(x + 13, legend_y + 8, name, size))
        x += 13 + text_width(name, size) + 18
    description = (
        f"Status: {status.green} grønn, {status.yellow} gul, {status.red} rød, "
        f"{status.unreported} ikke rapportert. Risiko: {risk.green} grønn, {risk.yellow} gul, "
        f"{risk.red} rød, {risk.unreported} ikke rapportert."
    )
    return Scene(width, legend_y + 14, tuple(shapes), description)


def envelope_chart(
    total: float, allocated: float, committed: float, paid: float, width: float = WIDTH
) -> Scene:
    """The funding envelope as one bar: paid, committed not yet paid, allocated not yet
    committed and not allocated, each with its million NOK, and a legend."""
    parts = (
        ("Utbetalt", max(paid, 0.0), palette.ACCENT, "#FFFFFF"),
        ("Forpliktet, ikke utbetalt", max(committed - paid, 0.0), palette.BAR, "#FFFFFF"),
        (
            "Tildelt, ikke forpliktet",
            max(allocated - committed, 0.0),
            palette.BAR_SECOND,
            palette.INK,
        ),
        ("Ikke tildelt", max(total - allocated, 0.0), palette.NOT_REPORTED_TINT, palette.INK),
    )
    size, bar, top = 8.0, 26.0, 4.0
    whole = sum(value for _, value, _, _ in parts) or 1.0
    shapes: list[Shape] = []
    x = 0.0
    for _, value, fill, ink in parts:
        if value <= 0:
            continue
        length = width * value / whole
        shapes.append(Rect(x, top, length, bar, fill))
        label = nb.number(round(value, 2))
        if text_width(label, size, True) + 6 > length:
            label = nb.number(round(value))
        if text_width(label, size, True) + 6 <= length:
            shapes.append(
                Text(x + length / 2, _baseline(top, bar, size), label, size, "middle", True, ink)
            )
        x += length
    shapes.append(Line(0, top - 2, 0, top + bar + 2, palette.MUTED, 0.7))
    legend_y = top + bar + 10
    x = 0.0
    for name, _, fill, _ in parts:
        shapes.append(Rect(x, legend_y, 9, 9, fill))
        shapes.append(Text(x + 13, legend_y + 8, name, size))
        x += 13 + text_width(name, size) + 18
    description = (
        f"Rammen er {nb.number(total)} millioner kroner: {nb.number(paid)} utbetalt, "
        f"{nb.number(committed)} forpliktet, {nb.number(allocated)} tildelt og "
        f"{nb.number(max(total - allocated, 0.0))} ikke tildelt."
    )
    return Scene(width, legend_y + 14, tuple(shapes), description)
