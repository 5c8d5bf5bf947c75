"""A corona-portfolio proposal (forslag) and its whole path: received, categorised, routed,
assessed, decided, given feedback, on the net list, funded, introduced, promoted.

One proposal is one event stream, so its path can be replayed with who, when and why.
A proposal that nobody has assessed yet is ``registered`` (the backlog). A working group
assesses it against the four criteria and recommends; the prioritisation board decides:
prioritised, not prioritised, or deferred. Deferred and not prioritised proposals can be
taken up again. A prioritised proposal is on the net list, with a responsible agency and an
implementation status, and can be promoted into the national portfolio.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, current_meta, stable_id
from backbone.errors import ConflictError, FieldViolation, ValidationError


class State(StrEnum):
    REGISTERED = "registered"
    IN_ASSESSMENT = "in_assessment"
    ASSESSED = "assessed"
    PRIORITISED = "prioritised"
    NOT_PRIORITISED = "not_prioritised"
    DEFERRED = "deferred"


class Criterion(StrEnum):
    """The four criteria of seed 002 §5."""

    SUPPORTS_COVID_WORK = "supports_covid_work"
    BENEFIT_IN_2020 = "benefit_in_2020"
    FEASIBLE = "feasible"
    NO_OVERLAP = "no_overlap"


class Recommendation(StrEnum):
    PRIORITISE = "prioritise"
    NOT_PRIORITISE = "not_prioritise"
    DEFER = "defer"


class Decision(StrEnum):
    PRIORITISED = "prioritised"
    NOT_PRIORITISED = "not_prioritised"
    DEFERRED = "deferred"


class ImplementationStatus(StrEnum):
    PLANNED = "planned"
    BEING_INTRODUCED = "being_introduced"
    INTRODUCED = "introduced"
    IN_OPERATION = "in_operation"


TARGET_GROUPS = ("citizens", "health_personnel", "authorities")
ASSESSABLE = {State.REGISTERED, State.IN_ASSESSMENT, State.ASSESSED}
REOPENABLE = {State.DEFERRED, State.NOT_PRIORITISED}
DECISION_STATE = {
    Decision.PRIORITISED: State.PRIORITISED,
    Decision.NOT_PRIORITISED: State.NOT_PRIORITISED,
    Decision.DEFERRED: State.DEFERRED,
}


def proposer_identity(agency: str, user: str) -> str:
    """The identity a proposer is known by: agency (organisation) and user."""
    return f"{agency}/{user}"


def _required(value: str, field: str) -> None:
    if not value.strip():
        raise ValidationError(FieldViolation(field, "is required"))


class Proposal(TracedAggregate):
    """One proposal and everything decided about it."""

    class Registered(TracedAggregate.Created):
        """A proposal arrived (from intake, or as a measure of the net list).

        v2 holds every field. v1 (stored without a class_version, before d49bbc6) came
        only from intake and lacked ``category_name``, ``submitted_by`` and ``source``:
        its category was not named, and its proposer is the one who submitted it to
        intake, whom the event's ``meta`` names.
        """

        class_version = 2
        proposal_id: str
        title: str
        description: str
        proposer: str
        organisation: str
        organisation_type: str | None
        contact: str
        need: str
        target_groups: list[str]
        category_code: str
        received_at: datetime
        receipt_id: str
        category_name: str = ""
        submitted_by: str = ""
        source: str = "intake"

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            meta = state.get("meta") or {}
            state.setdefault("category_name", "")
            state.setdefault(
                "submitted_by", proposer_identity(meta.get("agency", ""), meta.get("user", ""))
            )
            state.setdefault("source", "intake")

    # Event classes the @event decorators below create (declared for type checkers).
    OverlapsFound: ClassVar[type[Any]]
    Categorised: ClassVar[type[Any]]
    Routed: ClassVar[type[Any]]
    Assessed: ClassVar[type[Any]]
    Decided: ClassVar[type[Any]]
    Reopened: ClassVar[type[Any]]
    FeedbackGiven: ClassVar[type[Any]]
    ImplementationStatusSet: ClassVar[type[Any]]
    FundingRecorded: ClassVar[type[Any]]
    Promoted: ClassVar[type[Any]]

    @staticmethod
    def create_id(proposal_id: str) -> UUID:
        return stable_id("proposal", proposal_id)

    @event(Registered)
    def __init__(
        self,
        proposal_id: str,
        title: str,
        description: str,
        proposer: str,
        organisation: str,
        organisation_type: str | None,
        contact: str,
        need: str,
        target_groups: list[str],
        category_code: str,
        received_at: datetime,
        receipt_id: str,
        category_name: str = "",
        submitted_by: str = "",
        source: str = "intake",
    ) -> None:
        self.proposal_id = proposal_id
        self.title = title
        self.description = description
        self.proposer = proposer
        self.organisation = organisation
        self.organisation_type = organisation_type
        self.contact = contact
        self.need = need
        self.target_groups = list(target_groups)
        self.category_code = category_code
        self.category_name = category_name
        self.received_at = received_at
        self.receipt_id = receipt_id
        self.submitted_by = submitted_by
        self.source = source
        self.state = State.REGISTERED
        self.working_group = ""
        self.overlaps: list[dict[str, Any]] = []
        self.assessment: dict[str, Any] | None = None
        self.decision: dict[str, Any] | None = None
        self.feedback: list[dict[str, Any]] = []
        self.responsible_agency = ""
        self.implementation_status: ImplementationStatus | None = None
        self.status_since: datetime | None = None
        self.status_note = ""
        self.promoted = False
        self.funding = {"allocated": 0, "committed": 0, "paid": 0}

    # --- what it is like -------------------------------------------------------------------

    def note_overlaps(self, matches: list[dict[str, Any]]) -> None:
        """What the proposal looked like when it arrived (earlier proposals, measures)."""
        if matches:
            self._overlaps_found(matches=[dict(m) for m in matches])

    @event("OverlapsFound")
    def _overlaps_found(self, matches: list[dict[str, Any]]) -> None:
        self.overlaps = list(matches)

    # --- triage ----------------------------------------------------------------------------

    def categorise(self, code: str, name: str, reason: str) -> bool:
        """Put the proposal in a category; False when it is there already."""
        if code == self.category_code:
            return False
        _required(reason, "reason")
        self._categorised(
            category_code=code,
            category_name=name,
            previous_code=self.category_code,
            reason=reason,
            state=self.state.value,
        )
        return True

    @event("Categorised")
    def _categorised(
        self, category_code: str, category_name: str, previous_code: str, reason: str, state: str
    ) -> None:
        self.category_code = category_code
        self.category_name = category_name

    def route(self, working_group: str, reason: str) -> bool:
        """Send the proposal to a working group; False when it is with that group already."""
        if self.state not in ASSESSABLE:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; only proposals not yet "
                "decided are routed (reopen it first)"
            )
        if working_group == self.working_group and self.state is not State.REGISTERED:
            return False
        after = State.IN_ASSESSMENT if self.state is State.REGISTERED else self.state
        self._routed(working_group=working_group, reason=reason, state=after.value)
        return True

    @event("Routed")
    def _routed(self, working_group: str, reason: str, state: str) -> None:
        self.working_group = working_group
        self.state = State(state)

    # --- assessment and decision -----------------------------------------------------------

    def assess(
        self,
        criteria: list[dict[str, Any]],
        recommendation: Recommendation,
        note: str,
        working_group: str,
        at: datetime,
    ) -> None:
        """A working group's answer on each of the four criteria, and its recommendation."""
        if self.state not in ASSESSABLE:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; reopen it to assess again"
            )
        answered = [c["criterion"] for c in criteria]
        problems = []
        for i, c in enumerate(criteria):
            if not str(c.get("reason", "")).strip():
                problems.append(FieldViolation(f"criteria[{i}].reason", "give the reason"))
        missing = [c.value for c in Criterion if c.value not in answered]
        if missing or len(answered) != len(set(answered)):
            problems.append(
                FieldViolation(
                    "criteria",
                    "answer each of the four criteria exactly once"
                    + (f"; missing {', '.join(missing)}" if missing else ""),
                )
            )
        if problems:
            raise ValidationError(problems)
        met = sum(1 for c in criteria if c["met"])
        if recommendation is Recommendation.PRIORITISE and met < len(Criterion):
            raise ValidationError(
                FieldViolation(
                    "recommendation",
                    f"only {met} of 4 criteria are met; prioritising needs all four",
                )
            )
        self._assessed(
            criteria=[
                {"criterion": str(c["criterion"]), "met": bool(c["met"]), "reason": c["reason"]}
                for c in criteria
            ],
            recommendation=recommendation.value,
            note=note,
            working_group=working_group or self.working_group,
            assessed_at=at,
            assessed_by=current_meta().user,
        )

    @event("Assessed")
    def _assessed(
        self,
        criteria: list[dict[str, Any]],
        recommendation: str,
        note: str,
        working_group: str,
        assessed_at: datetime,
        assessed_by: str,
    ) -> None:
        self.assessment = {
            "criteria": criteria,
            "recommendation": recommendation,
            "note": note,
            "working_group": working_group,
            "assessed_at": assessed_at,
            "assessed_by": assessed_by,
        }
        self.working_group = working_group
        self.state = State.ASSESSED

    def decide(self, decision: Decision, reason: str, reference: str, decided_at: datetime) -> bool:
        """The board's decision; False when the proposal already stands so."""
        if self.state is DECISION_STATE[decision]:
            return False
        _required(reason, "reason")
        if self.state is not State.ASSESSED:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; the board decides on "
                "assessed proposals (a working group's recommendation first)"
            )
        self._decided(
            decision=decision.value,
            reason=reason,
            reference=reference,
            decided_at=decided_at,
            title=self.title,
        )
        return True

    @event("Decided")
    def _decided(
        self, decision: str, reason: str, reference: str, decided_at: datetime, title: str
    ) -> None:
        self.decision = {
            "decision": decision,
            "reason": reason,
            "reference": reference,
            "decided_at": decided_at,
        }
        self.state = DECISION_STATE[Decision(decision)]
        if self.state is State.PRIORITISED and self.implementation_status is None:
            self.implementation_status = ImplementationStatus.PLANNED
            self.status_since = decided_at

    def reopen(self, reason: str) -> None:
        """Take a deferred or not prioritised proposal up again."""
        _required(reason, "reason")
        if self.state not in REOPENABLE:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; only deferred or not "
                "prioritised proposals are taken up again"
            )
        self._reopened(reason=reason)

    @event("Reopened")
    def _reopened(self, reason: str) -> None:
        self.state = State.IN_ASSESSMENT
        self.decision = None

    # --- feedback --------------------------------------------------------------------------

    @property
    def answered(self) -> bool:
        """True once the proposer had feedback beyond the acknowledgement of receipt."""
        return any(f["kind"] != "received" for f in self.feedback)

    def give_feedback(self, kind: str, text: str, sent_at: datetime) -> bool:
        """Record feedback sent to the proposer; returns True when it is the first real one."""
        first = kind != "received" and not self.answered
        self._feedback_given(
            kind=kind, text=text, sent_at=sent_at, first=first, received_at=self.received_at
        )
        return first

    @event("FeedbackGiven")
    def _feedback_given(
        self, kind: str, text: str, sent_at: datetime, first: bool, received_at: datetime
    ) -> None:
        self.feedback.append({"kind": kind, "text": text, "sent_at": sent_at, "first": first})

    # --- the net list ----------------------------------------------------------------------

    def set_implementation_status(
        self, status: ImplementationStatus, responsible_agency: str, note: str, at: datetime
    ) -> bool:
        if self.state is not State.PRIORITISED:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; only prioritised measures "
                "are on the net list"
            )
        agency = responsible_agency.strip() or self.responsible_agency
        if status is self.implementation_status and agency == self.responsible_agency:
            return False
        self._implementation_status_set(
            status=status.value, responsible_agency=agency, note=note, at=at, title=self.title
        )
        return True

    @event("ImplementationStatusSet")
    def _implementation_status_set(
        self, status: str, responsible_agency: str, note: str, at: datetime, title: str
    ) -> None:
        self.implementation_status = ImplementationStatus(status)
        self.responsible_agency = responsible_agency
        self.status_note = note
        self.status_since = at

    def record_funding(
        self, change: str, amount_nok: int, reason: str, line: dict[str, int]
    ) -> None:
        """A change to the measure's money in the envelope, kept in its own stream too (the
        envelope holds the rules; this keeps the proposal's whole path in one place)."""
        self._funding_recorded(change=change, amount_nok=amount_nok, reason=reason, line=line)

    @event("FundingRecorded")
    def _funding_recorded(
        self, change: str, amount_nok: int, reason: str, line: dict[str, int]
    ) -> None:
        self.funding = dict(line)

    def promote(self, note: str) -> None:
        """Send the prioritised measure to the national portfolio (once)."""
        if self.state is not State.PRIORITISED:
            raise ConflictError(
                f"proposal {self.proposal_id} is {self.state.value}; only prioritised measures "
                "are promoted into the national portfolio"
            )
        if self.promoted:
            raise ConflictError(f"proposal {self.proposal_id} was promoted already")
        if not self.responsible_agency:
            raise ValidationError(
                FieldViolation(
                    "responsible_agency",
                    "set the responsible agency (set-status) before promoting",
                )
            )
        self._promoted(
            note=note,
            title=self.title,
            description=self.description,
            need=self.need,
            responsible_agency=self.responsible_agency,
        )

    @event("Promoted")
    def _promoted(
        self, note: str, title: str, description: str, need: str, responsible_agency: str
    ) -> None:
        self.promoted = True
