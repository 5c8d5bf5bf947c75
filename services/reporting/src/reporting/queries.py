"""The report views, computed from the read model.

What a period's report counts, as the directorate does (seed 002): every measure in
the portfolio in that period whether or not it reported; status and risk as
reported for the period, else "unreported"; a measure's budget for the period's
year is the latest figure it reported for that year up to and including the period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from statistics import median
from typing import Any

from backbone.errors import NotFoundError
from reporting.projections import utc_text
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
    segment: str | None = None
    explanation: str = ""
    report_months: tuple[int, ...] = ()
    """The months the measure's segment reports for, as of the period; () = unplaced."""


@dataclass(frozen=True)
class SegmentLine:
    segment: str | None
    measures: int
    budget_nok: int


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
    by_segment: list[SegmentLine] = field(default_factory=list)

    @property
    def measure_count(self) -> int:
        return len(self.measures)

    @property
    def budget_total_nok(self) -> int:
        return sum(m.budget_nok for m in self.measures)


def _counts(values: list[str | None]) -> dict[str, int]:
    counted = Counter(v if v in COLOURS else "unreported" for v in values)
    return {k: counted.get(k, 0) for k in (*COLOURS, "unreported")}


SEGMENT_ORDER = ("samstyre", "koordinere", "observere", "inspirere", None)
END_OF_TIME = "9999"


@dataclass(frozen=True)
class AsOf:
    """The moment a view is for, on one of two time axes.

    ``domain`` (the default): facts as they held in the domain by then (when a report was
    given, when a decision took effect). ``recorded``: facts as the system had recorded
    them by then. ``moment=None`` means now.
    """

    moment: datetime | None = None
    recorded: bool = False

    @property
    def column(self) -> str:
        return "rec" if self.recorded else "at"

    @property
    def bound(self) -> str:
        return utc_text(self.moment) if self.moment else END_OF_TIME


NOW = AsOf()


def _measures_sql(c: str) -> str:
    """Measures in the portfolio in a period, as of a moment on column ``c`` (at or rec),
    each with the segment it is in then and that segment's reporting months."""
    seg = (
        "(SELECT s.{col} FROM {s}rpt_segments s WHERE s.measure_id = m.measure_id "  # noqa: S608 - the column is 'at' or 'rec'
        f"AND s.from_period <= ? AND s.{c} <= ? "
        "ORDER BY s.from_period DESC, s.seq DESC LIMIT 1)"
    )
    return (
        "SELECT m.measure_id, m.name, m.responsible_agency, m.strategic_area, "  # noqa: S608 - the column is 'at' or 'rec'
        + seg.replace("{col}", "segment")
        + ", "
        + seg.replace("{col}", "report_months")
        + " FROM {s}rpt_measures m JOIN {s}rpt_membership ms ON ms.measure_id = m.measure_id "  # noqa: S608 - the column is 'at' or 'rec'
        f"WHERE ms.seq = (SELECT MAX(x.seq) FROM {{s}}rpt_membership x "
        f"WHERE x.measure_id = m.measure_id AND x.{c} <= ?) "
        "AND ms.since IS NOT NULL AND ms.since <= ? "
        "AND (ms.left_after IS NULL OR ms.left_after >= ?) ORDER BY m.measure_id"
    )


def _reports_sql(c: str) -> str:
    """The status report that counts for each measure in a period, as of a moment."""
    return (
        "SELECT r.measure_id, r.status, r.risk, r.receipt_id, r.explanation "  # noqa: S608 - the column is 'at' or 'rec'
        "FROM {s}rpt_status_reports r WHERE r.period = ? AND r.seq = ("
        "SELECT MAX(x.seq) FROM {s}rpt_status_reports x WHERE x.measure_id = r.measure_id "
        f"AND x.period = r.period AND x.{c} <= ?)"
    )


