"""What the HTML and PDF reports say, in bokmål, following the directorate's own report.

The portfolio report follows "Nasjonal e-helseportefølje April 2020" (seed 002): the
portfolio's size and budget, measures and budget per responsible agency (its Figur 1),
status and risk with the red measures and their explanations, and the full list of
measures as its "Vedlegg 1". Figures and tables are numbered in order of appearance.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from portfolio_cli.colours import NORWEGIAN, NOT_REPORTED_NB, Colour
from portfolio_cli.render import charts, nb, palette
from portfolio_cli.render.document import (
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
    Table,
)
from portfolio_cli.render.view import (
    NOT_PLACED_NB,
    ColourCounts,
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
    blocks: list[Block] = field(default_factory=list)

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


@dataclass(frozen=True)
class _Period:
    """How the report names its period and the budget's year."""

    name: str
    year: str

    @property
    def for_year(self) -> str:
        return f" for {self.year}" if self.year else ""

    @property
    def in_year(self) -> str:
        return f" i {self.year}" if self.year else ""


def _key_figures(view: PortfolioView, period: _Period) -> KeyFigures:
    return KeyFigures(
        (
            KeyFigure("Tiltak", nb.number(view.measure_count), "i porteføljen"),
            KeyFigure(
                f"Budsjett {period.year}".strip(),
                nb.number(view.budget_total_mnok),
                "millioner kroner",
            ),
            KeyFigure(
                "Gul status",
                nb.percent(view.status.yellow, view.status.total),
                f"{view.status.yellow} av {view.status.total} tiltak",
            ),
            KeyFigure("Rød status", nb.number(view.status.red), "tiltak"),
            KeyFigure("Rød risiko", nb.number(view.risk.red), "tiltak"),
        )
    )


def _overview(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    n = view.measure_count
    missing = view.not_reported()
    doc.add(
        Heading("1", "Status på nasjonal e-helseportefølje"),
        _p(
            f"Nasjonal e-helseportefølje består av {nb.count_noun(n, 'tiltak', 'tiltak')} og har "
            f"et samlet budsjett på {_budget_phrase(view.budget_total_mnok)}{period.for_year} "
            f"(rapporteringsperiode {period.name})."
            if n
            else f"Porteføljen har ingen tiltak i rapporteringsperioden {period.name}."
        ),
    )
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


def _red(doc: _Numbering, measures: Sequence[MeasureItem], what: str) -> None:
    if measures:
        doc.add(
            _p(f"{nb.count_noun(len(measures), 'tiltak', 'tiltak')} melder rød {what}:"),
            _notes(measures, Colour.RED),
        )
    else:
        doc.add(_p(f"Ingen tiltak melder rød {what}."))


def _status_and_risk(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.add(
        Heading("1.1", "Overordnet status", level=2),
        _p(_shares_sentence(view.status, "status", "har")),
    )
    _red(doc, view.with_status(Colour.RED), "status")
    doc.add(
        Heading("1.2", "Risiko", level=2),
        _p(_shares_sentence(view.risk, "risiko", "melder")),
    )
    _red(doc, view.with_risk(Colour.RED), "risiko")
    doc.figure(
        charts.colour_chart(view.status, view.risk),
        f"Status og risiko i nasjonal e-helseportefølje {period.name}",
    )
    doc.table(_colour_table(view), "Antall tiltak per status- og risikofarge")


def _not_reported(doc: _Numbering, view: PortfolioView) -> None:
    missing = view.not_reported()
    if not missing:
        return
    doc.add(
        Heading("1.3", "Tiltak som ikke har rapportert", level=2),
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


def _segments(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    doc.add(Heading("2", "Porteføljesegmenter"))
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
        _group_table("Segment", view.segments, view.budget_total_mnok),
        "Tiltak og budsjett per porteføljesegment",
    )


def _areas(doc: _Numbering, view: PortfolioView, period: _Period) -> None:
    areas = view.by_strategic_area()
    if not areas:
        return
    doc.add(
        Heading("3", "Strategiske innsatsområder"),
        _p(f"Tiltakene og budsjettet{period.for_year} fordelt på strategiske innsatsområder:"),
    )
    doc.table(
        _group_table("Innsatsområde", areas, view.budget_total_mnok),
        "Tiltak og budsjett per strategisk innsatsområde",
    )


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
    period = _Period(nb.period_name(view.period), nb.period_year(view.period))
    doc = _Numbering()
    doc.add(_key_figures(view, period))
    _overview(doc, view, period)
    _status_and_risk(doc, view, period)
    _not_reported(doc, view)
    _segments(doc, view, period)
    _areas(doc, view, period)
    _appendix_section(doc, view, period)
    meta = [f"Rapporteringsperiode {view.period}"]
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


def korona_document(
    data: Mapping[str, Any], names: Mapping[str, str] | None = None, *, made_on: date
) -> Document:
    """The corona portfolio's proposals per category."""
    view = KoronaView.from_json(data, names)
    largest = view.largest_first()
    doc = _Numbering()
    figures = [
        KeyFigure("Forslag", nb.number(view.total), "registrert"),
        KeyFigure("Kategorier", nb.number(len(view.categories))),
    ]
    if largest and largest[0].proposals:
        top = largest[0]
        figures.append(
            KeyFigure("Største kategori", top.name or top.code, f"{top.proposals} forslag")
        )
    doc.add(
        KeyFigures(tuple(figures)),
        Heading("1", "Forslag per kategori"),
        _p(
            f"Til sammen er det registrert {nb.count_noun(view.total, 'forslag', 'forslag')} "
            f"i {len(view.categories)} kategorier. Forslagene er kategorisert etter hvilken "
            "evne eller kapabilitet i sektoren de forbedrer."
            if view.total
            else "Det er ikke registrert noen forslag ennå."
        ),
    )
    if view.categories and not any(c.name for c in view.categories):
        doc.add(
            _p(
                "Kategoriene vises med kode: kategoritabellen "
                "(data/korona-categories-*.tsv i den delte katalogen) ble ikke funnet.",
                small=True,
            )
        )
    if largest:
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
                Cell(c.code),
                Cell(c.name or DASH),
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
    meta = [
        *([f"Per {nb.moment(view.as_of)}"] if view.as_of else []),
        f"Laget {nb.long_date(made_on)}",
    ]
    return Document(
        title=f"Koronaporteføljen {nb.EN_DASH} forslag per kategori",
        kicker=PUBLISHER,
        running_title="Koronaporteføljen",
        meta=tuple(meta),
        blocks=tuple(doc.blocks),
        subject="Forslag til koronaporteføljen per kategori",
    )
