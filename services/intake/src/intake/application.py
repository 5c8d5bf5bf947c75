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
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from backbone.domain import TracedAggregate, current_meta, stable_id
from backbone.errors import AlreadyExistsError, ConflictError, NotFoundError
from backbone.persistence import ServiceApplication
from contracts import topics
from intake.domain import MeasureIntake, ProposalIntake, Receipt


@dataclass(frozen=True)
class SubmitMeasure:
    measure_id: int
    name: str
    description: str
    responsible_agency: str
    owner: str
    strategic_area: str
    in_portfolio_since: str | None


@dataclass(frozen=True)
class SubmitStatusReport:
    measure_id: int
    period: str
    status: str | None
    risk: str | None
    budget: list[dict[str, int]]
    explanation: str


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


Make = Callable[[str, datetime], TracedAggregate]
"""Builds the command's aggregate change, given the receipt id and the time received."""


class IntakeApplication(ServiceApplication):
    """Takes submissions and keeps them, each with its receipt."""

    name = "intake"
    published_aggregates: ClassVar[dict[str, str]] = {
        "MeasureIntake": topics.INTAKE_MEASURE,
        "ProposalIntake": topics.INTAKE_PROPOSAL,
    }
    max_attempts = 5

    def submit_measure(self, cmd: SubmitMeasure, idempotency_key: str) -> ReceiptView:
        def make(receipt_id: str, now: datetime) -> TracedAggregate:
            intake_id = MeasureIntake.create_id(cmd.measure_id)
            if self._exists(intake_id):
                raise AlreadyExistsError(f"measure {cmd.measure_id} has been submitted already")
            return MeasureIntake(receipt_id=receipt_id, received_at=now, **asdict(cmd))

        return self._handle("SubmitMeasure", cmd, idempotency_key, str(cmd.measure_id), make)

    def submit_status_report(self, cmd: SubmitStatusReport, idempotency_key: str) -> ReceiptView:
        def make(receipt_id: str, now: datetime) -> TracedAggregate:
            try:
                record: MeasureIntake = self.repository.get(MeasureIntake.create_id(cmd.measure_id))
            except AggregateNotFoundError:
                raise NotFoundError(f"measure {cmd.measure_id} has not been submitted") from None
            record.submit_status_report(
                measure_id=cmd.measure_id,
                receipt_id=receipt_id,
                received_at=now,
                period=cmd.period,
                status=cmd.status,
                risk=cmd.risk,
                budget=cmd.budget,
                explanation=cmd.explanation,
            )
            return record

        return self._handle("SubmitStatusReport", cmd, idempotency_key, str(cmd.measure_id), make)

    def submit_proposal(self, cmd: SubmitProposal, idempotency_key: str) -> ReceiptView:
        subject: dict[str, str] = {}

        def make(receipt_id: str, now: datetime) -> TracedAggregate:
            proposal_id = str(stable_id("proposal", receipt_id))
            subject["id"] = proposal_id
            fields = asdict(cmd)
            fields.pop("received_at")
            return ProposalIntake(
                proposal_id=proposal_id,
                receipt_id=receipt_id,
                received_at=cmd.received_at or now,
                **fields,
            )

        idempotency_key = idempotency_key or uuid.uuid4().hex
        receipt_id = str(Receipt.create_id(self._caller(), idempotency_key))
        return self._handle(
            "SubmitProposal", cmd, idempotency_key, str(stable_id("proposal", receipt_id)), make
        )

    # --- idempotency -----------------------------------------------------------------

    @staticmethod
    def _caller() -> str:
        meta = current_meta()
        return meta.agency or meta.user or "anonymous"

    def _handle(
        self, command: str, cmd: Any, idempotency_key: str, subject_id: str, make: Make
    ) -> ReceiptView:
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
            receipt = Receipt(
                caller=caller,
                idempotency_key=key,
                fingerprint=fingerprint,
                command=command,
                subject_id=subject_id,
                received_at=now,
            )
            try:
                self.save(changed, receipt)
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

    def _exists(self, aggregate_id: uuid.UUID) -> bool:
        try:
            self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return False
        return True


def _fingerprint(command: str, cmd: Any) -> str:
    body = json.dumps([command, asdict(cmd)], sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()
