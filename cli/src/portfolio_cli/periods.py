"""Reporting periods: ``YYYY-MM``, e.g. ``2020-03``."""

from __future__ import annotations

import re

_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def parse_period(text: str) -> str:
    """Return ``text`` stripped when it is a reporting period ``YYYY-MM``; else raise ValueError."""
    value = text.strip()
    if not _PERIOD.match(value):
        raise ValueError(f"a period is YYYY-MM, e.g. 2020-03; got {text!r}")
    return value
