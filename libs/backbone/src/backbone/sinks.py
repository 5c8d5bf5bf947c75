"""Sinks for event-sourced services: apply messages to aggregates, with tracking."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import Tracking

from backbone.consumer import TRANSIENT, Delivery, PoisonMessageError
from backbone.deadletters import (
    DeadLetter,
    DeadLetterBook,
    Letters,
    Routed,
    book_id,
    group_of,
    route,
)
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

    def apply(
        self,
        tracking_name: str,
        position: int | None,
        deliveries: Sequence[Delivery | DeadLetter],
        failed: Mapping[int, str] | None = None,
    ) -> Routed:
        uow = UnitOfWork(self.app)
        group = group_of(tracking_name)
        book = self._book(uow, group)
        letters = book.letters() if book is not None else Letters({})
        routed = route(deliveries, failed or {}, letters, lambda i, d: self._handle(uow, i, d))
        self._record(uow, book, group, letters)
        events = uow.collect_events()
        if position is None:  # letters only, no new position
            if events:
                self.app.events.put(events)
            return routed
        tracking = Tracking(tracking_name, position)
        if events:
            self.app.events.put(events, tracking=tracking)
        else:
            self.app.process_recorder.insert_tracking(tracking)
        return routed

    def _handle(self, uow: UnitOfWork, index: int, delivery: Delivery) -> None:
        try:
            with acting_as(meta_of(delivery)):
                self.handler(uow, delivery)
        except TRANSIENT:
            raise
        except Exception as exc:
            raise PoisonMessageError(index, exc) from exc

    # --- the sequenced dead-letter queue ---------------------------------------------------

    @staticmethod
    def _book(uow: UnitOfWork, group: str) -> DeadLetterBook | None:
        book: DeadLetterBook | None = uow.get(book_id(group))
        return book

    @staticmethod
    def _record(uow: UnitOfWork, book: DeadLetterBook | None, group: str, letters: Letters) -> None:
        if not letters.changes:
            return
        if book is None:
            book = DeadLetterBook(group)
            uow.add(book)
        book.record(letters.changes)

    def dead_letters(self, group: str) -> Letters:
        book = self._book(UnitOfWork(self.app), group)
        return book.letters() if book is not None else Letters({})

    def replay(self, group: str, sequence: str, deliveries: Sequence[Delivery]) -> None:
        """Apply a parked sequence's first ``len(deliveries)`` letters and release them, in
        one transaction (PoisonMessageError names a delivery that fails again)."""
        uow = UnitOfWork(self.app)
        book = self._book(uow, group)
        if book is None:
            return
        for index, delivery in enumerate(deliveries):
            self._handle(uow, index, delivery)
        letters = book.letters()
        letters.release(sequence, len(deliveries))
        book.record(letters.changes)
        self.app.events.put(uow.collect_events())

    def change_letters(self, group: str, change: Callable[[Letters], Any]) -> Any:
        """Change the parked letters (a failure noted, a letter discarded) and store it."""
        uow = UnitOfWork(self.app)
        book = self._book(uow, group)
        letters = book.letters() if book is not None else Letters({})
        result = change(letters)
        self._record(uow, book, group, letters)
        events = uow.collect_events()
        if events:
            self.app.events.put(events)
        return result
