"""An auditor's reading of a service's event store: histories, past states, differences.

Everything here is replayed from the stored events through the application's own mapper
(so upcasters apply) and aggregate classes; nothing is read from projections. A moment
is on one of two axes, as in the reports: when a fact held in the domain (``held_at``,
the same time the service publishes as ``occurred_at``) or when the service recorded it.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import jsonpatch
from eventsourcing.domain import Aggregate, CanInitAggregate
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from backbone.errors import FieldViolation, NotFoundError, ValidationError
from backbone.outbox import Translator
from backbone.persistence import ServiceApplication

_EVENT_BASE = {"originator_id", "originator_version", "timestamp", "meta"}
_AGGREGATE_BASE = {"_id": "id", "_version": "version", "_created_on": "created_on"}
_AGGREGATE_HIDDEN = {"_pending_events", "_modified_on"}


def jsonable(value: Any) -> Any:  # noqa: PLR0911 - one case per kind of value
    """``value`` as plain JSON: times as RFC 3339, enums by value, sets sorted."""
    if isinstance(value, str | int | float | bool) or value is None:
        return value.value if isinstance(value, Enum) else value
    if isinstance(value, Enum):
        return jsonable(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((jsonable(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    return str(value)


@dataclass(frozen=True)
class StreamKind:
    """A kind of event stream a service keeps, and how people name one."""

    aggregate_type: type[Aggregate]
    id_for: Callable[[str], UUID | None]
    """The stream's id for a subject ("160", a proposal id); None when it cannot be one."""
    subject_field: str
    """The event field that holds the subject (``measure_id``, ``proposal_id``)."""
    portfolio: bool = False
    """Part of the portfolio :meth:`AuditTrail.portfolio_at` rebuilds."""

    @property
    def name(self) -> str:
        return self.aggregate_type.__name__

    @property
    def created_topics(self) -> list[str]:
        """The topics of the events that begin a stream of this kind."""
        return [
            get_topic(v)
            for v in vars(self.aggregate_type).values()
            if isinstance(v, type) and issubclass(v, CanInitAggregate)
        ]


@dataclass(frozen=True)
class Stream:
    service: str
    kind: StreamKind
    aggregate_id: UUID
    subject: str
    version: int


@dataclass(frozen=True)
class AuditedEvent:
    """One stored event as an auditor reads it."""

    stream: Stream
    type: str
    version: int
    held_at: datetime
    recorded_at: datetime
    meta: dict[str, str]
    reason: str
    data: dict[str, Any]
    position: int
    schema_version: int
    event: Any


@dataclass(frozen=True)
class State:
    stream: Stream
    version: int
    held_at: datetime | None
    recorded_at: datetime | None
    data: dict[str, Any]


@dataclass(frozen=True)
class Change:
    op: str
    path: str
    before: Any
    after: Any
    has_before: bool
    has_after: bool


@dataclass(frozen=True)
class Point:
    """A version, or a moment on the domain (default) or recorded axis."""

    version: int | None = None
    moment: datetime | None = None
    recorded: bool = False


def held_at_by(translate: Translator | None) -> Callable[[Any], datetime]:
    """When an event held in the domain: what the service publishes as ``occurred_at``,
    else when it was recorded (events that stay private)."""

    def held_at(event: Any) -> datetime:
        outgoing = translate(event) if translate is not None else None
        moment = outgoing.occurred_at if outgoing is not None else None
        return moment if isinstance(moment, datetime) else event.timestamp

    return held_at


def _reason(data: dict[str, Any]) -> str:
    for key in ("reason", "explanation"):
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return ""


