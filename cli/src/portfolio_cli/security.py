"""How the CLI calls services that demand mutual TLS and access tokens.

Plaintext without tokens stays the default (``make run``). From the environment:

- ``PORTFOLIO_TLS_CA``: the CA that signed the services' certificates: calls use TLS;
- ``PORTFOLIO_TLS_CERT``, ``PORTFOLIO_TLS_KEY``: the agency's client certificate and key
  (mutual TLS);
- ``PORTFOLIO_TOKEN_KEY``: the development identity provider's private key (``make
  certs``): every call carries a fresh token minted with it (60 s, its own ``jti``);
- ``PORTFOLIO_TOKEN_JWKS``: the provider's JWKS (for its ``kid``); default ``jwks.json``
  beside the key;
- ``PORTFOLIO_TOKEN_ISSUER``: the issuer (``iss``); default the development issuer.

A token says who calls: the call's ``x-agency``/``x-user``/``x-role`` (the CLI's
``--as-agency``/``--user``/``--role``), or, for calls that name nobody (reports), the
client certificate's agency in the first role it may hold. The server believes the
token, not the metadata, and refuses a token whose agency is not the certificate's.
Tokens are minted per attempt, so a retried call never replays one.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import grpc  # type: ignore[import-untyped, unused-ignore]
from cryptography import x509

from backbone.security.pki import DEFAULT_ISSUER, SERVICES
from backbone.security.policy import (
    AGENCY,
    AGENCY_ROLES,
    AUDITOR,
    OFFICE,
    OPERATIONS,
    OPERATIONS_SCOPE,
    PROPOSER,
    WORKING_GROUP,
)
from backbone.security.tls import channel_credentials, organisation
from backbone.security.tokens import TokenIssuer

ROLE_PREFERENCE = (OFFICE, AGENCY, AUDITOR, OPERATIONS, WORKING_GROUP, PROPOSER)


@dataclass(frozen=True)
class ClientSecurity:
    """TLS files (empty: plaintext) and the token issuer (None: no tokens)."""

    ca: str = ""
    cert: str = ""
    key: str = ""
    issuer: TokenIssuer | None = None

    @property
    def cert_agency(self) -> str:
        if not self.cert:
            return ""
        return organisation(x509.load_pem_x509_certificate(Path(self.cert).read_bytes()))


@cache
def from_environment() -> ClientSecurity:
    """What ``PORTFOLIO_TLS_*`` and ``PORTFOLIO_TOKEN_*`` say (read once per process)."""
    env = os.environ
    key = env.get("PORTFOLIO_TOKEN_KEY", "")
    issuer = None
    if key:
        jwks = env.get("PORTFOLIO_TOKEN_JWKS") or str(Path(key).with_name("jwks.json"))
        issuer = TokenIssuer.from_files(
            key, jwks, env.get("PORTFOLIO_TOKEN_ISSUER") or DEFAULT_ISSUER
        )
    return ClientSecurity(
        ca=env.get("PORTFOLIO_TLS_CA", ""),
        cert=env.get("PORTFOLIO_TLS_CERT", ""),
        key=env.get("PORTFOLIO_TLS_KEY", ""),
        issuer=issuer,
    )


def service_of(method: str) -> str | None:
    """``/eportfolio.assessment.v1.AssessmentService/GetMeasure`` -> ``assessment``; None
    for services every service serves (audit, operations)."""
    parts = method.lstrip("/").split(".")
    name = parts[1] if len(parts) > 2 and parts[0] == "eportfolio" else ""
    return name if name in SERVICES else None


def scopes_for(role: str, services: Sequence[str]) -> list[str]:
    kinds = ("read",) if role == AUDITOR else ("read", "write")
    scopes = [f"eportfolio:{s}.{k}" for s in services for k in kinds]
    if role == AUDITOR:
        scopes.append("eportfolio:audit")
    if role in (OPERATIONS, OFFICE):
        scopes.append(OPERATIONS_SCOPE)
    return scopes


class TokenMinter:
    """Adds ``authorization: Bearer <fresh token>`` to a call's metadata."""

    def __init__(self, issuer: TokenIssuer, default_agency: str) -> None:
        self.issuer = issuer
        self.default_agency = default_agency

    def __call__(self, method: str, metadata: Sequence[tuple[str, Any]]) -> list[tuple[str, Any]]:
        md = {k: unquote(v) for k, v in metadata if isinstance(v, str)}
        agency = md.get("x-agency") or self.default_agency
        roles = AGENCY_ROLES.get(agency, frozenset())
        role = md.get("x-role") or next((r for r in ROLE_PREFERENCE if r in roles), "")
        service = service_of(method)
        services = [service] if service else list(SERVICES)
        token = self.issuer.mint(
            agency=agency,
            role=role,
            user=md.get("x-user") or "portfolio-cli",
            audience=[f"eportfolio:{s}" for s in services],
            scopes=scopes_for(role, services),
        )
        kept = [(k, v) for k, v in metadata if k != "authorization"]
        return [*kept, ("authorization", f"Bearer {token}")]


def _details(details: Any, add: Callable[[str, Sequence[tuple[str, Any]]], Any]) -> Any:
    method = details.method.decode() if isinstance(details.method, bytes) else details.method
    return grpc.aio.ClientCallDetails(
        method=details.method,
        timeout=details.timeout,
        metadata=add(method, tuple(details.metadata or ())),
        credentials=details.credentials,
        wait_for_ready=details.wait_for_ready,
    )


class _Unary(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc, unused-ignore]
    def __init__(self, minter: TokenMinter) -> None:
        self.minter = minter

    async def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_details(details, self.minter), request)


class _Stream(grpc.aio.UnaryStreamClientInterceptor):  # type: ignore[misc, unused-ignore]
    def __init__(self, minter: TokenMinter) -> None:
        self.minter = minter

    async def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return await continuation(_details(details, self.minter), request)


def open_channel(address: str, security: ClientSecurity | None = None) -> Any:
    """A grpc.aio channel to ``address``: TLS (mutual with a client certificate) when a CA
    is configured, with a fresh token on every call when a token key is; else plaintext."""
    s = security if security is not None else from_environment()
    interceptors: list[Any] = []
    if s.issuer is not None:
        minter = TokenMinter(s.issuer, s.cert_agency)
        interceptors = [_Unary(minter), _Stream(minter)]
    if not s.ca:
        return grpc.aio.insecure_channel(address, interceptors=interceptors or None)
    return grpc.aio.secure_channel(
        address,
        channel_credentials(s.ca, s.cert, s.key),
        interceptors=interceptors or None,
    )
