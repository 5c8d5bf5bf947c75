"""S3: bad tokens, HelseID's rules. Each of alg=none, HMAC, a stranger's key, wrong issuer,
wrong audience, expired, not yet valid, too long-lived, missing claims, a replayed id and
a missing scope is refused before the handler runs: the measure the call would pause
stays as it was, and the same call with a good token then pauses it."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest

from backbone.security import pki
from backbone.security.tokens import TokenIssuer
from eportfolio.assessment.v1 import assessment_pb2
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI = "Folkehelseinstituttet"
PAUSE = assessment_pb2.PauseMeasureRequest(measure_id=101, period="2020-06", reason="venter")


def claims(running: Any, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": pki.DEFAULT_ISSUER,
        "aud": running.files.audience,
        "sub": "kari",
        "agency": FHI,
        "role": "agency",
        "scope": "eportfolio:assessment.read eportfolio:assessment.write",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "jti": f"jti-{time.perf_counter_ns()}",
        **changes,
    }
    return {k: v for k, v in base.items() if v is not None}


def signed(running: Any, **changes: Any) -> str:
    issuer = running.files.issuer
    return jwt.encode(
        claims(running, **changes),
        issuer.private_key_pem,
        algorithm="RS256",
        headers={"kid": issuer.key_id},
    )


async def test_s3_bad_tokens_are_each_refused(secured: Any, refused: Any) -> None:
    files = secured.files
    kid = files.issuer.key_id
    replayed = signed(secured)
    bad = {
        "alg none": jwt.encode(claims(secured), key=None, algorithm="none", headers={"kid": kid}),
        "HS256": jwt.encode(claims(secured), "x" * 32, algorithm="HS256", headers={"kid": kid}),
        "a stranger's key": files.foreign_issuer.mint(
            agency=FHI,
            role="agency",
            user="kari",
            audience=files.audience,
            scopes=["eportfolio:assessment.write"],
        ),
        "unknown kid": jwt.encode(
            claims(secured),
            files.issuer.private_key_pem,
            algorithm="RS256",
            headers={"kid": "other"},
        ),
        "wrong issuer": TokenIssuer(
            files.issuer.private_key_pem, kid, "https://evil.example", "RS256"
        ).mint(
            agency=FHI,
            role="agency",
            user="kari",
            audience=files.audience,
            scopes=["eportfolio:assessment.write"],
        ),
        "wrong audience": signed(secured, aud="eportfolio:intake"),
        "expired": signed(
            secured,
            iat=int(time.time()) - 600,
            nbf=int(time.time()) - 600,
            exp=int(time.time()) - 120,
        ),
        "not yet valid": signed(secured, nbf=int(time.time()) + 600),
        "lives too long": signed(secured, exp=int(time.time()) + 86_400),
        "no jti": signed(secured, jti=None),
        "no exp": signed(secured, exp=None),
        "no agency": signed(secured, agency=None),
        "malformed": "abc.def.ghi",
        "empty": "",
    }
    pause = secured.stub(FHI).PauseMeasure
    version = secured.measure(101).version
    outcomes: dict[str, str] = {}
    reasons: dict[str, str] = {}
    for name, token in bad.items():
        md = (("authorization", f"Bearer {token}"),)
        code, message, _ = await refused(pause(PAUSE, metadata=md))
        outcomes[name] = code.name
        reasons[name] = message
        assert token[:20] not in message or not token, name
    # Replay: the first use passes, the second is refused.
    first = await pause(PAUSE, metadata=(("authorization", f"Bearer {replayed}"),))
    assert first.lifecycle == "paused"
    version = first.version
    code, message, _ = await refused(
        pause(PAUSE, metadata=(("authorization", f"Bearer {replayed}"),))
    )
    outcomes["replayed jti"] = code.name
    assert "used already" in message
    # A token without the method's scope.
    read_only = signed(secured, scope="eportfolio:assessment.read")
    code, message, _ = await refused(
        pause(PAUSE, metadata=(("authorization", f"Bearer {read_only}"),))
    )
    outcomes["missing scope"] = code.name
    assert "eportfolio:assessment.write" in message

    why = {
        "alg none": "'none' is not accepted",
        "HS256": "'HS256' is not accepted",
        "a stranger's key": "signature does not verify",
        "unknown kid": "(kid) is not the identity provider's",
        "wrong issuer": "another issuer",
        "wrong audience": "not for this service",
        "expired": "expired",
        "not yet valid": "not valid yet",
        "lives too long": "at most 600 s",
        "no jti": "lacks the jti claim",
        "no exp": "lacks the exp claim",
        "no agency": "lacks the agency claim",
        "malformed": "not a JWT",
        "empty": "no access token",
    }
    assert {n: why[n] in reasons[n] for n in bad} == dict.fromkeys(bad, True), reasons
    expected = dict.fromkeys(bad, "UNAUTHENTICATED")
    expected |= {"replayed jti": "UNAUTHENTICATED", "missing scope": "PERMISSION_DENIED"}
    assert outcomes == expected
    assert secured.measure(101).version == version  # nothing after the one good call
    rows = await secured.calls(len(outcomes) + 1)
    assert sorted(r.outcome for r in rows) == sorted([*outcomes.values(), "OK"])
    record("S3", "bad tokens", kinds=len(outcomes), refused=len(outcomes), accepted=1)
