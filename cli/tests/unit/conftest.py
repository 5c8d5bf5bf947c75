"""Report data as the reporting service sends it, built from the directorate's own tables."""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2
from portfolio_cli.shared_data import korona_category_names
from portfolio_cli.tsv import read_table
from report_views.colours import Colour
from report_views.report_json import korona_json, portfolio_json
from report_views.segment_names import parse_segment

# The repository's cross-service test helpers (``tests.korona_data``), also when only these
# unit tests run.
REPO = Path(__file__).resolve().parents[3]
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

WIRE_COLOURS = {
    Colour.GREEN: common_pb2.COLOUR_GREEN,
    Colour.YELLOW: common_pb2.COLOUR_YELLOW,
    Colour.RED: common_pb2.COLOUR_RED,
}
SEGMENT_ORDER = [
    common_pb2.SEGMENT_SAMSTYRE,
    common_pb2.SEGMENT_KOORDINERE,
    common_pb2.SEGMENT_OBSERVERE,
    common_pb2.SEGMENT_INSPIRERE,
    common_pb2.SEGMENT_UNSPECIFIED,
]
# What the red measures said in March 2020 (seed 002, 1.1 and 1.2); 101 sent nothing new.
EXPLANATIONS = {
    160: "Prosjektet melder om manglende finansiering, men får tildelt midler fra de regionale "
    "helseforetakene og Digitaliseringsdirektoratets medfinansieringsordning. Programmet og "
    "prosjektene er under replanlegging.",
    163: "Prosjektet er 8 måneder bak plan, og det er sannsynligvis ikke mulig å nå "
    "prosjektets sluttdato sommeren 2021.",
    132: "Prosjektet melder forsinkelser fra leverandør da fabrikken i Kina er stengt. "
    "Leveransene er ikke i henhold til forventning og det er risiko for kostnadsoverskridelser.",
}
# "Most of Helse Nord's projects have not sent a status report in 2020" (seed 002).
NOT_REPORTED = {167, 168}
# January 2020 (seed 002): 54 measures, 1.65 billion, 56 % yellow status; risk "little changed".
JANUARY = reporting_pb2.PreviousPeriod(
    period="2020-01",
    measure_count=54,
    budget_total_nok=1_650_000_000,
    status=reporting_pb2.ColourCounts(green=21, yellow=30, red=1, unreported=2),
    risk=reporting_pb2.ColourCounts(green=14, yellow=35, red=3, unreported=2),
)
# How the measures that left since January left (portfolio-changes-2020-01-to-03.tsv).
LEFT = {"Forvaltning": "completed", "Pauset": "paused"}
# To finish in 2020 (seed 002, 3.2.1 and 3.2.2).
FINISHING_2020 = {118: "2020-12", 124: "2020-12", 128: "2020-06", 172: "2020-12-31", 102: "2020"}
# Reports owed in March under the segments' cadence: Samstyre and Koordinere every month.
MONTHLY = {common_pb2.SEGMENT_SAMSTYRE, common_pb2.SEGMENT_KOORDINERE}
CANDIDATE_IDS = 190


def changes(data: Path) -> tuple[list[reporting_pb2.ChangeLine], list[reporting_pb2.ChangeLine]]:
    """Measures entered and exited between January and March 2020 (seed 002, tables 1 and 2)."""
    with (data / "portfolio-changes-2020-01-to-03.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    entered = [
        reporting_pb2.ChangeLine(
            measure_id=int(r["measure_id"]),
            name=r["name"],
            responsible_agency=r["responsible_agency"],
            period="2020-03",
            budget_nok=int(float(r["budget_2020_mnok"] or 0) * 1_000_000),
        )
        for r in rows
        if r["change"] == "entered"
    ]
    exited = [
        reporting_pb2.ChangeLine(
            measure_id=int(r["measure_id"]),
            name=r["name"],
            responsible_agency=r["responsible_agency"],
            period="2020-01",
            lifecycle=LEFT[r["way_forward"]],
            way_forward=r["way_forward"],
        )
        for r in rows
        if r["change"] == "exited"
    ]
    return entered, exited


def candidates(data: Path) -> list[reporting_pb2.CandidateLine]:
    """The five candidates for 2021 (seed 002, 3.1), numbered from 190."""
    with (data / "candidates-2021.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [
        reporting_pb2.CandidateLine(
            measure_id=CANDIDATE_IDS + i,
            name=r["name"],
            responsible_agency=r["responsible_agency"],
            strategic_area=r["main_strategic_area"],
            candidate_for=2021,
        )
        for i, r in enumerate(rows)
    ]


