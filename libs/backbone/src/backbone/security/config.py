"""From a service's settings to its server credentials and its gate; and the refusal to
run in production without them."""

from __future__ import annotations

import os
from dataclasses import dataclass

import grpc

from backbone.security.gate import Gate
from backbone.security.policy import AccessPolicy
from backbone.security.quotas import AgencyQuota
from backbone.security.tls import server_credentials
from backbone.security.tokens import ReplayCache, TokenVerifier, load_jwks
from backbone.settings import ServiceSettings

PRODUCTION_RATE_PER_S = 500.0
"""The per-agency rate when production settings name none: far above what an agency's
system sends, low enough that one runaway client cannot take a service from the rest."""

_TLS = ("tls_cert_file", "tls_key_file", "tls_client_ca_file")
_JWT = ("jwt_issuer", "jwt_jwks_file")


@dataclass(frozen=True)
class ServerSecurity:
    credentials: grpc.ServerCredentials | None
    gate: Gate


def _env_name(settings: ServiceSettings, field: str) -> str:
    prefix = str(settings.model_config.get("env_prefix", ""))
    return f"{prefix}{field}".upper()


def production_problems(settings: ServiceSettings) -> list[str]:
    """What keeps ``settings`` from running in production (empty when nothing does)."""
    if settings.environment != "production":
        return []
    problems = []
    for name in (*_TLS, *_JWT):
        value = str(getattr(settings, name))
        if not value:
            problems.append(f"{_env_name(settings, name)} is not set")
        elif name.endswith("_file") and not os.access(value, os.R_OK):
            problems.append(f"{_env_name(settings, name)}={value} cannot be read")
    return problems


def partial_tls(settings: ServiceSettings) -> list[str]:
    """The TLS settings missing when some, not all, are set (in any environment)."""
    given = [n for n in _TLS if getattr(settings, n)]
    return [_env_name(settings, n) for n in _TLS if given and not getattr(settings, n)]


def quota_for(settings: ServiceSettings) -> AgencyQuota | None:
    rate = settings.rate_limit_per_s
    if rate is None:
        rate = PRODUCTION_RATE_PER_S if settings.environment == "production" else 0.0
    if rate == 0:
        return None
    burst = settings.rate_limit_burst or max(1, round(2 * rate))
    return AgencyQuota(rate, burst)


def server_security(
    settings: ServiceSettings, service: str, policy: AccessPolicy | None
) -> ServerSecurity:
    """The credentials (None: plaintext) and the gate of ``service``'s gRPC server.

    Without a policy every method is denied (health and reflection aside)."""
    missing = partial_tls(settings)
    if missing:
        raise ValueError(f"mutual TLS needs {', '.join(missing)} as well")
    credentials = None
    if settings.tls_cert_file:
        credentials = server_credentials(
            settings.tls_cert_file, settings.tls_key_file, settings.tls_client_ca_file
        )
    tokens = None
    if settings.jwt_issuer or settings.jwt_jwks_file:
        if not (settings.jwt_issuer and settings.jwt_jwks_file):
            raise ValueError(
                f"tokens need both {_env_name(settings, 'jwt_issuer')} and "
                f"{_env_name(settings, 'jwt_jwks_file')}"
            )
        tokens = TokenVerifier(
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience or f"eportfolio:{service}",
            keys=load_jwks(settings.jwt_jwks_file),
            leeway_s=settings.jwt_leeway_s,
            max_lifetime_s=settings.jwt_max_lifetime_s,
            replay_cache=ReplayCache(settings.jwt_replay_cache_size),
        )
    gate = Gate(policy=policy or AccessPolicy(), tokens=tokens, quota=quota_for(settings))
    return ServerSecurity(credentials, gate)
