"""A measure (tiltak) of the national e-health portfolio and its whole history.

A measure is registered when an agency submits it (``submitted``), when it is announced
for next year (``candidate``) or when it comes from a historical table (``active`` from
the table's period). The portfolio office assesses it against a named version of the
inclusion criteria, then includes it in a segment or does not include it. While active
it sends status reports and may move between segments; it leaves the portfolio completed
(with its way forward), paused or withdrawn. Every step is an event with who, when, why.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from assessment.domain.segments import Lifecycle, Segment
from backbone.domain import TracedAggregate, stable_id
from backbone.errors import ConflictError, FieldViolation, ValidationError

IN_PORTFOLIO = {Lifecycle.ACTIVE}
NOTE_FIELDS = ("progress", "obstacles", "experiences", "dependency_notes")
UNDECIDED = {Lifecycle.SUBMITTED, Lifecycle.CANDIDATE}
UNNAMED_MEASURE = 0
"""The ``measure_id`` of an event stored before its kind named the measure (see
:class:`NamesTheMeasure`): the measure is the stream's, whose ``Registered`` event names it."""


class NamesTheMeasure(TracedAggregate.Event):
    """A change to a measure that names the measure (for the contract it is published as).

    v2 names it. v1 (stored without a class_version, before ecb4389) did not: it reads
    as :data:`UNNAMED_MEASURE`. Nothing in the aggregate depends on it.
    """

    class_version = 2
    measure_id: int

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state.setdefault("measure_id", UNNAMED_MEASURE)


