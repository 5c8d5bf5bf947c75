"""Loads the portfolio's data files on the stack's first start, once.

In order: the 2020-03 portfolio table (as ``import measures --wait`` does), the changes
since 2020-01, the trial segment placement, the 2021 candidates; then the corona net
list (``korona-nettoliste-2020.tsv``, as ``korona import-netlist`` does); each through
the same code as its command, each with one summary line. A failure in one does not stop
the others; the portfolio's marker is written only when all its files succeeded, the net
list's when it did, so a later start tries again what failed (every import is safe to
repeat; korona adds a net-list measure once by title). No proposals are seeded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portfolio_cli.candidate_import import CandidateImportOptions, import_candidates
from portfolio_cli.change_import import ChangeImportOptions, import_changes
from portfolio_cli.import_views import failure_lines
from portfolio_cli.importer import ImportOptions, import_measures
from portfolio_cli.korona_import import NetListImportOptions, import_netlist
from portfolio_cli.segment_import import SegmentImportOptions, import_segments
from portfolio_cli.stack_config import SeedSpec


@dataclass(frozen=True)
class SeedAddresses:
    """Where the services the seeding calls listen."""

    intake: str
    assessment: str
    korona: str
    reporting: str


@dataclass(frozen=True)
class _Step:
    file: Path
    run: Callable[[], Awaitable[Any]]


def _steps(seed: SeedSpec, at: SeedAddresses) -> list[_Step]:
    measures = ImportOptions(
        file=seed.file,
        period=seed.period,
        intake=at.intake,
        reporting=at.reporting,
        wait=True,
        timeout_s=seed.timeout_s,
    )
    changes = ChangeImportOptions(
        file=seed.changes_file,
        period=seed.period,
        previous=seed.previous_period,
        assessment=at.assessment,
        intake=at.intake,
        timeout_s=seed.timeout_s,
    )
    segments = SegmentImportOptions(
        file=seed.segments_file,
        period=seed.period,
        assessment=at.assessment,
        reporting=at.reporting,
    )
    candidates = CandidateImportOptions(
        file=seed.candidates_file, year=seed.candidate_year, intake=at.intake
    )
    return [
        _Step(seed.file, lambda: import_measures(measures)),
        _Step(seed.changes_file, lambda: import_changes(changes)),
        _Step(seed.segments_file, lambda: import_segments(segments)),
        _Step(seed.candidates_file, lambda: import_candidates(candidates)),
    ]


async def _run_step(step: _Step, say: Callable[[str], None]) -> str | None:
    """The step's summary when it succeeded; None (having said why) when not."""
    name = step.file.name
    if not step.file.is_file():
        say(f"seeding {name}: skipped, {step.file} not found (set PORTFOLIO_SHARED_DIR)")
        return None
    try:
        outcome = await step.run()
    except Exception as exc:  # one file's failure must not stop the others
        say(f"seeding {name}: failed: {type(exc).__name__}: {exc}")
        return None
    for line in failure_lines(outcome, str(step.file)):
        say(line)
    say(f"seeding {name}: {outcome.summary()}{'' if outcome.ok else ' (FAILED)'}")
    return str(outcome.summary()) if outcome.ok else None


def _netlist_step(seed: SeedSpec, at: SeedAddresses) -> _Step:
    options = NetListImportOptions(file=seed.netlist_file, korona=at.korona)
    return _Step(seed.netlist_file, lambda: import_netlist(options))


def _mark(marker: Path, summaries: dict[Path, str | None]) -> None:
    marker.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"{stamp} {file}: {summary}" for file, summary in summaries.items()]
    marker.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def _seed_portfolio(seed: SeedSpec, at: SeedAddresses, say: Callable[[str], None]) -> bool:
    say(
        f"seeding: importing {seed.file} as period {seed.period}, then the changes,"
        " segments and candidates beside it, and the corona net list"
    )
    summaries = {}
    for step in _steps(seed, at):
        summaries[step.file] = await _run_step(step, say)
    if any(summary is None for summary in summaries.values()):
        say("seeding failed (see above); it will be tried again at next start")
        return False
    _mark(seed.marker, summaries)
    say(f"seeding done: {len(summaries)} files loaded")
    return True


async def _seed_netlist(seed: SeedSpec, at: SeedAddresses, say: Callable[[str], None]) -> bool:
    step = _netlist_step(seed, at)
    summary = await _run_step(step, say)
    if summary is None:
        say("seeding the corona net list failed (see above); it will be tried again at next start")
        return False
    _mark(seed.netlist_marker, {step.file: summary})
    return True


async def seed_once(seed: SeedSpec, at: SeedAddresses, say: Callable[[str], None]) -> bool:
    """Load every seed file unless its marker says it was done; write each marker when its
    files succeeded. Never raises for a failed import: it says why, and the next start
    tries again."""
    if seed.done:
        return True
    if not seed.file.is_file():
        say(
            f"seeding skipped: {seed.file} not found (set PORTFOLIO_SHARED_DIR);"
            " it will be tried again at next start"
        )
        return False
    portfolio = True if seed.marker.exists() else await _seed_portfolio(seed, at, say)
    netlist = True if seed.netlist_marker.exists() else await _seed_netlist(seed, at, say)
    return portfolio and netlist
