"""Loads the portfolio's data files on the stack's first start, once.

In order: the 2020-03 portfolio table (as ``import measures --wait`` does), the changes
since 2020-01, the trial segment placement, the 2021 candidates; each through the same
code as its ``portfolio import`` command, each with one summary line. A failure in one
does not stop the others; the marker is written only when all succeeded, so a later
start tries again (every import is safe to repeat).
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
from portfolio_cli.segment_import import SegmentImportOptions, import_segments
from portfolio_cli.stack_config import SeedSpec


@dataclass(frozen=True)
class SeedAddresses:
    """Where the services the seeding calls listen."""

    intake: str
    assessment: str
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


async def seed_once(seed: SeedSpec, at: SeedAddresses, say: Callable[[str], None]) -> bool:
    """Load every seed file unless the marker says it was done; write the marker when all
    succeeded. Never raises for a failed import: it says why, and the next start tries
    again."""
    if seed.marker.exists():
        return True
    if not seed.file.is_file():
        say(
            f"seeding skipped: {seed.file} not found (set PORTFOLIO_SHARED_DIR);"
            " it will be tried again at next start"
        )
        return False
    say(
        f"seeding: importing {seed.file} as period {seed.period}, then the changes,"
        " segments and candidates beside it"
    )
    summaries = {}
    for step in _steps(seed, at):
        summaries[step.file] = await _run_step(step, say)
    if any(summary is None for summary in summaries.values()):
        say("seeding failed (see above); it will be tried again at next start")
        return False
    seed.marker.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    lines = [f"{stamp} {file}: {summary}" for file, summary in summaries.items()]
    seed.marker.write_text("\n".join(lines) + "\n", encoding="utf-8")
    say(f"seeding done: {len(summaries)} files loaded")
    return True
