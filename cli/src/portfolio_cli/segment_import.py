"""Places the measures of a period's portfolio in the segments a trial table gives.

The table (``segments-2020-trial.tsv``: strategic_area, name, responsible_agency,
segment S/K/O/I, comment) names measures without their ids and in slightly different
words, so each row is matched to a measure of GetPortfolioReport(period) by name
(:mod:`portfolio_cli.name_matching`). Each matched measure is moved to its segment by the
office; a measure already in that segment counts as placed, so running it again changes
nothing. ``portfolio import segments`` and the stack's first-start seeding both run
:func:`import_segments`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from eportfolio.assessment.v1 import assessment_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import reporting_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import explain
from portfolio_cli.caller import CLI_USER, Caller, office
from portfolio_cli.clients import COMMAND, Client, connect
from portfolio_cli.name_matching import Candidate, Match, Matching, Query, match_all
from portfolio_cli.records import Record, read_records
from portfolio_cli.rpc import CallError
from portfolio_cli.tsv import RowError
from report_views.segment_names import Segment, parse_segment, segment_of

COLUMNS = ("strategic_area", "name", "responsible_agency", "segment", "comment")


def move_reason(period: str, comment: str) -> str:
    """The reason every move of the trial placement gives, ending in the row's comment."""
    reason = f"Prøveplassering av {period[:4]}-porteføljen (Porteføljestyring 2.0, §5.2)"
    return f"{reason}: {comment}" if comment.strip() else reason


@dataclass(frozen=True)
class SegmentRow:
    """A valid row of the trial table."""

    line: int
    strategic_area: str
    name: str
    responsible_agency: str
    segment: Segment
    comment: str

    def query(self) -> Query:
        """What the matcher looks for."""
        return Query(self.line, self.name, self.responsible_agency, self.strategic_area)


def segment_row(record: Record) -> SegmentRow | RowError:
    """The row, or the reason it cannot be used."""
    for column in ("name", "segment"):
        if not record[column]:
            return RowError(record.line, column, "is required")
    try:
        segment = parse_segment(record["segment"])
    except ValueError as exc:
        return RowError(record.line, "segment", str(exc))
    return SegmentRow(
        line=record.line,
        strategic_area=record["strategic_area"],
        name=record["name"],
        responsible_agency=record["responsible_agency"],
        segment=segment,
        comment=record["comment"],
    )


class Placed(StrEnum):
    """What became of a matched row."""

    MOVED = "moved"
    ALREADY = "already"
    """The measure was in that segment already."""
    FAILED = "failed"


@dataclass(frozen=True)
class Placement:
    """A matched row, its measure's segment, and whether the move went through."""

    row: SegmentRow
    match: Match
    outcome: Placed
    error: str = ""


@dataclass(frozen=True)
class SegmentImportOptions:
    """What to read, which period's portfolio to match against, where the services are."""

    file: Path
    period: str
    assessment: str
    reporting: str
    user: str = CLI_USER
    by_context: bool = True


@dataclass
class SegmentImportOutcome:
    """Rows read, bad rows, the matching, and each matched row's placement."""

    file: Path
    period: str
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    rows: list[SegmentRow] = field(default_factory=list)
    matching: Matching = field(default_factory=lambda: Matching([], []))
    placements: list[Placement] = field(default_factory=list)
    problem: str | None = None

    @property
    def placed(self) -> int:
        """Matched measures now in their segment (moved now or before)."""
        return sum(1 for p in self.placements if p.outcome is not Placed.FAILED)

    @property
    def failed(self) -> int:
        """Matched measures whose move failed."""
        return sum(1 for p in self.placements if p.outcome is Placed.FAILED)

    @property
    def ok(self) -> bool:
        """Nothing failed; unmatched rows are reported, not failures."""
        return self.problem is None and not self.errors and self.failed == 0

    def summary(self) -> str:
        """One line: rows, matched, placed, unmatched, failed."""
        moved = sum(1 for p in self.placements if p.outcome is Placed.MOVED)
        return (
            f"{self.row_count} rows: {len(self.matching.matched)} matched,"
            f" {len(self.matching.unmatched)} unmatched, {self.placed} placed"
            f" ({moved} moved now), {self.failed + len(self.errors)} failed"
        )


async def import_segments(options: SegmentImportOptions) -> SegmentImportOutcome:
    """Read, match and move; never raises for bad rows or failed calls."""
    outcome = SegmentImportOutcome(options.file, options.period)
    try:
        records = read_records(options.file, COLUMNS)
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    outcome.row_count = records.row_count
    outcome.errors.extend(records.errors)
    for record in records.rows:
        row = segment_row(record)
        if isinstance(row, RowError):
            outcome.errors.append(row)
        else:
            outcome.rows.append(row)
    caller = office(user=options.user)
    try:
        async with connect("reporting", options.reporting) as reporting:
            report = await reporting.call(
                "GetPortfolioReport",
                reporting_pb2.GetPortfolioReportRequest(period=options.period),
                caller,
            )
    except CallError as exc:
        outcome.problem = explain(exc)
        return outcome
    candidates = [
        Candidate(int(m.measure_id), str(m.name), str(m.responsible_agency), str(m.strategic_area))
        for m in report.measures
    ]
    outcome.matching = match_all(
        [r.query() for r in outcome.rows], candidates, by_context=options.by_context
    )
    by_line = {r.line: r for r in outcome.rows}
    async with connect("assessment", options.assessment) as assessment:
        for match in outcome.matching.matched:
            row = by_line[match.query.line]
            outcome.placements.append(await _place(assessment, caller, options.period, row, match))
    return outcome


async def _place(
    assessment: Client, caller: Caller, period: str, row: SegmentRow, match: Match
) -> Placement:
    measure_id = match.best.candidate.key
    request = assessment_pb2.MoveMeasureRequest(
        measure_id=measure_id,
        to=row.segment.wire,
        reason=move_reason(period, row.comment),
        decision="",
        period=period,
    )
    try:
        await assessment.call("MoveMeasure", request, caller, COMMAND)
    except CallError as exc:
        if exc.failure.code == "FAILED_PRECONDITION" and await _in_segment(
            assessment, caller, measure_id, row.segment
        ):
            return Placement(row, match, Placed.ALREADY)
        return Placement(row, match, Placed.FAILED, explain(exc))
    return Placement(row, match, Placed.MOVED)


async def _in_segment(assessment: Client, caller: Caller, measure_id: int, to: Segment) -> bool:
    try:
        measure: Any = await assessment.call(
            "GetMeasure", assessment_pb2.GetMeasureRequest(measure_id=measure_id), caller
        )
    except CallError:
        return False
    return segment_of(measure.segment) is to
