"""Imports the corona portfolio's files: proposals through intake, the net list through
korona.

**Proposals.** Each valid row becomes intake's SubmitProposal, received when the row says,
with an idempotency key derived from its content: importing the same file again gets the
first answers back (``replayed``) and changes nothing. Rows are sent concurrently
(bounded), each call with a deadline and retried on UNAVAILABLE/DEADLINE_EXCEEDED with
the same key. With ``wait``, it then polls korona's ListProposals until korona holds every
imported proposal (by the ids intake's receipts name), and the reporting service's corona
report until it counts at least as many proposals as it did before plus the new ones.

**The net list.** Each valid row becomes korona's AddToNetList, which is idempotent by
title: importing the file again adds nothing. ``portfolio korona import-netlist`` and the
stack's first-start seeding both run :func:`import_netlist`.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eportfolio.intake.v1 import intake_pb2_grpc  # type: ignore[import-untyped, unused-ignore]
from eportfolio.korona.v1 import korona_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import reporting_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.caller import Caller, office
from portfolio_cli.clients import SUBMIT, connect
from portfolio_cli.korona_calls import IDEMPOTENT, ONE_TRY, all_proposals, load_categories
from portfolio_cli.korona_rows import (
    Categories,
    NetListRow,
    ProposalRow,
    netlist_errors,
    netlist_request,
    parse_netlist,
    parse_proposals,
    proposal_errors,
    proposal_request,
)
from portfolio_cli.rpc import CallError, RetryPolicy, call, insecure_channel, wait_reachable
from portfolio_cli.tsv import RowError

_SHOWN_IN_MESSAGE = 5


def _unreachable(service: str, address: str) -> str:
    return (
        f"cannot reach the {service} service at {address}"
        " (is `make run` running? see `portfolio status`)"
    )


# --- proposals -----------------------------------------------------------------------


@dataclass(frozen=True)
class ProposalImportOptions:
    """What to import, as whom, where to, and whether to wait for korona and the report.

    ``categories`` None: ask korona (ListCategories), else read the shared directory's
    categories file, else check only the shape of the codes.
    """

    file: Path
    intake: str
    korona: str
    reporting: str
    caller: Caller = field(default_factory=office)
    wait: bool = False
    timeout_s: float = 60.0
    categories: Categories | None = None
    shared: Path | None = None
    concurrency: int = 16
    policy: RetryPolicy = SUBMIT
    connect_timeout_s: float = 5.0
    poll_s: float = 0.5


@dataclass(frozen=True)
class TakenProposal:
    """A row intake took: the proposal's id, the receipt, and whether it was taken before."""

    row: ProposalRow
    proposal_id: str
    receipt_id: str
    replayed: bool


@dataclass
class ProposalImportOutcome:
    """Rows read, the rows refused (by the file's rules or by intake), the rows taken."""

    file: Path
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    taken: list[TakenProposal] = field(default_factory=list)
    categories_from: str = ""
    problem: str | None = None
    waited: bool = False

    @property
    def replayed(self) -> int:
        """Rows taken before (same content, same caller): nothing new was recorded."""
        return sum(1 for t in self.taken if t.replayed)

    @property
    def new(self) -> int:
        """Proposals this import added."""
        return len(self.taken) - self.replayed

    @property
    def refused(self) -> int:
        """Rows not taken."""
        return self.row_count - len(self.taken)

    @property
    def ok(self) -> bool:
        """Every row taken (and, when waited for, held by korona and counted by the report)."""
        return self.problem is None and self.refused == 0

    def summary(self) -> str:
        """``N rows: T proposals taken (R sent before), F refused``."""
        return (
            f"{self.row_count} rows: {len(self.taken)} proposals taken"
            f" ({self.replayed} sent before), {self.refused} refused"
        )


