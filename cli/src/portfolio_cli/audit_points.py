"""Points in a stream's history as auditors write them: ``v4``, ``2020-06-30``, ``2020-06``,
``2020-06-30T14:00``, ``2020-06-30T12:00:00Z``, ``now``.

A date or a month stands for its **end** in Norwegian time (the last microsecond of
the day or month), so ``--at 2020-06-30`` is the state as it stood when 30 June was over,
with everything that happened on that day. A time without an offset is Norwegian time
(the earlier of a repeated autumn hour; the hour skipped in spring is an error). The
moment goes on the wire as RFC 3339 in UTC. ``--since``/``--until`` of the call log read
a date as its start and its end respectively.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from eportfolio.audit.v1 import audit_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.korona_values import in_oslo, parse_moment

_VERSION = re.compile(r"^[vV](\d{1,18})$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_LAST = time(23, 59, 59, 999_999)
NOW = "now"
POINT_HELP = (
    "vN (version N), a date 2020-06-30 or month 2020-06 (its end, Norwegian time), "
    "a time 2020-06-30T14:00 (Norwegian time) or with an offset, or now."
)


@dataclass(frozen=True)
class AuditPoint:
    """A version of a stream, or a moment (``None``: now)."""

    text: str
    """As the user wrote it."""
    version: int | None = None
    moment: datetime | None = None

    @property
    def is_version(self) -> bool:
        return self.version is not None

    def wire_moment(self) -> str:
        """The moment as RFC 3339 in UTC; empty for now."""
        return utc_text(self.moment) if self.moment is not None else ""

    def to_proto(self, recorded: bool) -> audit_pb2.Point:
        """The ``Point`` of a request; a moment on the domain or the recorded axis."""
        if self.version is not None:
            return audit_pb2.Point(version=self.version)
        moment = self.moment if self.moment is not None else datetime.now(UTC)
        return audit_pb2.Point(moment=utc_text(moment), axis=axis_of(recorded))

    def to_json(self, recorded: bool) -> dict[str, object]:
        """``{"version": 4}`` or ``{"moment": "...Z", "axis": "domain"}``."""
        if self.version is not None:
            return {"version": self.version}
        return {"moment": self.wire_moment() or None, "axis": axis_name(recorded)}


def axis_of(recorded: bool) -> common_pb2.TimeAxis.ValueType:
    """The recorded axis with ``--recorded``, else the domain axis."""
    return common_pb2.TIME_AXIS_RECORDED if recorded else common_pb2.TIME_AXIS_DOMAIN


def axis_name(recorded: bool) -> str:
    return "recorded" if recorded else "domain"


def utc_text(moment: datetime) -> str:
    """An aware time as RFC 3339 in UTC (``2020-06-30T21:59:59.999999Z``)."""
    spec = "seconds" if moment.microsecond == 0 else "microseconds"
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def _calendar(text: str, end: bool) -> datetime | None:
    """A date or a month as the start or the end of it in Norwegian time; None for
    anything else. ValueError for a date that does not exist."""
    if _DATE.match(text):
        try:
            day = date.fromisoformat(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a date") from None
        if end:
            return in_oslo(datetime.combine(day, _LAST))
        return in_oslo(datetime.combine(day, time()))
    month = _MONTH.match(text)
    if month is None:
        return None
    year, number = int(month.group(1)), int(month.group(2))
    if not 1 <= number <= 12:
        raise ValueError(f"{text!r} is not a month (YYYY-MM)")
    first = date(year, number, 1)
    if not end:
        return in_oslo(datetime.combine(first, time()))
    following = (first + timedelta(days=32)).replace(day=1)
    return in_oslo(datetime.combine(following - timedelta(days=1), _LAST))


def parse_moment_text(text: str, *, date_is_end: bool = True) -> datetime | None:
    """A moment (``None`` for ``now``); a date or a month is its end (or its start)."""
    value = text.strip()
    if value.lower() == NOW:
        return None
    found = _calendar(value, date_is_end)
    if found is not None:
        return found
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value[:40]!r} is not a point in time: use vN (a version), a date 2020-06-30,"
            " a month 2020-06, a time 2020-06-30T14:00 (Norwegian time), one with an"
            " offset (2020-06-30T12:00:00Z) or now"
        ) from None
    return parse_moment(value)  # Norwegian time unless it has an offset


def parse_point(text: str) -> AuditPoint:
    """``v4``, a date, a month, a time or ``now`` (see the module); ValueError otherwise."""
    value = text.strip()
    version = _VERSION.match(value)
    if version is not None:
        return AuditPoint(value, version=int(version.group(1)))
    if value.isdigit():
        raise ValueError(f"{value!r}: write a version as v{value}, a date as 2020-06-30")
    return AuditPoint(value, moment=parse_moment_text(value))


def parse_moment_point(text: str) -> AuditPoint:
    """As :func:`parse_point`, but a version is not a moment (for the whole portfolio)."""
    point = parse_point(text)
    if point.is_version:
        raise ValueError(f"{text.strip()!r}: the portfolio is rebuilt at a moment, not a version")
    return point


def parse_since(text: str) -> datetime:
    """A lower bound: a date or a month is its start."""
    return parse_moment_text(text, date_is_end=False) or datetime.now(UTC)


def parse_until(text: str) -> datetime:
    """An upper bound: a date or a month is its end."""
    return parse_moment_text(text, date_is_end=True) or datetime.now(UTC)
