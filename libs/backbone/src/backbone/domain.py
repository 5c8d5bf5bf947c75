"""The base every aggregate builds on: events that say who did it, and why.

Every domain event carries ``meta``: the acting agency, user and role, and the
correlation id of the request that caused it. Commands run inside
:func:`acting_as`, which puts that metadata in a context variable; the aggregate
base class stamps it on each event it triggers, so domain methods stay about the
domain and no event can be stored without its actor.

Imports only the standard library and ``eventsourcing.domain``.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any, Self

from eventsourcing.domain import Aggregate, CanInitAggregate, CanMutateAggregate

NAMESPACE = uuid.UUID("6b1f4c1e-2f52-4c44-9a53-3f0e6f1b7a10")


def stable_id(kind: str, natural_key: str | int) -> uuid.UUID:
    """A deterministic aggregate id from a natural key (e.g. a portfolio id)."""
    return uuid.uuid5(NAMESPACE, f"{kind}:{natural_key}")


@dataclass(frozen=True)
class EventMeta:
    """Who caused an event, and in which request."""

    agency: str = ""
    user: str = ""
    role: str = ""
    correlation_id: str = ""
    causation_id: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> EventMeta:
        data = data or {}
        return cls(**{k: str(data.get(k, "")) for k in cls.__dataclass_fields__})


SYSTEM = EventMeta(agency="system", user="system", role="system")

_current_meta: contextvars.ContextVar[EventMeta] = contextvars.ContextVar(
    "current_event_meta", default=SYSTEM
)


@contextlib.contextmanager
def acting_as(meta: EventMeta) -> Iterator[EventMeta]:
    """Run a block of domain code on behalf of ``meta``; events triggered inside carry it."""
    token = _current_meta.set(meta)
    try:
        yield meta
    finally:
        _current_meta.reset(token)


def current_meta() -> EventMeta:
    return _current_meta.get()


class TracedAggregate(Aggregate):
    """An aggregate whose every event records who caused it (``meta``)."""

    class Event(Aggregate.Event):
        meta: dict[str, str]

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(
        cls,
        event_class: type[CanInitAggregate[Any]],
        *,
        id: Any = None,
        **kwargs: Any,
    ) -> Self:
        kwargs.setdefault("meta", current_meta().as_dict())
        return super()._create(event_class, id=id, **kwargs)

    def trigger_event(self, event_class: type[CanMutateAggregate[Any]], **kwargs: Any) -> None:
        kwargs.setdefault("meta", current_meta().as_dict())
        super().trigger_event(event_class, **kwargs)