def _counts(values: list[int]) -> reporting_pb2.ColourCounts:
    counted = Counter(values)
    return reporting_pb2.ColourCounts(
        green=counted[common_pb2.COLOUR_GREEN],
        yellow=counted[common_pb2.COLOUR_YELLOW],
        red=counted[common_pb2.COLOUR_RED],
        unreported=counted[common_pb2.COLOUR_UNSPECIFIED],
    )


def march_2020_report(data: Path) -> reporting_pb2.PortfolioReport:
    """Vedlegg 1 of March 2020 as a ``PortfolioReport``: segments from the trial placement
    where the names match (3 stay unplaced), two Helse Nord measures not reported."""
    with (data / "segments-2020-trial.tsv").open(encoding="utf-8") as handle:
        segments = {
            row["name"].casefold(): parse_segment(row["segment"]).wire
            for row in csv.DictReader(handle, delimiter="\t")
        }
    lines = []
    for row in read_table(data / "portfolio-2020-03.tsv").rows:
        reported = row.measure_id not in NOT_REPORTED
        lines.append(
            reporting_pb2.MeasureLine(
                measure_id=row.measure_id,
                name=row.name,
                responsible_agency=row.responsible_agency,
                strategic_area=row.strategic_area,
                status=WIRE_COLOURS[row.status] if reported and row.status else 0,
                risk=WIRE_COLOURS[row.risk] if reported and row.risk else 0,
                budget_nok=sum(b.amount_nok for b in row.budget if b.year == 2020),
                reported=reported,
                segment=segments.get(row.name.casefold(), common_pb2.SEGMENT_UNSPECIFIED),
                explanation=EXPLANATIONS.get(row.measure_id, ""),
            )
        )
    lines.sort(key=lambda m: m.measure_id)
    agencies: dict[str, list[reporting_pb2.MeasureLine]] = {}
    by_segment: dict[int, list[reporting_pb2.MeasureLine]] = {}
    by_area: dict[str, list[reporting_pb2.MeasureLine]] = {}
    for m in lines:
        agencies.setdefault(m.responsible_agency, []).append(m)
        by_segment.setdefault(m.segment, []).append(m)
        by_area.setdefault(m.strategic_area, []).append(m)
    entered, exited = changes(data)
    return reporting_pb2.PortfolioReport(
        period="2020-03",
        measure_count=len(lines),
        budget_total_nok=sum(m.budget_nok for m in lines),
        status=_counts([m.status for m in lines]),
        risk=_counts([m.risk for m in lines]),
        by_agency=sorted(
            (
                reporting_pb2.AgencyLine(
                    agency=a, measures=len(ms), budget_nok=sum(m.budget_nok for m in ms)
                )
                for a, ms in agencies.items()
            ),
            key=lambda line: (-line.budget_nok, line.agency),
        ),
        by_segment=[
            reporting_pb2.SegmentLine(
                segment=s,
                measures=len(by_segment[s]),
                budget_nok=sum(m.budget_nok for m in by_segment[s]),
                reports_due=len(by_segment[s]) if s in MONTHLY else 0,
                reports_overdue=(sum(not m.reported for m in by_segment[s]) if s in MONTHLY else 0),
            )
            for s in SEGMENT_ORDER
            if s in by_segment
        ],
        measures=lines,
        previous=JANUARY,
        entered=entered,
        exited=exited,
        candidates=candidates(data),
        by_strategic_area=[
            reporting_pb2.AreaLine(
                strategic_area=area,
                measures=len(ms),
                budget_nok_this_year=sum(m.budget_nok for m in ms),
                # about half have given a 2021 budget (seed 002, 3): the odd-numbered ones
                budget_nok_next_year=sum(
                    m.budget_nok
                    for m in ms
                    if m.measure_id % 2 == 1 and m.measure_id not in FINISHING_2020
                ),
            )
            for area, ms in by_area.items()
        ],
        finishing_this_year=[
            reporting_pb2.FinishingLine(
                measure_id=m.measure_id,
                name=m.name,
                responsible_agency=m.responsible_agency,
                planned_end=FINISHING_2020[m.measure_id],
            )
            for m in lines
            if m.measure_id in FINISHING_2020
        ],
    )


@pytest.fixture(scope="session")
def march_message(shared_dir: Path) -> reporting_pb2.PortfolioReport:
    """The March 2020 portfolio report as the reporting service answers (52 measures)."""
    return march_2020_report(shared_dir / "data")


@pytest.fixture(scope="session")
def march_report(march_message: reporting_pb2.PortfolioReport) -> dict[str, Any]:
    """The March 2020 portfolio report as ``--format json`` prints it."""
    return portfolio_json(march_message)


# What the reporting service added in 2020-05 (previous period, changes, outlook, reports due).
NEW_KEYS = (
    "previous",
    "entered",
    "exited",
    "candidates",
    "by_strategic_area",
    "finishing_this_year",
)


