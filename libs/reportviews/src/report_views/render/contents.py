"""What the HTML and PDF reports say, in bokmål, following the directorate's own report.

The portfolio report follows "Nasjonal e-helseportefølje April 2020" (seed 002): the
portfolio's size and budget against the previous period, what entered and left, measures
and budget per responsible agency (its Figur 1), status and risk and how their shares
changed, with the red measures and their explanations, the changes in the portfolio (its
tables 1 and 2), segments with the reports due, next year's portfolio (candidates,
measures finishing, budget per strategic area this year and next; its chapter 3), and the
full list of measures as its "Vedlegg 1". Chapters, figures and tables are numbered in
order of appearance. What an older reporting service does not send is left out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from report_views.colours import NORWEGIAN, NOT_REPORTED_NB, Colour
from report_views.render import charts, nb, palette
from report_views.render.document import (
    Block,
    Cell,
    Document,
    Figure,
    GroupRow,
    Heading,
    Inline,
    KeyFigure,
    KeyFigures,
    Note,
    Notes,
    Paragraph,
    Row,
    Run,
    Table,
)
from report_views.render.view import (
    IMPLEMENTATION_NB,
    KORONA_CATEGORIES_TITLE,
    KORONA_TITLE,
    NOT_PLACED_NB,
    UNCATEGORISED_NB,
    AreaBudget,
    ChangeItem,
    ColourCounts,
    FundingView,
    GroupLine,
    KoronaView,
    MeasureItem,
    PortfolioView,
)

PUBLISHER = "Direktoratet for e-helse"
DASH = nb.EN_DASH
NO_EXPLANATION = "Ingen forklaring er rapportert."
_COLOURS: tuple[Colour | None, ...] = (Colour.GREEN, Colour.YELLOW, Colour.RED, None)


@dataclass
class _Numbering:
    """Hands out figure and table numbers in the order they appear."""

    figures: int = 0
    tables: int = 0
    sections: int = 0
    subsections: int = 0
    blocks: list[Block] = field(default_factory=list)

    def section(self, text: str) -> None:
        """A numbered chapter heading (1, 2, ...)."""
        self.sections += 1
        self.subsections = 0
        self.blocks.append(Heading(str(self.sections), text))

    def subsection(self, text: str) -> None:
        """A numbered heading in the current chapter (1.1, 1.2, ...)."""
        self.subsections += 1
        self.blocks.append(Heading(f"{self.sections}.{self.subsections}", text, level=2))

    def figure(self, scene: charts.Scene, caption: str) -> None:
        self.figures += 1
        self.blocks.append(Figure(scene, f"Figur {self.figures}: {caption}"))

    def table(self, table: Table, caption: str) -> None:
        self.tables += 1
        self.blocks.append(
            Table(
                headers=table.headers,
                rows=table.rows,
                widths=table.widths,
                numeric=table.numeric,
                caption=f"Tabell {self.tables}: {caption}" if caption else "",
                total=table.total,
                small=table.small,
            )
        )

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


def _p(*parts: Inline, small: bool = False) -> Paragraph:
    return Paragraph(tuple(parts), small=small, introduces=_leads_in(parts))


def _leads_in(parts: tuple[Inline, ...]) -> bool:
    """A paragraph ending in a colon introduces what follows it."""
    last = parts[-1] if parts else ""
    return (last if isinstance(last, str) else last.text).rstrip().endswith(":")


def _listing(items: Sequence[str]) -> str:
    """ "a", "a og b", "a, b og c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " og " + items[-1]


def _shares_sentence(counts: ColourCounts, what: str, verb: str) -> str:
    """E.g. "60 % av tiltakene har gul status, 35 % grønn og 4 % rød."."""
    reported = [(c, counts.of(c)) for c in (Colour.YELLOW, Colour.GREEN, Colour.RED)]
    ordered = sorted((x for x in reported if x[1]), key=lambda x: -x[1])
    if not ordered:
        return f"Ingen tiltak har rapportert {what} for perioden."
    (first, count), rest = ordered[0], ordered[1:]
    text = (
        f"{nb.percent(count, counts.total)} av tiltakene {verb} {NORWEGIAN[first].lower()} {what}"
    )
    others = [f"{nb.percent(n, counts.total)} {NORWEGIAN[c].lower()}" for c, n in rest]
    if len(others) == 1:
        text += f" og {others[0]}"
    elif others:
        text += f", {_listing(others)}"
    text += "."
    if counts.unreported:
        text += f" {nb.count_noun(counts.unreported, 'tiltak', 'tiltak')} har ikke oppgitt {what}."
    return text


def _notes(measures: Sequence[MeasureItem], colour: Colour) -> Notes:
    return Notes(
        tuple(
            Note(
                name=m.name,
                source=f"{m.agency}, nr. {m.measure_id}" if m.agency else f"nr. {m.measure_id}",
                text=m.explanation or NO_EXPLANATION,
                colour=colour,
            )
            for m in measures
        )
    )


def _group_table(label: str, lines: Sequence[GroupLine], total_mnok: float) -> Table:
    rows = tuple(
        (
            Cell(line.label),
            Cell(nb.number(line.measures)),
            Cell(nb.number(line.budget_mnok)),
            Cell(nb.percent(line.budget_mnok, total_mnok)),
        )
        for line in lines
    )
    budget = sum(line.budget_mnok for line in lines)
    total: Row = (
        Cell("Sum", bold=True),
        Cell(nb.number(sum(line.measures for line in lines)), bold=True),
        Cell(nb.number(budget), bold=True),
        Cell(nb.percent(budget, total_mnok), bold=True),
    )
    return Table(
        headers=(label, "Tiltak", "Budsjett (MNOK)", "Andel av budsjett"),
        rows=rows,
        widths=(0.52, 0.14, 0.18, 0.16),
        numeric=frozenset({1, 2, 3}),
        total=total,
    )


