"""Submits next year's project candidates (``candidates-2021.tsv``: name,
responsible_agency, main_strategic_area, description) through intake.

A candidate has no portfolio id yet: intake allocates one (``measure_id`` 0) and names it
in the receipt. The idempotency key is the year and the name, so importing the file
again gets the same receipts (and ids) back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from eportfolio.intake.v1 import intake_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import explain
from portfolio_cli.caller import CLI_USER, Role, office
from portfolio_cli.clients import SUBMIT, connect
from portfolio_cli.records import Record, read_records
from portfolio_cli.rpc import CallError
from portfolio_cli.tsv import RowError

COLUMNS = ("name", "responsible_agency", "main_strategic_area", "description")


@dataclass(frozen=True)
class CandidateRow:
    """A valid row: a candidate measure (its strategic area may be blank)."""

    line: int
    name: str
    responsible_agency: str
    strategic_area: str
    description: str


def candidate_row(record: Record) -> CandidateRow | RowError:
    """The row, or the reason it cannot be used."""
    for column in ("name", "responsible_agency"):
        if not record[column]:
            return RowError(record.line, column, "is required")
    return CandidateRow(
        record.line,
        record["name"],
        record["responsible_agency"],
        record["main_strategic_area"],
        record["description"],
    )


def candidate_request(row: CandidateRow, year: int) -> intake_pb2.SubmitMeasureRequest:
    """SubmitMeasure for a candidate announced for ``year``; intake allocates its id."""
    return intake_pb2.SubmitMeasureRequest(
        idempotency_key=f"import-candidate:{year}:{row.name}",
        measure_id=0,
        candidate_for=year,
        name=row.name,
        description=row.description,
        responsible_agency=row.responsible_agency,
        strategic_area=row.strategic_area,
    )


@dataclass(frozen=True)
class Submitted:
    """A candidate intake took: the id it was given and whether it was taken before."""

    row: CandidateRow
    measure_id: int | None
    receipt_id: str
    replayed: bool


@dataclass(frozen=True)
class NotSubmitted:
    """A candidate intake did not take, and why."""

    row: CandidateRow
    error: str


@dataclass(frozen=True)
class CandidateImportOptions:
    """What to read, the year the candidates are for, where intake is."""

    file: Path
    year: int
    intake: str
    user: str = CLI_USER


@dataclass
class CandidateImportOutcome:
    """Rows read, bad rows, and what intake said to each good one."""

    file: Path
    year: int
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    submitted: list[Submitted] = field(default_factory=list)
    failures: list[NotSubmitted] = field(default_factory=list)
    problem: str | None = None

    @property
    def failed(self) -> int:
        """Rows not submitted (bad or refused)."""
        return len(self.errors) + len(self.failures)

    @property
    def ok(self) -> bool:
        """Every row submitted."""
        return self.problem is None and self.failed == 0

    def summary(self) -> str:
        """One line: rows, submitted (of which before), failed."""
        before = sum(1 for s in self.submitted if s.replayed)
        return (
            f"{self.row_count} rows: {len(self.submitted)} candidates for {self.year} submitted"
            f" ({before} before), {self.failed} failed"
        )


def _allocated_id(subject_id: str) -> int | None:
    text = subject_id.strip()
    return int(text) if text.isascii() and text.isdigit() else None


async def import_candidates(options: CandidateImportOptions) -> CandidateImportOutcome:
    """Submit every good row as its agency; never raises for bad rows or failed calls."""
    outcome = CandidateImportOutcome(options.file, options.year)
    try:
        records = read_records(options.file, COLUMNS)
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    outcome.row_count = records.row_count
    outcome.errors.extend(records.errors)
    rows: list[CandidateRow] = []
    for record in records.rows:
        row = candidate_row(record)
        if isinstance(row, RowError):
            outcome.errors.append(row)
        else:
            rows.append(row)
    base = office(user=options.user)
    async with connect("intake", options.intake) as intake:
        for row in rows:
            caller = base.acting_for(row.responsible_agency, Role.AGENCY)
            try:
                receipt = await intake.call(
                    "SubmitMeasure", candidate_request(row, options.year), caller, SUBMIT
                )
            except CallError as exc:
                outcome.failures.append(NotSubmitted(row, explain(exc)))
                continue
            outcome.submitted.append(
                Submitted(
                    row,
                    _allocated_id(str(receipt.subject_id)),
                    str(receipt.receipt_id),
                    bool(receipt.replayed),
                )
            )
    return outcome
