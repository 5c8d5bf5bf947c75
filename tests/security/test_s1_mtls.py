"""S1: mutual TLS. A client without a certificate, with one from another CA, or with an
expired one is refused in the handshake: the client sees UNAVAILABLE and no handler runs
(the call log stays empty). And in production a service will not start without TLS and
tokens."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from backbone.security import pki
from backbone.security.tls import channel_credentials
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc
from tests.faults.results import record

pytestmark = pytest.mark.security

FHI = "Folkehelseinstituttet"


async def test_s1_the_handshake_refuses_clients_without_a_valid_certificate(
    secured: Any, pki_files: Any
) -> None:
    ca = str(pki_files.layout.ca)
    foreign_cert, foreign_key = pki_files.foreign_cert
    expired_cert, expired_key = pki_files.expired_cert
    clients = {
        "no certificate": channel_credentials(ca),
        "another CA": channel_credentials(ca, str(foreign_cert), str(foreign_key)),
        "expired": channel_credentials(ca, str(expired_cert), str(expired_key)),
    }
    request = assessment_pb2.GetMeasureRequest(measure_id=101)
    outcomes: dict[str, str] = {}
    for name, creds in clients.items():
        async with grpc.aio.secure_channel(secured.address, creds) as channel:
            stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetMeasure(request, metadata=secured.auth(FHI, "agency"), timeout=5)
            outcomes[name] = caught.value.code().name
    async with grpc.aio.insecure_channel(secured.address) as channel:
        stub = assessment_pb2_grpc.AssessmentServiceStub(channel)
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetMeasure(request, timeout=5)
        outcomes["plaintext"] = caught.value.code().name
    assert outcomes == dict.fromkeys(outcomes, "UNAVAILABLE")
    assert secured.recorded() == [], "a call got past a refused handshake"

    # The same server answers a client with the agency's own certificate.
    answer = await secured.stub(FHI).GetMeasure(request, metadata=secured.auth(FHI, "agency"))
    assert answer.responsible_agency == FHI
    [row] = await secured.calls(1)
    assert (row.agency, row.role, row.outcome) == (FHI, "agency", "OK")
    record("S1", "handshake", refused=len(outcomes), handler_runs=0, accepted=1, **outcomes)


def _env(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSESSMENT_")}
    return {**env, **{f"ASSESSMENT_{k.upper()}": v for k, v in settings.items()}}


def test_s1_production_refuses_to_start_without_tls_and_tokens(tmp_path: Path) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "assessment"],
        env=_env(environment="production", database_url="memory:", tls_cert_file="/nowhere.pem"),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if "refusing to start" in x]
    for name in (
        "ASSESSMENT_TLS_KEY_FILE is not set",
        "ASSESSMENT_TLS_CLIENT_CA_FILE is not set",
        "ASSESSMENT_JWT_ISSUER is not set",
        "ASSESSMENT_JWT_JWKS_FILE is not set",
        "ASSESSMENT_TLS_CERT_FILE=/nowhere.pem cannot be read",
    ):
        assert name in line
    record(
        "S1", "production refusal", exit_code=result.returncode, seconds=time.monotonic() - started
    )


async def test_s1_production_runs_on_mutual_tls(pki_files: Any) -> None:
    layout = pki_files.layout
    env = _env(
        environment="production",
        database_url="memory:",
        grpc_port="0",
        kafka_bootstrap_servers="127.0.0.1:9",  # nothing there: gRPC comes up regardless
        tls_cert_file=str(layout.service_cert("assessment")),
        tls_key_file=str(layout.service_key("assessment")),
        tls_client_ca_file=str(layout.ca),
        jwt_issuer=pki.DEFAULT_ISSUER,
        jwt_jwks_file=str(layout.jwks),
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "assessment",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        started = json.loads(await asyncio.wait_for(process.stdout.readline(), 60))
        creds = channel_credentials(
            str(layout.ca), str(layout.agency_cert(FHI)), str(layout.agency_key(FHI))
        )
        async with grpc.aio.secure_channel(started["grpc"], creds) as channel:
            health = health_pb2_grpc.HealthStub(channel)
            answer = await health.Check(health_pb2.HealthCheckRequest(), timeout=10)
            assert answer.status == health_pb2.HealthCheckResponse.SERVING
        async with grpc.aio.insecure_channel(started["grpc"]) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=5
                )
            assert caught.value.code() == grpc.StatusCode.UNAVAILABLE
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 15)