async def import_proposals(options: ProposalImportOptions) -> ProposalImportOutcome:
    """Run the import ``options`` describe; never raises for bad rows or failed calls."""
    outcome = ProposalImportOutcome(options.file)
    try:
        data = options.file.read_bytes()
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    categories = options.categories or await load_categories(
        options.korona, options.caller, options.shared
    )
    outcome.categories_from = categories.source
    parsed = parse_proposals(data, categories, datetime.now(UTC))
    outcome.row_count = parsed.row_count
    outcome.errors.extend(parsed.errors)
    baseline = await _report_total(options) if options.wait else None
    if parsed.rows:
        await _submit(options, parsed.rows, outcome)
    if options.wait and outcome.taken and outcome.problem is None:
        outcome.waited = True
        outcome.problem = await _wait(options, outcome, baseline or 0)
    outcome.errors.sort(key=lambda e: e.line)
    return outcome


async def _submit(
    options: ProposalImportOptions, rows: list[ProposalRow], outcome: ProposalImportOutcome
) -> None:
    metadata = options.caller.metadata()
    limit = asyncio.Semaphore(max(1, options.concurrency))
    async with insecure_channel(options.intake) as channel:
        if not await wait_reachable(channel, options.connect_timeout_s):
            outcome.problem = _unreachable("intake", options.intake)
            return
        stub = intake_pb2_grpc.IntakeServiceStub(channel)

        async def one(row: ProposalRow) -> TakenProposal | list[RowError]:
            async with limit:
                try:
                    receipt = await call(
                        "SubmitProposal",
                        stub.SubmitProposal,
                        proposal_request(row),
                        metadata=metadata,
                        policy=options.policy,
                    )
                except CallError as exc:
                    return proposal_errors(row, exc)
            return TakenProposal(
                row, str(receipt.subject_id), str(receipt.receipt_id), bool(receipt.replayed)
            )

        results = await asyncio.gather(*(one(row) for row in rows))
    for result in results:
        if isinstance(result, list):
            outcome.errors.extend(result)
        else:
            outcome.taken.append(result)


async def _report_total(options: ProposalImportOptions) -> int | None:
    """How many proposals the corona report counts now; None when it cannot say."""
    try:
        async with connect("reporting", options.reporting) as client:
            report = await client.call(
                "GetKoronaReport", reporting_pb2.GetKoronaReportRequest(), None, ONE_TRY
            )
    except CallError:
        return None
    return int(report.total)


async def _wait(
    options: ProposalImportOptions, outcome: ProposalImportOutcome, baseline: int
) -> str | None:
    deadline = time.monotonic() + options.timeout_s
    expected = {t.proposal_id for t in outcome.taken}
    problem = await _wait_for_korona(options, expected, deadline)
    if problem is None and outcome.new:
        problem = await _wait_for_report(options, baseline + outcome.new, deadline)
    return problem


async def _wait_for_korona(
    options: ProposalImportOptions, expected: set[str], deadline: float
) -> str | None:
    missing = sorted(expected)
    last_error = ""
    async with connect("korona", options.korona) as client:
        while True:
            try:
                held, _ = await all_proposals(client, options.caller, policy=ONE_TRY)
            except CallError as exc:
                last_error = str(exc)
            else:
                last_error = ""
                ids = {str(p.proposal_id) for p in held}
                missing = sorted(expected - ids)
                if not missing:
                    return None
            if time.monotonic() >= deadline:
                shown = ", ".join(missing[:_SHOWN_IN_MESSAGE])
                more = ", ..." if len(missing) > _SHOWN_IN_MESSAGE else ""
                message = (
                    f"timed out after {options.timeout_s:g} s waiting for korona at"
                    f" {options.korona} to hold the imported proposals: {len(missing)} of"
                    f" {len(expected)} not there yet ({shown}{more})"
                )
                return message + (f"; last error: {last_error}" if last_error else "")
            await asyncio.sleep(min(options.poll_s, max(deadline - time.monotonic(), 0.0)))


