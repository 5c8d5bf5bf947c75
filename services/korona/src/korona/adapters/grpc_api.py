"""KoronaService over gRPC: request validation, the application call, the answer.

Every request is checked field by field first (INVALID_ARGUMENT with a violation per bad
field); the application checks roles and rules (PERMISSION_DENIED, FAILED_PRECONDITION,
NOT_FOUND). The application is synchronous (the event store); calls run off the loop.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from backbone import validation as check
from backbone.domain import current_meta
from backbone.errors import Violations
from backbone.idempotency import idempotent
from eportfolio.korona.v1 import korona_pb2 as pb
from eportfolio.korona.v1 import korona_pb2_grpc
from korona.application import PROPOSER, KoronaApplication
from korona.catalogue import Summary
from korona.domain import FundingEnvelope, Proposal
from korona.domain.envelope import Change
from korona.domain.feedback import KINDS
from korona.domain.proposal import (
    Criterion,
    Decision,
    ImplementationStatus,
    Recommendation,
    State,
)
from korona.overlap import Match

MAX_IDS = 500
MAX_PAGE = 500
DEFAULT_PAGE = 100
STATES = {
    State.REGISTERED: pb.PROPOSAL_STATE_REGISTERED,
    State.IN_ASSESSMENT: pb.PROPOSAL_STATE_IN_ASSESSMENT,
    State.ASSESSED: pb.PROPOSAL_STATE_ASSESSED,
    State.PRIORITISED: pb.PROPOSAL_STATE_PRIORITISED,
    State.NOT_PRIORITISED: pb.PROPOSAL_STATE_NOT_PRIORITISED,
    State.DEFERRED: pb.PROPOSAL_STATE_DEFERRED,
}
STATE_OF = {v: k for k, v in STATES.items()}
CRITERIA = {
    pb.CRITERION_SUPPORTS_COVID_WORK: Criterion.SUPPORTS_COVID_WORK,
    pb.CRITERION_BENEFIT_IN_2020: Criterion.BENEFIT_IN_2020,
    pb.CRITERION_FEASIBLE: Criterion.FEASIBLE,
    pb.CRITERION_NO_OVERLAP: Criterion.NO_OVERLAP,
}
CRITERION_PB = {v: k for k, v in CRITERIA.items()}
RECOMMENDATIONS = {
    pb.RECOMMENDATION_PRIORITISE: Recommendation.PRIORITISE,
    pb.RECOMMENDATION_NOT_PRIORITISE: Recommendation.NOT_PRIORITISE,
    pb.RECOMMENDATION_DEFER: Recommendation.DEFER,
}
RECOMMENDATION_PB = {v.value: k for k, v in RECOMMENDATIONS.items()}
DECISIONS = {
    pb.DECISION_PRIORITISED: Decision.PRIORITISED,
    pb.DECISION_NOT_PRIORITISED: Decision.NOT_PRIORITISED,
    pb.DECISION_DEFERRED: Decision.DEFERRED,
}
DECISION_PB = {v.value: k for k, v in DECISIONS.items()}
STATUSES = {
    pb.IMPLEMENTATION_STATUS_PLANNED: ImplementationStatus.PLANNED,
    pb.IMPLEMENTATION_STATUS_BEING_INTRODUCED: ImplementationStatus.BEING_INTRODUCED,
    pb.IMPLEMENTATION_STATUS_INTRODUCED: ImplementationStatus.INTRODUCED,
    pb.IMPLEMENTATION_STATUS_IN_OPERATION: ImplementationStatus.IN_OPERATION,
}
STATUS_PB = {v: k for k, v in STATUSES.items()}
CHANGES = {
    pb.FUNDING_CHANGE_ALLOCATE: Change.ALLOCATE,
    pb.FUNDING_CHANGE_RELEASE: Change.RELEASE,
    pb.FUNDING_CHANGE_COMMIT: Change.COMMIT,
    pb.FUNDING_CHANGE_PAY: Change.PAY,
}


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


def _enum(value: int, table: dict[Any, Any], field: str, v: Violations) -> Any:
    """The domain value of an enum field, or a violation naming ``field``."""
    if value not in table:
        v.add(field, "is required" if value == 0 else f"unknown value {value}")
        return None
    return table[value]


def _ids(ids: Sequence[str], v: Violations) -> list[str]:
    if not ids:
        v.add("proposal_ids", "name at least one proposal")
    ids = check.items(ids, "proposal_ids", v, max_items=MAX_IDS)  # checks no more than these
    for i, pid in enumerate(ids):
        if not pid.strip() or len(pid) > 100:
            v.add(f"proposal_ids[{i}]", "is not a proposal id")
    return [pid.strip() for pid in ids]


def _proposal_id(value: str, v: Violations) -> str:
    if not value.strip() or len(value) > 100:
        v.add("proposal_id", "is required (the id from the receipt)")
    return value.strip()


def similar_pb(m: Match | dict[str, Any]) -> pb.Similar:
    if isinstance(m, dict):
        return pb.Similar(key=m["key"], kind=m["kind"], title=m["title"], score=m["score"])
    return pb.Similar(key=m.key, kind=m.kind, title=m.title, score=m.score)


def funding_pb(line: dict[str, int]) -> pb.Funding:
    return pb.Funding(
        allocated_nok=line["allocated"], committed_nok=line["committed"], paid_nok=line["paid"]
    )


def proposal_pb(p: Proposal, caller_role: str) -> pb.Proposal:
    message = pb.Proposal(
        proposal_id=p.proposal_id,
        title=p.title,
        description=p.description,
        proposer=p.proposer,
        organisation=p.organisation,
        organisation_type=p.organisation_type or "",
        contact=p.contact if caller_role != "auditor" else "",
        need=p.need,
        category_code=p.category_code,
        category_name=p.category_name,
        target_groups=p.target_groups,
        received_at=_iso(p.received_at),
        state=STATES[p.state],
        working_group=p.working_group,
        overlaps=[similar_pb(o) for o in p.overlaps],
        feedback=[
            pb.Feedback(kind=f["kind"], text=f["text"], sent_at=_iso(f["sent_at"]))
            for f in p.feedback
        ],
        promoted=p.promoted,
        version=p.version,
    )
    if p.assessment:
        a = p.assessment
        message.assessment.CopyFrom(
            pb.Assessment(
                criteria=[
                    pb.CriterionAnswer(
                        criterion=CRITERION_PB[Criterion(c["criterion"])],
                        met=c["met"],
                        reason=c["reason"],
                    )
                    for c in a["criteria"]
                ],
                recommendation=RECOMMENDATION_PB[a["recommendation"]],
                note=a["note"],
                working_group=a["working_group"],
                assessed_at=_iso(a["assessed_at"]),
                assessed_by=a["assessed_by"],
            )
        )
    if p.decision:
        d = p.decision
        message.decision.CopyFrom(
            pb.BoardDecision(
                decision=DECISION_PB[d["decision"]],
                reason=d["reason"],
                reference=d["reference"],
                decided_at=_iso(d["decided_at"]),
            )
        )
    if p.implementation_status is not None and p.state is State.PRIORITISED:
        message.net_list.CopyFrom(
            pb.NetListEntry(
                responsible_agency=p.responsible_agency,
                implementation_status=STATUS_PB[p.implementation_status],
                status_since=_iso(p.status_since),
                note=p.status_note,
            )
        )
    if caller_role != PROPOSER:
        message.funding.CopyFrom(funding_pb(p.funding))
    return message


def summary_pb(s: Summary) -> pb.ProposalSummary:
    return pb.ProposalSummary(
        proposal_id=s.proposal_id,
        title=s.title,
        organisation=s.organisation,
        category_code=s.category_code,
        category_name=s.category_name,
        state=STATES[s.state],
        working_group=s.working_group,
        received_at=_iso(s.received_at),
        overlaps=s.overlaps,
    )


def envelope_pb(env: FundingEnvelope, titles: dict[str, str]) -> pb.Envelope:
    return pb.Envelope(
        name=env.name,
        total_nok=env.total_nok,
        allocated_nok=env.allocated_nok,
        committed_nok=env.committed_nok,
        paid_nok=env.paid_nok,
        left_nok=env.left_nok,
        lines=[
            pb.FundingLine(
                proposal_id=pid, title=titles.get(pid, ""), funding=funding_pb(env.line(pid))
            )
            for pid in sorted(env.lines, key=lambda k: (titles.get(k, ""), k))
        ],
        version=env.version,
    )


def _page(token: str, v: Violations) -> int:
    if not token:
        return 0
    try:
        offset = int(base64.urlsafe_b64decode(token.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        v.add("page_token", "is not a token this service gave")
        return 0
    if offset < 0:
        v.add("page_token", "is not a token this service gave")
    return max(offset, 0)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(str(offset).encode()).decode()


class KoronaServicer(korona_pb2_grpc.KoronaServiceServicer):
    def __init__(self, app: KoronaApplication) -> None:
        self.app = app

    async def _run(self, fn: Any, *args: Any) -> Any:
        return await asyncio.to_thread(fn, *args)

    def _proposal(self, p: Proposal) -> pb.Proposal:
        return proposal_pb(p, current_meta().role)

    async def _answer(self, fn: Any, *args: Any) -> pb.Proposal:
        def call() -> pb.Proposal:
            return self._proposal(fn(*args))

        return await asyncio.to_thread(call)

    # --- reading -------------------------------------------------------------------------

    async def GetProposal(  # noqa: N802 - gRPC method name
        self, request: pb.GetProposalRequest, context: Any
    ) -> pb.Proposal:
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        v.raise_if_any()
        return await self._answer(self.app.get_proposal, pid)

    async def ListProposals(  # noqa: N802
        self, request: pb.ListProposalsRequest, context: Any
    ) -> pb.ListProposalsResponse:
        v = Violations()
        state = None
        if request.state != pb.PROPOSAL_STATE_UNSPECIFIED:
            state = _enum(request.state, STATE_OF, "state", v)
        if request.category_code and request.category_code not in self.app.categories:
            v.add("category_code", f"unknown category {request.category_code[:20]!r}")
        if not 0 <= request.page_size <= MAX_PAGE:
            v.add("page_size", f"must be between 0 and {MAX_PAGE}")
        offset = _page(request.page_token, v)
        v.raise_if_any()
        found: list[Summary] = await self._run(
            self.app.list_proposals, state, request.category_code, request.working_group
        )
        size = request.page_size or DEFAULT_PAGE
        page = found[offset : offset + size]
        more = offset + size < len(found)
        return pb.ListProposalsResponse(
            proposals=[summary_pb(s) for s in page],
            next_page_token=_token(offset + size) if more else "",
            total=len(found),
        )

    async def FindSimilar(  # noqa: N802
        self, request: pb.FindSimilarRequest, context: Any
    ) -> pb.FindSimilarResponse:
        v = Violations()
        text = check.text(request.text, "text", v, required=True, max_len=10_000)
        if not 0 <= request.limit <= 20:
            v.add("limit", "must be between 0 and 20")
        v.raise_if_any()
        matches = await self._run(self.app.find_similar, text, request.limit or 5)
        return pb.FindSimilarResponse(matches=[similar_pb(m) for m in matches])

    async def ListCategories(  # noqa: N802
        self, request: pb.ListCategoriesRequest, context: Any
    ) -> pb.ListCategoriesResponse:
        return pb.ListCategoriesResponse(
            categories=[
                pb.Category(code=c.code, name=c.name, working_group=c.working_group)
                for c in self.app.categories
            ]
        )

    # --- triage, assessment, decisions ----------------------------------------------------

    async def Categorise(  # noqa: N802
        self, request: pb.CategoriseRequest, context: Any
    ) -> pb.BulkResult:
        v = Violations()
        ids = _ids(request.proposal_ids, v)
        if not request.category_code:
            v.add("category_code", "is required")
        reason = check.text(request.reason, "reason", v, required=True)
        v.raise_if_any()
        with idempotent("Categorise", request):
            changed, unchanged = await self._run(
                self.app.categorise, ids, request.category_code, reason
            )
            return pb.BulkResult(changed=changed, unchanged=unchanged)

    async def Route(self, request: pb.RouteRequest, context: Any) -> pb.BulkResult:  # noqa: N802
        v = Violations()
        ids = _ids(request.proposal_ids, v)
        reason = check.text(request.reason, "reason", v)
        v.raise_if_any()
        with idempotent("Route", request):
            changed, unchanged = await self._run(
                self.app.route, ids, request.working_group.strip(), reason
            )
            return pb.BulkResult(changed=changed, unchanged=unchanged)

    async def Assess(self, request: pb.AssessRequest, context: Any) -> pb.Proposal:  # noqa: N802
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        criteria = []
        for i, answer in enumerate(check.items(request.criteria, "criteria", v, max_items=20)):
            criterion = _enum(answer.criterion, CRITERIA, f"criteria[{i}].criterion", v)
            reason = check.text(answer.reason, f"criteria[{i}].reason", v, required=True)
            if criterion is not None:
                criteria.append({"criterion": criterion.value, "met": answer.met, "reason": reason})
        if not request.criteria:
            v.add("criteria", "answer each of the four criteria")
        recommendation = _enum(request.recommendation, RECOMMENDATIONS, "recommendation", v)
        note = check.text(request.note, "note", v)
        v.raise_if_any()
        with idempotent("Assess", request):
            return await self._answer(self.app.assess, pid, criteria, recommendation, note)

    async def Decide(self, request: pb.DecideRequest, context: Any) -> pb.BulkResult:  # noqa: N802
        v = Violations()
        ids = _ids(request.proposal_ids, v)
        decision = _enum(request.decision, DECISIONS, "decision", v)
        reason = check.text(request.reason, "reason", v, required=True)
        reference = check.text(request.reference, "reference", v)
        decided_at = check.timestamp(request.decided_at, "decided_at", v)
        v.raise_if_any()
        with idempotent("Decide", request):
            changed, unchanged = await self._run(
                self.app.decide, ids, decision, reason, reference, decided_at
            )
            return pb.BulkResult(changed=changed, unchanged=unchanged)

    async def Reopen(self, request: pb.ReopenRequest, context: Any) -> pb.Proposal:  # noqa: N802
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        reason = check.text(request.reason, "reason", v, required=True)
        v.raise_if_any()
        with idempotent("Reopen", request):
            return await self._answer(self.app.reopen, pid, reason)

    async def GiveFeedback(  # noqa: N802
        self, request: pb.GiveFeedbackRequest, context: Any
    ) -> pb.Proposal:
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        if request.kind not in KINDS:
            v.add("kind", f"use one of {', '.join(KINDS)}")
        text = check.text(request.text, "text", v)
        v.raise_if_any()
        with idempotent("GiveFeedback", request):
            return await self._answer(self.app.give_feedback, pid, request.kind, text)

    # --- the net list ----------------------------------------------------------------------

    async def ListNetList(  # noqa: N802
        self, request: pb.ListNetListRequest, context: Any
    ) -> pb.NetList:
        def build() -> pb.NetList:
            found = self.app.list_proposals(State.PRIORITISED, "", "")
            lines = []
            for s in sorted(found, key=lambda s: s.title.lower()):
                p = self.app.get_proposal(s.proposal_id)
                lines.append(
                    pb.NetListLine(
                        proposal_id=p.proposal_id,
                        title=p.title,
                        responsible_agency=p.responsible_agency,
                        implementation_status=STATUS_PB[
                            p.implementation_status or ImplementationStatus.PLANNED
                        ],
                        funding=funding_pb(p.funding),
                        promoted=p.promoted,
                    )
                )
            return pb.NetList(measures=lines)

        return await asyncio.to_thread(build)

    async def SetImplementationStatus(  # noqa: N802
        self, request: pb.SetImplementationStatusRequest, context: Any
    ) -> pb.Proposal:
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        status = _enum(request.status, STATUSES, "status", v)
        agency = check.text(request.responsible_agency, "responsible_agency", v, max_len=200)
        note = check.text(request.note, "note", v)
        v.raise_if_any()
        with idempotent("SetImplementationStatus", request):
            return await self._answer(self.app.set_implementation_status, pid, status, agency, note)

    async def AddToNetList(  # noqa: N802
        self, request: pb.AddToNetListRequest, context: Any
    ) -> pb.Proposal:
        v = Violations()
        title = check.text(request.title, "title", v, required=True, max_len=300)
        description = check.text(request.description, "description", v)
        agency = check.text(request.responsible_agency, "responsible_agency", v, max_len=200)
        status = ImplementationStatus.PLANNED
        if request.status != pb.IMPLEMENTATION_STATUS_UNSPECIFIED:
            status = _enum(request.status, STATUSES, "status", v)
        if request.category_code and request.category_code not in self.app.categories:
            v.add("category_code", f"unknown category {request.category_code[:20]!r}")
        source = check.text(request.source, "source", v, max_len=300)
        decided_at = check.timestamp(request.decided_at, "decided_at", v)
        v.raise_if_any()
        with idempotent("AddToNetList", request):
            return await self._answer(
                self.app.add_to_net_list,
                title,
                description,
                agency,
                status,
                request.category_code,
                source,
                decided_at,
            )

    async def Promote(self, request: pb.PromoteRequest, context: Any) -> pb.Proposal:  # noqa: N802
        v = Violations()
        pid = _proposal_id(request.proposal_id, v)
        note = check.text(request.note, "note", v)
        v.raise_if_any()
        with idempotent("Promote", request):
            return await self._answer(self.app.promote, pid, note)

    # --- funding ---------------------------------------------------------------------------

    def _envelope(self, env: FundingEnvelope) -> pb.Envelope:
        titles = {}
        for pid in env.lines:
            try:
                titles[pid] = self.app.get_proposal(pid).title
            except Exception:
                titles[pid] = ""
        return envelope_pb(env, titles)

    async def GetEnvelope(  # noqa: N802
        self, request: pb.GetEnvelopeRequest, context: Any
    ) -> pb.Envelope:
        return await asyncio.to_thread(lambda: self._envelope(self.app.envelope()))

    async def ChangeFunding(  # noqa: N802
        self, request: pb.ChangeFundingRequest, context: Any
    ) -> pb.Envelope:
        v = Violations()
        key = check.text(request.idempotency_key, "idempotency_key", v, max_len=200)
        change = _enum(request.change, CHANGES, "change", v)
        pid = _proposal_id(request.proposal_id, v)
        if request.amount_nok <= 0:
            v.add("amount_nok", "must be more than zero (whole kroner)")
        reason = check.text(request.reason, "reason", v, required=True)
        v.raise_if_any()
        with idempotent("ChangeFunding", request):
            return await asyncio.to_thread(
                lambda: self._envelope(
                    self.app.change_funding(key, change, pid, request.amount_nok, reason)
                )
            )
