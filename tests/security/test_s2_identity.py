"""S2: identity comes only from verified credentials. A certificate of agency A with a
token of agency B is refused; x-agency/x-user/x-role metadata change nothing once tokens
are on; a token cannot give an agency a role it may not hold. The CLI's channel carries
a fresh token per call and cannot act for an agency other than its certificate's."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from backbone.security.policy import AGENCY_ROLES
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from portfolio_cli.caller import Caller, Role
from portfolio_cli.rpc import CallError, call
from portfolio_cli.security import ClientSecurity, open_channel
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI, NHN, OFFICE = "Folkehelseinstituttet", "Norsk Helsenett", "Direktoratet for e-helse"
GET = assessment_pb2.GetMeasureRequest(measure_id=101)


async def test_s2_a_certificate_of_one_agency_with_a_token_of_another_is_refused(
    secured: Any, refused: Any
) -> None:
    fhi = secured.stub(FHI)
    code, message, _ = await refused(fhi.GetMeasure(GET, metadata=secured.auth(NHN, "agency")))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    assert NHN in message and FHI in message
    # NHN's own certificate with the office's token: refused too.
    code, _, _ = await refused(
        secured.stub(NHN).GetMeasure(GET, metadata=secured.auth(OFFICE, "office"))
    )
    assert code == grpc.StatusCode.UNAUTHENTICATED
    [a, b] = await secured.calls(2)
    # Recorded as the certificate's agency, with no role: nothing from the token counts.
    assert [(r.agency, r.role, r.outcome) for r in (a, b)] == [
        (FHI, "", "UNAUTHENTICATED"),
        (NHN, "", "UNAUTHENTICATED"),
    ]
    record("S2", "certificate vs token", refused=2, accepted=0)


async def test_s2_identity_metadata_is_ignored_when_tokens_are_on(
    secured: Any, refused: Any, metadata_of: Any
) -> None:
    fhi = secured.stub(FHI)
    # FHI's token, metadata claiming the office: acts as FHI (an agency), so the office's
    # command is denied and the measure is unchanged.
    before = secured.measure(102).version
    md = (*secured.auth(FHI, "agency"), *metadata_of(OFFICE, "office", "boss"))
    code, _, _ = await refused(
        fhi.RejectMeasure(
            assessment_pb2.RejectMeasureRequest(measure_id=102, reason="x"), metadata=md
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert secured.measure(102).version == before
    # Metadata alone, no token: unauthenticated.
    code, _, _ = await refused(fhi.GetMeasure(GET, metadata=metadata_of(OFFICE, "office")))
    assert code == grpc.StatusCode.UNAUTHENTICATED
    # A read as FHI is recorded as FHI's user from the token, not the metadata's.
    md = (*secured.auth(FHI, "agency", user="kari"), *metadata_of(NHN, "office", "ola"))
    await fhi.GetMeasure(GET, metadata=md)
    rows = await secured.calls(3)
    assert [(r.agency, r.user, r.role) for r in rows] == [
        (FHI, "kari", "agency"),
        (FHI, "", ""),
        (FHI, "kari", "agency"),
    ]
    record("S2", "metadata ignored", refused=2, accepted=1)


async def test_s2_a_token_cannot_give_an_agency_a_role_it_may_not_hold(
    secured: Any, refused: Any
) -> None:
    assert "office" not in AGENCY_ROLES[FHI]
    request = assessment_pb2.RejectMeasureRequest(measure_id=101, reason="tatt ut")
    code, message, _ = await refused(
        secured.stub(FHI).RejectMeasure(request, metadata=secured.auth(FHI, "office"))
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assert "may not act in the office role" in message
    assert secured.measure(101).rejection_reason == ""
    code, _, _ = await refused(
        secured.stub("Riksrevisjonen").GetMeasure(
            GET, metadata=secured.auth("Riksrevisjonen", "agency")
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    record("S2", "roles per agency", refused=2)


async def test_s2_the_cli_channel_carries_a_fresh_token_per_call(
    secured: Any, pki_files: Any
) -> None:
    layout = pki_files.layout
    security = ClientSecurity(
        ca=str(layout.ca),
        cert=str(layout.agency_cert(FHI)),
        key=str(layout.agency_key(FHI)),
        issuer=pki_files.issuer,
    )
    async with open_channel(secured.address, security) as channel:
        stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
        me = Caller(FHI, Role.AGENCY, "kari")
        for _ in range(3):  # the same metadata each time; a token is never replayed
            answer = await call("GetMeasure", stub.GetMeasure, GET, metadata=me.metadata())
            assert answer.measure_id == 101
        # Acting for another agency needs that agency's certificate.
        with pytest.raises(CallError) as caught:
            await call("GetMeasure", stub.GetMeasure, GET, metadata=me.acting_for(NHN).metadata())
        assert caught.value.failure.code == "UNAUTHENTICATED"
    rows = await secured.calls(4)
    assert [(r.agency, r.user, r.outcome) for r in rows] == [
        *[(FHI, "kari", "OK")] * 3,
        (FHI, "", "UNAUTHENTICATED"),
    ]
    record("S2", "CLI channel", calls=4, accepted=3, refused=1)
