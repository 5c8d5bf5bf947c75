"""The report JSON (what ``--format json`` prints) read into typed values for the renderers.

Reading is lenient on purpose: a field the server does not send (yet) gets its neutral
value, and fields the renderers do not know are ignored, so an older or newer server's
report still renders. A new field is shown by reading it here and using it in a renderer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from portfolio_cli.colours import Colour

NOT_PLACED_NB = "Ikke plassert"
COLOUR_KEYS = ("green", "yellow", "red", "unreported")
_AREA_CODE = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+")


def segment_label(value: str | None) -> str:
    """A segment's JSON value ("samstyre") as the directorate writes it ("Samstyre")."""
    return value.capitalize() if value else NOT_PLACED_NB


def area_sort_key(area: str) -> tuple[tuple[int, ...], str]:
    """Strategic areas in the order of their codes: 1.1 < 1.2 < 2.1 < 10.1; uncoded last."""
    match = _AREA_CODE.match(area)
    if not match:
        return ((10**9,), area)
    return (tuple(int(part) for part in match.group(1).split(".")), area)


def _colour(value: Any) -> Colour | None:
    try:
        return Colour(value) if value else None
    except ValueError:
        return None


def _amount(value: Any) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _int(value: Any) -> int:
    return int(value) if isinstance(value, int | float) else 0


def _text(value: Any) -> str:
    return str(value).strip() if value is not None else ""


def _lines(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = data.get(key)
    return [line for line in value if isinstance(line, Mapping)] if isinstance(value, list) else []


@dataclass(frozen=True)
class ColourCounts:
    """How many measures have each colour; ``unreported`` have none for the period."""

    green: int = 0
    yellow: int = 0
    red: int = 0
    unreported: int = 0

    @classmethod
    def from_json(cls, value: Any) -> ColourCounts:
        counts = value if isinstance(value, Mapping) else {}
        return cls(*(_int(counts.get(key)) for key in COLOUR_KEYS))

    @property
    def total(self) -> int:
        return self.green + self.yellow + self.red + self.unreported

    def of(self, colour: Colour | None) -> int:
        """The count of ``colour``; None counts the unreported."""
        return self.unreported if colour is None else int(getattr(self, colour.value))


@dataclass(frozen=True)
class GroupLine:
    """Measures and budget of one group: an agency, a segment, a strategic area."""

    label: str
    measures: int
    budget_mnok: float


@dataclass(frozen=True)
class MeasureItem:
    """One measure's line in the report."""

    measure_id: int
    name: str
    agency: str
    strategic_area: str
    status: Colour | None
    risk: Colour | None
    budget_mnok: float
    reported: bool
    segment: str | None
    explanation: str

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> MeasureItem:
        segment = line.get("segment")
        return cls(
            measure_id=_int(line.get("measure_id")),
            name=_text(line.get("name")),
            agency=_text(line.get("responsible_agency")),
            strategic_area=_text(line.get("strategic_area")),
            status=_colour(line.get("status")),
            risk=_colour(line.get("risk")),
            budget_mnok=_amount(line.get("budget_mnok")),
            reported=bool(line.get("reported")),
            segment=str(segment) if segment else None,
            explanation=_text(line.get("explanation")),
        )

    @property
    def segment_label(self) -> str:
        return segment_label(self.segment)


@dataclass(frozen=True)
class PortfolioView:
    """A period's portfolio report, as the renderers use it."""

    period: str
    measure_count: int
    budget_total_mnok: float
    status: ColourCounts
    risk: ColourCounts
    agencies: tuple[GroupLine, ...]
    segments: tuple[GroupLine, ...]
    measures: tuple[MeasureItem, ...]
    as_of: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PortfolioView:
        measures = tuple(MeasureItem.from_json(m) for m in _lines(data, "measures"))
        return cls(
            period=_text(data.get("period")),
            measure_count=_int(data.get("measure_count", len(measures))),
            budget_total_mnok=_amount(data.get("budget_total_mnok")),
            status=ColourCounts.from_json(data.get("status")),
            risk=ColourCounts.from_json(data.get("risk")),
            agencies=tuple(
                GroupLine(
                    _text(a.get("agency")), _int(a.get("measures")), _amount(a.get("budget_mnok"))
                )
                for a in _lines(data, "by_agency")
            ),
            segments=tuple(
                GroupLine(
                    segment_label(s.get("segment")),
                    _int(s.get("measures")),
                    _amount(s.get("budget_mnok")),
                )
                for s in _lines(data, "by_segment")
            ),
            measures=measures,
            as_of=_text(data.get("as_of")),
        )

    def agencies_by_budget(self) -> list[GroupLine]:
        """Agencies with the largest budget first (then by name)."""
        return sorted(self.agencies, key=lambda a: (-a.budget_mnok, a.label))

    def by_strategic_area(self) -> list[GroupLine]:
        """Measures and budget per strategic area, in the order of the areas' codes."""
        areas: dict[str, list[MeasureItem]] = {}
        for m in self.measures:
            areas.setdefault(m.strategic_area, []).append(m)
        return [
            GroupLine(area or "(uten innsatsområde)", len(ms), sum(m.budget_mnok for m in ms))
            for area, ms in sorted(areas.items(), key=lambda kv: area_sort_key(kv[0]))
        ]

    def in_appendix_order(self) -> list[MeasureItem]:
        """Measures as Vedlegg 1 lists them: by strategic area, then by number."""
        return sorted(self.measures, key=lambda m: (area_sort_key(m.strategic_area), m.measure_id))

    def with_status(self, colour: Colour) -> list[MeasureItem]:
        return [m for m in self.measures if m.status is colour]

    def with_risk(self, colour: Colour) -> list[MeasureItem]:
        return [m for m in self.measures if m.risk is colour]

    def not_reported(self) -> list[MeasureItem]:
        """Measures that sent no status report for the period."""
        return [m for m in self.measures if not m.reported]


@dataclass(frozen=True)
class CategoryItem:
    """One corona-portfolio category: its code, its name when known, its proposals."""

    code: str
    name: str
    proposals: int

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}" if self.name else self.code


@dataclass(frozen=True)
class KoronaView:
    """The corona-portfolio report, as the renderers use it."""

    total: int
    categories: tuple[CategoryItem, ...]
    as_of: str = ""

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], names: Mapping[str, str] | None = None
    ) -> KoronaView:
        """``names`` maps category codes to names (from the category table), when known."""
        known = names or {}
        categories = tuple(
            CategoryItem(
                code=_text(line.get("code")),
                name=_text(line.get("name")) or known.get(_text(line.get("code")), ""),
                proposals=_int(line.get("proposals")),
            )
            for line in _lines(data, "by_category")
        )
        return cls(
            total=_int(data.get("total", sum(c.proposals for c in categories))),
            categories=categories,
            as_of=_text(data.get("as_of")),
        )

    def largest_first(self) -> list[CategoryItem]:
        return sorted(self.categories, key=lambda c: (-c.proposals, c.code))
