"""Imports a portfolio table: each valid row becomes a measure and its status report.

Rows are sent concurrently (bounded), each call with a deadline and retried on
UNAVAILABLE/DEADLINE_EXCEEDED with the same idempotency key, so running the same
import twice changes nothing. ``portfolio import measures`` and the stack's first-start
seeding both run :func:`import_measures`.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eportfolio.intake.v1 import intake_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.caller import OFFICE_AGENCY
from portfolio_cli.intake_messages import caller_metadata, measure_request, report_request
from portfolio_cli.report_wait import wait_for_receipts
from portfolio_cli.row_errors import errors_of
from portfolio_cli.rpc import (
    CallError,
    CallFailure,
    RetryPolicy,
    call,
    insecure_channel,
    wait_reachable,
)
from portfolio_cli.tsv import MeasureRow, RowError, read_table


@dataclass(frozen=True)
class ImportOptions:
    """What to import, where to, and whether to wait for the report to show it."""

    file: Path
    period: str
    intake: str
    reporting: str
    wait: bool = False
    timeout_s: float = 60.0
    concurrency: int = 16
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    connect_timeout_s: float = 5.0


@dataclass
class ImportOutcome:
    """How an import went: rows read, errors by line, receipts of the imported rows."""

    file: Path
    period: str
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    receipts: dict[int, str] = field(default_factory=dict)
    problem: str | None = None
    waited: bool = False

    @property
    def imported(self) -> int:
        """Rows whose status report intake took."""
        return len(self.receipts)

    @property
    def failed(self) -> int:
        """Rows not imported."""
        return self.row_count - self.imported

    @property
    def ok(self) -> bool:
        """Every row imported (and, when waited for, shown by the report)."""
        return self.failed == 0 and self.problem is None

    def summary(self) -> str:
        """``imported N of M rows, K failed``."""
        return f"imported {self.imported} of {self.row_count} rows, {self.failed} failed"


def already_in_portfolio(failure: CallFailure) -> bool:
    """Whether SubmitMeasure failed only because the measure was submitted before."""
    return failure.code == "ALREADY_EXISTS"


@dataclass
class _Run:
    stub: Any
    period: str
    correlation_id: str
    policy: RetryPolicy
    limit: asyncio.Semaphore

    async def import_row(self, row: MeasureRow) -> tuple[str | None, list[RowError]]:
        # A historical table puts measures in the portfolio and dates their reports: that
        # is the office's to record (intake refuses both from anyone else).
        as_office = caller_metadata(OFFICE_AGENCY, self.correlation_id, role="office")
        async with self.limit:
            try:
                await call(
                    "SubmitMeasure",
                    self.stub.SubmitMeasure,
                    measure_request(row, self.period),
                    metadata=as_office,
                    policy=self.policy,
                )
            except CallError as exc:
                if not already_in_portfolio(exc.failure):
                    return None, errors_of(row, exc)
            try:
                receipt = await call(
                    "SubmitStatusReport",
                    self.stub.SubmitStatusReport,
                    report_request(row, self.period),
                    metadata=as_office,
                    policy=self.policy,
                )
            except CallError as exc:
                return None, errors_of(row, exc)
        return str(receipt.receipt_id), []


async def import_measures(options: ImportOptions) -> ImportOutcome:
    """Run the import ``options`` describe; never raises for bad rows or failed calls."""
    outcome = ImportOutcome(options.file, options.period)
    try:
        table = read_table(options.file)
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    outcome.row_count = table.row_count
    outcome.errors.extend(table.errors)
    if table.rows:
        await _submit(options, table.rows, outcome)
    if options.wait and outcome.receipts and outcome.problem is None:
        outcome.waited = True
        outcome.problem = await wait_for_receipts(
            options.reporting, options.period, outcome.receipts, options.timeout_s
        )
    outcome.errors.sort(key=lambda e: e.line)
    return outcome


async def _submit(options: ImportOptions, rows: list[MeasureRow], outcome: ImportOutcome) -> None:
    async with insecure_channel(options.intake) as channel:
        if not await wait_reachable(channel, options.connect_timeout_s):
            outcome.problem = (
                f"cannot reach the intake service at {options.intake}"
                " (is `make run` running? see `portfolio status`)"
            )
            return
        run = _Run(
            stub=intake_pb2_grpc.IntakeServiceStub(channel),
            period=options.period,
            correlation_id=str(uuid.uuid4()),
            policy=options.policy,
            limit=asyncio.Semaphore(max(1, options.concurrency)),
        )
        results = await asyncio.gather(*(run.import_row(row) for row in rows))
    for row, (receipt_id, errors) in zip(rows, results, strict=True):
        if receipt_id is not None:
            outcome.receipts[row.measure_id] = receipt_id
        outcome.errors.extend(errors)
