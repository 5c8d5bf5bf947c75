"""Calls between agencies over real sockets: assessment's real servicer behind mutual TLS
and HelseID-style tokens, with certificates and keys made for this session.

Helpers are fixtures (returning objects) because tests are imported with
``--import-mode=importlib``, where a test module cannot import its conftest.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import grpc
import pytest
import pytest_asyncio
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from assessment.domain import Measure
from assessment.main import create_service
from assessment.settings import AssessmentSettings
from backbone.audit.calls import CallRecordRow
from backbone.domain import SYSTEM, acting_as
from backbone.grpc_server import GrpcServer
from backbone.runtime import Service, grpc_server_for
from backbone.security import pki
from backbone.security.tls import channel_credentials
from backbone.security.tokens import TokenIssuer
from eportfolio.assessment.v1 import assessment_pb2_grpc

FHI = "Folkehelseinstituttet"
NHN = "Norsk Helsenett"
OFFICE = "Direktoratet for e-helse"
AUDITORS = "Riksrevisjonen"
HSO = "Helse Sør-Øst RHF"
AGENCIES = (FHI, NHN, OFFICE, AUDITORS, HSO)
FHI_MEASURE, NHN_MEASURE = 101, 102
ALL_SCOPES = ("eportfolio:assessment.read", "eportfolio:assessment.write", "eportfolio:audit")


@dataclass(frozen=True)
class Pki:
    """This session's CA, certificates and identity provider (and a stranger's)."""

    layout: pki.Layout
    issuer: TokenIssuer
    foreign_issuer: TokenIssuer
    """Another identity provider's key, under the same ``kid``."""
    foreign_cert: tuple[Path, Path]
    """FHI's name on a certificate from another CA."""
    expired_cert: tuple[Path, Path]
    """FHI's certificate from the right CA, expired yesterday."""
    audience: str = "eportfolio:assessment"

    def client(self, agency: str) -> tuple[Path, Path]:
        return self.layout.agency_cert(agency), self.layout.agency_key(agency)