class Measure(TracedAggregate):
    """One measure: who owns it, where it stands, and every status report it sent."""

    # Created by its @event decorator below (declared for type checkers).
    ReminderIssued: ClassVar[type[Any]]

    class Registered(TracedAggregate.Created):
        """The measure came to assessment: submitted, announced, or from a historical table.

        v2 holds every field. v1 (stored without a class_version) lacked the planned
        figures, dependencies, checklist, proposed segment and operating cost before
        ecb4389, ``candidate_for`` before 7ed00fe and ``registered_at`` before b10f6b7.
        """

        class_version = 2
        measure_id: int
        name: str
        description: str
        responsible_agency: str
        owner: str
        strategic_area: str
        in_portfolio_since: str | None
        receipt_id: str
        planned_start: str | None = None
        planned_end: str | None = None
        planned_budget: list[dict[str, Any]] | None = None
        depends_on: list[int] | None = None
        checklist: list[dict[str, Any]] | None = None
        proposed_segment: str | None = None
        operating_cost_nok_per_year: int = 0
        candidate_for: int | None = None
        registered_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            for name, absent in (
                ("planned_start", None),
                ("planned_end", None),
                ("planned_budget", []),
                ("depends_on", []),
                ("checklist", []),
                ("proposed_segment", None),
                ("operating_cost_nok_per_year", 0),
                ("candidate_for", None),
                ("registered_at", None),  # None: when it was recorded (the timestamp)
            ):
                state.setdefault(name, absent)

    class StatusReportRecorded(TracedAggregate.Event):
        """A status report the measure took.

        v2 holds every field. v1 (stored without a class_version) lacked
        ``explanation_missing`` and ``correction`` before 7ed00fe, the notes and
        ``missing_focus`` before e8a8b58 and ``reported_at`` before b10f6b7. A missing
        explanation follows from the report itself; whether it corrected an earlier
        report for its period follows from the measure, and is taken from there on replay.
        """

        class_version = 2
        measure_id: int
        period: str
        status: str | None
        risk: str | None
        budget: list[dict[str, int]]
        explanation: str
        receipt_id: str
        explanation_missing: bool
        correction: bool
        notes: dict[str, str] | None = None
        missing_focus: list[str] | None = None
        reported_at: datetime | None = None

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            state.setdefault(
                "explanation_missing",
                "red" in (state["status"], state["risk"]) and not state["explanation"].strip(),
            )
            state.setdefault("correction", False)  # see _status_report_recorded
            state.setdefault("notes", {})
            state.setdefault("missing_focus", [])  # the focus was not asked for yet
            state.setdefault("reported_at", None)  # None: when it was recorded

    class StatusReportRefused(NamesTheMeasure):
        receipt_id: str
        period: str
        reason: str

    class CriteriaAssessed(NamesTheMeasure):
        criteria_version: str
        results: list[dict[str, Any]]
        all_met: bool

    class Included(NamesTheMeasure):
        segment: str
        period: str
        reason: str
        decision: str

    class NotIncluded(NamesTheMeasure):
        reason: str

    class SegmentChanged(NamesTheMeasure):
        from_segment: str | None
        to_segment: str
        reason: str
        decision: str
        period: str

    class Completed(NamesTheMeasure):
        period: str
        way_forward: str
        reason: str

    class Paused(NamesTheMeasure):
        period: str
        reason: str

    class Withdrawn(NamesTheMeasure):
        period: str
        reason: str

    @staticmethod
    def create_id(measure_id: int) -> UUID:
        return stable_id("measure", measure_id)

    @event(Registered)
    def __init__(
        self,
        measure_id: int,
        name: str,
        description: str,
        responsible_agency: str,
        owner: str,
        strategic_area: str,
        in_portfolio_since: str | None,
        receipt_id: str,
        planned_start: str | None = None,
        planned_end: str | None = None,
        planned_budget: list[dict[str, Any]] | None = None,
        depends_on: list[int] | None = None,
        checklist: list[dict[str, Any]] | None = None,
        proposed_segment: str | None = None,
        operating_cost_nok_per_year: int = 0,
        candidate_for: int | None = None,
        registered_at: datetime | None = None,
    ) -> None:
        self.measure_id = measure_id
        self.registered_at = registered_at
        self.planned_start = planned_start
        self.planned_end = planned_end
        self.planned_budget = list(planned_budget or [])
        self.depends_on = list(depends_on or [])
        self.checklist = list(checklist or [])
        self.proposed_segment = proposed_segment
        self.operating_cost_nok_per_year = operating_cost_nok_per_year
        self.name = name
        self.description = description
        self.responsible_agency = responsible_agency
        self.owner = owner
        self.strategic_area = strategic_area
        self.in_portfolio_since = in_portfolio_since
        self.candidate_for = candidate_for
        if in_portfolio_since:
            self.lifecycle = Lifecycle.ACTIVE
        elif candidate_for:
            self.lifecycle = Lifecycle.CANDIDATE
        else:
            self.lifecycle = Lifecycle.SUBMITTED
        self.segment: Segment | None = None
        self.segment_since: str | None = None
        """The period the current segment applies from."""
        self.refused_reports: list[dict[str, str]] = []
        """Status reports the measure could not take, with the reason sent back."""
        self.assessment: dict[str, Any] | None = None
        self.left_after: str | None = None
        self.way_forward = ""
        self.rejection_reason = ""
        self.status_reports: dict[str, dict[str, Any]] = {}
        """The latest status report per period (earlier ones stay in the history)."""
        self.reminders: list[dict[str, str]] = []
        """Reminders of owed status reports: period, deadline, kind (due or overdue)."""
        self.receipts: set[str] = set()
        """Receipts of every status report recorded or refused, so none is applied twice."""

    # --- status reports ------------------------------------------------------------------

    def record_status_report(
        self,
        *,
        period: str,
        status: str | None,
        risk: str | None,
        budget: list[dict[str, int]],
        explanation: str,
        receipt_id: str,
        historical: bool = False,
        notes: dict[str, str] | None = None,
        reported_at: datetime | None = None,
    ) -> bool:
        """Record a report; a report the measure cannot take is recorded as refused.

        Returns whether it was recorded. A red status or risk needs an explanation,
        except in a historical import, where its absence is flagged instead.
        """
        if receipt_id in self.receipts:
            raise ConflictError(f"status report {receipt_id} is recorded already")
        reason = self._why_report_is_refused(period, status, risk, explanation, historical)
        if reason:
            self._status_report_refused(
                measure_id=self.measure_id, receipt_id=receipt_id, period=period, reason=reason
            )
            return False
        self._status_report_recorded(
            measure_id=self.measure_id,
            period=period,
            status=status,
            risk=risk,
            budget=budget,
            explanation=explanation,
            receipt_id=receipt_id,
            explanation_missing="red" in (status, risk) and not explanation.strip(),
            correction=period in self.status_reports,
            notes=dict(notes or {}),
            missing_focus=self._missing_focus(notes or {}, historical),
            reported_at=reported_at,
        )
        return True

    def _missing_focus(self, notes: dict[str, str], historical: bool) -> list[str]:
        """What the segment's focus asks for that a report left out (historical tables: none)."""
        if historical or self.segment is None:
            return []
        return [f for f in self.segment.focus_fields if not notes.get(f, "").strip()]

    def _why_report_is_refused(
        self, period: str, status: str | None, risk: str | None, explanation: str, historical: bool
    ) -> str:
        if self.lifecycle not in IN_PORTFOLIO and not (
            self.lifecycle in {Lifecycle.COMPLETED, Lifecycle.PAUSED}
            and self.left_after
            and period <= self.left_after
        ):
            return f"measure {self.measure_id} is not in the portfolio ({self.lifecycle})"
        if self.in_portfolio_since and period < self.in_portfolio_since:
            return f"measure {self.measure_id} entered the portfolio in {self.in_portfolio_since}"
        if "red" in (status, risk) and not explanation.strip() and not historical:
            return "a red status or risk needs an explanation"
        return ""

    @event(StatusReportRecorded)
    def _status_report_recorded(
        self,
        measure_id: int,
        period: str,
        status: str | None,
        risk: str | None,
        budget: list[dict[str, int]],
        explanation: str,
        receipt_id: str,
        explanation_missing: bool,
        correction: bool,
        notes: dict[str, str] | None = None,
        missing_focus: list[str] | None = None,
        reported_at: datetime | None = None,
    ) -> None:
        self.receipts.add(receipt_id)
        # A report for a period reported before corrects it (v1 events did not say so).
        correction = correction or period in self.status_reports
        self.status_reports[period] = {
            **dict.fromkeys(NOTE_FIELDS, ""),
            **(notes or {}),
            "missing_focus": list(missing_focus or []),
            "period": period,
            "status": status,
            "risk": risk,
            "budget": budget,
            "explanation": explanation,
            "receipt_id": receipt_id,
            "explanation_missing": explanation_missing,
            "correction": correction,
        }

    @event(StatusReportRefused)
    def _status_report_refused(
        self, measure_id: int, receipt_id: str, period: str, reason: str
    ) -> None:
        self.receipts.add(receipt_id)
        self.refused_reports.append({"period": period, "receipt_id": receipt_id, "reason": reason})

    # --- reminders ----------------------------------------------------------------------

    def remind(self, *, period: str, deadline: str, overdue: bool) -> bool:
        """Remind the agency of the report it owes for ``period``; once per period and kind.

        Returns whether a reminder was issued (False: this one was issued before).
        """
        if period in self.status_reports:
            raise ConflictError(f"measure {self.measure_id} has reported for {period}")
        if not self._counted_in(period):
            raise ConflictError(f"measure {self.measure_id} is not in the portfolio in {period}")
        kind = "overdue" if overdue else "due"
        if any(r["period"] == period and r["kind"] == kind for r in self.reminders):
            return False
        self._reminder_issued(
            measure_id=self.measure_id,
            responsible_agency=self.responsible_agency,
            period=period,
            deadline=deadline,
            kind=kind,
        )
        return True

    @event("ReminderIssued")
    def _reminder_issued(
        self, measure_id: int, responsible_agency: str, period: str, deadline: str, kind: str
    ) -> None:
        self.reminders.append({"period": period, "deadline": deadline, "kind": kind})

    def _counted_in(self, period: str) -> bool:
        since, left = self.in_portfolio_since, self.left_after
        if since is None or since > period:
            return False
        return left is None or period <= left

    # --- assessment and inclusion --------------------------------------------------------

    def assess(self, *, criteria_version: str, results: list[dict[str, Any]]) -> None:
        """Record the office's assessment against a named version of the criteria."""
        if self.lifecycle not in UNDECIDED | IN_PORTFOLIO:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; it cannot be assessed"
            )
        self._criteria_assessed(
            measure_id=self.measure_id,
            criteria_version=criteria_version,
            results=results,
            all_met=all(r["met"] for r in results),
        )

    @event(CriteriaAssessed)
    def _criteria_assessed(
        self, measure_id: int, criteria_version: str, results: list[dict[str, Any]], all_met: bool
    ) -> None:
        self.assessment = {
            "criteria_version": criteria_version,
            "results": results,
            "all_met": all_met,
        }

    def include(self, *, segment: Segment, period: str, reason: str, decision: str) -> None:
        """Include an assessed measure in the portfolio, in ``segment``, from ``period``."""
        if self.lifecycle not in UNDECIDED:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; only a "
                "submitted measure or a candidate can be included"
            )
        if self.assessment is None:
            raise ConflictError(f"measure {self.measure_id} has not been assessed")
        if not self.assessment["all_met"]:
            raise ConflictError(
                f"measure {self.measure_id} does not meet all inclusion criteria "
                f"(criteria {self.assessment['criteria_version']})"
            )
        self._included(
            measure_id=self.measure_id,
            segment=segment.value,
            period=period,
            reason=reason,
            decision=decision,
        )

    @event(Included)
    def _included(
        self, measure_id: int, segment: str, period: str, reason: str, decision: str
    ) -> None:
        self.lifecycle = Lifecycle.ACTIVE
        self.segment = Segment(segment)
        self.segment_since = period
        self.in_portfolio_since = period

    def reject(self, *, reason: str) -> None:
        """Do not include the measure; the reason goes back to the submitter."""
        if self.lifecycle not in UNDECIDED:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; only a "
                "submitted measure or a candidate can be rejected"
            )
        self._not_included(measure_id=self.measure_id, reason=reason)

    @event(NotIncluded)
    def _not_included(self, measure_id: int, reason: str) -> None:
        self.lifecycle = Lifecycle.NOT_INCLUDED
        self.rejection_reason = reason

    # --- segments ------------------------------------------------------------------------

    def move(self, *, to: Segment, reason: str, decision: str, period: str) -> None:
        """Move the measure to another segment (or place it, if it has none yet)."""
        if self.lifecycle not in IN_PORTFOLIO:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; "
                "only a measure in the portfolio can be moved"
            )
        if to == self.segment:
            raise ConflictError(f"measure {self.measure_id} is in {to.label} already")
        if not reason.strip():
            raise ValidationError(FieldViolation("reason", "a move needs a reason"))
        if self.segment_since and period < self.segment_since:
            raise ConflictError(
                f"measure {self.measure_id} was last placed from {self.segment_since}; "
                "a move cannot take effect before that"
            )
        self._segment_changed(
            measure_id=self.measure_id,
            from_segment=self.segment.value if self.segment else None,
            to_segment=to.value,
            reason=reason,
            decision=decision,
            period=period,
        )

    @event(SegmentChanged)
    def _segment_changed(
        self,
        measure_id: int,
        from_segment: str | None,
        to_segment: str,
        reason: str,
        decision: str,
        period: str,
    ) -> None:
        self.segment = Segment(to_segment)
        self.segment_since = period

    # --- leaving the portfolio -----------------------------------------------------------

    def complete(self, *, period: str, way_forward: str, reason: str) -> None:
        self._require_active("completed")
        self._completed(
            measure_id=self.measure_id, period=period, way_forward=way_forward, reason=reason
        )

    @event(Completed)
    def _completed(self, measure_id: int, period: str, way_forward: str, reason: str) -> None:
        self.lifecycle = Lifecycle.COMPLETED
        self.left_after = period
        self.way_forward = way_forward

    def pause(self, *, period: str, reason: str) -> None:
        self._require_active("paused")
        self._paused(measure_id=self.measure_id, period=period, reason=reason)

    @event(Paused)
    def _paused(self, measure_id: int, period: str, reason: str) -> None:
        self.lifecycle = Lifecycle.PAUSED
        self.left_after = period
        self.way_forward = "Pauset"

    def withdraw(self, *, period: str, reason: str) -> None:
        if self.lifecycle not in UNDECIDED | IN_PORTFOLIO | {Lifecycle.PAUSED}:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; it cannot be withdrawn"
            )
        self._withdrawn(measure_id=self.measure_id, period=period, reason=reason)

    @event(Withdrawn)
    def _withdrawn(self, measure_id: int, period: str, reason: str) -> None:
        if self.lifecycle in IN_PORTFOLIO | {Lifecycle.PAUSED}:
            self.left_after = self.left_after or period
        self.lifecycle = Lifecycle.WITHDRAWN
        self.way_forward = ""

    def _require_active(self, what: str) -> None:
        if self.lifecycle not in IN_PORTFOLIO:
            raise ConflictError(
                f"measure {self.measure_id} is {self.lifecycle}; "
                f"only a measure in the portfolio can be {what}"
            )
