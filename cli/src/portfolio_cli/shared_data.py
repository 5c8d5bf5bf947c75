"""The shared data directory beside the repository (``../shared``) and what the CLI reads there."""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from pathlib import Path

KORONA_CATEGORIES = "korona-categories-*.tsv"


def shared_dir(environ: Mapping[str, str] | None = None, cwd: Path | None = None) -> Path:
    """``$PORTFOLIO_SHARED_DIR``, else ``shared`` beside the working directory (``../shared``)."""
    env = os.environ if environ is None else environ
    root = (cwd or Path.cwd()).resolve()
    return Path(env.get("PORTFOLIO_SHARED_DIR") or root.parent / "shared")


def korona_category_names(directory: Path) -> dict[str, str]:
    """Category code → name from the newest ``data/korona-categories-*.tsv`` in ``directory``.

    The table has the columns ``code`` and ``category`` (tab-separated, UTF-8). Returns an
    empty mapping when there is no such file or it cannot be read: the codes then stand alone.
    """
    files = sorted((directory / "data").glob(KORONA_CATEGORIES))
    if not files:
        return {}
    try:
        with files[-1].open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except (OSError, UnicodeDecodeError, csv.Error):
        return {}
    names: dict[str, str] = {}
    for row in rows:
        code, name = (row.get("code") or "").strip(), (row.get("category") or "").strip()
        if code and name:
            names[code] = name
    return names
