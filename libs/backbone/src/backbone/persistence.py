"""Where a service keeps its events: in memory, in SQLite, or in PostgreSQL.

One URL chooses the store (see :class:`backbone.settings.ServiceSettings`). Every
service application records through a *process recorder*, so it can store
tracking records (consumer and relay positions) in the same transaction as events.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

import psycopg
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import ApplicationRecorder, IntegrityError, ProcessRecorder
from eventsourcing.popo import POPOFactory
from psycopg import sql

from backbone.audit.recorders import AuditedPOPOProcessRecorder, AuditLogReader
from backbone.domain import current_meta
from backbone.errors import ConflictError, DomainError
from backbone.idempotency import (
    REUSED_KEY,
    CommandReceipt,
    caller_of,
    current_command,
    new_receipt,
)
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
        # backbone.pgstore: fail fast while the database is away, recover without
        # the pool's backoff, libpq timeouts and keepalives (RELIABILITY.md R9-R11).
        "PERSISTENCE_MODULE": "backbone.pgstore:PortfolioPostgresFactory",
        "PROCESS_RECORDER_TOPIC": "backbone.audit.recorders:AuditedPostgresProcessRecorder",
        "POSTGRES_APPLICATION_NAME": f"portfolio-{schema_default}",
        "POSTGRES_DBNAME": params["dbname"],
        "POSTGRES_HOST": params["host"],
        "POSTGRES_PORT": params["port"],
        "POSTGRES_USER": params["user"],
        "POSTGRES_PASSWORD": params["password"],
        "POSTGRES_SCHEMA": schema,
        "POSTGRES_POOL_SIZE": str(settings.postgres_pool_size),
        "POSTGRES_MAX_OVERFLOW": "2",
        "POSTGRES_CONNECT_TIMEOUT": "5",  # how long a statement waits for a pool connection
        "POSTGRES_LOCK_TIMEOUT": "5",
        "POSTGRES_LIBPQ_CONNECT_TIMEOUT": str(settings.postgres_connect_timeout_s),
        "POSTGRES_TCP_USER_TIMEOUT_MS": str(settings.postgres_tcp_user_timeout_ms),
    }


T = TypeVar("T")


class ServiceApplication(Application):  # type: ignore[type-arg]
    """An eventsourcing application whose recorder can also store tracking records.

    What it publishes is decided by the service's translator (``adapters/published.py``).
    Commands run through :meth:`run_command`: inside :func:`backbone.idempotency.idempotent`
    every ``save()`` carries the command's receipt, and a retry answers from it.
    """

    max_attempts = 5
    """How often a command is tried on a new state after a concurrent write."""

    def __init__(self, env: dict[str, Any] | None = None) -> None:
        super().__init__(env)

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """Store ``objs``; inside a command, with its receipt, in the same transaction."""
        command = current_command()
        if command is not None:
            aggregates = [o for o in objs if isinstance(o, BaseAggregate)]
            objs = (*objs, new_receipt(self.name, command, aggregates))
        return super().save(*objs, **kwargs)

    def command_receipt(self) -> CommandReceipt | None:
        """The receipt of the command being run, if it ran already (ConflictError when its
        key was used for a different request); None outside a command."""
        command = current_command()
        if command is None:
            return None
        receipt_id = CommandReceipt.create_id(self.name, caller_of(current_meta()), command.key)
        try:
            receipt: CommandReceipt = self.repository.get(receipt_id)
        except AggregateNotFoundError:
            return None
        if receipt.fingerprint != command.fingerprint:
            raise ConflictError(REUSED_KEY)
        return receipt

    def run_command(
        self, attempt: Callable[[], T], replay: Callable[[CommandReceipt], T], busy: str
    ) -> T:
        """``attempt()`` (load, decide, save once), or the first answer again.

        Before each attempt the command's own receipt is looked for (not before the first
        when the key is fresh: nobody can have used it): found, ``replay(receipt)`` rebuilds
        the first answer. An attempt that meets IntegrityError is tried again, so a commit
        reported as failed but stored answers from its receipt, and a write that lost to a
        concurrent one is decided again on the new state. A domain error is the answer unless
        a concurrent call with the same key committed meanwhile. ConflictError(``busy``) after
        ``max_attempts``.
        """
        command = current_command()
        look = command is not None and command.given
        for _ in range(self.max_attempts):
            receipt = self.command_receipt() if look else None
            if receipt is not None:
                return replay(receipt)
            look = True
            try:
                return attempt()
            except IntegrityError:
                continue
            except DomainError:
                # A concurrent call with the same key may have committed between our look
                # and our load: the state then refuses what was done already, but the
                # caller is owed the first answer, not "paused already".
                receipt = self.command_receipt() if command is not None and command.given else None
                if receipt is not None:
                    return replay(receipt)
                raise
        receipt = self.command_receipt()
        if receipt is not None:
            return replay(receipt)
        raise ConflictError(busy)

    def version_of(self, aggregate_id: Any, receipt: CommandReceipt) -> Any:
        """The aggregate as the command that issued ``receipt`` left it."""
        return self.repository.get(aggregate_id, version=receipt.version_of(aggregate_id))

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