def _budgets_sql(c: str) -> str:
    """Each measure's budget figures for a year from the reports that count, per period."""
    return (
        "SELECT b.measure_id, b.period, b.amount_nok FROM {s}rpt_budgets b "  # noqa: S608 - the column is 'at' or 'rec'
        "WHERE b.year = ? AND b.period <= ? AND b.seq = ("
        "SELECT MAX(x.seq) FROM {s}rpt_status_reports x WHERE x.measure_id = b.measure_id "
        f"AND x.period = b.period AND x.{c} <= ?)"
    )


_SQL = {c: (_measures_sql(c), _reports_sql(c), _budgets_sql(c)) for c in ("at", "rec")}


def measures_in_portfolio(
    store: ReadModelStore, period: str, as_of: AsOf = NOW
) -> list[tuple[Any, ...]]:
    """Measures counted in ``period``: entered by then and not left before it.

    Candidates and submissions not (yet) included have no entry period and are not
    counted; a measure that left is counted up to and including its last period.
    """
    t = as_of.bound
    return store.query(_SQL[as_of.column][0], (period, t, period, t, t, period, period))


def portfolio_report(store: ReadModelStore, period: str, as_of: AsOf = NOW) -> PortfolioReport:
    year, t = int(period[:4]), as_of.bound
    reports_sql = _SQL[as_of.column][1]
    measures = measures_in_portfolio(store, period, as_of)
    reports = {row[0]: row[1:] for row in store.query(reports_sql, (period, t))}
    budgets = budgets_for(store, year, period, as_of)
    lines = []
    for measure_id, name, agency, area, segment, months in measures:
        status, risk, receipt, explanation = reports.get(measure_id, (None, None, "", ""))
        lines.append(
            MeasureLine(
                measure_id=measure_id,
                name=name,
                responsible_agency=agency,
                strategic_area=area,
                status=status,
                risk=risk,
                budget_nok=budgets.get(measure_id, 0),
                reported=measure_id in reports,
                report_receipt_id=receipt,
                segment=segment,
                explanation=explanation,
                report_months=tuple(int(m) for m in months.split(",")) if months else (),
            )
        )
    return PortfolioReport(
        period=period,
        measures=lines,
        status=_counts([m.status for m in lines]),
        risk=_counts([m.risk for m in lines]),
        by_agency=_by_agency(lines),
        by_segment=_by_segment(lines),
    )


def budgets_for(store: ReadModelStore, year: int, period: str, as_of: AsOf = NOW) -> dict[int, int]:
    """Each measure's budget for ``year``: the latest figure it reported for that year in a
    report that counts, up to and including ``period``."""
    latest: dict[int, tuple[str, int]] = {}
    rows = store.query(_SQL[as_of.column][2], (year, period, as_of.bound))
    for measure_id, report_period, amount in rows:
        if measure_id not in latest or report_period > latest[measure_id][0]:
            latest[measure_id] = (report_period, int(amount))
    return {measure_id: amount for measure_id, (_, amount) in latest.items()}


def _by_agency(lines: list[MeasureLine]) -> list[AgencyLine]:
    agencies: dict[str, list[MeasureLine]] = {}
    for line in lines:
        agencies.setdefault(line.responsible_agency, []).append(line)
    return sorted(
        (AgencyLine(a, len(ms), sum(m.budget_nok for m in ms)) for a, ms in agencies.items()),
        key=lambda a: (-a.budget_nok, a.agency),
    )


def _by_segment(lines: list[MeasureLine]) -> list[SegmentLine]:
    segments: dict[str | None, list[MeasureLine]] = {}
    for line in lines:
        segments.setdefault(line.segment, []).append(line)
    return [
        SegmentLine(seg, len(segments[seg]), sum(m.budget_nok for m in segments[seg]))
        for seg in SEGMENT_ORDER
        if seg in segments
    ]


@dataclass(frozen=True)
class CalendarEntry:
    measure_id: int
    name: str
    responsible_agency: str
    segment: str | None
    deadline: date
    reported: bool
    overdue: bool


def owes_report(line: MeasureLine, period: str) -> bool:
    """Whether the measure owes a report for ``period`` under its segment's cadence (a
    measure not yet placed in a segment reports every period, as all did before segments)."""
    return not line.report_months or int(period[5:7]) in line.report_months


