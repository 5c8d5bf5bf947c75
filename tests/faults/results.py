"""What each fault, fuzz and security test measured, for docs/reliability.md.

Every test of a RELIABILITY.md row calls :func:`record` with its row id and figures
(events, kills, losses, duplicates, recovery seconds...). Records are appended as JSON
lines to ``var/reliability/results.jsonl`` (``RELIABILITY_RESULTS`` overrides the file);
``scripts/reliability_report.py`` turns the last run's lines into the table in
docs/reliability.md. Recording never fails a test.

Sizes: a row runs at its CI size in ``make test`` and at its larger size in
``make test-faults``, which sets ``FAULTS_SCALE=full``; :func:`size` picks one.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def full_scale() -> bool:
    """True under ``make test-faults`` (FAULTS_SCALE=full)."""
    return os.environ.get("FAULTS_SCALE", "ci") == "full"


def size(ci: int, full: int) -> int:
    """The CI size, or the larger one under ``make test-faults``."""
    return full if full_scale() else ci


def results_file() -> Path:
    return Path(
        os.environ.get("RELIABILITY_RESULTS", REPO / "var" / "reliability" / "results.jsonl")
    )


def record(row: str, test: str, **figures: Any) -> None:
    """Append what ``test`` (of RELIABILITY.md row ``row``, e.g. "R1") measured."""
    line = {
        "row": row,
        "test": test,
        "scale": "full" if full_scale() else "ci",
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        **figures,
    }
    with contextlib.suppress(OSError):
        path = results_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
