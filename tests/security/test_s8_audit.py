"""S8: audit completeness. Every request gets exactly one call-log record saying who
(from verified credentials), what, when, the outcome and the correlation id, including
those refused before their handler (unauthenticated, denied, over quota, bad fields); no
token or key appears in the logs, on stdout/stderr or in the call log."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from eportfolio.assessment.v1 import assessment_pb2 as pb
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI = "Folkehelseinstituttet"
SERVICE = "eportfolio.assessment.v1.AssessmentService"


async def test_s8_one_record_per_request_and_no_secrets(
    serve: Any, pki_files: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.security.conftest import secure_settings

    caplog.set_level(logging.DEBUG)
    running = await serve(
        secure_settings(pki_files, rate_limit_per_s=1, rate_limit_burst=5), pki_files
    )
    fhi = running.stub(FHI)
    tokens: list[str] = []

    def auth(role: str = "agency", **kw: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
        token = running.token(FHI, role, **kw)
        tokens.append(token)
        correlation = uuid.uuid4().hex
        return correlation, (
            ("authorization", f"Bearer {token}"),
            ("x-correlation-id", correlation),
        )

    now = int(time.time())
    expired = {"iat": now - 900, "nbf": now - 900, "exp": now - 600}
    steps: list[tuple[str, str, Any, dict[str, Any], str]] = [
        ("GetMeasure", "agency", pb.GetMeasureRequest(measure_id=101), {}, "OK"),
        ("GetMeasure", "agency", pb.GetMeasureRequest(measure_id=101), expired, "UNAUTHENTICATED"),
        (
            "RejectMeasure",
            "agency",
            pb.RejectMeasureRequest(measure_id=101, reason="x"),
            {},
            "PERMISSION_DENIED",
        ),
        (
            "PauseMeasure",
            "agency",
            pb.PauseMeasureRequest(measure_id=102, reason="x"),
            {},
            "PERMISSION_DENIED",
        ),
        ("GetMeasure", "agency", pb.GetMeasureRequest(measure_id=0), {}, "INVALID_ARGUMENT"),
        ("GetMeasure", "agency", pb.GetMeasureRequest(measure_id=999), {}, "NOT_FOUND"),
        ("GetMeasure", "agency", pb.GetMeasureRequest(measure_id=101), {}, "RESOURCE_EXHAUSTED"),
    ]
    began = datetime.now(UTC)
    sent: list[tuple[str, str, str]] = []
    for method, role, request, extra, expected in steps:
        correlation, md = auth(role, **extra)
        try:
            await getattr(fhi, method)(request, metadata=md)
            outcome = "OK"
        except Exception as exc:
            outcome = exc.code().name  # type: ignore[attr-defined]
        assert outcome == expected, method
        sent.append((method, correlation, outcome))
    ended = datetime.now(UTC)

    rows = await running.calls(len(steps))
    assert len(rows) == len(steps)  # one per request, none lost, none doubled
    assert [(r.method, r.correlation_id, r.outcome) for r in rows] == [
        (f"{SERVICE}/{m}", c, o) for m, c, o in sent
    ]
    for r, (_, _, outcome) in zip(rows, sent, strict=True):
        assert began <= datetime.fromisoformat(r.at.replace("Z", "+00:00")) <= ended
        assert r.agency == FHI
        # Who: the token's user and role once verified; the certificate's agency alone
        # when the token was refused.
        expected_who = ("", "") if outcome == "UNAUTHENTICATED" else ("kari", "agency")
        assert (r.user, r.role) == expected_who
        assert r.peer

    out, err = capfd.readouterr()
    haystacks = {
        "logs": caplog.text,
        "stdout": out,
        "stderr": err,
        "call log": "\n".join(repr(r) for r in rows),
    }
    found = {
        where: sum(t in text or t.split(".")[2] in text for t in tokens)
        for where, text in haystacks.items()
    }
    assert found == dict.fromkeys(haystacks, 0)
    assert "PRIVATE KEY" not in caplog.text + out + err
    assert "refused UNAUTHENTICATED" in caplog.text  # refusals are logged, without tokens
    record(
        "S8",
        "audit completeness",
        requests=len(steps),
        records=len(rows),
        refused=sum(o != "OK" for _, _, o in sent),
        secrets_found=sum(found.values()),
    )