@pytest.fixture(scope="session")
def older_march_report(march_report: dict[str, Any]) -> dict[str, Any]:
    """The March 2020 report as a server from before the comparison fields would send it."""
    data = {k: v for k, v in march_report.items() if k not in NEW_KEYS}
    data["by_segment"] = [
        {k: v for k, v in s.items() if k not in ("reports_due", "reports_overdue")}
        for s in march_report["by_segment"]
    ]
    return data


@pytest.fixture(scope="session")
def korona_message(shared_dir: Path) -> reporting_pb2.KoronaReport:
    """The corona portfolio of 5 May 2020 as the reporting service answers (337 proposals)."""
    with (shared_dir / "data" / "korona-categories-2020-05-05.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    return reporting_pb2.KoronaReport(
        total=sum(int(r["proposals_2020_05_05"]) for r in rows),
        by_category=[
            reporting_pb2.CategoryLine(code=r["code"], proposals=int(r["proposals_2020_05_05"]))
            for r in rows
        ],
    )


@pytest.fixture(scope="session")
def korona_report(korona_message: reporting_pb2.KoronaReport) -> dict[str, Any]:
    """The corona portfolio as ``--format json`` prints it."""
    return korona_json(korona_message)


# The net list's measures (data/korona-nettoliste-2020.tsv) as the reporting service would
# tell them in May 2020: 14 of them introduced or being introduced (seed 002 §5). Who is
# responsible, the money (of the NOK 80 million, seed 003 slide 45) and the counts per state
# below are made up for the tests: the sources do not give them.
NET_LIST_STATUS = ["in_operation"] * 5 + ["introduced"] * 5 + ["being_introduced"] * 4
NET_LIST_AGENCIES = ("Norsk Helsenett", "Helsedirektoratet", "Folkehelseinstituttet")
NET_LIST_ALLOCATED = (12_000_000, 8_500_000, 6_000_000, 5_000_000, 4_500_000, 3_000_000)
# Proposals per state, 337 in all as on 5 May 2020.
KORONA_STATES = {
    "registered": 118,
    "in_assessment": 96,
    "assessed": 24,
    "prioritised": 18,
    "not_prioritised": 61,
    "deferred": 20,
}


def korona_may_2020(data: Path) -> reporting_pb2.KoronaReport:
    """The corona portfolio of 5 May 2020 09:00 with every section the service sends."""
    with (data / "korona-categories-2020-05-05.tsv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    with (data / "korona-nettoliste-2020.tsv").open(encoding="utf-8") as f:
        measures = list(csv.DictReader(f, delimiter="\t"))
    net_list = []
    for i, m in enumerate(measures):
        allocated = NET_LIST_ALLOCATED[i] if i < len(NET_LIST_ALLOCATED) else 0
        net_list.append(
            reporting_pb2.NetListLine(
                proposal_id=f"n-{i + 1}",
                title=m["name"],
                responsible_agency=NET_LIST_AGENCIES[i % len(NET_LIST_AGENCIES)],
                implementation_status=(
                    NET_LIST_STATUS[i] if i < len(NET_LIST_STATUS) else "planned"
                ),
                allocated_nok=allocated,
                committed_nok=allocated // 2,
                paid_nok=allocated // 4,
            )
        )
    allocated = sum(n.allocated_nok for n in net_list)
    return reporting_pb2.KoronaReport(
        as_of="2020-05-05T07:00:00+00:00",
        total=sum(int(r["proposals_2020_05_05"]) for r in rows),
        by_category=[
            reporting_pb2.CategoryLine(
                code=r["code"], category=r["category"], proposals=int(r["proposals_2020_05_05"])
            )
            for r in rows
        ],
        by_state=[reporting_pb2.StateLine(state=s, proposals=n) for s, n in KORONA_STATES.items()],
        net_list=sorted(net_list, key=lambda n: n.title),
        funding=reporting_pb2.FundingSummary(
            total_nok=80_000_000,
            allocated_nok=allocated,
            committed_nok=sum(n.committed_nok for n in net_list),
            paid_nok=sum(n.paid_nok for n in net_list),
            left_nok=80_000_000 - allocated,
        ),
        awaiting_feedback=143,
        median_days_to_feedback=4.5,
    )


@pytest.fixture(scope="session")
def korona_full(shared_dir: Path) -> dict[str, Any]:
    """The corona portfolio of 5 May 2020 with states, net list, funding and feedback, as
    ``--format json`` prints it."""
    return korona_json(korona_may_2020(shared_dir / "data"))


@pytest.fixture(scope="session")
def category_names(shared_dir: Path) -> dict[str, str]:
    return korona_category_names(shared_dir)
