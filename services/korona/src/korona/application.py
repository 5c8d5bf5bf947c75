"""Korona's application: the proposals, the net list and the funding envelope.

Proposals arrive as events from intake (``adapters/intake_events.py``); everything else is
a command here. Commands check the caller's role, load, call the domain, save. Bulk
commands save every proposal they change in one transaction: all or nothing. A write that
collides with a concurrent one is retried on the new state. Each command RPC carries an
idempotency key (``backbone.idempotency``): its receipt is saved in the same transaction,
and a retry with the same key answers what the first call answered (the proposals or the
envelope at the versions it left them), also when that commit was reported as failed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from backbone.access import AGENCY, AUDITOR, OFFICE, SYSTEM, require_role
from backbone.domain import current_meta, stable_id
from backbone.errors import (
    ConflictError,
    FieldViolation,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from backbone.idempotency import CommandReceipt
from backbone.persistence import ServiceApplication
from korona.catalogue import Catalogue, Summary, proposal_key, proposal_text
from korona.domain import FundingEnvelope, Proposal
from korona.domain.categories import Categories
from korona.domain.envelope import (
    KORONA_2020,
    KORONA_2020_NAME,
    KORONA_2020_TOTAL_NOK,
    Change,
)
from korona.domain.feedback import feedback_text
from korona.domain.proposal import (
    Criterion,
    Decision,
    ImplementationStatus,
    Recommendation,
    State,
    proposer_identity,
)
from korona.overlap import Match
from korona.settings import default_categories

WORKING_GROUP = "working_group"
PROPOSER = "proposer"
READERS = (OFFICE, WORKING_GROUP, AUDITOR, SYSTEM)


def now() -> datetime:
    return datetime.now(UTC)


class KoronaApplication(ServiceApplication):
    """Keeps the proposals, the net list and the funding envelope."""

    name = "korona"
    max_attempts = 5

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        categories: Categories | None = None,
        on_first_feedback: Callable[[float], None] | None = None,
    ) -> None:
        super().__init__(env=env)
        self.categories = categories or default_categories()
        self.catalogue = Catalogue(self)
        self.on_first_feedback = on_first_feedback or (lambda _seconds: None)
        self.open_envelope()

    # --- reading ---------------------------------------------------------------------------

    def _load_proposal(self, proposal_id: str) -> Proposal:
        try:
            proposal: Proposal = self.repository.get(Proposal.create_id(proposal_id))
        except (AggregateNotFoundError, ValueError):
            raise NotFoundError(f"proposal {proposal_id} is not registered") from None
        return proposal

    def get_proposal(self, proposal_id: str) -> Proposal:
        """A proposal; a proposer sees only its own."""
        proposal = self._load_proposal(proposal_id)
        meta = current_meta()
        if meta.role == PROPOSER and proposal.submitted_by != proposer_identity(
            meta.agency, meta.user
        ):
            raise PermissionDeniedError("proposers see only the proposals they sent")
        if meta.role not in (*READERS, PROPOSER, AGENCY):
            raise PermissionDeniedError(
                "reading proposals is for the office, working groups, auditors and the proposer"
            )
        return proposal

    def list_proposals(
        self, state: State | None, category_code: str, working_group: str
    ) -> list[Summary]:
        meta = current_meta()
        found = self.catalogue.proposals(state, category_code, working_group)
        if meta.role == PROPOSER:
            me = proposer_identity(meta.agency, meta.user)
            return [s for s in found if s.submitted_by == me]
        if meta.role not in READERS:
            raise PermissionDeniedError(
                "listing proposals is for the office, working groups "
                "and auditors (proposers see their own)"
            )
        return found

    def find_similar(self, text: str, limit: int) -> list[Match]:
        """Anyone may ask whether a need is covered already (before sending a proposal)."""
        if not text.strip():
            raise ValidationError(FieldViolation("text", "is required"))
        return self.catalogue.similar(text, limit=limit)

    def envelope(self) -> FundingEnvelope:
        if current_meta().role == PROPOSER:
            raise PermissionDeniedError("the funding envelope is not for proposers")
        env: FundingEnvelope = self.repository.get(FundingEnvelope.create_id(KORONA_2020))
        return env

    def open_envelope(self) -> None:
        """Create the 2020 envelope on the first start (idempotent; safe with replicas)."""
        if FundingEnvelope.create_id(KORONA_2020) in self.repository:
            return
        with contextlib.suppress(IntegrityError):  # another replica opened it first
            self.save(FundingEnvelope(KORONA_2020, KORONA_2020_NAME, KORONA_2020_TOTAL_NOK))

    def note_overlaps(self, p: Proposal) -> None:
        """Record on a new proposal what it looks like: the candidates above the threshold."""
        matches = self.catalogue.similar(proposal_text(p), exclude=proposal_key(p.proposal_id))
        p.note_overlaps(
            [
                {"key": m.key, "kind": m.kind, "title": m.title, "score": round(m.score, 4)}
                for m in matches
            ]
        )

    # --- triage (office) -------------------------------------------------------------------

    def categorise(
        self, proposal_ids: Sequence[str], code: str, reason: str
    ) -> tuple[list[str], list[str]]:
        require_role("categorising proposals", OFFICE)
        category = self.categories.get(code)
        return self._bulk(proposal_ids, lambda p: p.categorise(code, category.name, reason))

    def route(
        self, proposal_ids: Sequence[str], working_group: str, reason: str
    ) -> tuple[list[str], list[str]]:
        require_role("routing proposals to a working group", OFFICE)
        if working_group and working_group not in self.categories.working_groups:
            groups = ", ".join(sorted(self.categories.working_groups))
            raise ValidationError(
                FieldViolation("working_group", f"unknown working group; use one of {groups}")
            )

        def change(p: Proposal) -> bool:
            code = p.category_code or "99A"
            if not working_group and code not in self.categories:
                # The proposal's state, not the request, is at fault (intake takes any
                # code): FAILED_PRECONDITION, not a violation of a field RouteRequest lacks.
                raise ConflictError(
                    f"its category {code[:20]!r} is not a known one: categorise it first, "
                    "or name the working group"
                )
            return p.route(working_group or self.categories.get(code).working_group, reason)

        return self._bulk(proposal_ids, change)

    # --- assessment and decisions ----------------------------------------------------------

    def assess(
        self,
        proposal_id: str,
        criteria: list[dict[str, Any]],
        recommendation: Recommendation,
        note: str,
    ) -> Proposal:
        require_role("assessing a proposal", WORKING_GROUP, OFFICE)
        return self._change(
            proposal_id,
            lambda p: p.assess(criteria, recommendation, note, p.working_group, now()),
        )

    def decide(
        self,
        proposal_ids: Sequence[str],
        decision: Decision,
        reason: str,
        reference: str,
        decided_at: datetime | None,
    ) -> tuple[list[str], list[str]]:
        """The board's decision, with feedback to each proposer from the template."""
        require_role("recording the prioritisation board's decision", OFFICE)
        at = decided_at or now()

        def change(p: Proposal) -> bool:
            if not p.decide(decision, reason, reference, at):
                return False
            self._feedback(p, decision.value, reason=reason, sent_at=at)
            return True

        return self._bulk(proposal_ids, change)

    def reopen(self, proposal_id: str, reason: str) -> Proposal:
        require_role("taking a proposal up again", OFFICE)

        def change(p: Proposal) -> None:
            p.reopen(reason)
            self._feedback(p, "reopened", reason=reason, sent_at=now())

        return self._change(proposal_id, change)

    def give_feedback(self, proposal_id: str, kind: str, text: str) -> Proposal:
        require_role("giving feedback to a proposer", OFFICE, WORKING_GROUP)
        return self._change(
            proposal_id, lambda p: self._feedback(p, kind, text=text, sent_at=now())
        )

    def _feedback(
        self, p: Proposal, kind: str, *, reason: str = "", text: str = "", sent_at: datetime
    ) -> None:
        message = feedback_text(kind, p.title, reason=reason, text=text)
        if p.give_feedback(kind, message, sent_at):
            self.on_first_feedback(max(0.0, (sent_at - p.received_at).total_seconds()))

    # --- the net list ----------------------------------------------------------------------

    def set_implementation_status(
        self, proposal_id: str, status: ImplementationStatus, agency: str, note: str
    ) -> Proposal:
        def change(p: Proposal) -> None:
            meta = current_meta()
            responsible = meta.role == AGENCY and p.responsible_agency == meta.agency != ""
            if meta.role != OFFICE and not responsible:
                raise PermissionDeniedError(
                    "the implementation status is set by the office or the responsible agency"
                )
            if responsible and agency and agency != p.responsible_agency:
                raise PermissionDeniedError("only the office hands a measure to another agency")
            p.set_implementation_status(status, agency, note, now())

        return self._change(proposal_id, change)

    def add_to_net_list(
        self,
        title: str,
        description: str,
        agency: str,
        status: ImplementationStatus,
        category_code: str,
        source: str,
        decided_at: datetime | None,
    ) -> Proposal:
        """A prioritised measure recorded directly (the historical net list).

        Idempotent by title: the same title again answers with the measure recorded first.
        """
        require_role("adding to the net list", OFFICE)
        if not title.strip():
            raise ValidationError(FieldViolation("title", "is required"))
        category = self.categories.get(category_code, "category_code") if category_code else None
        proposal_id = str(stable_id("netlist", " ".join(title.lower().split())))
        at = decided_at or now()
        meta = current_meta()
        why = f"Prioritert tiltak i nettolisten ({source})" if source else "Nettolisten"

        def attempt() -> Proposal:
            try:
                return self._load_proposal(proposal_id)  # added already (or concurrently)
            except NotFoundError:
                pass
            p = Proposal(
                proposal_id=proposal_id,
                title=title.strip(),
                description=description,
                proposer=meta.user,
                organisation=meta.agency,
                organisation_type="public",
                contact="",
                need="",
                target_groups=[],
                category_code=category.code if category else "",
                received_at=at,
                receipt_id="",
                category_name=category.name if category else "",
                submitted_by=proposer_identity(meta.agency, meta.user),
                source="netlist",
            )
            self.note_overlaps(p)
            p.route(category.working_group if category else "", why)
            p.assess(
                [{"criterion": c.value, "met": True, "reason": why} for c in Criterion],
                Recommendation.PRIORITISE,
                why,
                p.working_group,
                at,
            )
            p.decide(Decision.PRIORITISED, why, source, at)
            if agency.strip() or status is not ImplementationStatus.PLANNED:
                p.set_implementation_status(status, agency, "", at)
            self.save(p)
            return p

        return self.run_command(
            attempt,
            lambda receipt: self._proposal_at(proposal_id, receipt),
            "the net list is changing too often; retry",
        )

    def promote(self, proposal_id: str, note: str) -> Proposal:
        require_role("promoting a measure into the national portfolio", OFFICE)
        return self._change(proposal_id, lambda p: p.promote(note))

    # --- funding ---------------------------------------------------------------------------

    def change_funding(
        self, key: str, change: Change, proposal_id: str, amount_nok: int, reason: str
    ) -> FundingEnvelope:
        require_role("changing the funding envelope", OFFICE)

        def attempt() -> FundingEnvelope:
            proposal = self._load_proposal(proposal_id)
            if change is Change.ALLOCATE and proposal.state is not State.PRIORITISED:
                raise ConflictError(
                    f"proposal {proposal_id} is {proposal.state.value}; money is allocated to "
                    "prioritised measures only"
                )
            env = self.envelope()
            if not env.change(change, proposal_id, amount_nok, reason, key):
                return env  # the envelope knows the key: a change already made
            proposal.record_funding(change.value, amount_nok, reason, env.line(proposal_id))
            self.save(env, proposal)  # one transaction: the envelope and the proposal
            return env

        def replay(receipt: CommandReceipt) -> FundingEnvelope:
            env: FundingEnvelope = self.version_of(FundingEnvelope.create_id(KORONA_2020), receipt)
            return env

        return self.run_command(
            attempt, replay, "the funding envelope is changing too often; retry"
        )

    # --- helpers ---------------------------------------------------------------------------

    def _proposal_at(self, proposal_id: str, receipt: CommandReceipt) -> Proposal:
        """The proposal as the command that issued ``receipt`` left it."""
        proposal: Proposal = self.version_of(Proposal.create_id(proposal_id), receipt)
        return proposal

    def _change(self, proposal_id: str, change: Callable[[Proposal], object]) -> Proposal:
        def attempt() -> Proposal:
            proposal = self._load_proposal(proposal_id)
            change(proposal)
            self.save(proposal)
            return proposal

        return self.run_command(
            attempt,
            lambda receipt: self._proposal_at(proposal_id, receipt),
            f"proposal {proposal_id} is changing too often; retry",
        )

    def _bulk(
        self, proposal_ids: Sequence[str], change: Callable[[Proposal], bool]
    ) -> tuple[list[str], list[str]]:
        """Apply ``change`` to every proposal and save them together, or none of them."""
        if not proposal_ids:
            raise ValidationError(FieldViolation("proposal_ids", "name at least one proposal"))
        if len(set(proposal_ids)) != len(proposal_ids):
            raise ValidationError(FieldViolation("proposal_ids", "a proposal is named twice"))

        def attempt() -> tuple[list[str], list[str]]:
            changed: list[str] = []
            unchanged: list[str] = []
            loaded: list[Proposal] = []
            for i, proposal_id in enumerate(proposal_ids):
                try:
                    proposal = self._load_proposal(proposal_id)
                    done = change(proposal)
                except ValidationError as exc:
                    raise ValidationError(
                        [
                            FieldViolation(v.field, f"{v.description} (proposal_ids[{i}])")
                            for v in exc.violations
                        ]
                    ) from None
                except (NotFoundError, ConflictError) as exc:
                    raise type(exc)(f"proposal_ids[{i}]: {exc}") from None
                (changed if done else unchanged).append(proposal_id)
                loaded.append(proposal)
            self.save(*loaded)
            return changed, unchanged

        def replay(receipt: CommandReceipt) -> tuple[list[str], list[str]]:
            """The first answer: a proposal the command changed has a later version."""
            changed: list[str] = []
            unchanged: list[str] = []
            for proposal_id in proposal_ids:
                done = receipt.changed(Proposal.create_id(proposal_id))
                (changed if done else unchanged).append(proposal_id)
            return changed, unchanged

        return self.run_command(attempt, replay, "these proposals are changing too often; retry")
