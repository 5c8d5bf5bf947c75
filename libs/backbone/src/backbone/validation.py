"""Checks of request fields that several services share; each adds a field violation."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from backbone.errors import Violations

PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
MAX_TEXT = 10_000


def period(value: str, field: str, v: Violations, *, required: bool = True) -> str | None:
    if not value:
        if required:
            v.add(field, "is required (YYYY-MM)")
        return None
    if not PERIOD.fullmatch(value):
        v.add(field, f"must be a reporting period YYYY-MM, got {value[:40]!r}")
        return None
    return value


def text(
    value: str, field: str, v: Violations, *, required: bool = False, max_len: int = MAX_TEXT
) -> str:
    stripped = value.strip()
    if "\x00" in stripped:
        v.add(field, "must not contain NUL characters")
    elif required and not stripped:
        v.add(field, "is required")
    elif len(stripped) > max_len:
        v.add(field, f"is longer than {max_len} characters")
    return stripped


def positive(value: int, field: str, v: Violations) -> int:
    if value <= 0:
        v.add(field, "must be a positive number")
    return value


def timestamp(value: str, field: str, v: Violations) -> datetime | None:
    """An RFC 3339 time; empty means not given. Naive times are taken as UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        v.add(field, f"must be an RFC 3339 time, got {value[:40]!r}")
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
