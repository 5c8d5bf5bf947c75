"""The parts of ``backbone.security`` that need no server: the replay cache fails closed,
quotas are per agency, unknown fields are found at any depth, policies refuse typos, and
production settings name what they lack."""

from __future__ import annotations

import pytest

from backbone.security.config import production_problems, quota_for
from backbone.security.gate import unknown_fields
from backbone.security.policy import ANYONE, AccessPolicy, Rule, rules_for
from backbone.security.quotas import AgencyQuota
from backbone.security.tokens import ReplayCache, TokenRefused
from backbone.settings import ServiceSettings
from eportfolio.assessment.v1 import assessment_pb2 as pb


def test_the_replay_cache_forgets_expired_ids_and_refuses_when_full() -> None:
    cache = ReplayCache(capacity=2)
    assert cache.first_use("a", expires_at=10, now=0)
    assert not cache.first_use("a", expires_at=10, now=5)
    assert cache.first_use("b", expires_at=20, now=5)
    with pytest.raises(TokenRefused) as caught:
        cache.first_use("c", expires_at=20, now=5)  # full of live ids: fail closed
    assert caught.value.exhausted
    assert cache.first_use("c", expires_at=30, now=11)  # "a" expired and was dropped
    assert len(cache) == 2


def test_a_quota_is_per_agency() -> None:
    quota = AgencyQuota(per_second=1, burst=3)
    assert [quota.hit("FHI") for _ in range(5)] == [True, True, True, False, False]
    assert quota.hit("NHN")
    assert quota.describe() == "3 calls per 3 s"


def test_quotas_default_to_none_in_development_and_500_per_second_in_production() -> None:
    assert quota_for(ServiceSettings()) is None
    production = quota_for(ServiceSettings(environment="production"))
    assert production is not None
    assert (production.burst, production.window_s) == (1000, 2)
    assert quota_for(ServiceSettings(environment="production", rate_limit_per_s=0)) is None


def test_unknown_fields_are_named_at_any_depth() -> None:
    request = pb.AssessMeasureRequest(measure_id=1)
    request.ParseFromString(
        pb.AssessMeasureRequest(measure_id=1).SerializeToString() + b"\xa8\x06\x01"
    )
    result = pb.CriterionResult()
    result.ParseFromString(b"\xb0\x06\x02")  # field 102
    request.results.append(result)
    assert [v.field for v in unknown_fields(request)] == ["101", "results[0].102"]
    assert unknown_fields(pb.AssessMeasureRequest(measure_id=1)) == []


def test_a_policy_refuses_methods_the_service_does_not_have() -> None:
    service = pb.DESCRIPTOR.services_by_name["AssessmentService"]
    with pytest.raises(ValueError, match="no method GetMeasures"):
        rules_for(service, "x", read={"GetMeasures": [ANYONE]}, write={})
    one = AccessPolicy({"a/B": Rule(frozenset({"office"}), "x.read")})
    with pytest.raises(ValueError, match="two rules"):
        _ = one | one
    assert not Rule(frozenset({"office"}), "x").allows("")
    assert Rule(frozenset({ANYONE}), "x").allows("")


def test_production_settings_name_what_they_lack() -> None:
    assert production_problems(ServiceSettings()) == []
    problems = production_problems(
        ServiceSettings(environment="production", jwt_issuer="https://helseid")
    )
    assert problems == [
        "TLS_CERT_FILE is not set",
        "TLS_KEY_FILE is not set",
        "TLS_CLIENT_CA_FILE is not set",
        "JWT_JWKS_FILE is not set",
    ]
