"""Prints how an import went: one line per error, then the summary."""

from __future__ import annotations

import sys
from typing import TextIO

from portfolio_cli.importer import ImportOutcome


def print_outcome(
    outcome: ImportOutcome,
    label: str | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> None:
    """Errors as ``FILE:LINE: column COLUMN: reason`` on ``err``, the summary on ``out``."""
    out = out or sys.stdout
    err = err or sys.stderr
    name = label or str(outcome.file)
    for error in outcome.errors:
        print(error.render(name), file=err)
    if outcome.problem:
        print(f"error: {outcome.problem}", file=err)
    err.flush()
    print(outcome.summary(), file=out)
    if outcome.waited and outcome.problem is None:
        print(f"the {outcome.period} report shows all {outcome.imported} imported rows", file=out)
    out.flush()
