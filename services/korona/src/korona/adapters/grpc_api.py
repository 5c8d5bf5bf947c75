"""KoronaService over gRPC."""

from __future__ import annotations

import asyncio
from typing import Any

from backbone.errors import Violations
from eportfolio.korona.v1 import korona_pb2, korona_pb2_grpc
from korona.application import KoronaApplication


class KoronaServicer(korona_pb2_grpc.KoronaServiceServicer):
    def __init__(self, app: KoronaApplication) -> None:
        self.app = app

    async def GetProposal(  # noqa: N802 - gRPC method name
        self, request: korona_pb2.GetProposalRequest, context: Any
    ) -> korona_pb2.Proposal:
        v = Violations()
        if not request.proposal_id or len(request.proposal_id) > 100:
            v.add("proposal_id", "is required (the id from the receipt)")
        v.raise_if_any()
        p = await asyncio.to_thread(self.app.get_proposal, request.proposal_id)
        return korona_pb2.Proposal(
            proposal_id=p.proposal_id,
            title=p.title,
            description=p.description,
            proposer=p.proposer,
            organisation=p.organisation,
            category_code=p.category_code,
            target_groups=p.target_groups,
            received_at=p.received_at.isoformat(),
            state=p.state,
            version=p.version,
        )