@pytest.fixture(scope="session")
def pki_files(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    root = tmp_path_factory.mktemp("pki")
    layout = pki.init(root, services=("assessment",), agencies=AGENCIES)
    issuer = TokenIssuer.from_files(layout.idp_key, layout.jwks, pki.DEFAULT_ISSUER)
    other_key = pki.new_idp_key()
    from cryptography.hazmat.primitives import serialization

    foreign_issuer = TokenIssuer(
        other_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
        issuer.key_id,
        pki.DEFAULT_ISSUER,
        "RS256",
    )
    stranger_ca = pki.new_ca("someone else's CA")
    foreign = pki.issue(stranger_ca, common_name="fhi", organisation=FHI)
    foreign.write(root / "foreign.pem", root / "foreign-key.pem")
    ca = pki.Issued(
        _load_cert(layout.ca),
        _load_key(root / "ca-key.pem"),
    )
    now = dt.datetime.now(dt.UTC)
    expired = pki.issue(
        ca,
        common_name="fhi",
        organisation=FHI,
        not_before=now - dt.timedelta(days=30),
        not_after=now - dt.timedelta(days=1),
    )
    expired.write(root / "expired.pem", root / "expired-key.pem")
    return Pki(
        layout,
        issuer,
        foreign_issuer,
        (root / "foreign.pem", root / "foreign-key.pem"),
        (root / "expired.pem", root / "expired-key.pem"),
    )


def _load_cert(path: Path) -> Any:
    from cryptography import x509

    return x509.load_pem_x509_certificate(path.read_bytes())


def _load_key(path: Path) -> Any:
    from cryptography.hazmat.primitives import serialization

    return serialization.load_pem_private_key(path.read_bytes(), password=None)


def secure_settings(files: Pki, **changes: Any) -> AssessmentSettings:
    layout = files.layout
    fields: dict[str, Any] = {
        "database_url": "memory:",
        "tls_cert_file": str(layout.service_cert("assessment")),
        "tls_key_file": str(layout.service_key("assessment")),
        "tls_client_ca_file": str(layout.ca),
        "jwt_issuer": pki.DEFAULT_ISSUER,
        "jwt_jwks_file": str(layout.jwks),
        **changes,
    }
    return AssessmentSettings(**fields)


@dataclass
class Running:
    """Assessment's gRPC server on a free port, with its app and call log."""

    service: Service
    server: GrpcServer
    files: Pki | None
    channels: list[Any] = field(default_factory=list)

    @property
    def address(self) -> str:
        return self.server.address

    def channel(self, agency: str | None = None, cert: tuple[Path, Path] | None = None) -> Any:
        """A channel presenting ``agency``'s certificate (or ``cert``); plaintext when the
        server has no TLS."""
        if self.files is None:
            ch = grpc.aio.insecure_channel(self.address)
        else:
            cert_file, key_file = cert or self.files.client(agency or FHI)
            creds = channel_credentials(str(self.files.layout.ca), str(cert_file), str(key_file))
            ch = grpc.aio.secure_channel(self.address, creds)
        self.channels.append(ch)
        return ch

    def stub(
        self, agency: str | None = None, **kw: Any
    ) -> assessment_pb2_grpc.AssessmentServiceStub:
        return assessment_pb2_grpc.AssessmentServiceStub(self.channel(agency, **kw))

    def token(
        self,
        agency: str,
        role: str,
        user: str = "kari",
        scopes: tuple[str, ...] = ALL_SCOPES,
        **extra: Any,
    ) -> str:
        assert self.files is not None
        return self.files.issuer.mint(
            agency=agency,
            role=role,
            user=user,
            audience=self.files.audience,
            scopes=scopes,
            **extra,
        )

    def auth(
        self, agency: str, role: str, *, correlation_id: str = "", **kw: Any
    ) -> tuple[tuple[str, str], ...]:
        """Metadata with a fresh token for ``agency`` in ``role``."""
        return (
            ("authorization", f"Bearer {self.token(agency, role, **kw)}"),
            ("x-correlation-id", correlation_id or uuid.uuid4().hex),
        )

    def measure(self, measure_id: int) -> Measure:
        app: Any = self.service.app
        found: Measure = app.get_measure(measure_id)
        return found

    def recorded(self) -> list[CallRecordRow]:
        """The call log now (a call's record is written before its answer is sent)."""
        log = self.service.call_log
        assert log is not None
        return list(log.records())

    async def calls(self, size: int) -> list[CallRecordRow]:
        """The call log once it holds ``size`` records."""
        log = self.service.call_log
        assert log is not None
        for _ in range(250):
            rows = list(log.records())
            if len(rows) >= size:
                return rows
            await asyncio.sleep(0.02)
        return list(log.records())


def seed(service: Service) -> None:
    """Two measures: one of FHI's, one of NHN's."""
    app: Any = service.app
    with acting_as(SYSTEM):
        for measure_id, agency in ((FHI_MEASURE, FHI), (NHN_MEASURE, NHN)):
            app.save(
                Measure(
                    measure_id=measure_id,
                    name=f"Tiltak {measure_id} hemmelig-navn",
                    description=f"beskrivelse {measure_id}",
                    responsible_agency=agency,
                    owner=f"eier-{measure_id}",
                    strategic_area="1.1 Samhandling",
                    in_portfolio_since="2020-01",
                    receipt_id=f"r-{measure_id}",
                )
            )


@pytest_asyncio.fixture
async def serve() -> AsyncIterator[Any]:
    """``await serve(settings, files)``: assessment's real service on a free port."""
    started: list[Running] = []

    async def start(settings: AssessmentSettings, files: Pki | None) -> Running:
        service = create_service(settings)
        seed(service)
        if service.call_log is not None:
            await service.call_log.start()
        server = grpc_server_for(service)
        await server.start()
        running = Running(service, server, files)
        started.append(running)
        return running

    yield start
    for r in started:
        for ch in r.channels:
            await ch.close()
        await r.server.stop(0)
        if r.service.call_log is not None:
            await r.service.call_log.stop()
        assert r.service.app is not None
        r.service.app.close()


@pytest_asyncio.fixture
async def secured(serve: Any, pki_files: Pki) -> Running:
    """Assessment on mutual TLS with tokens, no quota."""
    running: Running = await serve(secure_settings(pki_files), pki_files)
    return running


def caller_md(agency: str, role: str, user: str = "tester") -> tuple[tuple[str, str], ...]:
    return (("x-agency", quote(agency)), ("x-role", role), ("x-user", quote(user)))


@pytest.fixture
def metadata_of() -> Any:
    """``metadata_of(agency, role)``: development identity metadata (x-agency, x-role...)."""
    return caller_md


def status_of(exc: grpc.aio.AioRpcError) -> tuple[grpc.StatusCode, list[str]]:
    fields: list[str] = []
    status = rpc_status.from_call(exc)
    for detail in status.details if status else []:
        bad = error_details_pb2.BadRequest()
        if detail.Unpack(bad):
            fields += [v.field for v in bad.field_violations]
    return exc.code(), fields


@pytest.fixture
def refused() -> Any:
    """``await refused(call)``: (code, message, violated fields) of a call that must fail."""

    async def check(call: Any) -> tuple[grpc.StatusCode, str, list[str]]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call
        code, fields = status_of(caught.value)
        return code, caught.value.details() or "", fields

    return check
