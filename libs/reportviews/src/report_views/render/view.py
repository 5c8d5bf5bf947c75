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

from report_views.colours import Colour

NOT_PLACED_NB = "Ikke plassert"
NO_AREA_NB = "(uten innsatsområde)"
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


def _maybe_int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _maybe_amount(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


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
    """Measures and budget of one group: an agency, a segment, a strategic area.

    Segments also count the status reports owed for the period and how many are late."""

    label: str
    measures: int
    budget_mnok: float
    reports_due: int = 0
    reports_overdue: int = 0


@dataclass(frozen=True)
class PreviousPeriod:
    """The previous reporting period's figures; None where the server did not send one."""

    period: str
    measure_count: int | None = None
    budget_total_mnok: float | None = None
    status: ColourCounts | None = None
    risk: ColourCounts | None = None

    @classmethod
    def from_json(cls, value: Any) -> PreviousPeriod | None:
        """None unless ``value`` is a previous period with a name."""
        if not isinstance(value, Mapping) or not _text(value.get("period")):
            return None

        def counts(key: str) -> ColourCounts | None:
            found = ColourCounts.from_json(value.get(key))
            return found if found.total else None

        return cls(
            period=_text(value.get("period")),
            measure_count=_maybe_int(value.get("measure_count")),
            budget_total_mnok=_maybe_amount(value.get("budget_total_mnok")),
            status=counts("status"),
            risk=counts("risk"),
        )


LEFT_NB = {"completed": "Ferdigstilt", "paused": "Pauset", "withdrawn": "Trukket"}


@dataclass(frozen=True)
class ChangeItem:
    """A measure that entered or left the portfolio since the previous period."""

    measure_id: int
    name: str
    agency: str
    period: str
    lifecycle: str
    way_forward: str
    budget_mnok: float

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> ChangeItem:
        return cls(
            measure_id=_int(line.get("measure_id")),
            name=_text(line.get("name")),
            agency=_text(line.get("responsible_agency")),
            period=_text(line.get("period")),
            lifecycle=_text(line.get("lifecycle")).lower(),
            way_forward=_text(line.get("way_forward")),
            budget_mnok=_amount(line.get("budget_mnok")),
        )

    @property
    def way_forward_label(self) -> str:
        """ "Veien videre": what the measure said, else what its leaving says ("Pauset")."""
        return self.way_forward or LEFT_NB.get(self.lifecycle, "")


@dataclass(frozen=True)
class CandidateItem:
    """A candidate for next year's portfolio."""

    measure_id: int
    name: str
    agency: str
    strategic_area: str
    candidate_for: int | None

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> CandidateItem:
        return cls(
            measure_id=_int(line.get("measure_id")),
            name=_text(line.get("name")),
            agency=_text(line.get("responsible_agency")),
            strategic_area=_text(line.get("strategic_area")),
            candidate_for=_maybe_int(line.get("candidate_for")) or None,
        )


@dataclass(frozen=True)
class AreaBudget:
    """A strategic area's measures and budget this year and (as reported so far) next."""

    label: str
    measures: int
    this_year_mnok: float
    next_year_mnok: float

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> AreaBudget:
        return cls(
            label=_text(line.get("strategic_area")) or NO_AREA_NB,
            measures=_int(line.get("measures")),
            this_year_mnok=_amount(line.get("budget_mnok_this_year")),
            next_year_mnok=_amount(line.get("budget_mnok_next_year")),
        )


@dataclass(frozen=True)
class FinishingItem:
    """A measure planned to finish in the period's year."""

    measure_id: int
    name: str
    agency: str
    planned_end: str

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> FinishingItem:
        return cls(
            measure_id=_int(line.get("measure_id")),
            name=_text(line.get("name")),
            agency=_text(line.get("responsible_agency")),
            planned_end=_text(line.get("planned_end")),
        )


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
    previous: PreviousPeriod | None = None
    entered: tuple[ChangeItem, ...] = ()
    exited: tuple[ChangeItem, ...] = ()
    candidates: tuple[CandidateItem, ...] = ()
    area_budgets: tuple[AreaBudget, ...] = ()
    finishing: tuple[FinishingItem, ...] = ()
    knows_changes: bool = False
    """The server tells what entered and left (``entered``/``exited`` are in the data)."""
    knows_outlook: bool = False
    """The server tells candidates, finishing measures and next year's budget per area."""
    knows_reports_due: bool = False
    """The segments count the status reports owed and overdue."""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> PortfolioView:
        measures = tuple(MeasureItem.from_json(m) for m in _lines(data, "measures"))
        segments = _lines(data, "by_segment")
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
                    _int(s.get("reports_due")),
                    _int(s.get("reports_overdue")),
                )
                for s in segments
            ),
            measures=measures,
            as_of=_text(data.get("as_of")),
            previous=PreviousPeriod.from_json(data.get("previous")),
            entered=tuple(ChangeItem.from_json(c) for c in _lines(data, "entered")),
            exited=tuple(ChangeItem.from_json(c) for c in _lines(data, "exited")),
            candidates=tuple(CandidateItem.from_json(c) for c in _lines(data, "candidates")),
            area_budgets=tuple(
                sorted(
                    (AreaBudget.from_json(a) for a in _lines(data, "by_strategic_area")),
                    key=lambda a: area_sort_key(a.label),
                )
            ),
            finishing=tuple(
                FinishingItem.from_json(f) for f in _lines(data, "finishing_this_year")
            ),
            knows_changes=any(isinstance(data.get(k), list) for k in ("entered", "exited")),
            knows_outlook=any(
                isinstance(data.get(k), list)
                for k in ("candidates", "by_strategic_area", "finishing_this_year")
            ),
            knows_reports_due=any("reports_due" in s for s in segments),
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
            GroupLine(area or NO_AREA_NB, len(ms), sum(m.budget_mnok for m in ms))
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

    def finishing_in_portfolio(self) -> list[FinishingItem]:
        """The measures planned to finish this year that are still in the portfolio."""
        ids = {m.measure_id for m in self.measures}
        return [f for f in self.finishing if f.measure_id in ids]


