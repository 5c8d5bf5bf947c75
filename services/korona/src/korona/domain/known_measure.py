"""A national-portfolio measure as korona knows it: enough to tell a proposer that a need is
already covered. Korona's own copy of what assessment publishes (``MeasureRegistered``)."""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id


class KnownMeasure(TracedAggregate):
    Noted: ClassVar[type[Any]]

    @staticmethod
    def create_id(measure_id: int) -> UUID:
        return stable_id("korona-known-measure", measure_id)

    @event("Noted")
    def __init__(
        self, measure_id: int, name: str, description: str, responsible_agency: str
    ) -> None:
        self.measure_id = measure_id
        self.name = name
        self.description = description
        self.responsible_agency = responsible_agency