def _colour_table(view: PortfolioView) -> Table:
    rows = []
    for colour in _COLOURS:
        name = NORWEGIAN[colour] if colour else NOT_REPORTED_NB
        s, r = view.status.of(colour), view.risk.of(colour)
        rows.append(
            (
                Cell(name, tone=colour),
                Cell(nb.number(s)),
                Cell(nb.percent(s, view.status.total)),
                Cell(nb.number(r)),
                Cell(nb.percent(r, view.risk.total)),
            )
        )
    total: Row = (
        Cell("Sum", bold=True),
        Cell(nb.number(view.status.total), bold=True),
        Cell(nb.percent(view.status.total, view.status.total), bold=True),
        Cell(nb.number(view.risk.total), bold=True),
        Cell(nb.percent(view.risk.total, view.risk.total), bold=True),
    )
    return Table(
        headers=("Farge", "Status", "Andel", "Risiko", "Andel"),
        rows=tuple(rows),
        widths=(0.36, 0.16, 0.16, 0.16, 0.16),
        numeric=frozenset({1, 2, 3, 4}),
        total=total,
    )


def _colour_cell(colour: Colour | None) -> Cell:
    return Cell(NORWEGIAN[colour] if colour else DASH, tone=colour)


def _appendix(view: PortfolioView) -> Table:
    rows: list[Row | GroupRow] = []
    area = None
    for m in view.in_appendix_order():
        if m.strategic_area != area:
            area = m.strategic_area
            rows.append(GroupRow(area or "(uten innsatsområde)"))
        rows.append(
            (
                Cell(str(m.measure_id)),
                Cell(m.name),
                Cell(m.agency),
                Cell(m.segment_label if m.segment else DASH),
                _colour_cell(m.status),
                _colour_cell(m.risk),
                Cell(nb.number(m.budget_mnok)),
            )
        )
    total: Row = (
        Cell(""),
        Cell(f"Sum, {nb.count_noun(len(view.measures), 'tiltak', 'tiltak')}", bold=True),
        Cell(""),
        Cell(""),
        Cell(""),
        Cell(""),
        Cell(nb.number(sum(m.budget_mnok for m in view.measures)), bold=True),
    )
    return Table(
        headers=("Nr", "Tiltak", "Ansvarlig virksomhet", "Segment", "Status", "Risiko", "Budsjett"),
        rows=tuple(rows),
        widths=(0.06, 0.37, 0.21, 0.11, 0.08, 0.08, 0.09),
        numeric=frozenset({0, 6}),
        total=total,
        small=True,
    )


def _budget_phrase(mnok: float) -> str:
    text = f"{nb.number(mnok)} millioner kroner"
    if mnok >= 1000:
        text += f" ({nb.number(mnok / 1000, 2)} milliarder)"
    return text


def _difference(now: float, before: float) -> float:
    return round(now - before, 3)


@dataclass(frozen=True)
class _Period:
    """How the report names its period, the budget's year and the period it compares with."""

    name: str
    year: str
    since: str = ""
    """The previous period as sentences name it ("januar"); "" when there is none."""
    previous_name: str = ""
    """The previous period in full ("januar 2020")."""
    previous_year: str = ""

    @classmethod
    def of(cls, view: PortfolioView) -> _Period:
        previous = view.previous.period if view.previous else ""
        return cls(
            name=nb.period_name(view.period),
            year=nb.period_year(view.period),
            since=nb.previous_name(previous, view.period) if previous else "",
            previous_name=nb.period_name(previous) if previous else "",
            previous_year=nb.period_year(previous),
        )

    @property
    def for_year(self) -> str:
        return f" for {self.year}" if self.year else ""

    @property
    def in_year(self) -> str:
        return f" i {self.year}" if self.year else ""

    @property
    def next_year(self) -> str:
        return str(int(self.year) + 1) if self.year else ""

    @property
    def since_then(self) -> str:
        """ "siden januar", or "siden forrige rapportering" when the report does not say."""
        return f"siden {self.since}" if self.since else "siden forrige rapportering"


def _change_words(difference: float, since: str) -> str:
    """ "ned 79 fra januar", "opp 12 fra januar", "uendret fra januar"."""
    if difference < 0:
        return f"ned {nb.number(-difference)} fra {since}"
    if difference > 0:
        return f"opp {nb.number(difference)} fra {since}"
    return f"uendret fra {since}"


def _key_figures(view: PortfolioView, period: _Period) -> KeyFigures:
    previous = view.previous
    count_note = "i porteføljen"
    budget_note = "millioner kroner"
    yellow_note = f"{view.status.yellow} av {view.status.total} tiltak"
    red_status_note = red_risk_note = "tiltak"
    if previous:
        if previous.measure_count is not None:
            count_note += f" ({nb.number(previous.measure_count)} i {period.since})"
        if previous.budget_total_mnok is not None:
            difference = _difference(view.budget_total_mnok, previous.budget_total_mnok)
            budget_note += f", {_change_words(difference, period.since)}"
        if previous.status:
            was = nb.percent(previous.status.yellow, previous.status.total)
            yellow_note += f" ({was} i {period.since})"
            red_status_note += f" ({nb.number(previous.status.red)} i {period.since})"
        if previous.risk:
            red_risk_note += f" ({nb.number(previous.risk.red)} i {period.since})"
    return KeyFigures(
        (
            KeyFigure("Tiltak", nb.number(view.measure_count), count_note),
            KeyFigure(
                f"Budsjett {period.year}".strip(), nb.number(view.budget_total_mnok), budget_note
            ),
            KeyFigure("Gul status", nb.percent(view.status.yellow, view.status.total), yellow_note),
            KeyFigure("Rød status", nb.number(view.status.red), red_status_note),
            KeyFigure("Rød risiko", nb.number(view.risk.red), red_risk_note),
        )
    )


