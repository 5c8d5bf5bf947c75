"""Assessment's application: the portfolio's measures, and queries on them."""

from __future__ import annotations

from eventsourcing.application import AggregateNotFoundError

from assessment.domain import Measure
from backbone.errors import NotFoundError
from backbone.persistence import ServiceApplication


class AssessmentApplication(ServiceApplication):
    """Keeps the measures; measures change through events from intake (see adapters)."""

    name = "assessment"

    def get_measure(self, measure_id: int) -> Measure:
        try:
            measure: Measure = self.repository.get(Measure.create_id(measure_id))
        except AggregateNotFoundError:
            raise NotFoundError(f"measure {measure_id} is not in the portfolio") from None
        return measure
