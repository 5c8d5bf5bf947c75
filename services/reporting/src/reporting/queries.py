"""The report views, computed from the read model.

What a period's report counts, as the directorate does (seed 002): every measure in
the portfolio in that period whether or not it reported; status and risk as
reported for the period, else "unreported"; a measure's budget for the period's
year is the latest figure it reported for that year up to and including the period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reporting.store import ReadModelStore

COLOURS = ("green", "yellow", "red")


@dataclass(frozen=True)
class MeasureLine:
    measure_id: int
    name: str
    responsible_agency: str
    strategic_area: str
    status: str | None
    risk: str | None
    budget_nok: int
    reported: bool
    report_receipt_id: str


@dataclass(frozen=True)
class AgencyLine:
    agency: str
    measures: int
    budget_nok: int


@dataclass(frozen=True)
class PortfolioReport:
    period: str
    measures: list[MeasureLine]
    status: dict[str, int] = field(default_factory=dict)
    risk: dict[str, int] = field(default_factory=dict)
    by_agency: list[AgencyLine] = field(default_factory=list)

    @property
    def measure_count(self) -> int:
        return len(self.measures)

    @property
    def budget_total_nok(self) -> int:
        return sum(m.budget_nok for m in self.measures)


def _counts(values: list[str | None]) -> dict[str, int]:
    counted = Counter(v if v in COLOURS else "unreported" for v in values)
    return {k: counted.get(k, 0) for k in (*COLOURS, "unreported")}


def portfolio_report(store: ReadModelStore, period: str) -> PortfolioReport:
    year = int(period[:4])
    measures = store.query(
        "SELECT measure_id, name, responsible_agency, strategic_area FROM {s}rpt_measures "
        "WHERE (in_portfolio_since IS NULL OR in_portfolio_since <= ?) "
        "AND (exited_period IS NULL OR exited_period > ?) ORDER BY measure_id",
        (period, period),
    )
    reports = {
        row[0]: row[1:]
        for row in store.query(
            "SELECT measure_id, status, risk, receipt_id FROM {s}rpt_status_reports "
            "WHERE period = ?",
            (period,),
        )
    }
    budgets = dict(
        store.query(
            "SELECT b.measure_id, b.amount_nok FROM {s}rpt_budgets b WHERE b.year = ? "
            "AND b.period = (SELECT MAX(b2.period) FROM {s}rpt_budgets b2 "
            "WHERE b2.measure_id = b.measure_id AND b2.year = b.year AND b2.period <= ?)",
            (year, period),
        )
    )
    lines = []
    for measure_id, name, agency, area in measures:
        status, risk, receipt = reports.get(measure_id, (None, None, ""))
        lines.append(
            MeasureLine(
                measure_id=measure_id,
                name=name,
                responsible_agency=agency,
                strategic_area=area,
                status=status,
                risk=risk,
                budget_nok=int(budgets.get(measure_id, 0)),
                reported=measure_id in reports,
                report_receipt_id=receipt,
            )
        )
    agencies: dict[str, list[MeasureLine]] = {}
    for line in lines:
        agencies.setdefault(line.responsible_agency, []).append(line)
    by_agency = sorted(
        (AgencyLine(a, len(ms), sum(m.budget_nok for m in ms)) for a, ms in agencies.items()),
        key=lambda a: (-a.budget_nok, a.agency),
    )
    return PortfolioReport(
        period=period,
        measures=lines,
        status=_counts([m.status for m in lines]),
        risk=_counts([m.risk for m in lines]),
        by_agency=by_agency,
    )


def korona_report(store: ReadModelStore) -> tuple[int, list[tuple[str, int]]]:
    """Total proposals and proposals per category code."""
    rows = store.query(
        "SELECT category_code, COUNT(*) FROM {s}rpt_proposals GROUP BY category_code "
        "ORDER BY category_code"
    )
    by_category = [(str(code), int(n)) for code, n in rows]
    return sum(n for _, n in by_category), by_category
