"""Checks of request fields that several services share; each adds a field violation."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TypeVar

from backbone.errors import Violations

# [0-9], not \d: Python's \d takes any Unicode digit, and "٢٠٢٤-٠٣" would be stored and
# reported as a period of its own beside "2024-03" (found by tests/fuzz, RELIABILITY.md I2).
PERIOD = re.compile(r"^[0-9]{4}-(0[1-9]|1[0-2])$")
MAX_TEXT = 10_000
MAX_ITEMS = 100
T = TypeVar("T")


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
    parsed = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    # Times at the ends of the calendar overflow when moved to UTC
    # ("0001-01-01T00:00+01:00" was an INTERNAL error in reporting).
    try:
        parsed.astimezone(UTC)
    except OverflowError:
        v.add(field, "must be a time between the years 1 and 9999 in UTC")
        return None
    return parsed


def items(
    values: Sequence[T], field: str, v: Violations, *, max_items: int = MAX_ITEMS
) -> Sequence[T]:
    """The first ``max_items`` of a repeated field, and a violation naming the field when it
    has more: checking stops there, so 100,000 items cost no more than ``max_items``."""
    if len(values) > max_items:
        v.add(field, f"has more than {max_items} items")
    return values[:max_items]
