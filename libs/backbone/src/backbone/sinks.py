"""Sinks for event-sourced services: apply messages to aggregates, with tracking."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from backbone.consumer import TRANSIENT, Delivery, PoisonMessageError
from backbone.domain import EventMeta, acting_as
from backbone.persistence import ServiceApplication


class UnitOfWork:
    """The aggregates one partition batch loads and changes, saved together at the end."""

    def __init__(self, app: ServiceApplication) -> None:
        self.app = app
        self._aggregates: dict[UUID, Aggregate] = {}

    def get(self, aggregate_id: UUID) -> Any | None:
        """The aggregate as changed so far in this batch, or None if it does not exist."""
        if aggregate_id not in self._aggregates:
            try:
                self._aggregates[aggregate_id] = self.app.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
        return self._aggregates[aggregate_id]

    def add(self, aggregate: Aggregate) -> None:
        self._aggregates[aggregate.id] = aggregate

    def collect_events(self) -> list[Any]:
        events: list[Any] = []
        for aggregate in self._aggregates.values():
            events.extend(aggregate.collect_events())
        return events


Handler = Callable[[UnitOfWork, Delivery], None]
"""Applies one delivery to the aggregates of a unit of work."""


def meta_of(delivery: Delivery) -> EventMeta:
    """Events caused by a message keep its actor and correlation, and name it as cause."""
    env = delivery.envelope
    return EventMeta(
        agency=env.recorded_by.agency,
        user=env.recorded_by.user,
        role=env.recorded_by.role,
        correlation_id=env.correlation_id,
        causation_id=str(env.event_id),
    )


class EventSourcedSink:
    """Applies deliveries to an event-sourced application: new events + tracking, one commit."""

    def __init__(self, app: ServiceApplication, handler: Handler) -> None:
        self.app = app
        self.handler = handler

    def position(self, tracking_name: str) -> int | None:
        return self.app.process_recorder.max_tracking_id(tracking_name)

    def apply(self, tracking_name: str, position: int, deliveries: Sequence[Delivery]) -> None:
        uow = UnitOfWork(self.app)
        for index, delivery in enumerate(deliveries):
            try:
                with acting_as(meta_of(delivery)):
                    self.handler(uow, delivery)
            except TRANSIENT:
                raise
            except Exception as exc:
                raise PoisonMessageError(index, exc) from exc
        tracking = Tracking(tracking_name, position)
        events = uow.collect_events()
        if events:
            self.app.events.put(events, tracking=tracking)
        else:
            self.app.process_recorder.insert_tracking(tracking)
