"""Event stores that write the tamper-evident log in the same transaction as the events.

Every stored event gets a log entry: its entry hash, its chain hash (bound to the
previous event of its aggregate) and its leaf index in the service's Merkle tree, the
order the events were stored in (see :mod:`audit_log.chain`). The entry is written by
the recorder, inside the transaction that inserts the events, so no event is ever stored
without its entry and no entry exists without the event having been stored by the
service. What an operator changes in the store afterwards breaks a hash.

One subclass per store the eventsourcing library offers: PostgreSQL (under the events
table's EXCLUSIVE lock the library takes, so leaf indexes follow commit order across
processes), SQLite (one writer at a time) and in-memory (under the recorder's lock).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.popo import POPOProcessRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresProcessRecorder
from eventsourcing.sqlite import SQLiteCursor, SQLiteDatastore, SQLiteProcessRecorder
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from audit_log import chain


@dataclass(frozen=True)
class LogRow:
    """One entry of the tamper-evident log as stored."""

    leaf_index: int
    notification_id: int
    aggregate_id: UUID
    version: int
    entry_hash: bytes
    chain_hash: bytes


def _entries(
    stored_events: Sequence[StoredEvent],
    notification_ids: Sequence[int],
    first_leaf: int,
    previous: dict[UUID, bytes],
) -> list[LogRow]:
    """The log rows for a batch of events; ``previous`` holds each aggregate's chain hash
    before the batch (absent for a new aggregate) and is updated as the batch goes."""
    rows = []
    for i, (event, notification_id) in enumerate(zip(stored_events, notification_ids, strict=True)):
        aggregate_id = UUID(str(event.originator_id))
        entry = chain.entry_hash(aggregate_id, event.originator_version, event.topic, event.state)
        link = chain.chain_hash(previous.get(aggregate_id), entry)
        previous[aggregate_id] = link
        rows.append(
            LogRow(
                leaf_index=first_leaf + i,
                notification_id=notification_id,
                aggregate_id=aggregate_id,
                version=event.originator_version,
                entry_hash=entry,
                chain_hash=link,
            )
        )
    return rows


def _predecessors(stored_events: Sequence[StoredEvent]) -> dict[UUID, int]:
    """Per aggregate in the batch, the version whose chain hash its first event continues
    (0: the aggregate is new)."""
    first: dict[UUID, int] = {}
    for event in stored_events:
        aggregate_id = UUID(str(event.originator_id))
        first.setdefault(aggregate_id, event.originator_version - 1)
    return first


class AuditLogReader:
    """What the audit service reads back: log entries in leaf order."""

    def log_rows(self, after: int = -1, limit: int = 1000) -> list[LogRow]:
        raise NotImplementedError

    def positions(self, aggregate_id: UUID) -> dict[int, int]:
        """Each logged version of an aggregate and the notification id it was stored at."""
        raise NotImplementedError

    def last_notification_id(self) -> int:
        """The highest notification id any log entry names (0: the log is empty)."""
        raise NotImplementedError

    def iter_log(self, batch: int = 2000) -> Iterator[LogRow]:
        after = -1
        while rows := self.log_rows(after, batch):
            yield from rows
            after = rows[-1].leaf_index


# --- PostgreSQL ------------------------------------------------------------------------


class AuditedPostgresProcessRecorder(PostgresProcessRecorder, AuditLogReader):
    def __init__(
        self,
        datastore: PostgresDatastore,
        *,
        events_table_name: str = "stored_events",
        tracking_table_name: str = "notification_tracking",
    ) -> None:
        super().__init__(
            datastore,
            events_table_name=events_table_name,
            tracking_table_name=tracking_table_name,
        )
        self.audit_table_name = events_table_name.removesuffix("_events") + "_audit_log"
        self.check_identifier_length(self.audit_table_name)
        schema, table = Identifier(datastore.schema), Identifier(self.audit_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {schema}.{table} ("
                "leaf_index bigint PRIMARY KEY, "
                "notification_id bigint NOT NULL, "
                "originator_id {id_type} NOT NULL, "
                "originator_version bigint NOT NULL, "
                "entry_hash bytea NOT NULL, "
                "chain_hash bytea NOT NULL, "
                "UNIQUE (originator_id, originator_version))"
            ).format(schema=schema, table=table, id_type=Identifier(datastore.originator_id_type))
        )
        self._next_leaf = SQL("SELECT COALESCE(MAX(leaf_index) + 1, 0) AS n FROM {}.{}").format(
            schema, table
        )
        self._select_previous = SQL(
            "SELECT originator_id, chain_hash FROM {}.{} "
            "WHERE originator_id = %s AND originator_version = %s"
        ).format(schema, table)
        self._insert_log = SQL(
            "INSERT INTO {}.{} (leaf_index, notification_id, originator_id, "
            "originator_version, entry_hash, chain_hash) VALUES (%s, %s, %s, %s, %s, %s)"
        ).format(schema, table)
        self._select_positions = SQL(
            "SELECT originator_version, notification_id FROM {}.{} WHERE originator_id = %s"
        ).format(schema, table)
        self._select_last = SQL("SELECT COALESCE(MAX(notification_id), 0) AS n FROM {}.{}").format(
            schema, table
        )
        self._select_log = SQL(
            "SELECT leaf_index, notification_id, originator_id, originator_version, "
            "entry_hash, chain_hash FROM {}.{} WHERE leaf_index > %s "
            "ORDER BY leaf_index LIMIT %s"
        ).format(schema, table)

    def _fetch_ids_after_insert_events(
        self,
        curs: Cursor[DictRow],
        stored_events: Sequence[StoredEvent],
        **kwargs: Any,
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        assert ids is not None
        # Still inside the transaction and under the events table's EXCLUSIVE lock: no
        # other writer can take leaf indexes or extend these aggregates' chains now.
        curs.execute(self._next_leaf)
        first = curs.fetchone()
        assert first is not None
        previous: dict[UUID, bytes] = {}
        for aggregate_id, version in _predecessors(stored_events).items():
            if version > 0:
                curs.execute(self._select_previous, (aggregate_id, version))
                row = curs.fetchone()
                if row is not None:
                    previous[aggregate_id] = bytes(row["chain_hash"])
        rows = _entries(stored_events, ids, int(first["n"]), previous)
        curs.executemany(
            self._insert_log,
            [
                (
                    r.leaf_index,
                    r.notification_id,
                    r.aggregate_id,
                    r.version,
                    r.entry_hash,
                    r.chain_hash,
                )
                for r in rows
            ],
        )
        return ids

    def log_rows(self, after: int = -1, limit: int = 1000) -> list[LogRow]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_log, (after, limit))
            return [_log_row(r) for r in curs.fetchall()]

    def last_notification_id(self) -> int:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_last)
            row = curs.fetchone()
            return int(row["n"]) if row is not None else 0

    def positions(self, aggregate_id: UUID) -> dict[int, int]:
        with self.datastore.get_connection() as conn, conn.cursor() as curs:
            curs.execute(self._select_positions, (aggregate_id,))
            return {
                int(r["originator_version"]): int(r["notification_id"]) for r in curs.fetchall()
            }


def _log_row(r: Any) -> LogRow:
    return LogRow(
        leaf_index=int(r["leaf_index"]),
        notification_id=int(r["notification_id"]),
        aggregate_id=UUID(str(r["originator_id"])),
        version=int(r["originator_version"]),
        entry_hash=bytes(r["entry_hash"]),
        chain_hash=bytes(r["chain_hash"]),
    )


# --- SQLite ----------------------------------------------------------------------------


class AuditedSQLiteProcessRecorder(SQLiteProcessRecorder, AuditLogReader):
    audit_table_name = "audit_log"

    def __init__(
        self, datastore: SQLiteDatastore, *, events_table_name: str = "stored_events"
    ) -> None:
        super().__init__(datastore, events_table_name=events_table_name)

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {self.audit_table_name} ("
            "leaf_index INTEGER PRIMARY KEY, "
            "notification_id INTEGER NOT NULL, "
            "originator_id TEXT NOT NULL, "
            "originator_version INTEGER NOT NULL, "
            "entry_hash BLOB NOT NULL, "
            "chain_hash BLOB NOT NULL, "
            "UNIQUE (originator_id, originator_version))",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None
        # SQLite has one writer at a time, and this transaction holds the write lock now.
        c.execute(f"SELECT COALESCE(MAX(leaf_index) + 1, 0) FROM {self.audit_table_name}")  # noqa: S608 - a constant
        first = int(c.fetchone()[0])
        previous: dict[UUID, bytes] = {}
        for aggregate_id, version in _predecessors(stored_events).items():
            if version > 0:
                c.execute(
                    f"SELECT chain_hash FROM {self.audit_table_name} "  # noqa: S608 - a constant
                    "WHERE originator_id = ? AND originator_version = ?",
                    (aggregate_id.hex, version),
                )
                row = c.fetchone()
                if row is not None:
                    previous[aggregate_id] = bytes(row[0])
        for r in _entries(stored_events, ids, first, previous):
            c.execute(
                f"INSERT INTO {self.audit_table_name} (leaf_index, notification_id, "  # noqa: S608 - a constant
                "originator_id, originator_version, entry_hash, chain_hash) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    r.leaf_index,
                    r.notification_id,
                    r.aggregate_id.hex,
                    r.version,
                    r.entry_hash,
                    r.chain_hash,
                ),
            )
        return ids

    def log_rows(self, after: int = -1, limit: int = 1000) -> list[LogRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT leaf_index, notification_id, originator_id, originator_version, "  # noqa: S608 - a constant
                f"entry_hash, chain_hash FROM {self.audit_table_name} WHERE leaf_index > ? "
                "ORDER BY leaf_index LIMIT ?",
                (after, limit),
            )
            return [_log_row(r) for r in c.fetchall()]

    def last_notification_id(self) -> int:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM {self.audit_table_name}")  # noqa: S608 - a constant
            return int(c.fetchone()[0])

    def positions(self, aggregate_id: UUID) -> dict[int, int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT originator_version, notification_id "  # noqa: S608 - a constant
                f"FROM {self.audit_table_name} WHERE originator_id = ?",
                (aggregate_id.hex,),
            )
            return {int(r[0]): int(r[1]) for r in c.fetchall()}


# --- memory ----------------------------------------------------------------------------


class AuditedPOPOProcessRecorder(POPOProcessRecorder, AuditLogReader):
    def __init__(self) -> None:
        super().__init__()
        self._log: list[LogRow] = []
        self._heads: dict[UUID, bytes] = {}

    def _update_table(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        # Called under the recorder's lock, after the uniqueness checks passed.
        ids = super()._update_table(stored_events, **kwargs)
        assert ids is not None
        previous = {a: self._heads[a] for a in _predecessors(stored_events) if a in self._heads}
        rows = _entries(stored_events, ids, len(self._log), previous)
        self._log.extend(rows)
        self._heads.update(previous)
        return ids

    def log_rows(self, after: int = -1, limit: int = 1000) -> list[LogRow]:
        with self._database_lock:
            return self._log[after + 1 : after + 1 + limit]

    def last_notification_id(self) -> int:
        with self._database_lock:
            return max((r.notification_id for r in self._log), default=0)

    def positions(self, aggregate_id: UUID) -> dict[int, int]:
        with self._database_lock:
            return {
                r.version: r.notification_id for r in self._log if r.aggregate_id == aggregate_id
            }
