"""Where a service keeps its events: in memory, in SQLite, or in PostgreSQL.

One URL chooses the store (see :class:`backbone.settings.ServiceSettings`). Every
service application records through a *process recorder*, so it can store
tracking records (consumer and relay positions) in the same transaction as events.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import ApplicationRecorder, ProcessRecorder
from eventsourcing.popo import POPOFactory
from psycopg import sql

from backbone.audit.recorders import AuditedPOPOProcessRecorder, AuditLogReader
from backbone.settings import ServiceSettings


def postgres_params(url: str) -> dict[str, str]:
    """Split a ``postgresql://user:password@host:port/dbname`` URL into its parts."""
    parsed = urlparse(url)
    return {
        "dbname": unquote(parsed.path.lstrip("/")) or "postgres",
        "host": parsed.hostname or "127.0.0.1",
        "port": str(parsed.port or 5432),
        "user": unquote(parsed.username or "postgres"),
        "password": unquote(parsed.password or ""),
    }


def ensure_postgres_schema(url: str, schema: str) -> None:
    params = postgres_params(url)
    with psycopg.connect(**params, autocommit=True, connect_timeout=5) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def eventsourcing_env(settings: ServiceSettings, schema_default: str) -> dict[str, str]:
    """The eventsourcing library's environment for the store ``settings`` names."""
    url = settings.database_url
    if url == "memory:":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "PROCESS_RECORDER_TOPIC": "backbone.audit.recorders:AuditedSQLiteProcessRecorder",
            "SQLITE_DBNAME": str(path),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    params = postgres_params(url)
    schema = settings.database_schema or schema_default
    ensure_postgres_schema(url, schema)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "PROCESS_RECORDER_TOPIC": "backbone.audit.recorders:AuditedPostgresProcessRecorder",
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_CONNECT_TIMEOUT": "5",
        "POSTGRES_LOCK_TIMEOUT": "5",
    }


class ServiceApplication(Application):  # type: ignore[type-arg]
    """An eventsourcing application whose recorder can also store tracking records.

    What it publishes is decided by the service's translator (``adapters/published.py``).
    """

    def __init__(self, env: dict[str, Any] | None = None) -> None:
        super().__init__(env)

    def construct_recorder(self) -> ApplicationRecorder:
        # Every store writes the tamper-evident log with its events (backbone.audit).
        if isinstance(self.factory, POPOFactory):
            return AuditedPOPOProcessRecorder()
        recorder = self.factory.process_recorder()
        assert isinstance(recorder, AuditLogReader), "eventsourcing_env names the recorder"
        return recorder

    @property
    def audit_log(self) -> AuditLogReader:
        """The tamper-evident log of this application's store."""
        recorder = self.recorder
        assert isinstance(recorder, AuditLogReader)
        return recorder

    @property
    def process_recorder(self) -> ProcessRecorder:
        recorder = self.recorder
        assert isinstance(recorder, ProcessRecorder)
        return recorder
