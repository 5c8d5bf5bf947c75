"""Portfolio ids for measures promoted from the corona portfolio.

Intake numbers the measures agencies submit (from 1000); promoted corona measures arrive
as korona's events instead, so assessment numbers them itself, in a range of their own
(from 9000), once per proposal: a redelivered promotion finds its number already given.
"""

from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id


class PromotedNumbers(TracedAggregate):
    FIRST = 9000
    Allocated: ClassVar[type[Any]]

    @staticmethod
    def create_id() -> UUID:
        return stable_id("measure-numbers", "promoted-from-korona")

    @event("Started")
    def __init__(self) -> None:
        self.last = self.FIRST - 1
        self.by_proposal: dict[str, int] = {}

    def number_for(self, proposal_id: str) -> tuple[int, bool]:
        """The measure id of ``proposal_id``, and True when it was given just now."""
        if proposal_id in self.by_proposal:
            return self.by_proposal[proposal_id], False
        self._allocated(measure_id=self.last + 1, proposal_id=proposal_id)
        return self.last, True

    @event("Allocated")
    def _allocated(self, measure_id: int, proposal_id: str) -> None:
        self.last = measure_id
        self.by_proposal[proposal_id] = measure_id