def deadline_of(period: str) -> date:
    """A period's reports are due by the 15th of the following month."""
    year, month = int(period[:4]), int(period[5:7])
    return date(year + month // 12, month % 12 + 1, 15)


def calendar(store: ReadModelStore, period: str, at: datetime) -> list[CalendarEntry]:
    """Who owes a report for ``period`` under its segment's cadence, and who is late at ``at``.

    A measure not yet placed in a segment reports every period, as all did before segments.
    """
    report = portfolio_report(store, period)
    deadline = deadline_of(period)
    late = at.date() > deadline
    return [
        CalendarEntry(
            measure_id=m.measure_id,
            name=m.name,
            responsible_agency=m.responsible_agency,
            segment=m.segment,
            deadline=deadline,
            reported=m.reported,
            overdue=late and not m.reported,
        )
        for m in report.measures
        if owes_report(m, period)
    ]


def dependencies(
    store: ReadModelStore, measure_id: int
) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """(what ``measure_id`` depends on, what depends on it), each as (id, name).

    NotFoundError when the view does not know the measure.
    """
    if not store.query("SELECT 1 FROM {s}rpt_measures WHERE measure_id = ?", (measure_id,)):
        raise NotFoundError(f"measure {measure_id} is not known")
    depends_on = store.query(
        "SELECT d.depends_on, COALESCE(m.name, '') FROM {s}rpt_dependencies d "
        "LEFT JOIN {s}rpt_measures m ON m.measure_id = d.depends_on "
        "WHERE d.measure_id = ? ORDER BY d.depends_on",
        (measure_id,),
    )
    depended_on_by = store.query(
        "SELECT d.measure_id, COALESCE(m.name, '') FROM {s}rpt_dependencies d "
        "LEFT JOIN {s}rpt_measures m ON m.measure_id = d.measure_id "
        "WHERE d.depends_on = ? ORDER BY d.measure_id",
        (measure_id,),
    )
    return (
        [(int(i), str(n)) for i, n in depends_on],
        [(int(i), str(n)) for i, n in depended_on_by],
    )


PROPOSAL_STATES = (
    "registered",
    "in_assessment",
    "assessed",
    "prioritised",
    "not_prioritised",
    "deferred",
)
PLANNED = "planned"
NET_LIST_SOURCE = "netlist"
"""Proposals registered as net-list measures directly have no proposer awaiting an answer."""


@dataclass(frozen=True)
class CategoryCount:
    code: str
    name: str
    """From the latest registration or categorisation that gave the code a name; "" if none."""
    proposals: int


@dataclass(frozen=True)
class NetListEntry:
    """A prioritised proposal, with its implementation status and its share of the funding."""

    proposal_id: str
    title: str
    responsible_agency: str
    implementation_status: str
    category_code: str
    allocated_nok: int = 0
    committed_nok: int = 0
    paid_nok: int = 0


@dataclass(frozen=True)
class FundingTotals:
    """The funding envelope (all envelopes together, should there be more than one)."""

    total_nok: int = 0
    allocated_nok: int = 0
    committed_nok: int = 0
    paid_nok: int = 0

    @property
    def left_nok(self) -> int:
        return self.total_nok - self.allocated_nok


@dataclass(frozen=True)
class KoronaReport:
    """The corona portfolio as of a moment."""

    total: int
    by_category: list[CategoryCount]
    by_state: list[tuple[str, int]]
    """Every state of ``PROPOSAL_STATES``, in that order, zeros included."""
    net_list: list[NetListEntry] = field(default_factory=list)
    funding: FundingTotals = FundingTotals()
    awaiting_feedback: int = 0
    median_days_to_feedback: float | None = None
    """None when no proposal counted had its first feedback by the moment."""


def _korona_sql(c: str) -> dict[str, str]:
    """The corona report's reads, as of a moment on column ``c`` (at or rec)."""
    received = "received_at <= ?" + (" AND recorded_at <= ?" if c == "rec" else "")
    return {
        "proposals": (
            "SELECT proposal_id, title, category_code, received_at, state "  # noqa: S608 - the column is 'at' or 'rec'
            f"FROM {{s}}rpt_proposals WHERE {received}"
        ),
        "history": (
            "SELECT proposal_id, state, category_code, category_name, source "  # noqa: S608
            f"FROM {{s}}rpt_proposal_history WHERE {c} <= ? ORDER BY seq"
        ),
        "implementation": (
            "SELECT proposal_id, status, responsible_agency "  # noqa: S608
            f"FROM {{s}}rpt_implementation WHERE {c} <= ? ORDER BY seq"
        ),
        "feedback": (
            "SELECT proposal_id, at FROM {s}rpt_feedback "  # noqa: S608
            f"WHERE first = 1 AND {c} <= ? ORDER BY seq"
        ),
        "envelopes": (
            "SELECT envelope, total_nok FROM {s}rpt_funding_envelopes "  # noqa: S608
            f"WHERE {c} <= ? ORDER BY seq"
        ),
        "funding": (
            "SELECT envelope, proposal_id, total_nok, allocated_nok, committed_nok, paid_nok, "  # noqa: S608
            "proposal_allocated_nok, proposal_committed_nok, proposal_paid_nok "
            f"FROM {{s}}rpt_funding WHERE {c} <= ? ORDER BY seq"
        ),
    }


_KORONA_SQL = {c: _korona_sql(c) for c in ("at", "rec")}


@dataclass
class _Path:
    """A proposal as of the moment: the latest of each field its path has set by then."""

    state: str
    category_code: str
    source: str = ""


def _paths(
    store: ReadModelStore, sql: dict[str, str], t: str, proposals: list[tuple[Any, ...]]
) -> tuple[dict[str, _Path], dict[str, str]]:
    """Each proposal's state and category as of the moment (from its registration when its
    path has no rows, as in a read model built before the history was kept), and each
    category code's latest name."""
    paths = {str(pid): _Path(str(state), str(code)) for pid, _, code, _, state in proposals}
    names: dict[str, str] = {}
    for pid, state, code, name, source in store.query(sql["history"], (t,)):
        path = paths.get(str(pid))
        if code is not None and name:
            names[str(code)] = str(name)
        if path is None:
            continue
        path.state = str(state)
        if code is not None:
            path.category_code = str(code)
        if source is not None:
            path.source = str(source)
    return paths, names


def _funding(
    store: ReadModelStore, sql: dict[str, str], t: str
) -> tuple[FundingTotals, dict[str, tuple[int, int, int]]]:
    """The envelopes' totals and each proposal's (allocated, committed, paid), as of then."""
    opened = {str(env): int(total) for env, total in store.query(sql["envelopes"], (t,))}
    latest: dict[str, tuple[int, int, int, int]] = {}
    per_proposal: dict[tuple[str, str], tuple[int, int, int]] = {}
    for env, pid, total, allocated, committed, paid, p_alloc, p_commit, p_paid in store.query(
        sql["funding"], (t,)
    ):
        latest[str(env)] = (int(total), int(allocated), int(committed), int(paid))
        per_proposal[(str(env), str(pid))] = (int(p_alloc), int(p_commit), int(p_paid))
    envelopes = opened.keys() | latest.keys()
    totals = FundingTotals(
        total_nok=sum(opened.get(e, latest.get(e, (0, 0, 0, 0))[0]) for e in envelopes),
        allocated_nok=sum(latest[e][1] for e in latest),
        committed_nok=sum(latest[e][2] for e in latest),
        paid_nok=sum(latest[e][3] for e in latest),
    )
    proposals: dict[str, tuple[int, int, int]] = {}
    for (_, pid), figures in per_proposal.items():
        before = proposals.get(pid, (0, 0, 0))
        proposals[pid] = (before[0] + figures[0], before[1] + figures[1], before[2] + figures[2])
    return totals, proposals


def _days_between(start: str, end: str) -> float:
    delta = datetime.fromisoformat(end) - datetime.fromisoformat(start)
    return delta.total_seconds() / 86_400


def korona_report(store: ReadModelStore, as_of: AsOf = NOW) -> KoronaReport:
    """The corona portfolio as of a moment, on either time axis.

    Proposals count from when they were received (domain axis) or recorded (recorded
    axis); a proposal received after the moment never counts. Each is counted in the
    category and state it had then: per proposal the latest row of its path with its time
    at or before the moment. The net list is the proposals prioritised then, with their
    latest implementation status ("planned" until one is set) and funding; the funding is
    the envelope's figures after its latest change by then. Awaiting feedback: proposals
    counted with no first feedback (beyond the acknowledgement) by then, net-list measures
    registered directly left out; the median runs from receipt to that first feedback.
    """
    t = as_of.bound
    sql = _KORONA_SQL[as_of.column]
    proposals = store.query(sql["proposals"], (t, t) if as_of.recorded else (t,))
    paths, names = _paths(store, sql, t, proposals)

    counted = Counter(path.category_code for path in paths.values())
    by_category = [
        CategoryCount(code, names.get(code, ""), n) for code, n in sorted(counted.items())
    ]
    states = Counter(path.state for path in paths.values())
    by_state = [(state, states.get(state, 0)) for state in PROPOSAL_STATES]

    # (status, responsible agency) per proposal: the latest of each by the moment.
    implementation: dict[str, tuple[str, str]] = {}
    for pid, status, agency in store.query(sql["implementation"], (t,)):
        _, known_agency = implementation.get(str(pid), (PLANNED, ""))
        implementation[str(pid)] = (str(status), str(agency) or known_agency)
    funding, funded = _funding(store, sql, t)
    net_list: list[NetListEntry] = []
    for pid, title, *_ in proposals:
        path = paths[str(pid)]
        if path.state != "prioritised":
            continue
        status, agency = implementation.get(str(pid), (PLANNED, ""))
        allocated, committed, paid = funded.get(str(pid), (0, 0, 0))
        net_list.append(
            NetListEntry(
                str(pid),
                str(title),
                agency,
                status,
                path.category_code,
                allocated,
                committed,
                paid,
            )
        )
    net_list.sort(key=lambda e: (e.title.casefold(), e.proposal_id))

    received = {
        str(pid): str(at)
        for pid, _, _, at, _ in proposals
        if paths[str(pid)].source != NET_LIST_SOURCE
    }
    first_feedback: dict[str, str] = {}
    for pid, at in store.query(sql["feedback"], (t,)):
        if str(pid) in received:
            first_feedback.setdefault(str(pid), str(at))
    days = [_days_between(received[pid], at) for pid, at in first_feedback.items()]
    return KoronaReport(
        total=len(paths),
        by_category=by_category,
        by_state=by_state,
        net_list=net_list,
        funding=funding,
        awaiting_feedback=len(received) - len(first_feedback),
        median_days_to_feedback=median(days) if days else None,
    )


def reporting_periods(store: ReadModelStore, reach_back_months: int = 12) -> list[str]:
    """The periods something happened in, oldest first, for a reader to pick from.

    Periods measures reported for, and periods measures entered or left the portfolio in,
    from ``reach_back_months`` before the first period reported for (measures that have
    been in the portfolio since long before would otherwise list every month since).
    """
    rows = store.query(
        "SELECT period FROM {s}rpt_status_reports UNION "
        "SELECT since FROM {s}rpt_membership WHERE since IS NOT NULL UNION "
        "SELECT left_after FROM {s}rpt_membership WHERE left_after IS NOT NULL"
    )
    periods = sorted({str(p) for (p,) in rows if p})
    reported = store.query("SELECT MIN(period) FROM {s}rpt_status_reports")
    first = reported[0][0] if reported and reported[0][0] else None
    if first is None:
        return []
    year, month = divmod(int(first[:4]) * 12 + int(first[5:7]) - 1 - reach_back_months, 12)
    floor = f"{year:04d}-{month + 1:02d}"
    return [p for p in periods if p >= floor]