def _shows_changes(view: PortfolioView) -> bool:
    """Whether the report has a chapter on what entered and left the portfolio."""
    return view.knows_changes and bool(view.entered or view.exited or view.previous)


def _named(items: Sequence[ChangeItem]) -> list[Inline]:
    """ "*a* (A), *b* (B) og *c* (C)", names in italics as the directorate writes them."""
    parts: list[Inline] = []
    for i, item in enumerate(items):
        if i:
            parts.append(" og " if i == len(items) - 1 else ", ")
        parts.append(Run(item.name or f"nr. {item.measure_id}", italic=True))
        if item.agency:
            parts.append(f" ({item.agency})")
    return parts


_LEFT_HOW = (
    ("completed", "er ferdigstilt og meldt ut av porteføljen."),
    ("paused", "er satt på pause og meldt ut av porteføljen."),
    ("withdrawn", "er trukket fra porteføljen."),
)


def _change_parts(view: PortfolioView) -> list[Inline]:
    """What came and went, in sentences: "Norsk Helsenett har meldt inn *X*. ..." """
    parts: list[Inline] = []
    entered = view.entered
    if len(entered) == 1 and entered[0].agency:
        parts += [f"{entered[0].agency} har meldt inn ", Run(entered[0].name, italic=True), ". "]
    elif entered:
        parts += ["Nye i porteføljen er ", *_named(entered), ". "]
    known = {lifecycle for lifecycle, _ in _LEFT_HOW}
    groups = [
        *(([e for e in view.exited if e.lifecycle == lc], how) for lc, how in _LEFT_HOW),
        ([e for e in view.exited if e.lifecycle not in known], "har gått ut av porteføljen."),
    ]
    for items, how in groups:
        if items:
            noun = "Tiltaket " if len(items) == 1 else "Tiltakene "
            parts += [noun, *_named(items), f" {how} "]
    if parts:
        parts.append("Endringene er vist i kapittel 2.")
    return parts


def _budget_change(view: PortfolioView, period: _Period) -> str:
    previous = view.previous
    if previous is None or previous.budget_total_mnok is None:
        return ""
    before = previous.budget_total_mnok
    difference = _difference(view.budget_total_mnok, before)
    year = f" for {period.previous_year}" if period.previous_year != period.year else ""
    if not difference:
        return f" Budsjettet er uendret fra {period.since}."
    trend = "en nedgang" if difference < 0 else "en økning"
    text = (
        f" Det er {trend} på {nb.number(abs(difference))} millioner kroner fra {period.since}, "
        f"da budsjettet var {_budget_phrase(before)}{year}."
    )
    left = sum(e.budget_mnok for e in view.exited)
    if difference < 0 and left > 0:
        text += (
            f" Tiltakene som har gått ut av porteføljen, hadde et budsjett på "
            f"{nb.number(left)} millioner kroner."
        )
    return text