async def _wait_for_report(
    options: ProposalImportOptions, at_least: int, deadline: float
) -> str | None:
    counted: int | None = None
    last_error = ""
    async with connect("reporting", options.reporting) as client:
        while True:
            try:
                report = await client.call(
                    "GetKoronaReport", reporting_pb2.GetKoronaReportRequest(), None, ONE_TRY
                )
            except CallError as exc:
                last_error = str(exc)
            else:
                last_error = ""
                counted = int(report.total)
                if counted >= at_least:
                    return None
            if time.monotonic() >= deadline:
                shown = "nothing" if counted is None else str(counted)
                message = (
                    f"timed out after {options.timeout_s:g} s waiting for the reporting service"
                    f" at {options.reporting} to count the imported proposals: it counts"
                    f" {shown}, expected at least {at_least}"
                )
                return message + (f"; last error: {last_error}" if last_error else "")
            await asyncio.sleep(min(options.poll_s, max(deadline - time.monotonic(), 0.0)))


# --- the net list --------------------------------------------------------------------


@dataclass(frozen=True)
class NetListImportOptions:
    """What to read, as whom (the office by default), where korona is."""

    file: Path
    korona: str
    caller: Caller = field(default_factory=office)
    policy: RetryPolicy = IDEMPOTENT
    connect_timeout_s: float = 5.0


@dataclass(frozen=True)
class OnNetList:
    """A row korona has on its net list; ``new`` None when it could not tell."""

    row: NetListRow
    proposal_id: str
    new: bool | None


@dataclass
class NetListImportOutcome:
    """Rows read, the rows refused, the measures on the net list."""

    file: Path
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    added: list[OnNetList] = field(default_factory=list)
    problem: str | None = None

    @property
    def new(self) -> int:
        """Measures this import put on the net list."""
        return sum(1 for a in self.added if a.new)

    @property
    def refused(self) -> int:
        """Rows not on the net list."""
        return self.row_count - len(self.added)

    @property
    def ok(self) -> bool:
        """Every row is on the net list."""
        return self.problem is None and self.refused == 0

    def summary(self) -> str:
        """``N rows: M measures on the net list (K new), F refused``."""
        known = all(a.new is not None for a in self.added)
        new = f"{self.new} new" if known else "new ones not known"
        return (
            f"{self.row_count} rows: {len(self.added)} measures on the net list ({new}),"
            f" {self.refused} refused"
        )


async def _net_list_titles(client: Any, caller: Caller) -> dict[str, str] | None:
    try:
        found = await client.call("ListNetList", korona_pb2.ListNetListRequest(), caller, ONE_TRY)
    except CallError:
        return None
    return {str(m.title).casefold(): str(m.proposal_id) for m in found.measures}


async def import_netlist(options: NetListImportOptions) -> NetListImportOutcome:
    """Put every valid row on korona's net list; never raises for bad rows or failed calls."""
    outcome = NetListImportOutcome(options.file)
    try:
        parsed = parse_netlist(options.file.read_bytes())
    except OSError as exc:
        outcome.problem = f"cannot read {options.file}: {exc.strerror or exc}"
        return outcome
    outcome.row_count = parsed.row_count
    outcome.errors.extend(parsed.errors)
    if not parsed.rows:
        return outcome
    async with insecure_channel(options.korona) as channel:
        if not await wait_reachable(channel, options.connect_timeout_s):
            outcome.problem = _unreachable("korona", options.korona)
            return outcome
    async with connect("korona", options.korona) as client:
        before = await _net_list_titles(client, options.caller)
        for row in parsed.rows:
            known = None if before is None else before.get(row.title.casefold())
            try:
                added = await client.call(
                    "AddToNetList", netlist_request(row), options.caller, options.policy
                )
            except CallError as exc:
                if exc.failure.code == "ALREADY_EXISTS":
                    outcome.added.append(OnNetList(row, known or "", False))
                else:
                    outcome.errors.extend(netlist_errors(row, exc))
                continue
            new = None if before is None else known is None
            outcome.added.append(OnNetList(row, str(added.proposal_id), new))
    outcome.errors.sort(key=lambda e: e.line)
    return outcome