class AuditTrail:
    """Reads one service's streams for auditors."""

    def __init__(
        self,
        service: str,
        app: ServiceApplication,
        kinds: Sequence[StreamKind],
        held_at: Callable[[Any], datetime],
    ) -> None:
        self.service = service
        self.app = app
        self.kinds = list(kinds)
        self.held_at = held_at
        self._kind_by_class = {k.aggregate_type.__qualname__: k for k in self.kinds}

    # --- finding streams ---------------------------------------------------------------

    def find(self, subject: str) -> list[Stream]:
        """Every stream this service keeps about ``subject``."""
        subject = subject.strip()
        found = []
        for kind in self.kinds:
            aggregate_id = kind.id_for(subject)
            if aggregate_id is None:
                continue
            last = self.app.recorder.select_events(aggregate_id, desc=True, limit=1)
            if last:
                found.append(
                    Stream(self.service, kind, aggregate_id, subject, last[0].originator_version)
                )
        return found

    def stream(self, subject: str, aggregate_type: str = "", where: str = "stream.") -> Stream:
        """The stream of ``subject`` (of ``aggregate_type``, else the first kind that has
        one); NotFoundError when there is none. ``where``: the request's path to the two
        fields, for the field violations (``stream.`` in StateAt and Diff, none in History)."""
        if not subject.strip():
            raise ValidationError(
                FieldViolation(f"{where}subject", "name a portfolio id or a proposal id")
            )
        found = self.find(subject)
        if aggregate_type:
            if aggregate_type not in {k.name for k in self.kinds}:
                known = ", ".join(k.name for k in self.kinds) or "none"
                raise ValidationError(
                    FieldViolation(
                        f"{where}aggregate_type",
                        f"{self.service} keeps no {aggregate_type} streams (it keeps: {known})",
                    )
                )
            found = [s for s in found if s.kind.name == aggregate_type]
        if not found:
            what = aggregate_type or "stream"
            raise NotFoundError(f"{self.service} keeps no {what} for {subject.strip()!r}")
        return found[0]

    # --- histories ---------------------------------------------------------------------

    def _stored(self, stream: Stream) -> Sequence[StoredEvent]:
        return self.app.recorder.select_events(stream.aggregate_id)

    def history(self, stream: Stream) -> Iterator[AuditedEvent]:
        """The stream's events in version order."""
        positions = self.app.audit_log.positions(stream.aggregate_id)
        for stored in self._stored(stream):
            yield self.audited(stream, stored, positions.get(stored.originator_version, 0))

    def audited(self, stream: Stream, stored: StoredEvent, position: int) -> AuditedEvent:
        event: Any = self.app.mapper.to_domain_event(stored)
        data = {k: jsonable(v) for k, v in vars(event).items() if k not in _EVENT_BASE}
        return AuditedEvent(
            stream=stream,
            type=type(event).__qualname__.rsplit(".", 1)[-1],
            version=event.originator_version,
            held_at=self.held_at(event),
            recorded_at=event.timestamp,
            meta=dict(getattr(event, "meta", {}) or {}),
            reason=_reason(data),
            data=data,
            position=position,
            schema_version=int(getattr(type(event), "class_version", 1)),
            event=event,
        )

    # --- states ------------------------------------------------------------------------

    def _events(
        self, stream: Stream, positions: dict[int, int] | None = None
    ) -> list[AuditedEvent]:
        """The stream's events, freshly decoded: a replay may change what an event holds."""
        positions = positions or {}
        return [
            self.audited(stream, s, positions.get(s.originator_version, 0))
            for s in self._stored(stream)
        ]

    def state_at(self, stream: Stream, point: Point) -> State:
        """The stream's state at ``point``, replayed from its events."""
        return self._replay(stream, self._applied(self._events(stream), point))

    def _applied(self, events: list[AuditedEvent], point: Point) -> list[AuditedEvent]:
        if point.version is not None:
            if point.version < 0:
                raise ValidationError(FieldViolation("at.version", "a version is 0 or more"))
            return [e for e in events if e.version <= point.version]
        if point.moment is None:
            return events
        if point.recorded:
            return [e for e in events if e.recorded_at <= point.moment]
        return [e for e in events if e.held_at <= point.moment]

    def _replay(self, stream: Stream, events: list[AuditedEvent]) -> State:
        aggregate: Any = None
        last: AuditedEvent | None = None
        for e in events:
            if aggregate is None and e.version != 1:
                break  # the stream had not begun: its first event holds later
            if aggregate is not None:
                # On the domain axis a later-held event may be left out between two that
                # are applied; the aggregate is then rebuilt from those that held.
                aggregate.version = e.version - 1
            aggregate, last = e.event.mutate(aggregate), e
        if last is None:
            return State(stream, 0, None, None, {})
        return State(
            stream, last.version, last.held_at, last.recorded_at, aggregate_state(aggregate)
        )

    def diff(
        self, stream: Stream, start: Point, end: Point
    ) -> tuple[State, State, list[Change], list[AuditedEvent]]:
        """The states at ``start`` and ``end``, what changed and the events in between."""
        positions = self.app.audit_log.positions(stream.aggregate_id)
        before_events = self._applied(self._events(stream, positions), start)
        after_events = self._applied(self._events(stream, positions), end)
        before = self._replay(stream, before_events)
        after = self._replay(stream, after_events)
        earlier = {e.version for e in before_events}
        between = [e for e in after_events if e.version not in earlier]
        return before, after, changes(before.data, after.data), between

    # --- the portfolio -----------------------------------------------------------------

    def portfolio_at(self, point: Point) -> Iterator[State]:
        """Every portfolio stream's state at ``point``, in the order they began."""
        for kind in self.kinds:
            if not kind.portfolio:
                continue
            for aggregate_id in self._ids_of(kind):
                stored = self.app.recorder.select_events(aggregate_id)
                unnamed = Stream(
                    self.service, kind, aggregate_id, "", stored[-1].originator_version
                )
                events = [self.audited(unnamed, s, 0) for s in stored]
                subject = events[0].data.get(kind.subject_field, aggregate_id)
                stream = dataclasses.replace(unnamed, subject=str(subject))
                state = self._replay(stream, self._applied(events, point))
                if state.version:
                    yield state

    def _ids_of(self, kind: StreamKind) -> Iterator[UUID]:
        start: int | None = None
        topics = kind.created_topics
        while notifications := self.app.recorder.select_notifications(
            start, 500, topics=topics, inclusive_of_start=False
        ):
            for n in notifications:
                yield UUID(str(n.originator_id))
            start = notifications[-1].id

    # --- labels for stored rows ---------------------------------------------------------

    def label(self, stored: StoredEvent) -> str:
        """Who a stored event is about, for people ("Measure 160"); "" if unknown."""
        aggregate = stored.topic.split(":", 1)[-1].rsplit(".", 1)[0]
        kind = self._kind_by_class.get(aggregate)
        if kind is None:
            return aggregate
        try:
            event = self.app.mapper.to_domain_event(stored)
        except Exception:
            return kind.name
        subject = getattr(event, kind.subject_field, None)
        return f"{kind.name} {subject}" if subject is not None else kind.name


