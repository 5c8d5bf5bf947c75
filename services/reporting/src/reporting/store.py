"""The read-model store: report tables plus tracking records, written in one transaction.

Built on the eventsourcing library's tracking recorders, so a projection's rows and
the position of the message that produced them are committed together, on SQLite
(``:memory:`` for tests, a file for ``make run``) or PostgreSQL (its own schema).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from eventsourcing.persistence import InfrastructureFactory, Tracking
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from eventsourcing.utils import Environment
from psycopg.sql import SQL

from backbone.persistence import eventsourcing_env
from backbone.settings import ServiceSettings

Op = tuple[str, Sequence[Any]]
"""One SQL statement (``?`` placeholders, ``{s}`` before table names) and its parameters."""

# Facts that change are kept as history rows: ``seq`` is the position of the event in its
# producer's log (assessment's or korona's), ``at`` when the fact held in the domain and
# ``rec`` when it was recorded (ISO 8601, UTC), so every view can be asked "as of" either time.
TABLES = [
    """CREATE TABLE IF NOT EXISTS {s}rpt_measures (
        measure_id INTEGER PRIMARY KEY,
        aggregate_id TEXT NOT NULL,
        name TEXT NOT NULL,
        responsible_agency TEXT NOT NULL,
        owner TEXT NOT NULL,
        strategic_area TEXT NOT NULL,
        candidate_for INTEGER,
        planned_end TEXT,
        version BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_membership (
        measure_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        lifecycle TEXT NOT NULL,
        since TEXT,
        left_after TEXT,
        way_forward TEXT NOT NULL,
        PRIMARY KEY (measure_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_segments (
        measure_id INTEGER NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        from_period TEXT NOT NULL,
        segment TEXT NOT NULL,
        report_months TEXT NOT NULL,
        PRIMARY KEY (measure_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_dependencies (
        measure_id INTEGER NOT NULL,
        depends_on INTEGER NOT NULL,
        PRIMARY KEY (measure_id, depends_on))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_status_reports (
        measure_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        status TEXT,
        risk TEXT,
        explanation TEXT NOT NULL,
        explanation_missing INTEGER NOT NULL,
        receipt_id TEXT NOT NULL,
        PRIMARY KEY (measure_id, period, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_budgets (
        measure_id INTEGER NOT NULL,
        period TEXT NOT NULL,
        seq BIGINT NOT NULL,
        year INTEGER NOT NULL,
        amount_nok BIGINT NOT NULL,
        PRIMARY KEY (measure_id, period, seq, year))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_proposals (
        proposal_id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        category_code TEXT NOT NULL,
        received_at TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        state TEXT NOT NULL)""",
    # A corona proposal's path: one row per proposal event, with the state after it and,
    # where the event says so, its category and working group (NULL: unchanged). ``seq``
    # is the event's position in korona's log; a registration row's ``at`` is received_at.
    """CREATE TABLE IF NOT EXISTS {s}rpt_proposal_history (
        proposal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        event TEXT NOT NULL,
        state TEXT NOT NULL,
        category_code TEXT,
        category_name TEXT,
        working_group TEXT,
        source TEXT,
        PRIMARY KEY (proposal_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_implementation (
        proposal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        status TEXT NOT NULL,
        responsible_agency TEXT NOT NULL,
        note TEXT NOT NULL,
        PRIMARY KEY (proposal_id, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_feedback (
        proposal_id TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        kind TEXT NOT NULL,
        first INTEGER NOT NULL,
        PRIMARY KEY (proposal_id, seq))""",
    # The funding envelope: when it was opened with its total, and every change with the
    # envelope's and the proposal's figures after it.
    """CREATE TABLE IF NOT EXISTS {s}rpt_funding_envelopes (
        envelope TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        name TEXT NOT NULL,
        total_nok BIGINT NOT NULL,
        PRIMARY KEY (envelope, seq))""",
    """CREATE TABLE IF NOT EXISTS {s}rpt_funding (
        envelope TEXT NOT NULL,
        seq BIGINT NOT NULL,
        at TEXT NOT NULL,
        rec TEXT NOT NULL,
        proposal_id TEXT NOT NULL,
        change TEXT NOT NULL,
        amount_nok BIGINT NOT NULL,
        total_nok BIGINT NOT NULL,
        allocated_nok BIGINT NOT NULL,
        committed_nok BIGINT NOT NULL,
        paid_nok BIGINT NOT NULL,
        proposal_allocated_nok BIGINT NOT NULL,
        proposal_committed_nok BIGINT NOT NULL,
        proposal_paid_nok BIGINT NOT NULL,
        PRIMARY KEY (envelope, seq))""",
    # The consumer group's sequenced dead-letter queue (backbone.deadletters): a letter per
    # message not applied, in order per sequence (aggregate); emptied by a rebuild, whose
    # replay parks again whatever still fails.
    """CREATE TABLE IF NOT EXISTS {s}rpt_dead_letters (
        grp TEXT NOT NULL,
        letter_id TEXT NOT NULL,
        sequence TEXT NOT NULL,
        idx BIGINT NOT NULL,
        state TEXT NOT NULL,
        letter TEXT NOT NULL,
        PRIMARY KEY (grp, letter_id))""",
]


TABLE_NAMES = [t.split("{s}", 1)[1].split(" ", 1)[0] for t in TABLES]


class ReadModelStore(Protocol):
    """Reads and writes the report tables."""

    def reset(self, tracking_prefix: str) -> None:
        """Empty every report table and the tracking records named ``tracking_prefix...``."""

    def position(self, tracking_name: str) -> int | None: ...

    def write(self, tracking: Tracking | None, ops: Sequence[Op]) -> None:
        """Run ``ops`` and record ``tracking`` (None: no new position) in one transaction."""

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    def close(self) -> None: ...


class SQLiteReadModel(SQLiteTrackingRecorder):
    """Report tables in SQLite."""

    def construct_create_table_statements(self) -> list[str]:
        return [*super().construct_create_table_statements(), *(t.format(s="") for t in TABLES)]

    def position(self, tracking_name: str) -> int | None:
        position: int | None = self.max_tracking_id(tracking_name)
        return position

    def reset(self, tracking_prefix: str) -> None:
        with self.datastore.transaction(commit=True) as c:
            for table in TABLE_NAMES:
                c.execute(f"DELETE FROM {table}")  # noqa: S608 - our own table names
            c.execute(
                "DELETE FROM tracking WHERE application_name LIKE ?", (tracking_prefix + "%",)
            )

    def write(self, tracking: Tracking | None, ops: Sequence[Op]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for sql, params in ops:
                c.execute(sql.format(s=""), params)
            if tracking is not None:
                self._insert_tracking(c, tracking)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(sql.format(s=""), params)
            return [tuple(row) for row in c.fetchall()]

    throwaway_dir: Path | None = None
    """Set for a ``memory:`` store: removed when the store closes."""

    def close(self) -> None:
        self.datastore.close()
        if self.throwaway_dir is not None:
            shutil.rmtree(self.throwaway_dir, ignore_errors=True)


class PostgresReadModel(PostgresTrackingRecorder):
    """Report tables in PostgreSQL, in the service's schema."""

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        prefix = f'"{self.datastore.schema}".'
        statements: list[Any] = [SQL(t.format(s=prefix)) for t in TABLES]
        self.sql_create_statements.extend(statements)
        self._prefix = prefix

    def _sql(self, sql: str) -> str:
        return sql.format(s=self._prefix).replace("?", "%s")

    def position(self, tracking_name: str) -> int | None:
        position: int | None = self.max_tracking_id(tracking_name)
        return position

    def reset(self, tracking_prefix: str) -> None:
        tracking = f'"{self.datastore.schema}"."{self.tracking_table_name}"'
        with self.datastore.transaction(commit=True) as c:
            for table in TABLE_NAMES:
                c.execute(f"DELETE FROM {self._prefix}{table}")  # noqa: S608 - our own tables
            c.execute(
                f"DELETE FROM {tracking} WHERE application_name LIKE %s",  # noqa: S608
                (tracking_prefix + "%",),
            )

    def write(self, tracking: Tracking | None, ops: Sequence[Op]) -> None:
        with self.datastore.transaction(commit=True) as c:
            for sql, params in ops:
                c.execute(self._sql(sql), params)
            if tracking is not None:
                self._insert_tracking(c, tracking)

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self._sql(sql), params)
            return [tuple(row.values()) for row in c.fetchall()]

    def close(self) -> None:
        self.datastore.close()


def open_store(settings: ServiceSettings, name: str = "reporting") -> ReadModelStore:
    """The read-model store ``settings.database_url`` names.

    ``memory:`` gets a throw-away SQLite file rather than SQLite's shared-cache memory
    database, whose table locks make a reader fail at once while the consumer writes.
    """
    env = eventsourcing_env(settings, name)
    throwaway: Path | None = None
    if env["PERSISTENCE_MODULE"] == "eventsourcing.popo":
        throwaway = Path(tempfile.mkdtemp(prefix=f"{name}-readmodel-"))
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(throwaway / "readmodel.db"),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    factory = InfrastructureFactory.construct(Environment(name, env))
    if env["PERSISTENCE_MODULE"] == "eventsourcing.sqlite":
        recorder: Any = factory.tracking_recorder(SQLiteReadModel)
        recorder.throwaway_dir = throwaway
    else:
        recorder = factory.tracking_recorder(PostgresReadModel)
    recorder.create_table()
    return recorder  # type: ignore[no-any-return]
