"""A valid request of every RPC (against the seeded servers of ``servers.py``): what I2
mutates field by field and what the I3 fuzzer starts from."""

from __future__ import annotations

from typing import Any

from google.protobuf import descriptor as d
from google.protobuf import json_format

from eportfolio.common.v1 import common_pb2
from tests.fuzz import strategies as s

SEEDED_MEASURES = [1000, 1001, 1002]
SEEDED_PROPOSALS = ["p-1", "p-2", "p-3"]
MEASURE = SEEDED_MEASURES[0]
PROPOSAL = SEEDED_PROPOSALS[0]

VALID: dict[str, dict[str, Any]] = {
    "GetMeasureRequest": {"measure_id": MEASURE},
    "AssessMeasureRequest": {
        "measure_id": MEASURE,
        "criteria_version": "2020",
        "results": [
            {"criterion": c, "met": True, "reason": "ja"}
            for c in ("digitalisation", "several_actors", "reuse_or_national")
        ],
    },
    "IncludeMeasureRequest": {
        "measure_id": MEASURE,
        "segment": common_pb2.SEGMENT_SAMSTYRE,
        "period": "2024-03",
        "reason": "oppfyller",
    },
    "RejectMeasureRequest": {"measure_id": MEASURE, "reason": "nei"},
    "MoveMeasureRequest": {
        "measure_id": MEASURE,
        "to": common_pb2.SEGMENT_OBSERVERE,
        "reason": "flytt",
        "period": "2024-06",
    },
    "CompleteMeasureRequest": {"measure_id": MEASURE, "period": "2024-12", "way_forward": "drift"},
    "PauseMeasureRequest": {"measure_id": MEASURE, "period": "2024-06", "reason": "pause"},
    "WithdrawMeasureRequest": {"measure_id": MEASURE, "period": "2024-06", "reason": "trekk"},
    "RemindMeasureRequest": {"measure_id": MEASURE, "period": "2024-03", "deadline": "2024-04-15"},
    "FindStreamsRequest": {"subject": str(MEASURE)},
    "StreamSelector": {"subject": str(MEASURE)},
    "StateAtRequest": {"stream": {"subject": str(MEASURE)}, "at": {"version": 1}},
    "DiffRequest": {
        "stream": {"subject": str(MEASURE)},
        "from": {"version": 1},
        "to": {"version": 2},
    },
    "PortfolioAtRequest": {"moment": "2024-06-01T00:00:00+00:00"},
    "StoredRecordsRequest": {"include_calls": True},
    "ConsistencyProofRequest": {"first": 1, "second": 2},
    "ListCallsRequest": {"limit": 5},
    "SubmitMeasureRequest": {
        "idempotency_key": "k-1",
        "name": "Tiltak",
        "responsible_agency": "Helsedirektoratet",
        "in_portfolio_since": "2024-01",
        "budget": [{"year": 2024, "funder": "HOD", "amount_nok": 1000}],
        "checklist": [{"criterion": "digitalisation", "answer": True, "justification": "ja"}],
        "depends_on": [1001],
    },
    "SubmitStatusReportRequest": {
        "idempotency_key": "k-2",
        "measure_id": MEASURE,
        "period": "2024-03",
        "status": common_pb2.COLOUR_GREEN,
        "risk": common_pb2.COLOUR_YELLOW,
        "budget": [{"year": 2024, "amount_nok": 1000}],
    },
    "SubmitProposalRequest": {
        "idempotency_key": "k-3",
        "title": "Videokonsultasjon",
        "target_groups": ["citizens"],
        "category_code": "A1",
    },
    "GetProposalRequest": {"proposal_id": PROPOSAL},
    "ListProposalsRequest": {"page_size": 2},
    "FindSimilarRequest": {"text": "videokonsultasjon", "limit": 3},
    "CategoriseRequest": {"proposal_ids": [PROPOSAL], "category_code": "02", "reason": "bedre"},
    "RouteRequest": {"proposal_ids": [PROPOSAL], "reason": "til gruppa"},
    "AssessRequest": {
        "proposal_id": PROPOSAL,
        "criteria": [{"criterion": c, "met": True, "reason": "ja"} for c in (1, 2, 3, 4)],
        "recommendation": 1,
    },
    "DecideRequest": {"proposal_ids": [PROPOSAL], "decision": 1, "reason": "styret"},
    "ReopenRequest": {"proposal_id": PROPOSAL, "reason": "på nytt"},
    "GiveFeedbackRequest": {"proposal_id": PROPOSAL, "kind": "message", "text": "hei"},
    "SetImplementationStatusRequest": {"proposal_id": PROPOSAL, "status": 2},
    "AddToNetListRequest": {"title": "Nettliste", "responsible_agency": "FHI"},
    "PromoteRequest": {"proposal_id": PROPOSAL},
    "ChangeFundingRequest": {
        "idempotency_key": "k-4",
        "change": 1,
        "proposal_id": PROPOSAL,
        "amount_nok": 1000,
        "reason": "midler",
    },
    "GetPortfolioReportRequest": {"period": "2024-03"},
    "GetKoronaReportRequest": {},
    "GetCalendarRequest": {"period": "2024-03"},
    "GetDependenciesRequest": {"measure_id": MEASURE},
    "RebuildProjectionsRequest": {},
}


def valid(desc: d.Descriptor) -> Any:
    """A valid request of message type ``desc`` (empty where none is listed)."""
    msg = s.message_class(desc)()
    json_format.ParseDict(VALID.get(desc.name, {}), msg)
    return msg
