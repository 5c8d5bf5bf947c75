"""Applies a table of measures that entered or left the portfolio between two periods.

The table (``portfolio-changes-2020-01-to-03.tsv``: measure_id, name, responsible_agency,
change entered|exited, way_forward, budget_2020_mnok) gives, per measure:

- ``entered``: in the portfolio since the later period. A measure assessment does not
  know is submitted (as its agency) in the portfolio since that period; one it knows
  is left alone.
- ``exited``: in the portfolio at the earlier period and gone after it. A measure
  assessment does not know is submitted in the portfolio since the earlier period;
  once assessment has it, the office pauses it (way forward "Pauset") or completes it
  with its way forward, both after the earlier period. One that left already is done.

Every step is safe to repeat. The agency names are used as the table gives them.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from eportfolio.assessment.v1 import assessment_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.intake.v1 import intake_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import explain
from portfolio_cli.caller import CLI_USER, Caller, Role, office
from portfolio_cli.clients import COMMAND, SUBMIT, Client, connect
from portfolio_cli.periods import parse_period
from portfolio_cli.records import Record, read_records
from portfolio_cli.rpc import CallError
from portfolio_cli.tsv import RowError

COLUMNS = ("measure_id", "name", "responsible_agency", "change", "way_forward")
PAUSED = "Pauset"
LEFT = frozenset({"completed", "paused", "withdrawn"})
MONTHS_NB = (
    "januar",
    "februar",
    "mars",
    "april",
    "mai",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "desember",
)
EN_DASH = "\u2013"


class Change(StrEnum):
    """What happened to the measure between the two periods."""

    ENTERED = "entered"
    EXITED = "exited"


class Action(StrEnum):
    """What the import did about a row."""

    SUBMITTED = "submitted"
    """Entered: assessment did not know it; submitted in the portfolio since the period."""
    PRESENT = "present"
    """Entered: assessment knows it already."""
    PAUSED = "paused"
    COMPLETED = "completed"
    ALREADY_LEFT = "already_left"
    FAILED = "failed"


@dataclass(frozen=True)
class ChangeRow:
    """A valid row of the changes table."""

    line: int
    measure_id: int
    name: str
    responsible_agency: str
    change: Change
    way_forward: str


def change_row(record: Record) -> ChangeRow | RowError:
    """The row, or the first reason it cannot be used."""
    text = record["measure_id"]
    if not (text.isascii() and text.isdigit() and 0 < int(text) < 2**31):
        return RowError(record.line, "measure_id", f"{text!r} is not a portfolio id")
    for column in ("name", "responsible_agency"):
        if not record[column]:
            return RowError(record.line, column, "is required")
    try:
        change = Change(record["change"].casefold())
    except ValueError:
        return RowError(record.line, "change", f"{record['change']!r} is not entered or exited")
    if change is Change.EXITED and not record["way_forward"]:
        return RowError(record.line, "way_forward", "is required for an exited measure")
    return ChangeRow(
        record.line,
        int(text),
        record["name"],
        record["responsible_agency"],
        change,
        record["way_forward"],
    )


def span_nb(previous: str, period: str) -> str:
    """``januar<en dash>mars 2020`` (``desember 2019<en dash>mars 2020`` across a year)."""
    first = MONTHS_NB[int(previous[5:7]) - 1]
    last = f"{MONTHS_NB[int(period[5:7]) - 1]} {period[:4]}"
    if previous[:4] != period[:4]:
        first = f"{first} {previous[:4]}"
    return f"{first}{EN_DASH}{last}"


def exit_reason(row: ChangeRow, previous: str, period: str) -> str:
    """Why the measure left, as the office records it."""
    where = f"endringer {span_nb(previous, period)}"
    if row.way_forward.casefold() == PAUSED.casefold():
        return f"{PAUSED} ({where})"
    return f"Ut av porteføljen, veien videre: {row.way_forward} ({where})"


def submit_request(row: ChangeRow, since: str) -> intake_pb2.SubmitMeasureRequest:
    """The measure's registration, in the portfolio since ``since``."""
    return intake_pb2.SubmitMeasureRequest(
        idempotency_key=f"import-change:{row.measure_id}",
        measure_id=row.measure_id,
        name=row.name,
        responsible_agency=row.responsible_agency,
        in_portfolio_since=since,
    )


@dataclass(frozen=True)
class ChangeResult:
    """What the import did about one row."""

    row: ChangeRow
    action: Action
    error: str = ""


@dataclass(frozen=True)
class ChangeImportOptions:
    """What to read, the two periods, where the services are."""

    file: Path
    period: str
    previous: str
    assessment: str
    intake: str
    user: str = CLI_USER
    timeout_s: float = 60.0
    poll_s: float = 0.5

    def __post_init__(self) -> None:
        parse_period(self.period)
        parse_period(self.previous)
        if self.previous >= self.period:
            raise ValueError(f"the previous period {self.previous} is not before {self.period}")