UNCATEGORISED_NB = "(ikke kategorisert)"
KORONA_TITLE = "Koronaporteføljen \u2013 forslag, nettoliste og midler"
KORONA_CATEGORIES_TITLE = "Koronaporteføljen \u2013 forslag per kategori"
"""The corona report's title; an older server's report has only the categories."""


@dataclass(frozen=True)
class CategoryItem:
    """One corona-portfolio category: its code, its name when known, its proposals."""

    code: str
    name: str
    proposals: int

    @property
    def label(self) -> str:
        if not self.code:
            return self.name or UNCATEGORISED_NB
        return f"{self.code} {self.name}" if self.name else self.code


PROPOSAL_STATES_NB = {
    "registered": "Mottatt, ikke vurdert",
    "in_assessment": "Til vurdering",
    "assessed": "Vurdert, venter på beslutning",
    "prioritised": "Prioritert",
    "not_prioritised": "Ikke prioritert",
    "deferred": "Utsatt",
}
"""A proposal's state as the portfolio office says it, in the order a proposal goes."""
IMPLEMENTATION_NB = {
    "planned": "Planlagt",
    "being_introduced": "Under innføring",
    "introduced": "Innført",
    "in_operation": "I drift",
}
"""A net-list measure's implementation status, from planned to in operation."""


def _label(names: Mapping[str, str], value: str) -> str:
    """The bokmål name of a known value; an unknown one as it came, never lost."""
    return names.get(value, value.replace("_", " ").capitalize() if value else "")


@dataclass(frozen=True)
class StateCount:
    """How many proposals are in one state of their path."""

    state: str
    proposals: int

    @property
    def label(self) -> str:
        return _label(PROPOSAL_STATES_NB, self.state)


