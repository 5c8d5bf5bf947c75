"""Translation of korona's domain events into its published contracts.

Proposal events go to ``korona.proposal.v1`` with the proposal's state after each; the
envelope's to ``korona.funding.v1`` with the totals after each change. The copy of the
national portfolio's measures (``KnownMeasure``) stays private.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from backbone.outbox import Outgoing
from contracts import korona as c
from contracts import topics
from korona.domain import FundingEnvelope, Proposal
from korona.domain.envelope import KORONA_2020, KORONA_2020_TOTAL_NOK

PROPOSAL_EVENTS = (
    Proposal.Categorised,
    Proposal.Routed,
    Proposal.Assessed,
    Proposal.Decided,
    Proposal.Reopened,
    Proposal.FeedbackGiven,
    Proposal.ImplementationStatusSet,
    Proposal.Promoted,
    Proposal.OverlapsFound,
    Proposal.FundingRecorded,
)


def _out(topic: str, payload: BaseModel, occurred_at: datetime) -> Outgoing:
    return Outgoing(
        topic=topic,
        event_type=type(payload).__name__,
        schema_version=1,
        payload=payload.model_dump(mode="json"),
        occurred_at=occurred_at,
    )


def _registered(e: Any) -> Outgoing:
    return _out(
        topics.KORONA_PROPOSAL,
        c.ProposalRegistered(
            proposal_id=e.proposal_id,
            title=e.title,
            organisation=e.organisation,
            organisation_type=e.organisation_type,
            category_code=e.category_code,
            category_name=e.category_name,
            target_groups=e.target_groups,
            received_at=e.received_at,
            receipt_id=e.receipt_id,
            source=e.source,
        ),
        e.received_at,
    )


def _funding(event: Any) -> Outgoing:
    at = event.timestamp
    if isinstance(event, FundingEnvelope.Opened):
        return _out(
            topics.KORONA_FUNDING,
            c.FundingEnvelopeOpened(
                envelope=event.envelope, name=event.name, total_nok=event.total_nok
            ),
            at,
        )
    if isinstance(event, FundingEnvelope.Changed):
        return _out(
            topics.KORONA_FUNDING,
            c.FundingChanged(
                envelope=KORONA_2020,
                proposal_id=event.proposal_id,
                change=event.change,
                amount_nok=event.amount_nok,
                reason=event.reason,
                total_nok=KORONA_2020_TOTAL_NOK,
                allocated_nok=event.totals["allocated"],
                committed_nok=event.totals["committed"],
                paid_nok=event.totals["paid"],
                proposal_allocated_nok=event.line["allocated"],
                proposal_committed_nok=event.line["committed"],
                proposal_paid_nok=event.line["paid"],
            ),
            at,
        )
    raise AssertionError("not a funding event")  # pragma: no cover


def translate_with(lookup: Callable[[Any], str]) -> Callable[[Any], Outgoing | None]:
    """A translator; ``lookup(event)`` gives the proposal id of an event that lacks it."""

    def translate(event: Any) -> Outgoing | None:  # noqa: PLR0911 - one branch per event
        if isinstance(event, Proposal.Registered):
            return _registered(event)
        if isinstance(event, FundingEnvelope.Opened | FundingEnvelope.Changed):
            return _funding(event)
        if not isinstance(event, PROPOSAL_EVENTS):
            return None  # the copy of the national portfolio's measures stays private
        pid = lookup(event)
        at = event.timestamp
        if isinstance(event, Proposal.Categorised):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalCategorised(
                    proposal_id=pid,
                    category_code=event.category_code,
                    category_name=event.category_name,
                    previous_code=event.previous_code,
                    reason=event.reason,
                    state=event.state,
                ),
                at,
            )
        if isinstance(event, Proposal.Routed):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalRouted(
                    proposal_id=pid,
                    working_group=event.working_group,
                    reason=event.reason,
                    state=event.state,
                ),
                at,
            )
        if isinstance(event, Proposal.Assessed):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalAssessed(
                    proposal_id=pid,
                    recommendation=event.recommendation,
                    criteria_met=sum(1 for x in event.criteria if x["met"]),
                    working_group=event.working_group,
                    state="assessed",
                ),
                event.assessed_at,
            )
        if isinstance(event, Proposal.Decided):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalDecided(
                    proposal_id=pid,
                    title=event.title,
                    decision=event.decision,
                    reason=event.reason,
                    reference=event.reference,
                    state=event.decision,
                ),
                event.decided_at,
            )
        if isinstance(event, Proposal.Reopened):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalReopened(proposal_id=pid, reason=event.reason, state="in_assessment"),
                at,
            )
        if isinstance(event, Proposal.FeedbackGiven):
            return _out(
                topics.KORONA_PROPOSAL,
                c.FeedbackGiven(
                    proposal_id=pid,
                    kind=event.kind,
                    received_at=event.received_at,
                    first=event.first,
                ),
                event.sent_at,
            )
        if isinstance(event, Proposal.ImplementationStatusSet):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ImplementationStatusSet(
                    proposal_id=pid,
                    title=event.title,
                    status=event.status,
                    responsible_agency=event.responsible_agency,
                    note=event.note,
                ),
                event.at,
            )
        if isinstance(event, Proposal.Promoted):
            return _out(
                topics.KORONA_PROPOSAL,
                c.ProposalPromoted(
                    proposal_id=pid,
                    title=event.title,
                    description=event.description,
                    need=event.need,
                    responsible_agency=event.responsible_agency,
                    note=event.note,
                ),
                at,
            )
        return None

    return translate


class ProposalIds:
    """The proposal id of an event's aggregate (read once from its first event, then kept)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._ids: dict[Any, str] = {}

    def __call__(self, event: Any) -> str:
        originator = event.originator_id
        if originator not in self._ids:
            first = self.app.repository.get(originator, version=1)
            self._ids[originator] = str(getattr(first, "proposal_id", ""))
        return self._ids[originator]