@dataclass
class ChangeImportOutcome:
    """Rows read, bad rows, and what was done about each good one."""

    file: Path
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    results: list[ChangeResult] = field(default_factory=list)
    problem: str | None = None

    @property
    def failed(self) -> int:
        """Rows not applied (bad or failed)."""
        return len(self.errors) + sum(1 for r in self.results if r.action is Action.FAILED)

    @property
    def ok(self) -> bool:
        """Every row applied."""
        return self.problem is None and self.failed == 0

    def summary(self) -> str:
        """One line: how many rows, and how many of each action."""
        counts = {a: sum(1 for r in self.results if r.action is a) for a in Action}
        done = ", ".join(
            f"{n} {a.value.replace('_', ' ')}"
            for a, n in counts.items()
            if n and a is not Action.FAILED
        )
        return f"{self.row_count} rows: {done or 'none applied'}, {self.failed} failed"


async def import_changes(options: ChangeImportOptions) -> ChangeImportOutcome:
    """Apply every row in file order; never raises for bad rows or failed calls."""
    outcome = ChangeImportOutcome(options.file)
    try:
        records = read_records(options.file, COLUMNS)
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    outcome.row_count = records.row_count
    outcome.errors.extend(records.errors)
    rows: list[ChangeRow] = []
    for record in records.rows:
        row = change_row(record)
        if isinstance(row, RowError):
            outcome.errors.append(row)
        else:
            rows.append(row)
    async with (
        connect("assessment", options.assessment) as assessment,
        connect("intake", options.intake) as intake,
    ):
        run = _Run(options, assessment, intake, office(user=options.user))
        for row in rows:
            outcome.results.append(await run.apply(row))
    return outcome


@dataclass
class _Run:
    options: ChangeImportOptions
    assessment: Client
    intake: Client
    office: Caller

    def agency(self, row: ChangeRow) -> Caller:
        return self.office.acting_for(row.responsible_agency, Role.AGENCY)

    async def apply(self, row: ChangeRow) -> ChangeResult:
        try:
            if row.change is Change.ENTERED:
                return await self._entered(row)
            return await self._exited(row)
        except CallError as exc:
            return ChangeResult(row, Action.FAILED, explain(exc))
        except TimeoutError as exc:
            return ChangeResult(row, Action.FAILED, str(exc))

    async def _entered(self, row: ChangeRow) -> ChangeResult:
        if await self._measure(row.measure_id) is not None:
            return ChangeResult(row, Action.PRESENT)
        await self._submit(row, self.options.period)
        return ChangeResult(row, Action.SUBMITTED)

    async def _exited(self, row: ChangeRow) -> ChangeResult:
        measure = await self._measure(row.measure_id)
        if measure is None:
            await self._submit(row, self.options.previous)
            measure = await self._wait_for(row.measure_id)
        if str(measure.lifecycle) in LEFT:
            return ChangeResult(row, Action.ALREADY_LEFT)
        try:
            return await self._leave(row)
        except CallError as exc:
            if exc.failure.code != "FAILED_PRECONDITION":
                raise
            again = await self._measure(row.measure_id)
            if again is not None and str(again.lifecycle) in LEFT:
                return ChangeResult(row, Action.ALREADY_LEFT)
            raise

    async def _leave(self, row: ChangeRow) -> ChangeResult:
        previous, period = self.options.previous, self.options.period
        reason = exit_reason(row, previous, period)
        if row.way_forward.casefold() == PAUSED.casefold():
            request: Any = assessment_pb2.PauseMeasureRequest(
                measure_id=row.measure_id, period=previous, reason=reason
            )
            await self.assessment.call("PauseMeasure", request, self.office, COMMAND)
            return ChangeResult(row, Action.PAUSED)
        request = assessment_pb2.CompleteMeasureRequest(
            measure_id=row.measure_id, period=previous, way_forward=row.way_forward, reason=reason
        )
        await self.assessment.call("CompleteMeasure", request, self.office, COMMAND)
        return ChangeResult(row, Action.COMPLETED)

    async def _submit(self, row: ChangeRow, since: str) -> None:
        try:
            await self.intake.call(
                # only the office registers a measure as already in the portfolio
                "SubmitMeasure",
                submit_request(row, since),
                self.office,
                SUBMIT,
            )
        except CallError as exc:
            if exc.failure.code != "ALREADY_EXISTS":
                raise

    async def _measure(self, measure_id: int) -> Any | None:
        request = assessment_pb2.GetMeasureRequest(measure_id=measure_id)
        try:
            return await self.assessment.call("GetMeasure", request, self.office)
        except CallError as exc:
            if exc.failure.code == "NOT_FOUND":
                return None
            raise

    async def _wait_for(self, measure_id: int) -> Any:
        deadline = time.monotonic() + self.options.timeout_s
        while True:
            measure = await self._measure(measure_id)
            if measure is not None:
                return measure
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"measure {measure_id} was submitted but assessment did not show it"
                    f" within {self.options.timeout_s:g} s"
                )
            await asyncio.sleep(self.options.poll_s)
