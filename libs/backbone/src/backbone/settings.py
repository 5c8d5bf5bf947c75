"""Settings every service shares; each service subclasses with its own env prefix."""

from __future__ import annotations

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

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not (value == "memory:" or value.startswith(("sqlite:///", "postgresql://"))):
            raise ValueError("database_url must be memory:, sqlite:///PATH or postgresql://...")
        return value
