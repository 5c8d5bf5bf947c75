"""Imports the 2020-03 portfolio on the stack's first start, once."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from portfolio_cli.import_output import print_outcome
from portfolio_cli.importer import ImportOptions, import_measures
from portfolio_cli.stack_config import SeedSpec


async def seed_once(
    seed: SeedSpec, intake: str, reporting: str, say: Callable[[str], None]
) -> bool:
    """Import ``seed.file`` (as ``import measures --wait`` does) unless the marker says it
    was done; write the marker when every row shows in the report. Never raises for a
    failed import: it says why, and the next start tries again."""
    if seed.marker.exists():
        return True
    if not seed.file.is_file():
        say(
            f"seeding skipped: {seed.file} not found (set PORTFOLIO_SHARED_DIR);"
            " it will be tried again at next start"
        )
        return False
    say(f"seeding: importing {seed.file} as period {seed.period}")
    options = ImportOptions(
        file=seed.file,
        period=seed.period,
        intake=intake,
        reporting=reporting,
        wait=True,
        timeout_s=seed.timeout_s,
    )
    outcome = await import_measures(options)
    print_outcome(outcome)
    if not outcome.ok:
        say("seeding failed (see above); it will be tried again at next start")
        return False
    seed.marker.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    seed.marker.write_text(f"{stamp} {seed.file}: {outcome.summary()}\n", encoding="utf-8")
    say(f"seeding done: {outcome.summary()}")
    return True
