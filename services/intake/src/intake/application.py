"""Intake's commands: take a submission, store it with its receipt, answer at once.

Every command is idempotent by its caller's key: the receipt is stored in the same
transaction as the command's events, and a retry (same caller, same key, same
request) gets the first answer back. The same key with a different request is an
error, never a second effect.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from backbone.access import AUDITOR, OFFICE, require_office_or_owner, require_role
from backbone.domain import TracedAggregate, current_meta, stable_id
from backbone.errors import AlreadyExistsError, ConflictError, NotFoundError, PermissionDeniedError
from backbone.persistence import ServiceApplication
from intake.domain import MeasureIntake, MeasureNumbers, ProposalIntake, Receipt


@dataclass(frozen=True)
class SubmitMeasure:
    measure_id: int
    """0: a new measure; intake gives it the next portfolio id."""
    name: str
    description: str
    responsible_agency: str
    owner: str
    strategic_area: str
    in_portfolio_since: str | None
    planned_start: str | None = None
    planned_end: str | None = None
    budget: list[dict[str, Any]] = field(default_factory=list)
    depends_on: list[int] = field(default_factory=list)
    checklist: list[dict[str, Any]] = field(default_factory=list)
    proposed_segment: str | None = None
    operating_cost_nok_per_year: int = 0
    candidate_for: int | None = None
    reported_at: datetime | None = None
    """Domain time of a historical submission; None = when received."""


@dataclass(frozen=True)
class SubmitStatusReport:
    measure_id: int
    period: str
    status: str | None
    risk: str | None
    budget: list[dict[str, int]]
    explanation: str
    historical: bool = False
    progress: str = ""
    obstacles: str = ""
    experiences: str = ""
    dependency_notes: str = ""
    reported_at: datetime | None = None
    """Domain time of a historical report; None = when received."""


@dataclass(frozen=True)
class SubmitProposal:
    title: str
    description: str
    proposer: str
    organisation: str
    organisation_type: str | None
    contact: str
    need: str
    target_groups: list[str] = field(default_factory=list)
    category_code: str = ""
    received_at: datetime | None = None


@dataclass(frozen=True)
class ReceiptView:
    receipt_id: str
    received_at: datetime
    subject_id: str
    replayed: bool


Make = Callable[[str, datetime], list[TracedAggregate]]
"""Builds the command's changed aggregates (the subject last), given the receipt id and
the time received."""


class IntakeApplication(ServiceApplication):
    """Takes submissions and keeps them, each with its receipt."""

    name = "intake"
    max_attempts = 5

    def submit_measure(self, cmd: SubmitMeasure, idempotency_key: str) -> ReceiptView:
        """A measure submitted by its agency (or the office); a new one gets the next id.

        Only the office may register a measure as already in the portfolio (historical
        tables): for anyone else, inclusion is the office's decision in assessment.
        """
        require_office_or_owner("submitting a measure", cmd.responsible_agency)
        if cmd.in_portfolio_since:
            require_role("registering a measure as already in the portfolio", OFFICE)
        if cmd.reported_at is not None:
            require_role(
                "reported_at: dating a submission in the past (a historical import)", OFFICE
            )

        def make(receipt_id: str, now: datetime) -> list[TracedAggregate]:
            fields = asdict(cmd)
            changed: list[TracedAggregate] = []
            if cmd.measure_id == 0:
                numbers = self._numbers()
                fields["measure_id"] = numbers.allocate()
                changed.append(numbers)
            intake_id = MeasureIntake.create_id(fields["measure_id"])
            if self._exists(intake_id):
                raise AlreadyExistsError(f"measure {cmd.measure_id} has been submitted already")
            changed.append(MeasureIntake(receipt_id=receipt_id, received_at=now, **fields))
            return changed

        return self._handle("SubmitMeasure", cmd, idempotency_key, make)

    def submit_status_report(self, cmd: SubmitStatusReport, idempotency_key: str) -> ReceiptView:
        """A status report, sent by the measure's own agency (or the office).

        When a report was given, and that a historical table may lack explanations, are the
        office's to state (its imports): the server dates everyone else's reports itself.
        """
        if cmd.reported_at is not None:
            require_role(
                "reported_at: dating a status report in the past (a historical import)", OFFICE
            )
        if cmd.historical:
            require_role("historical_import: a report from a historical table", OFFICE)

        def make(receipt_id: str, now: datetime) -> list[TracedAggregate]:
            try:
                record: MeasureIntake = self.repository.get(MeasureIntake.create_id(cmd.measure_id))
            except AggregateNotFoundError:
                raise NotFoundError(f"measure {cmd.measure_id} has not been submitted") from None
            require_office_or_owner("reporting on a measure", record.responsible_agency)
            record.submit_status_report(
                measure_id=cmd.measure_id,
                receipt_id=receipt_id,
                received_at=now,
                period=cmd.period,
                status=cmd.status,
                risk=cmd.risk,
                budget=cmd.budget,
                explanation=cmd.explanation,
                historical=cmd.historical,
                progress=cmd.progress,
                obstacles=cmd.obstacles,
                experiences=cmd.experiences,
                dependency_notes=cmd.dependency_notes,
                reported_at=cmd.reported_at,
            )
            return [record]

        return self._handle("SubmitStatusReport", cmd, idempotency_key, make)

    def submit_proposal(self, cmd: SubmitProposal, idempotency_key: str) -> ReceiptView:
        """A corona proposal from anyone but an auditor."""
        if current_meta().role == AUDITOR:
            raise PermissionDeniedError("auditors only read")
        if cmd.received_at is not None:
            require_role("received_at: dating a proposal in the past (an import)", OFFICE)

        def make(receipt_id: str, now: datetime) -> list[TracedAggregate]:
            fields = asdict(cmd)
            fields.pop("received_at")
            return [
                ProposalIntake(
                    proposal_id=str(stable_id("proposal", receipt_id)),
                    receipt_id=receipt_id,
                    received_at=cmd.received_at or now,
                    **fields,
                )
            ]

        return self._handle("SubmitProposal", cmd, idempotency_key, make)

    # --- idempotency -----------------------------------------------------------------

    @staticmethod
    def _caller() -> str:
        meta = current_meta()
        return meta.agency or meta.user or "anonymous"

    def _handle(self, command: str, cmd: Any, idempotency_key: str, make: Make) -> ReceiptView:
        caller = self._caller()
        key = idempotency_key or uuid.uuid4().hex
        receipt_id = Receipt.create_id(caller, key)
        fingerprint = _fingerprint(command, cmd)
        for _ in range(self.max_attempts):
            existing = self._receipt(receipt_id, fingerprint)
            if existing is not None:
                return existing
            now = datetime.now(UTC)
            changed = make(str(receipt_id), now)
            subject_id = _subject_id(changed[-1])
            receipt = Receipt(
                caller=caller,
                idempotency_key=key,
                fingerprint=fingerprint,
                command=command,
                subject_id=subject_id,
                received_at=now,
            )
            try:
                self.save(*changed, receipt)
            except IntegrityError:
                # The same key won a race (or our own commit landed but was reported
                # as failed): the receipt answers. Otherwise another write to the
                # same measure came first: try again on the new state.
                continue
            return ReceiptView(str(receipt.id), now, subject_id, replayed=False)
        existing = self._receipt(receipt_id, fingerprint)
        if existing is not None:
            return existing
        raise ConflictError("too many concurrent submissions for the same measure; retry")

    def _receipt(self, receipt_id: uuid.UUID, fingerprint: str) -> ReceiptView | None:
        try:
            receipt: Receipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        if receipt.fingerprint != fingerprint:
            raise ConflictError("idempotency key was used before for a different request")
        return ReceiptView(str(receipt.id), receipt.received_at, receipt.subject_id, replayed=True)

    def _numbers(self) -> MeasureNumbers:
        try:
            numbers: MeasureNumbers = self.repository.get(MeasureNumbers.create_id())
        except AggregateNotFoundError:
            numbers = MeasureNumbers()
        return numbers

    def _exists(self, aggregate_id: uuid.UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True


def _subject_id(subject: TracedAggregate) -> str:
    """What the receipt names: a measure's portfolio id or a proposal's id."""
    if isinstance(subject, MeasureIntake):
        return str(subject.measure_id)
    if isinstance(subject, ProposalIntake):
        return subject.proposal_id
    return str(subject.id)


def _fingerprint(command: str, cmd: Any) -> str:
    body = json.dumps([command, asdict(cmd)], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