def aggregate_state(aggregate: Any) -> dict[str, Any]:
    """An aggregate's fields as JSON: its id, version and creation time first."""
    state: dict[str, Any] = {}
    for key, name in _AGGREGATE_BASE.items():
        state[name] = jsonable(getattr(aggregate, key, None))
    for key, value in vars(aggregate).items():
        if key in _AGGREGATE_BASE or key in _AGGREGATE_HIDDEN:
            continue
        state[key.lstrip("_")] = jsonable(value)
    return state


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What differs from ``before`` to ``after``, as RFC 6902 operations with the values."""
    out = []
    ignore = {"/version"}
    for op in jsonpatch.JsonPatch.from_diff(before, after, dumps=_dumps):
        kind, path = op["op"], op["path"]
        if path in ignore:
            continue
        if kind in {"move", "copy"}:
            source = op["from"]
            value = _resolve(after, path)
            if kind == "move":
                out.append(Change("remove", source, _resolve(before, source), None, True, False))
            old = _resolve(before, path)
            out.append(Change("add", path, old, value, old is not _MISSING, True))
            continue
        old = _resolve(before, path)
        has_before = old is not _MISSING
        if kind == "remove":
            out.append(Change("remove", path, old, None, has_before, False))
        else:
            out.append(
                Change(kind, path, old if has_before else None, op["value"], has_before, True)
            )
    return out


_MISSING: Any = object()


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def _resolve(document: Any, pointer: str) -> Any:
    try:
        return jsonpatch.JsonPointer(pointer).resolve(document)
    except (jsonpatch.JsonPointerException, KeyError, IndexError, TypeError):
        return _MISSING
