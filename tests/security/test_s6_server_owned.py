"""S6 (OWASP API3): a client cannot set fields the server owns. Request messages define
none (proto/ inspected: segment and decision in IncludeMeasure/MoveMeasure are the
office's decision, ids name what to act on); a client that sends fields its request does
not define (e.g. a Measure answer sent back with its segment, version and lifecycle) is
refused with INVALID_ARGUMENT naming each field by number, instead of having them
silently dropped."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2 as pb
from eportfolio.common.v1 import common_pb2
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI = "Folkehelseinstituttet"
OFFICE = "Direktoratet for e-helse"
SERVICE = "/eportfolio.assessment.v1.AssessmentService"


def _raw(channel: Any, method: str) -> Any:
    return channel.unary_unary(
        f"{SERVICE}/{method}",
        request_serializer=lambda b: b,
        response_deserializer=pb.Measure.FromString,
    )


async def test_s6_fields_the_request_does_not_define_are_refused(
    secured: Any, refused: Any
) -> None:
    channel = secured.channel(FHI)
    before = secured.measure(101)
    # A Measure (the answer) sent as a PauseMeasureRequest: its segment, version,
    # lifecycle and responsible agency are the server's.
    answer = pb.Measure(
        measure_id=101,
        lifecycle="active",
        version=99,
        responsible_agency=FHI,
        segment=common_pb2.SEGMENT_SAMSTYRE,
    )
    sent = pb.PauseMeasureRequest(measure_id=101, reason="x").SerializeToString()
    smuggled = answer.SerializeToString()
    code, message, fields = await refused(
        _raw(channel, "PauseMeasure")(sent + smuggled, metadata=secured.auth(FHI, "agency"))
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    numbers = {
        f.number
        for f in pb.Measure.DESCRIPTOR.fields
        if f.name in {"version", "lifecycle", "responsible_agency", "segment"}
    }
    assert {int(f) for f in fields} == numbers - {
        f.number for f in pb.PauseMeasureRequest.DESCRIPTOR.fields
    }
    assert "not part of PauseMeasureRequest" in message
    after = secured.measure(101)
    assert (after.version, after.lifecycle) == (before.version, before.lifecycle)

    # Inside a nested message too (a criterion result carrying a field of its own).
    result = pb.CriterionResult(criterion="digitalisation", met=True, reason="ja")
    nested = pb.AssessMeasureRequest(measure_id=101, criteria_version="2020")
    bad_result = result.SerializeToString() + b"\xa8\x06\x01"  # field 101, varint 1
    body = nested.SerializeToString() + b"\x1a" + bytes([len(bad_result)]) + bad_result
    office = secured.channel(OFFICE)
    code, _, fields = await refused(
        _raw(office, "AssessMeasure")(body, metadata=secured.auth(OFFICE, "office"))
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["results[0].101"])

    # The same request without the extra fields goes through.
    paused = await _raw(channel, "PauseMeasure")(sent, metadata=secured.auth(FHI, "agency"))
    assert paused.lifecycle == "paused"
    record("S6", "server-owned fields", refused=2, fields_named=len(numbers) + 1, accepted=1)
