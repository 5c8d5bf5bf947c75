"""The rest of the directorate's report (seed 002), beside a period's core figures.

The comparison with the previous period, the measures that entered and left since then
with their way forward, next year's candidates, budget per strategic area this year and
next, the measures planned to finish this year, and per segment the reports due and late.
Every section answers as of the same moment as the report it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reporting.queries import (
    AsOf,
    PortfolioReport,
    budgets_for,
    deadline_of,
    owes_report,
    portfolio_report,
)
from reporting.store import ReadModelStore


@dataclass(frozen=True)
class Change:
    measure_id: int
    name: str
    responsible_agency: str
    period: str
    lifecycle: str = ""
    way_forward: str = ""
    budget_nok: int = 0


@dataclass(frozen=True)
class Candidate:
    measure_id: int
    name: str
    responsible_agency: str
    strategic_area: str
    candidate_for: int


@dataclass(frozen=True)
class Area:
    strategic_area: str
    measures: int
    budget_nok_this_year: int
    budget_nok_next_year: int


@dataclass(frozen=True)
class Finishing:
    measure_id: int
    name: str
    responsible_agency: str
    planned_end: str


@dataclass(frozen=True)
class SegmentDue:
    reports_due: int
    reports_overdue: int


@dataclass
class Sections:
    previous: PortfolioReport | None = None
    entered: list[Change] = field(default_factory=list)
    exited: list[Change] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    by_strategic_area: list[Area] = field(default_factory=list)
    finishing_this_year: list[Finishing] = field(default_factory=list)
    due_by_segment: dict[str | None, SegmentDue] = field(default_factory=dict)


def _previous_sql(c: str) -> str:
    return f"SELECT MAX(period) FROM {{s}}rpt_status_reports WHERE period < ? AND {c} <= ?"  # noqa: S608 - the column is 'at' or 'rec'


def _membership_sql(c: str) -> str:
    """Every measure with its latest membership row as of a moment."""
    return (
        "SELECT m.measure_id, m.name, m.responsible_agency, m.strategic_area, "  # noqa: S608 - the column is 'at' or 'rec'
        "m.candidate_for, m.planned_end, ms.lifecycle, ms.since, ms.left_after, ms.way_forward "
        "FROM {s}rpt_measures m JOIN {s}rpt_membership ms ON ms.measure_id = m.measure_id "
        "WHERE ms.seq = (SELECT MAX(x.seq) FROM {s}rpt_membership x "
        f"WHERE x.measure_id = m.measure_id AND x.{c} <= ?) ORDER BY m.measure_id"
    )


_SQL = {c: (_previous_sql(c), _membership_sql(c)) for c in ("at", "rec")}


def sections(store: ReadModelStore, report: PortfolioReport, as_of: AsOf) -> Sections:
    """The other sections of ``report``'s period, as of the same moment."""
    period, year = report.period, int(report.period[:4])
    previous_sql, membership_sql = _SQL[as_of.column]
    (previous_period,) = store.query(previous_sql, (period, as_of.bound))[0]
    members = {row[0]: row for row in store.query(membership_sql, (as_of.bound,))}
    out = Sections()
    if previous_period:
        out.previous = portfolio_report(store, previous_period, as_of)
        now_ids = {m.measure_id for m in report.measures}
        before = {m.measure_id: m for m in out.previous.measures}
        out.entered = [
            Change(
                m.measure_id,
                m.name,
                m.responsible_agency,
                str(members[m.measure_id][7] or "") if m.measure_id in members else "",
                budget_nok=m.budget_nok,
            )
            for m in report.measures
            if m.measure_id not in before
        ]
        out.exited = [_left(members.get(mid), before[mid]) for mid in sorted(set(before) - now_ids)]
    out.candidates = [
        Candidate(mid, name, agency, area or "", int(candidate_for))
        for mid, name, agency, area, candidate_for, _, lifecycle, *_ in members.values()
        if lifecycle == "candidate" and candidate_for == year + 1
    ]
    out.by_strategic_area = _areas(store, report, year, as_of)
    ends = {mid: row[5] for mid, row in members.items()}
    out.finishing_this_year = [
        Finishing(m.measure_id, m.name, m.responsible_agency, ends[m.measure_id])
        for m in report.measures
        if ends.get(m.measure_id) and str(ends[m.measure_id]).startswith(f"{year}-")
    ]
    out.due_by_segment = _due(report, as_of)
    return out


def _left(row: tuple[Any, ...] | None, line: Any) -> Change:
    """A measure of the previous period that is gone, with its latest membership ``row``."""
    lifecycle, left_after, way_forward = (row[6], row[8], row[9]) if row else ("", "", "")
    return Change(
        line.measure_id,
        line.name,
        line.responsible_agency,
        left_after or "",
        lifecycle,
        way_forward,
        line.budget_nok,
    )


def _areas(store: ReadModelStore, report: PortfolioReport, year: int, as_of: AsOf) -> list[Area]:
    next_year = budgets_for(store, year + 1, report.period, as_of)
    areas: dict[str, list[Any]] = {}
    for m in report.measures:
        areas.setdefault(m.strategic_area, []).append(m)
    return [
        Area(
            area,
            len(ms),
            sum(m.budget_nok for m in ms),
            sum(next_year.get(m.measure_id, 0) for m in ms),
        )
        for area, ms in sorted(areas.items())
    ]


def _due(report: PortfolioReport, as_of: AsOf) -> dict[str | None, SegmentDue]:
    moment = as_of.moment or datetime.now(UTC)
    late = moment.date() > deadline_of(report.period)
    due: dict[str | None, list[bool]] = {}
    for m in report.measures:
        if owes_report(m, report.period):
            due.setdefault(m.segment, []).append(m.reported)
    return {
        seg: SegmentDue(len(flags), sum(1 for r in flags if not r) if late else 0)
        for seg, flags in due.items()
    }
