"""Assessment's application: the portfolio's measures, the office's decisions on them.

Commands load a measure, call the domain, save; a write that collides with a concurrent
one (a status report arriving from intake) is retried on the new state. Each command RPC
carries an idempotency key (``backbone.idempotency``): its receipt is saved with the
measure, and a retry with the same key answers the measure as that command left it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eventsourcing.application import AggregateNotFoundError

from assessment.domain import Measure, Segment
from backbone.access import OFFICE, require_office_or_owner, require_role
from backbone.errors import NotFoundError
from backbone.idempotency import CommandReceipt
from backbone.persistence import ServiceApplication


class AssessmentApplication(ServiceApplication):
    """Keeps the measures: registered from intake's events, decided on by the office."""

    name = "assessment"
    max_attempts = 5

    def get_measure(self, measure_id: int) -> Measure:
        try:
            measure: Measure = self.repository.get(Measure.create_id(measure_id))
        except AggregateNotFoundError:
            raise NotFoundError(f"measure {measure_id} is not known") from None
        return measure

    # --- the office's decisions ----------------------------------------------------------

    def assess(
        self, measure_id: int, criteria_version: str, results: list[dict[str, Any]]
    ) -> Measure:
        require_role("assessing a measure", OFFICE)
        return self._change(
            measure_id, lambda m: m.assess(criteria_version=criteria_version, results=results)
        )

    def include(
        self, measure_id: int, segment: Segment, period: str, reason: str, decision: str
    ) -> Measure:
        require_role("including a measure", OFFICE)
        return self._change(
            measure_id,
            lambda m: m.include(segment=segment, period=period, reason=reason, decision=decision),
        )

    def reject(self, measure_id: int, reason: str) -> Measure:
        require_role("deciding not to include a measure", OFFICE)
        return self._change(measure_id, lambda m: m.reject(reason=reason))

    def move(
        self, measure_id: int, to: Segment, reason: str, decision: str, period: str
    ) -> Measure:
        require_role("moving a measure between segments", OFFICE)
        return self._change(
            measure_id, lambda m: m.move(to=to, reason=reason, decision=decision, period=period)
        )

    def remind(self, measure_id: int, period: str, deadline: str, overdue: bool) -> Measure:
        require_role("reminding a measure of a report", OFFICE)
        return self._change(
            measure_id, lambda m: m.remind(period=period, deadline=deadline, overdue=overdue)
        )

    # --- leaving the portfolio: the office or the owning agency -------------------------

    def complete(self, measure_id: int, period: str, way_forward: str, reason: str) -> Measure:
        def change(m: Measure) -> None:
            require_office_or_owner("completing a measure", m.responsible_agency)
            m.complete(period=period, way_forward=way_forward, reason=reason)

        return self._change(measure_id, change)

    def pause(self, measure_id: int, period: str, reason: str) -> Measure:
        def change(m: Measure) -> None:
            require_office_or_owner("pausing a measure", m.responsible_agency)
            m.pause(period=period, reason=reason)

        return self._change(measure_id, change)

    def withdraw(self, measure_id: int, period: str, reason: str) -> Measure:
        def change(m: Measure) -> None:
            require_office_or_owner("withdrawing a measure", m.responsible_agency)
            m.withdraw(period=period, reason=reason)

        return self._change(measure_id, change)

    def _change(self, measure_id: int, change: Callable[[Measure], object]) -> Measure:
        """Load, decide, save; a retried command (same key) gets the measure as it left it.

        A write that collides with another (a status report from intake, or this very
        command's commit reported as failed) is decided again on the new state, after
        looking for this command's receipt (``ServiceApplication.run_command``).
        """

        def attempt() -> Measure:
            measure = self.get_measure(measure_id)
            change(measure)
            self.save(measure)
            return measure

        def replay(receipt: CommandReceipt) -> Measure:
            measure: Measure = self.version_of(Measure.create_id(measure_id), receipt)
            return measure

        return self.run_command(
            attempt, replay, f"measure {measure_id} is changing too often; retry"
        )
