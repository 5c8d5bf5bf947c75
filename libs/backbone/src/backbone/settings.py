"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Typed settings of one service, read from ``<SERVICE>_*`` environment variables.

    ``database_url`` chooses the event store: ``memory:`` (in-process, for tests),
    ``sqlite:///path/to/file.db`` (the embedded default of ``make run``), or
    ``postgresql://user@host:port/dbname`` (production). On PostgreSQL each service
    keeps its tables in its own schema, ``database_schema``.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    database_url: str = "memory:"
    database_schema: str = ""
    postgres_pool_size: int = Field(default=5, ge=1)
    # How the service notices a database that went away (backbone.pgstore; R9-R11):
    postgres_connect_timeout_s: int = Field(default=3, ge=2)
    """libpq's connect_timeout for each new connection (its minimum is 2 s)."""
    postgres_tcp_user_timeout_ms: int = Field(default=5000, ge=0)
    """A connection whose sent data stays unacknowledged this long is broken (partitions)."""
    database_check_interval_s: float = Field(default=1.0, gt=0)
    """How often gRPC health probes the database (NOT_SERVING while it is away)."""

    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_partitions: int = Field(default=4, ge=1)
    kafka_session_timeout_ms: int = 6000
    kafka_heartbeat_interval_ms: int = 1000
    kafka_group_prefix: str = "portfolio"

    grpc_host: str = "127.0.0.1"
    grpc_port: int = Field(default=0, ge=0, le=65535)
    metrics_host: str = "127.0.0.1"
    metrics_port: int = Field(default=0, ge=0, le=65535)

    relay_batch_size: int = Field(default=500, ge=1)
    relay_idle_sleep_s: float = Field(default=0.05, gt=0)
    consumer_max_records: int = Field(default=500, ge=1)
    consumer_max_attempts: int = Field(default=3, ge=1)
    shutdown_grace_s: float = Field(default=5.0, ge=0)

    audit_key_file: str = ""
    """The PEM file of the Ed25519 key that signs the audit log's tree heads (created when
    missing); empty: next to a SQLite database, else a key for this process only."""

    # --- calls between agencies (backbone/security) -------------------------------------
    environment: Literal["development", "production"] = "development"
    """``production`` refuses to start without mutual TLS and token settings."""
    tls_cert_file: str = ""
    """The server's certificate (PEM); with ``tls_key_file`` and ``tls_client_ca_file`` the
    gRPC port speaks mutual TLS only. Empty: plaintext (development)."""
    tls_key_file: str = ""
    tls_client_ca_file: str = ""
    """The CA whose client certificates are accepted; the subject's O= is the agency."""
    jwt_issuer: str = ""
    """The identity provider (``iss``); with ``jwt_jwks_file`` every call needs a bearer
    token and identity comes only from it (x-agency/x-user/x-role are ignored)."""
    jwt_jwks_file: str = ""
    """The identity provider's public keys (JWKS, as published at its jwks_uri)."""
    jwt_audience: str = ""
    """The audience tokens must name; empty: ``eportfolio:<service>``."""
    jwt_leeway_s: float = Field(default=30.0, ge=0, le=300)
    jwt_max_lifetime_s: float = Field(default=600.0, gt=0)
    jwt_replay_cache_size: int = Field(default=200_000, ge=1)
    rate_limit_per_s: float | None = Field(default=None, ge=0)
    """Calls per second per agency (long-run). None: unlimited in development, 500 in
    production; 0: unlimited."""
    rate_limit_burst: int | None = Field(default=None, ge=1)
    """Calls an agency may make at once; None: twice the rate."""

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not (value == "memory:" or value.startswith(("sqlite:///", "postgresql://"))):
            raise ValueError("database_url must be memory:, sqlite:///PATH or postgresql://...")
        return value