@dataclass(frozen=True)
class NetListItem:
    """A prioritised measure: who introduces it, how far it has come, what it is given."""

    proposal_id: str
    title: str
    agency: str
    status: str
    category_code: str
    allocated_mnok: float
    committed_mnok: float
    paid_mnok: float

    @classmethod
    def from_json(cls, line: Mapping[str, Any]) -> NetListItem:
        return cls(
            proposal_id=_text(line.get("proposal_id")),
            title=_text(line.get("title")),
            agency=_text(line.get("responsible_agency")),
            status=_text(line.get("implementation_status")) or "planned",
            category_code=_text(line.get("category_code")),
            allocated_mnok=_amount(line.get("allocated_mnok")),
            committed_mnok=_amount(line.get("committed_mnok")),
            paid_mnok=_amount(line.get("paid_mnok")),
        )

    @property
    def status_label(self) -> str:
        return _label(IMPLEMENTATION_NB, self.status)


@dataclass(frozen=True)
class FundingView:
    """The funding envelope in million NOK: its total and what is allocated, committed,
    paid and left (not allocated)."""

    total_mnok: float
    allocated_mnok: float
    committed_mnok: float
    paid_mnok: float
    left_mnok: float

    @classmethod
    def from_json(cls, value: Any) -> FundingView | None:
        """None unless ``value`` is the envelope's figures."""
        if not isinstance(value, Mapping):
            return None
        total = _amount(value.get("total_mnok"))
        allocated = _amount(value.get("allocated_mnok"))
        left = _maybe_amount(value.get("left_mnok"))
        return cls(
            total_mnok=total,
            allocated_mnok=allocated,
            committed_mnok=_amount(value.get("committed_mnok")),
            paid_mnok=_amount(value.get("paid_mnok")),
            left_mnok=left if left is not None else round(total - allocated, 6),
        )


@dataclass(frozen=True)
class KoronaView:
    """The corona-portfolio report, as the renderers use it.

    ``knows_path`` is True when the server sends the proposals per state (then also the net
    list and the feedback figures); an older server sends only the categories."""

    total: int
    categories: tuple[CategoryItem, ...]
    as_of: str = ""
    states: tuple[StateCount, ...] = ()
    net_list: tuple[NetListItem, ...] = ()
    funding: FundingView | None = None
    awaiting_feedback: int = 0
    median_days_to_feedback: float | None = None
    knows_path: bool = False

    @classmethod
    def from_json(
        cls, data: Mapping[str, Any], names: Mapping[str, str] | None = None
    ) -> KoronaView:
        """Category names come from the report; ``names`` (code → name, from the category
        table) fills in where the report has none."""
        known = names or {}
        categories = tuple(
            CategoryItem(
                code=_text(line.get("code")),
                name=_text(line.get("category"))
                or _text(line.get("name"))
                or known.get(_text(line.get("code")), ""),
                proposals=_int(line.get("proposals")),
            )
            for line in _lines(data, "by_category")
        )
        states = tuple(
            StateCount(_text(line.get("state")), _int(line.get("proposals")))
            for line in _lines(data, "by_state")
        )
        return cls(
            total=_int(data.get("total", sum(c.proposals for c in categories))),
            categories=categories,
            as_of=_text(data.get("as_of")),
            states=states,
            net_list=tuple(NetListItem.from_json(m) for m in _lines(data, "net_list")),
            funding=FundingView.from_json(data.get("funding")),
            awaiting_feedback=_int(data.get("awaiting_feedback")),
            median_days_to_feedback=_maybe_amount(data.get("median_days_to_feedback")),
            knows_path=bool(states),
        )

    def largest_first(self) -> list[CategoryItem]:
        return sorted(self.categories, key=lambda c: (-c.proposals, c.code))

    def with_status(self, status: str) -> int:
        """How many net-list measures have implementation status ``status``."""
        return sum(1 for m in self.net_list if m.status == status)
