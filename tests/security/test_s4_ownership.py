"""S4 (OWASP API1): an agency changing another agency's measure is refused with
PERMISSION_DENIED, changes nothing and learns nothing about the measure from the error.
Reading is different, true to the domain: the national portfolio is public (its report
names every measure, agency and budget), so any verified caller may read any measure."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2 as pb
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI, NHN = "Folkehelseinstituttet", "Norsk Helsenett"


async def test_s4_an_agency_cannot_change_another_agencys_measure(
    secured: Any, refused: Any
) -> None:
    nhn = secured.stub(NHN)
    theirs = secured.measure(101)  # FHI's
    secrets = [theirs.name, theirs.owner, theirs.description, str(theirs.version)]
    writes = {
        "PauseMeasure": (nhn.PauseMeasure, pb.PauseMeasureRequest(measure_id=101, reason="x")),
        "CompleteMeasure": (
            nhn.CompleteMeasure,
            pb.CompleteMeasureRequest(measure_id=101, way_forward="Forvaltning", reason="x"),
        ),
        "WithdrawMeasure": (
            nhn.WithdrawMeasure,
            pb.WithdrawMeasureRequest(measure_id=101, reason="x"),
        ),
    }
    leaks = 0
    for name, (method, request) in writes.items():
        code, message, _ = await refused(method(request, metadata=secured.auth(NHN, "agency")))
        assert code == grpc.StatusCode.PERMISSION_DENIED, name
        leaks += sum(s in message for s in secrets[:3])
    assert leaks == 0
    after = secured.measure(101)
    assert (after.version, after.lifecycle) == (theirs.version, theirs.lifecycle)

    # Its own measure, the same command: allowed.
    mine = await nhn.PauseMeasure(
        pb.PauseMeasureRequest(measure_id=102, reason="venter"),
        metadata=secured.auth(NHN, "agency"),
    )
    assert mine.lifecycle == "paused"
    # Reading another agency's measure: allowed (the portfolio is public).
    read = await nhn.GetMeasure(
        pb.GetMeasureRequest(measure_id=101), metadata=secured.auth(NHN, "agency")
    )
    assert read.responsible_agency == FHI
    record("S4", "other agency's measure", refused=len(writes), leaks=leaks, changed=0)