def _overview(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    n = view.measure_count
    previous = view.previous
    missing = view.not_reported()
    doc.section("Status på nasjonal e-helseportefølje")
    if n:
        against = ""
        if previous and previous.measure_count is not None:
            was = nb.count_noun(previous.measure_count, "tiltak", "tiltak")
            against = f" mot {was} i {period.previous_name}"
        doc.add(
            _p(
                f"Nasjonal e-helseportefølje består av {nb.count_noun(n, 'tiltak', 'tiltak')}"
                f"{against} og har et samlet budsjett på "
                f"{_budget_phrase(view.budget_total_mnok)}{period.for_year} "
                f"(rapporteringsperiode {period.name})." + _budget_change(view, period)
            )
        )
    else:
        doc.add(_p(f"Porteføljen har ingen tiltak i rapporteringsperioden {period.name}."))
    changes = _change_parts(view) if _shows_changes(view) else []
    if changes:
        doc.add(_p(*changes))
    if missing:
        doc.add(
            _p(
                f"{nb.count_noun(len(missing), 'tiltak', 'tiltak')} har ikke sendt "
                "statusrapport for perioden (se 1.3). Siden tiltakene ikke er meldt ut, "
                "ligger de fortsatt i porteføljen med sist rapporterte budsjett."
            )
        )
    elif n:
        doc.add(_p("Alle tiltakene har sendt statusrapport for perioden."))
    agencies = view.agencies_by_budget()
    if not agencies:
        return
    doc.add(
        _p(
            "Figuren nedenfor viser antall tiltak per ansvarlig virksomhet, "
            "samt virksomhetens samlede budsjett:"
        )
    )
    doc.figure(
        charts.count_budget_chart(
            [a.label for a in agencies],
            [a.measures for a in agencies],
            [a.budget_mnok for a in agencies],
            period.year,
            "Antall tiltak og budsjett per ansvarlig virksomhet",
        ),
        f"Antall tiltak og samlet budsjett{period.in_year} (millioner kroner) "
        "per ansvarlig virksomhet",
    )
    doc.table(
        _group_table("Ansvarlig virksomhet", agencies, view.budget_total_mnok),
        "Tiltak og budsjett per ansvarlig virksomhet",
    )


def _trend(now: ColourCounts, before: ColourCounts | None, what: str, verb: str, since: str) -> str:
    """E.g. " Andelen øker: nå har 60 % gul status mot 56 % i januar."
    for the colour most measures have now; "" without figures to compare with."""
    if before is None or not since:
        return ""
    counted = [(c, now.of(c)) for c in (Colour.YELLOW, Colour.GREEN, Colour.RED)]
    colour, count = max(counted, key=lambda x: x[1])
    if not count:
        return ""
    word = f"{NORWEGIAN[colour].lower()} {what}"
    share, was = nb.share(count, now.total), nb.share(before.of(colour), before.total)
    shown, shown_before = nb.percent(count, now.total), nb.percent(before.of(colour), before.total)
    if share == was:
        return f" Andelen tiltak med {word} er uendret fra {since}: {shown}."
    trend = "øker" if share > was else "går ned"
    return f" Andelen {trend}: nå {verb} {shown} {word} mot {shown_before} i {since}."


def _red(
    doc: _Numbering,
    measures: Sequence[MeasureItem],
    what: str,
    before: ColourCounts | None,
    since: str,
) -> None:
    was = ""
    if before is not None and since:
        was = (
            f", like mange som i {since}"
            if before.red == len(measures)
            else f" mot {nb.number(before.red)} i {since}"
        )
    if measures:
        doc.add(
            _p(f"{nb.count_noun(len(measures), 'tiltak', 'tiltak')} melder rød {what}{was}:"),
            _notes(measures, Colour.RED),
        )
    else:
        doc.add(_p(f"Ingen tiltak melder rød {what}{was}."))


def _status_and_risk(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    previous = view.previous
    status_before = previous.status if previous else None
    risk_before = previous.risk if previous else None
    doc.subsection("Overordnet status")
    doc.add(
        _p(
            _shares_sentence(view.status, "status", "har")
            + _trend(view.status, status_before, "status", "har", period.since)
        )
    )
    _red(doc, view.with_status(Colour.RED), "status", status_before, period.since)
    doc.subsection("Risiko")
    doc.add(
        _p(
            _shares_sentence(view.risk, "risiko", "melder")
            + _trend(view.risk, risk_before, "risiko", "melder", period.since)
        )
    )
    _red(doc, view.with_risk(Colour.RED), "risiko", risk_before, period.since)
    doc.figure(
        charts.colour_chart(view.status, view.risk),
        f"Status og risiko i nasjonal e-helseportefølje {period.name}",
    )
    doc.table(_colour_table(view), "Antall tiltak per status- og risikofarge")


def _not_reported(doc: _Numbering, view: PortfolioView) -> None:
    missing = view.not_reported()
    if not missing:
        return
    doc.subsection("Tiltak som ikke har rapportert")
    doc.add(
        _p(
            "Disse tiltakene har ikke sendt statusrapport for perioden. Budsjettet er "
            "det sist rapporterte for året."
        ),
    )
    doc.table(
        Table(
            headers=("Nr", "Tiltak", "Ansvarlig virksomhet", "Budsjett (MNOK)"),
            rows=tuple(
                (
                    Cell(str(m.measure_id)),
                    Cell(m.name),
                    Cell(m.agency),
                    Cell(nb.number(m.budget_mnok)),
                )
                for m in sorted(missing, key=lambda m: m.measure_id)
            ),
            widths=(0.08, 0.46, 0.28, 0.18),
            numeric=frozenset({0, 3}),
        ),
        "Tiltak uten statusrapport for perioden",
    )


def _changes(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    """Tabell "Nye tiltak" and "Tiltak som har gått ut", as seed 002's tables 1 and 2."""
    if not _shows_changes(view):
        return
    since = period.since_then
    doc.section("Endringer i porteføljen")
    if view.entered:
        n = len(view.entered)
        doc.add(
            _p(
                f"Det er {nb.count_noun(n, 'nytt tiltak', 'nye tiltak')} i nasjonal "
                f"e-helseportefølje {since}:"
            )
        )
        doc.table(
            Table(
                headers=(
                    "Nr",
                    "Tiltak",
                    "Ansvarlig virksomhet",
                    f"Budsjett {period.year} (MNOK)".replace("  ", " "),
                ),
                rows=tuple(
                    (
                        Cell(str(e.measure_id)),
                        Cell(e.name),
                        Cell(e.agency),
                        Cell(nb.number(e.budget_mnok)),
                    )
                    for e in view.entered
                ),
                widths=(0.08, 0.5, 0.26, 0.16),
                numeric=frozenset({0, 3}),
            ),
            "Nye tiltak i nasjonal e-helseportefølje",
        )
    else:
        doc.add(_p(f"Ingen nye tiltak er kommet inn i porteføljen {since}."))
    if view.exited:
        n = len(view.exited)
        doc.add(
            _p(
                f"{nb.count_noun(n, 'tiltak', 'tiltak')} har gått ut av nasjonal "
                f"e-helseportefølje {since}:"
            )
        )
        doc.table(
            Table(
                headers=("Nr", "Tiltak", "Ansvarlig virksomhet", "Veien videre"),
                rows=tuple(
                    (
                        Cell(str(e.measure_id)),
                        Cell(e.name),
                        Cell(e.agency),
                        Cell(e.way_forward_label or DASH),
                    )
                    for e in view.exited
                ),
                widths=(0.08, 0.5, 0.26, 0.16),
                numeric=frozenset({0}),
            ),
            "Tiltak som har gått ut av nasjonal e-helseportefølje",
        )
    else:
        doc.add(_p(f"Ingen tiltak har gått ut av porteføljen {since}."))


def _segment_table(view: PortfolioView) -> Table:
    """Measures, budget and the status reports owed and late per segment."""
    plain = _group_table("Segment", view.segments, view.budget_total_mnok)
    rows = tuple(
        (
            *row,
            Cell(nb.number(line.reports_due)),
            Cell(
                nb.number(line.reports_overdue), tone=Colour.RED if line.reports_overdue else None
            ),
        )
        for row, line in zip(plain.rows, view.segments, strict=True)
        if not isinstance(row, GroupRow)
    )
    total: Row = (
        *(plain.total or ()),
        Cell(nb.number(sum(s.reports_due for s in view.segments)), bold=True),
        Cell(nb.number(sum(s.reports_overdue for s in view.segments)), bold=True),
    )
    return Table(
        headers=(*plain.headers, "Rapporter", "Forsinket"),
        rows=rows,
        widths=(0.3, 0.11, 0.17, 0.16, 0.13, 0.13),
        numeric=frozenset({1, 2, 3, 4, 5}),
        total=total,
    )


def _segments(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.section("Porteføljesegmenter")
    if not view.segments:
        doc.add(_p("Rapporten har ingen fordeling på segmenter."))
        return
    unplaced = sum(s.measures for s in view.segments if s.label == NOT_PLACED_NB)
    text = (
        "Tiltakene plasseres i segmentene Samstyre, Koordinere, Observere og Inspirere, "
        "som bestemmer hvor ofte og om hva de rapporterer."
    )
    if unplaced:
        text += f" {nb.count_noun(unplaced, 'tiltak', 'tiltak')} er ennå ikke plassert."
    if view.knows_reports_due:
        due = sum(s.reports_due for s in view.segments)
        late = sum(s.reports_overdue for s in view.segments)
        if due:
            text += (
                f" For {period.name} skal {nb.count_noun(due, 'tiltak', 'tiltak')} sende "
                "statusrapport etter segmentets rapporteringsrytme; "
                + (
                    f"{nb.number(late)} av rapportene er forsinket."
                    if late
                    else "ingen av rapportene er forsinket."
                )
            )
        else:
            text += f" Ingen tiltak skal sende statusrapport for {period.name}."
    doc.add(_p(text))
    doc.figure(
        charts.count_budget_chart(
            [s.label for s in view.segments],
            [s.measures for s in view.segments],
            [s.budget_mnok for s in view.segments],
            period.year,
            "Antall tiltak og budsjett per porteføljesegment",
        ),
        f"Antall tiltak og budsjett{period.in_year} (millioner kroner) per porteføljesegment",
    )
    doc.table(
        _segment_table(view)
        if view.knows_reports_due
        else _group_table("Segment", view.segments, view.budget_total_mnok),
        "Tiltak, budsjett og statusrapporter per porteføljesegment"
        if view.knows_reports_due
        else "Tiltak og budsjett per porteføljesegment",
    )


def _areas(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    """Measures and budget per strategic area, counted from the measures (older servers)."""
    areas = view.by_strategic_area()
    if not areas:
        return
    doc.section("Strategiske innsatsområder")
    doc.add(
        _p(f"Tiltakene og budsjettet{period.for_year} fordelt på strategiske innsatsområder:"),
    )
    doc.table(
        _group_table("Innsatsområde", areas, view.budget_total_mnok),
        "Tiltak og budsjett per strategisk innsatsområde",
    )


def _outlook_intro(view: PortfolioView, period: _Period) -> str:
    finishing = len(view.finishing_in_portfolio())
    candidates = len(view.candidates)
    text = ""
    if view.measure_count and (finishing or candidates):
        estimate = view.measure_count - finishing + candidates
        parts = [f"de {nb.number(view.measure_count)} tiltakene i porteføljen nå"]
        if finishing:
            parts[0] += (
                f", unntatt {nb.number(finishing)} som er planlagt avsluttet{period.in_year}"
            )
        if candidates:
            noun = nb.count_noun(candidates, "prosjektkandidat", "prosjektkandidater")
            parts.append(f"pluss {noun} der oppstart ikke er bekreftet")
        text = (
            f"Per {period.name} ser det ut til at nasjonal e-helseportefølje i "
            f"{period.next_year} vil bestå av {nb.count_noun(estimate, 'tiltak', 'tiltak')}: "
            f"{', '.join(parts)}."
        )
    if view.area_budgets:
        this = sum(a.this_year_mnok for a in view.area_budgets)
        after = sum(a.next_year_mnok for a in view.area_budgets)
        text += (
            f" Innmeldt budsjett for {period.next_year} er så langt {_budget_phrase(after)}, "
            f"mot {_budget_phrase(this)}{period.for_year}. Tiltak som ennå ikke har oppgitt "
            f"budsjett for {period.next_year}, teller ikke med."
        )
    return text.strip()


def _candidates(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    next_year = period.next_year
    doc.subsection(f"Prosjektkandidater for {next_year}".strip())
    if not view.candidates:
        doc.add(_p(f"Det er ikke meldt inn prosjektkandidater for {next_year}."))
        return
    noun = nb.count_noun(len(view.candidates), "prosjektkandidat", "prosjektkandidater")
    doc.add(
        _p(
            f"Det er meldt inn {noun} for {next_year}: "
            f"{_listing([c.name for c in view.candidates])}."
        )
    )
    other_years = {c.candidate_for for c in view.candidates} - {
        int(next_year) if next_year else None
    }
    headers: tuple[str, ...] = ("Nr", "Kandidat", "Ansvarlig virksomhet", "Innsatsområde")
    widths: tuple[float, ...] = (0.07, 0.43, 0.22, 0.28)
    if other_years:
        headers, widths = (*headers, "For år"), (0.07, 0.39, 0.2, 0.24, 0.1)
    doc.table(
        Table(
            headers=headers,
            rows=tuple(
                (
                    Cell(str(c.measure_id) if c.measure_id else DASH),
                    Cell(c.name),
                    Cell(c.agency or DASH),
                    Cell(c.strategic_area or DASH),
                    *((Cell(str(c.candidate_for or DASH)),) if other_years else ()),
                )
                for c in view.candidates
            ),
            widths=widths,
            numeric=frozenset({0, 4}),
        ),
        f"Prosjektkandidater for {next_year}".strip(),
    )


def _finishing(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.subsection(f"Tiltak som avsluttes{period.in_year}")
    if not view.finishing:
        doc.add(_p(f"Ingen tiltak er planlagt avsluttet{period.in_year}."))
        return
    n = nb.count_noun(len(view.finishing), "tiltak", "tiltak")
    doc.add(_p(f"{n} er planlagt avsluttet i løpet av {period.year or 'året'}:"))
    doc.table(
        Table(
            headers=("Nr", "Tiltak", "Ansvarlig virksomhet", "Planlagt slutt"),
            rows=tuple(
                (
                    Cell(str(f.measure_id)),
                    Cell(f.name),
                    Cell(f.agency),
                    Cell(nb.planned_date(f.planned_end) if f.planned_end else DASH),
                )
                for f in view.finishing
            ),
            widths=(0.08, 0.48, 0.26, 0.18),
            numeric=frozenset({0}),
        ),
        f"Tiltak som er planlagt avsluttet{period.in_year}",
    )


def _area_table(areas: Sequence[AreaBudget], period: _Period) -> Table:
    this_year = f"Budsjett {period.year}".strip()
    next_year = f"Budsjett {period.next_year}".strip()
    return Table(
        headers=("Innsatsområde", "Tiltak", f"{this_year} (MNOK)", f"{next_year} (MNOK)"),
        rows=tuple(
            (
                Cell(a.label),
                Cell(nb.number(a.measures)),
                Cell(nb.number(a.this_year_mnok)),
                Cell(nb.number(a.next_year_mnok)),
            )
            for a in areas
        ),
        widths=(0.54, 0.12, 0.17, 0.17),
        numeric=frozenset({1, 2, 3}),
        total=(
            Cell("Sum", bold=True),
            Cell(nb.number(sum(a.measures for a in areas)), bold=True),
            Cell(nb.number(sum(a.this_year_mnok for a in areas)), bold=True),
            Cell(nb.number(sum(a.next_year_mnok for a in areas)), bold=True),
        ),
    )


def _area_budgets(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.subsection("Budsjett per innsatsområde")
    areas = view.area_budgets
    if not areas:
        lines = view.by_strategic_area()
        if not lines:
            doc.add(_p("Rapporten har ingen fordeling på innsatsområder."))
            return
        doc.add(
            _p(f"Tiltakene og budsjettet{period.for_year} fordelt på strategiske innsatsområder:")
        )
        doc.table(
            _group_table("Innsatsområde", lines, view.budget_total_mnok),
            "Tiltak og budsjett per strategisk innsatsområde",
        )
        return
    doc.add(
        _p(
            f"Budsjettet{period.for_year} og det som så langt er meldt inn for "
            f"{period.next_year}, per strategisk innsatsområde:"
        )
    )
    this_year = f"Budsjett {period.year} (MNOK)" if period.year else "Budsjett i år (MNOK)"
    next_year = f"Budsjett {period.next_year} (MNOK)" if period.year else "Budsjett neste år (MNOK)"
    doc.figure(
        charts.bar_chart(
            [a.label for a in areas],
            [
                charts.Panel(this_year, [a.this_year_mnok for a in areas], palette.BAR),
                charts.Panel(next_year, [a.next_year_mnok for a in areas], palette.BAR_SECOND),
            ],
            "Budsjett per strategisk innsatsområde i år og neste år",
        ),
        f"Budsjett{period.in_year} og {period.next_year} (millioner kroner) "
        "per strategisk innsatsområde",
    )
    doc.table(_area_table(areas, period), "Budsjett per strategisk innsatsområde")


def _outlook(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    """Next year's portfolio, as seed 002's chapter 3: candidates, measures finishing this
    year, budget per strategic area this year and next. Older servers send none of it: then
    the strategic areas are counted from the measures."""
    if not view.knows_outlook:
        _areas(doc, view, period)
        return
    doc.section(
        f"Nasjonal e-helseportefølje i {period.next_year}"
        if period.next_year
        else "Nasjonal e-helseportefølje neste år"
    )
    intro = _outlook_intro(view, period)
    if intro:
        doc.add(_p(intro))
    _candidates(doc, view, period)
    _finishing(doc, view, period)
    _area_budgets(doc, view, period)


def _appendix_section(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.add(
        Heading("", f"Vedlegg 1 {nb.EN_DASH} Nasjonal e-helseportefølje", new_page=True),
        _p(
            "Tiltakene i porteføljen per strategisk innsatsområde. Status og risiko som "
            f"rapportert for {period.name}; {DASH} betyr ikke rapportert eller ikke plassert. "
            f"Budsjett{period.for_year} i millioner kroner.",
            small=True,
        ),
        _appendix(view),
    )


def portfolio_document(data: Mapping[str, Any], *, made_on: date) -> Document:
    """The portfolio report of one period, as the directorate would write it."""
    view = PortfolioView.from_json(data)
    period = _Period.of(view)
    doc = _Numbering()
    doc.add(_key_figures(view, period))
    _overview(doc, view, period)
    _status_and_risk(doc, view, period)
    _not_reported(doc, view)
    _changes(doc, view, period)
    _segments(doc, view, period)
    _outlook(doc, view, period)
    _appendix_section(doc, view, period)
    meta = [f"Rapporteringsperiode {view.period}"]
    if view.previous:
        meta.append(f"Sammenlignet med {period.previous_name}")
    if view.as_of:
        meta.append(f"Per {nb.moment(view.as_of)}")
    meta.append(f"Laget {nb.long_date(made_on)}")
    return Document(
        title=f"Nasjonal e-helseportefølje {nb.EN_DASH} rapport for {period.name}",
        kicker=PUBLISHER,
        running_title=f"Nasjonal e-helseportefølje {nb.EN_DASH} {period.name}",
        meta=tuple(meta),
        blocks=tuple(doc.blocks),
        subject="Status, risiko og budsjett for tiltakene i nasjonal e-helseportefølje",
    )


UNDER_WAY = ("being_introduced", "introduced", "in_operation")


def _days(days: float) -> str:
    """ "1 dag", "3,5 dager"."""
    value = round(days, 1)
    return f"{nb.number(value)} {'dag' if value == 1 else 'dager'}"


def _korona_key_figures(view: KoronaView) -> KeyFigures:
    if not view.knows_path:
        figures = [
            KeyFigure("Forslag", nb.number(view.total), "registrert"),
            KeyFigure("Kategorier", nb.number(len(view.categories))),
        ]
        largest = view.largest_first()
        if largest and largest[0].proposals:
            top = largest[0]
            figures.append(
                KeyFigure("Største kategori", top.name or top.code, f"{top.proposals} forslag")
            )
        return KeyFigures(tuple(figures))
    under_way = sum(view.with_status(s) for s in UNDER_WAY)
    figures = [
        KeyFigure("Forslag", nb.number(view.total), "mottatt"),
        KeyFigure(
            "Prioriterte tiltak",
            nb.number(len(view.net_list)),
            f"{nb.number(under_way)} innført eller under innføring",
        ),
    ]
    f = view.funding
    if f is not None and (f.total_mnok or f.allocated_mnok):
        figures += [
            KeyFigure("Tildelt", nb.number(f.allocated_mnok), f"av {nb.mnok(f.total_mnok)}"),
            KeyFigure("Gjenstående", nb.number(f.left_mnok), "MNOK ikke tildelt"),
        ]
    median = view.median_days_to_feedback
    figures.append(
        KeyFigure(
            "Venter på svar",
            nb.number(view.awaiting_feedback),
            f"median {_days(median)} til svar" if median is not None else "forslag",
        )
    )
    return KeyFigures(tuple(figures))


def _korona_categories(doc: _Numbering, view: KoronaView) -> None:
    largest = view.largest_first()
    doc.section("Forslag per kategori")
    doc.add(
        _p(
            f"Til sammen er det registrert {nb.count_noun(view.total, 'forslag', 'forslag')} "
            f"i {len(view.categories)} kategorier. Forslagene er kategorisert etter hvilken "
            "evne eller kapabilitet i sektoren de forbedrer."
            if view.total
            else "Det er ikke registrert noen forslag ennå."
        ),
    )
    if any(c.code and not c.name for c in view.categories):
        doc.add(
            _p(
                "Kategorier uten navn vises med kode: navnet var ikke kjent da rapporten "
                "ble laget.",
                small=True,
            )
        )
    if not largest:
        return
    doc.figure(
        charts.bar_chart(
            [c.label for c in largest],
            [charts.Panel("Antall forslag", [c.proposals for c in largest], palette.BAR)],
            "Antall forslag per kategori",
        ),
        "Antall forslag per kategori",
    )
    rows = tuple(
        (
            Cell(c.code or DASH),
            Cell(c.name or (DASH if c.code else UNCATEGORISED_NB)),
            Cell(nb.number(c.proposals)),
            Cell(nb.percent(c.proposals, view.total)),
        )
        for c in view.categories
    )
    counted = sum(c.proposals for c in view.categories)
    doc.table(
        Table(
            headers=("Kode", "Kategori", "Forslag", "Andel"),
            rows=rows,
            widths=(0.1, 0.6, 0.15, 0.15),
            numeric=frozenset({2, 3}),
            total=(
                Cell("Sum", bold=True),
                Cell(""),
                Cell(nb.number(counted), bold=True),
                Cell(nb.percent(counted, view.total), bold=True),
            ),
        ),
        "Forslag per kategori",
    )


def _korona_states(doc: _Numbering, view: KoronaView) -> None:
    doc.section("Forslagenes behandling")
    n = {s.state: s.proposals for s in view.states}
    if view.total:
        doc.add(
            _p(
                "Arbeidsgruppene vurderer forslagene etter de fire kriteriene, og "
                "prioriteringsstyret beslutter. Av forslagene er "
                f"{nb.number(n.get('registered', 0))} ennå ikke vurdert, "
                f"{nb.number(n.get('in_assessment', 0))} til vurdering i arbeidsgruppene og "
                f"{nb.number(n.get('assessed', 0))} vurdert og venter på prioriteringsstyret. "
                f"Styret har prioritert {nb.number(n.get('prioritised', 0))}, ikke prioritert "
                f"{nb.number(n.get('not_prioritised', 0))} og utsatt "
                f"{nb.number(n.get('deferred', 0))}; utsatte og ikke prioriterte forslag kan "
                "tas opp igjen."
            )
        )
    else:
        doc.add(_p("Det er ikke mottatt noen forslag ennå."))
    counted = sum(s.proposals for s in view.states)
    doc.table(
        Table(
            headers=("Behandlingsstatus", "Forslag", "Andel"),
            rows=tuple(
                (
                    Cell(s.label),
                    Cell(nb.number(s.proposals)),
                    Cell(nb.percent(s.proposals, view.total)),
                )
                for s in view.states
            ),
            widths=(0.6, 0.2, 0.2),
            numeric=frozenset({1, 2}),
            total=(
                Cell("Sum", bold=True),
                Cell(nb.number(counted), bold=True),
                Cell(nb.percent(counted, view.total), bold=True),
            ),
        ),
        "Forslag per behandlingsstatus",
    )


def _korona_net_list(doc: _Numbering, view: KoronaView) -> None:
    doc.section("Nettolisten")
    measures = view.net_list
    if not measures:
        doc.add(_p("Ingen tiltak er prioritert ennå."))
        return
    counts = [
        f"{nb.number(view.with_status(status))} {IMPLEMENTATION_NB[status].lower()}"
        for status in ("in_operation", "introduced", "being_introduced", "planned")
        if view.with_status(status)
    ]
    of = (
        "Det ene prioriterte tiltaket er"
        if len(measures) == 1
        else f"Av de {nb.number(len(measures))} prioriterte tiltakene er"
    )
    doc.add(
        _p(
            "Nettolisten er prioriteringsstyrets oversikt over de prioriterte tiltakene og "
            f"hvor langt de er kommet med innføringen. {of} {_listing(counts)}."
        )
    )
    doc.table(
        Table(
            headers=(
                "Tiltak",
                "Ansvarlig virksomhet",
                "Status",
                "Tildelt",
                "Forpliktet",
                "Utbetalt",
            ),
            rows=tuple(
                (
                    Cell(m.title),
                    Cell(m.agency or DASH),
                    Cell(m.status_label),
                    Cell(nb.number(m.allocated_mnok)),
                    Cell(nb.number(m.committed_mnok)),
                    Cell(nb.number(m.paid_mnok)),
                )
                for m in measures
            ),
            widths=(0.35, 0.19, 0.16, 0.1, 0.1, 0.1),
            numeric=frozenset({3, 4, 5}),
            total=(
                Cell(f"Sum, {nb.count_noun(len(measures), 'tiltak', 'tiltak')}", bold=True),
                Cell(""),
                Cell(""),
                Cell(nb.number(sum(m.allocated_mnok for m in measures)), bold=True),
                Cell(nb.number(sum(m.committed_mnok for m in measures)), bold=True),
                Cell(nb.number(sum(m.paid_mnok for m in measures)), bold=True),
            ),
            small=True,
        ),
        "Prioriterte tiltak med innføringsstatus og midler (millioner kroner)",
    )


def _korona_funding(doc: _Numbering, f: FundingView) -> None:
    doc.section("Midler til tiltakene")
    if not (f.total_mnok or f.allocated_mnok):
        doc.add(_p("Det er ikke åpnet noen finansieringsramme ennå."))
        return
    text = (
        f"Rammen for tiltakene er {_budget_phrase(f.total_mnok)}. Av dette er "
        f"{nb.number(f.allocated_mnok)} millioner ({nb.percent(f.allocated_mnok, f.total_mnok)})"
        f" tildelt prioriterte tiltak, {nb.number(f.committed_mnok)} millioner forpliktet og "
        f"{nb.number(f.paid_mnok)} millioner utbetalt. "
    )
    if f.left_mnok >= 0:
        text += f"Det gjenstår {nb.number(f.left_mnok)} millioner kroner som ikke er tildelt."
    else:
        text += f"Det er tildelt {nb.number(-f.left_mnok)} millioner kroner mer enn rammen."
    doc.add(_p(text))
    doc.figure(
        charts.envelope_chart(f.total_mnok, f.allocated_mnok, f.committed_mnok, f.paid_mnok),
        "Rammen (millioner kroner): utbetalt, forpliktet, tildelt og ikke tildelt",
    )
    lines = (
        ("Ramme", f.total_mnok),
        ("Tildelt", f.allocated_mnok),
        ("Forpliktet", f.committed_mnok),
        ("Utbetalt", f.paid_mnok),
        ("Gjenstående (ikke tildelt)", f.left_mnok),
    )
    doc.table(
        Table(
            headers=("Post", "MNOK", "Andel av rammen"),
            rows=tuple(
                (
                    Cell(label, bold=label == "Ramme"),
                    Cell(nb.number(value)),
                    Cell(nb.percent(value, f.total_mnok) if f.total_mnok else DASH),
                )
                for label, value in lines
            ),
            widths=(0.6, 0.2, 0.2),
            numeric=frozenset({1, 2}),
        ),
        "Rammen, og hvor mye som er tildelt, forpliktet og utbetalt",
    )


def _korona_feedback(doc: _Numbering, view: KoronaView) -> None:
    doc.section("Tilbakemelding til forslagsstillerne")
    waiting = view.awaiting_feedback
    median = view.median_days_to_feedback
    text = "Forslagsstillerne skal få raskt svar. "
    if waiting:
        text += (
            f"Det er {nb.count_noun(waiting, 'forslag', 'forslag')} som venter på "
            "tilbakemelding utover bekreftelsen på at forslaget er mottatt."
        )
        if median is None:
            text += " Ingen forslag har fått tilbakemelding ennå."
    elif median is not None:
        text += "Alle forslagene har fått tilbakemelding utover bekreftelsen på mottak."
    else:
        text += "Ingen forslag venter på tilbakemelding."
    if median is not None:
        text += f" Median tid fra mottak til første tilbakemelding er {_days(median)}."
    doc.add(_p(text.strip()))


def korona_document(
    data: Mapping[str, Any], names: Mapping[str, str] | None = None, *, made_on: date
) -> Document:
    """The corona portfolio: proposals per category and state, the net list with its
    implementation status, the funding envelope and the feedback to proposers. From an
    older reporting service, which sends only the categories, just the first chapter."""
    view = KoronaView.from_json(data, names)
    doc = _Numbering()
    doc.add(_korona_key_figures(view))
    _korona_categories(doc, view)
    if view.knows_path:
        _korona_states(doc, view)
        _korona_net_list(doc, view)
    if view.funding is not None:
        _korona_funding(doc, view.funding)
    if view.knows_path:
        _korona_feedback(doc, view)
    meta = [
        *([f"Per {nb.moment(view.as_of)}"] if view.as_of else []),
        f"Laget {nb.long_date(made_on)}",
    ]
    full = view.knows_path
    return Document(
        title=KORONA_TITLE if full else KORONA_CATEGORIES_TITLE,
        kicker=PUBLISHER,
        running_title="Koronaporteføljen",
        meta=tuple(meta),
        blocks=tuple(doc.blocks),
        subject=(
            "Forslag, prioriterte tiltak og midler i koronaporteføljen"
            if full
            else "Forslag til koronaporteføljen per kategori"
        ),
    )
