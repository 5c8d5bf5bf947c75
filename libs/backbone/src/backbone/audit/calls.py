"""The call log: every gRPC call a service answered, hash-chained.

Each record says who called (agency, user, role), what (the full method), when (the
start, RFC 3339 UTC), how it ended (the status code name), its correlation id, duration
and peer. Its ``chain_hash`` is :func:`audit_log.chain.call_hash` of the previous record's
chain hash and the record's :data:`audit_log.chain.CALL_FIELDS`, so an edited, removed or
reordered record breaks the chain, and a signed tree head holding the log's size and
last hash pins it.

The log lives in the service's own database, the one its event store's URL names
(``memory:`` keeps it in the process; ``sqlite:///path`` in that file; ``postgresql://``
in the service's schema), in the table ``audit_calls``. Several processes of one service
may share it: each batch takes the table's write lock (SQLite ``BEGIN IMMEDIATE``,
PostgreSQL ``LOCK TABLE ... IN EXCLUSIVE MODE``) before it reads the last record, so
sequence numbers stay dense and the chain never forks.

Writes are group-committed: :meth:`CallLog.record` queues a record and waits (at most
``wait_s``) until the batch holding it is committed; one writer task writes whatever is
queued in one transaction, in a worker thread. The call has already happened when it is
recorded, so a database that is away never fails or holds up a call: the writer logs a
warning, counts the failure and retries the batch with backoff while new records queue
(up to ``max_pending``; beyond that they are dropped and counted).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from eventsourcing.persistence import OperationalError
from psycopg import sql

from audit_log import chain
from audit_log.heads import utc_timestamp
from backbone.errors import FieldViolation, ValidationError
from backbone.metrics import ServiceMetrics
from backbone.persistence import ensure_postgres_schema, postgres_params
from backbone.settings import ServiceSettings

log = logging.getLogger(__name__)

TABLE = "audit_calls"
_PAGE = 1000


@dataclass(frozen=True, kw_only=True)
class CallInfo:
    """One answered gRPC call, as the interceptor saw it (the log adds service and seq)."""

    at: str
    """When the call began (:func:`utc_timestamp`)."""
    method: str
    """The full method without the leading slash: ``eportfolio.x.v1.XService/Method``."""
    agency: str = ""
    user: str = ""
    role: str = ""
    outcome: str = "OK"
    """The status code's name: OK, INVALID_ARGUMENT, PERMISSION_DENIED, CANCELLED, ..."""
    correlation_id: str = ""
    duration_ms: float = 0.0
    peer: str = ""


@dataclass(frozen=True, kw_only=True)
class CallRecordRow:
    """One record of the call log as stored, with its chain hash."""

    seq: int
    at: str
    service: str
    method: str
    agency: str
    user: str
    role: str
    outcome: str
    correlation_id: str
    duration_ms: float
    peer: str
    chain_hash: bytes

    def hashed_fields(self) -> dict[str, object]:
        """The fields its chain hash covers (:data:`audit_log.chain.CALL_FIELDS`)."""
        return {name: getattr(self, name) for name in chain.CALL_FIELDS}


def _chain(
    service: str, calls: Sequence[CallInfo], last_seq: int, last_hash: bytes
) -> list[CallRecordRow]:
    """The records for ``calls``, continuing a log whose last record is ``last_seq``."""
    rows = []
    previous = last_hash
    for seq, call in enumerate(calls, start=last_seq + 1):
        values: dict[str, Any] = {
            "seq": seq,
            "at": call.at,
            "service": service,
            "method": call.method,
            "agency": call.agency,
            "user": call.user,
            "role": call.role,
            "outcome": call.outcome,
            "correlation_id": call.correlation_id,
            "duration_ms": round(float(call.duration_ms), 3),
            "peer": call.peer,
        }
        previous = chain.call_hash(previous, {k: values[k] for k in chain.CALL_FIELDS})
        rows.append(CallRecordRow(**values, chain_hash=previous))
    return rows


def _moment(value: str, name: str) -> str:
    """A ``since``/``until`` bound in the stored form; a date alone means its midnight UTC."""
    if not value:
        return ""
    try:
        return utc_timestamp(datetime.fromisoformat(value.strip()))
    except ValueError:
        raise ValidationError(
            FieldViolation(name, f"{value!r} is not an RFC 3339 time (2024-03-05T12:00:00Z)")
        ) from None


@dataclass(frozen=True)
class _Filter:
    since: str = ""
    until: str = ""
    agency: str = ""
    correlation_id: str = ""
    method: str = ""
    to_seq: int = 0

    def matches(self, r: CallRecordRow) -> bool:
        return (
            (not self.since or r.at >= self.since)
            and (not self.until or r.at <= self.until)
            and (not self.agency or r.agency == self.agency)
            and (not self.correlation_id or r.correlation_id == self.correlation_id)
            and (
                not self.method
                or r.method == self.method
                or r.method.rsplit("/", 1)[-1] == self.method
            )
            and (not self.to_seq or r.seq <= self.to_seq)
        )

    def conditions(self, last_part: str, at: str = "at") -> tuple[list[str], list[object]]:
        """SQL conditions with ``?`` placeholders; ``last_part`` is the SQL expression for
        the method's part after the "/", ``at`` the one for the start time."""
        where: list[str] = ["seq > ?"]
        params: list[object] = []
        for clause, value in (
            (f"{at} >= ?", self.since),
            (f"{at} <= ?", self.until),
            ("agency = ?", self.agency),
            ("correlation_id = ?", self.correlation_id),
        ):
            if value:
                where.append(clause)
                params.append(value)
        if self.method:
            where.append(f"(method = ? OR {last_part} = ?)")
            params += [self.method, self.method]
        if self.to_seq:
            where.append("seq <= ?")
            params.append(self.to_seq)
        return where, params


def _row(r: Sequence[Any]) -> CallRecordRow:
    return CallRecordRow(
        seq=int(r[0]),
        at=r[1],
        service=r[2],
        method=r[3],
        agency=r[4],
        user=r[5],
        role=r[6],
        outcome=r[7],
        correlation_id=r[8],
        duration_ms=float(r[9]),
        peer=r[10],
        chain_hash=bytes(r[11]),
    )


def _params(r: CallRecordRow) -> tuple[object, ...]:
    return (
        r.seq,
        r.at,
        r.service,
        r.method,
        r.agency,
        r.user,
        r.role,
        r.outcome,
        r.correlation_id,
        r.duration_ms,
        r.peer,
        r.chain_hash,
    )


_COLUMNS = (
    "seq, at, service, method, agency, user_name, role, outcome, correlation_id, "
    "duration_ms, peer, chain_hash"
)


class _Store(ABC):
    """Where the records are kept. ``append`` runs in one thread at a time (the writer's);
    the reads in any thread."""

    @abstractmethod
    def ensure(self) -> None:
        """Create the table if it is missing."""

    @abstractmethod
    def append(self, service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
        """Append ``calls`` in one transaction, under the table's write lock."""

    @abstractmethod
    def page(self, f: _Filter, after: int, limit: int) -> list[CallRecordRow]:
        """Up to ``limit`` matching records after seq ``after``, in seq order."""

    @abstractmethod
    def head(self) -> tuple[int, bytes]: ...

    @abstractmethod
    def hash_at(self, seq: int) -> bytes | None: ...

    def close(self) -> None:  # noqa: B027 - most stores hold nothing
        """Release connections."""


class _MemoryStore(_Store):
    def __init__(self) -> None:
        self._rows: list[CallRecordRow] = []
        self._lock = threading.Lock()

    def ensure(self) -> None:
        pass

    def append(self, service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
        with self._lock:
            last = self._rows[-1] if self._rows else None
            rows = _chain(
                service, calls, last.seq if last else 0, last.chain_hash if last else chain.GENESIS
            )
            self._rows.extend(rows)
            return rows

    def page(self, f: _Filter, after: int, limit: int) -> list[CallRecordRow]:
        with self._lock:
            candidates = self._rows[after:]  # seq n is at index n - 1
        out = []
        for r in candidates:
            if f.to_seq and r.seq > f.to_seq:
                break
            if f.matches(r):
                out.append(r)
                if len(out) == limit:
                    break
        return out

    def head(self) -> tuple[int, bytes]:
        with self._lock:
            return (
                (self._rows[-1].seq, self._rows[-1].chain_hash)
                if self._rows
                else (0, chain.GENESIS)
            )

    def hash_at(self, seq: int) -> bytes | None:
        with self._lock:
            return self._rows[seq - 1].chain_hash if 0 < seq <= len(self._rows) else None


class _SQLiteStore(_Store):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._ready = False
        self._writer: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode: transactions are begun explicitly. The writer connection is
        # used by one worker thread at a time, not always the same one.
        return sqlite3.connect(self.path, timeout=10, isolation_level=None, check_same_thread=False)

    def ensure(self) -> None:
        if self._ready:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.closing(self._connect()) as conn:
            conn.executescript(
                f"CREATE TABLE IF NOT EXISTS {TABLE} ("
                "seq INTEGER PRIMARY KEY, at TEXT NOT NULL, service TEXT NOT NULL, "
                "method TEXT NOT NULL, agency TEXT NOT NULL, user_name TEXT NOT NULL, "
                "role TEXT NOT NULL, outcome TEXT NOT NULL, correlation_id TEXT NOT NULL, "
                "duration_ms REAL NOT NULL, peer TEXT NOT NULL, chain_hash BLOB NOT NULL);"
                f"CREATE INDEX IF NOT EXISTS {TABLE}_at ON {TABLE} (at);"
                f"CREATE INDEX IF NOT EXISTS {TABLE}_correlation ON {TABLE} (correlation_id);"
            )
        self._ready = True

    def append(self, service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
        self.ensure()
        if self._writer is None:
            self._writer = self._connect()
        conn = self._writer
        try:
            conn.execute("BEGIN IMMEDIATE")  # the database's one writer from here on
            try:
                last = conn.execute(
                    f"SELECT seq, chain_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"  # noqa: S608 - a constant
                ).fetchone()
                rows = _chain(
                    service,
                    calls,
                    *((int(last[0]), bytes(last[1])) if last else (0, chain.GENESIS)),
                )
                conn.executemany(
                    f"INSERT INTO {TABLE} ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608 - constants
                    [_params(r) for r in rows],
                )
                conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
        except sqlite3.Error:
            self.close()
            raise
        return rows

    def page(self, f: _Filter, after: int, limit: int) -> list[CallRecordRow]:
        self.ensure()
        where, params = f.conditions("substr(method, instr(method, '/') + 1)")
        with contextlib.closing(self._connect()) as conn:
            return [
                _row(r)
                for r in conn.execute(
                    f"SELECT {_COLUMNS} FROM {TABLE} WHERE {' AND '.join(where)} "  # noqa: S608 - constants
                    "ORDER BY seq LIMIT ?",
                    [after, *params, limit],
                )
            ]

    def head(self) -> tuple[int, bytes]:
        self.ensure()
        with contextlib.closing(self._connect()) as conn:
            last = conn.execute(
                f"SELECT seq, chain_hash FROM {TABLE} ORDER BY seq DESC LIMIT 1"  # noqa: S608 - a constant
            ).fetchone()
        return (int(last[0]), bytes(last[1])) if last else (0, chain.GENESIS)

    def hash_at(self, seq: int) -> bytes | None:
        self.ensure()
        with contextlib.closing(self._connect()) as conn:
            row = conn.execute(
                f"SELECT chain_hash FROM {TABLE} WHERE seq = ?",  # noqa: S608 - a constant
                (seq,),
            ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(sqlite3.Error):
                self._writer.close()
            self._writer = None


class _PostgresStore(_Store):
    def __init__(self, url: str, schema: str) -> None:
        self.url = url
        self.schema = schema
        self._params = postgres_params(url)
        self._table = sql.Identifier(schema, TABLE)
        self._ready = False
        self._writer: psycopg.Connection[tuple[Any, ...]] | None = None

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        return psycopg.connect(**self._params, autocommit=True, connect_timeout=5)  # type: ignore[arg-type]

    def ensure(self) -> None:
        if self._ready:
            return
        try:
            ensure_postgres_schema(self.url, self.schema)
        except psycopg.errors.UniqueViolation:  # another process created it just now
            ensure_postgres_schema(self.url, self.schema)
        with self._connect() as conn, conn.transaction():
            # Concurrent CREATE TABLE IF NOT EXISTS can collide; one creator at a time.
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"{self.schema}.{TABLE}",))
            conn.execute(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} ("
                    "seq bigint PRIMARY KEY, at text NOT NULL, service text NOT NULL, "
                    "method text NOT NULL, agency text NOT NULL, user_name text NOT NULL, "
                    "role text NOT NULL, outcome text NOT NULL, correlation_id text NOT NULL, "
                    "duration_ms double precision NOT NULL, peer text NOT NULL, "
                    "chain_hash bytea NOT NULL)"
                ).format(self._table)
            )
            for suffix, column in (("at", "at"), ("correlation", "correlation_id")):
                conn.execute(
                    sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({})").format(
                        sql.Identifier(f"{TABLE}_{suffix}"), self._table, sql.Identifier(column)
                    )
                )
        self._ready = True

    def append(self, service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
        self.ensure()
        try:
            if self._writer is None or self._writer.closed:
                self._writer = self._connect()
            conn = self._writer
            with conn.transaction():
                conn.execute("SET LOCAL lock_timeout = '10s'")
                # One appender at a time across processes; readers are not blocked.
                conn.execute(sql.SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(self._table))
                last = conn.execute(
                    sql.SQL("SELECT seq, chain_hash FROM {} ORDER BY seq DESC LIMIT 1").format(
                        self._table
                    )
                ).fetchone()
                rows = _chain(
                    service,
                    calls,
                    *((int(last[0]), bytes(last[1])) if last else (0, chain.GENESIS)),
                )
                with conn.cursor() as cur:
                    cur.executemany(
                        sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                            self._table,
                            sql.SQL(_COLUMNS),
                            sql.SQL(", ").join([sql.Placeholder()] * 12),
                        ),
                        [_params(r) for r in rows],
                    )
        except psycopg.Error:
            self.close()
            raise
        return rows

    def page(self, f: _Filter, after: int, limit: int) -> list[CallRecordRow]:
        self.ensure()
        # Times compare as strings of one fixed format: byte order, whatever the locale.
        where, params = f.conditions("split_part(method, '/', 2)", at='at COLLATE "C"')
        condition = " AND ".join(where).replace("?", "%s")
        query = sql.SQL("SELECT {} FROM {} WHERE {} ORDER BY seq LIMIT %s").format(
            sql.SQL(_COLUMNS),
            self._table,
            sql.SQL(condition),
        )
        with self._connect() as conn:
            return [_row(r) for r in conn.execute(query, [after, *params, limit])]

    def head(self) -> tuple[int, bytes]:
        self.ensure()
        with self._connect() as conn:
            last = conn.execute(
                sql.SQL("SELECT seq, chain_hash FROM {} ORDER BY seq DESC LIMIT 1").format(
                    self._table
                )
            ).fetchone()
        return (int(last[0]), bytes(last[1])) if last else (0, chain.GENESIS)

    def hash_at(self, seq: int) -> bytes | None:
        self.ensure()
        with self._connect() as conn:
            row = conn.execute(
                sql.SQL("SELECT chain_hash FROM {} WHERE seq = %s").format(self._table), (seq,)
            ).fetchone()
        return bytes(row[0]) if row else None

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(psycopg.Error):
                self._writer.close()
            self._writer = None


def _store_for(service: str, settings: ServiceSettings) -> _Store:
    url = settings.database_url
    if url == "memory:":
        return _MemoryStore()
    if url.startswith("sqlite:///"):
        return _SQLiteStore(Path(url.removeprefix("sqlite:///")))
    return _PostgresStore(url, settings.database_schema or service)


@contextlib.contextmanager
def _reading() -> Iterator[None]:
    """Reads fail as the event store's do when the database is away (UNAVAILABLE)."""
    try:
        yield
    except (psycopg.Error, sqlite3.Error, OSError) as exc:
        raise OperationalError(f"the call log is unavailable: {exc}") from exc


@dataclass
class _Pending:
    call: CallInfo
    done: asyncio.Future[None]


def _release(pending: _Pending) -> None:
    if not pending.done.done():
        pending.done.set_result(None)


class CallLog:
    """The hash-chained log of the gRPC calls service ``service`` answered.

    Start it before the gRPC server and stop it after (``stop`` writes what is queued).
    ``record`` is for the interceptor; the reads are synchronous (call them from a
    servicer with ``asyncio.to_thread``) and raise
    :class:`eventsourcing.persistence.OperationalError` when the database is away.
    """

    def __init__(
        self,
        service: str,
        settings: ServiceSettings,
        metrics: ServiceMetrics | None = None,
        *,
        wait_s: float = 2.0,
        max_pending: int = 10_000,
        max_batch: int = 500,
        retry_max_s: float = 5.0,
        flush_timeout_s: float = 5.0,
    ) -> None:
        self.service = service
        self.metrics = metrics
        self.wait_s = wait_s
        self.max_pending = max_pending
        self.max_batch = max_batch
        self.retry_max_s = retry_max_s
        self.flush_timeout_s = flush_timeout_s
        self._store = _store_for(service, settings)
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._stop_requested = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._healthy = True
        self._closed = False
        self._dropping = False

    # --- writing ---------------------------------------------------------------------

    async def start(self) -> None:
        """Create the table (if the database answers) and start the writer."""
        if self._task is not None:
            return
        self._closed = False
        self._stop_requested.clear()
        try:
            await asyncio.to_thread(self._store.ensure)
        except Exception as exc:
            log.warning(
                "%s: the call log's table could not be created (%r); writes will retry",
                self.service,
                exc,
            )
        self._task = asyncio.create_task(self._run(), name=f"{self.service}-call-log")

    async def stop(self) -> None:
        """Write what is queued (for at most ``flush_timeout_s``) and stop the writer."""
        self._stop_requested.set()
        self._wakeup.set()
        task, self._task = self._task, None
        if task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(task), self.flush_timeout_s)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            except Exception:
                log.exception("%s: the call log's writer failed", self.service)
        self._closed = True
        if self._pending:
            log.warning(
                "%s: %d call record(s) could not be written before stopping",
                self.service,
                len(self._pending),
            )
            if self.metrics is not None:
                self.metrics.audit_calls_dropped.inc(len(self._pending))
            while self._pending:
                _release(self._pending.popleft())
            self._set_pending_gauge()
        await asyncio.to_thread(self._store.close)

    def submit(self, call: CallInfo) -> asyncio.Future[None]:
        """Queue ``call``; the future is done when its batch is committed, or when waiting
        longer would not help (the write failed and is being retried, or it was dropped).
        Never raises."""
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        if self._closed or len(self._pending) >= self.max_pending:
            if not self._dropping:
                log.warning(
                    "%s: call log %s; dropping call records (%s %s)",
                    self.service,
                    "stopped" if self._closed else f"queue full ({self.max_pending})",
                    call.method,
                    call.correlation_id,
                )
                self._dropping = True
            if self.metrics is not None:
                self.metrics.audit_calls_dropped.inc()
            done.set_result(None)
            return done
        self._pending.append(_Pending(call, done))
        self._set_pending_gauge()
        self._wakeup.set()
        return done

    async def record(self, call: CallInfo) -> None:
        """Record ``call`` and wait until it is committed, at most ``wait_s``; when the
        database is away, return at once (the record stays queued). Never raises."""
        try:
            done = self.submit(call)
            if done.done() or not self._healthy or self._task is None:
                return
            await asyncio.wait_for(asyncio.shield(done), self.wait_s)
        except TimeoutError:
            log.debug("%s: call record of %s still queued", self.service, call.correlation_id)
        except Exception:
            log.exception("%s: could not record a call", self.service)

    async def _run(self) -> None:
        backoff = 0.05
        while True:
            if not self._pending:
                if self._stop_requested.is_set():
                    return
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            batch = [self._pending[i] for i in range(min(len(self._pending), self.max_batch))]
            try:
                await asyncio.to_thread(self._store.append, self.service, [p.call for p in batch])
            except Exception as exc:
                self._healthy = False
                if self.metrics is not None:
                    self.metrics.audit_call_write_failures.inc()
                log.warning(
                    "%s: could not write %d call record(s) to the call log (%r); "
                    "%d queued, retrying in %.2fs",
                    self.service,
                    len(batch),
                    exc,
                    len(self._pending),
                    backoff,
                )
                for p in self._pending:  # nobody waits for a database that is away
                    _release(p)
                await self._pause(backoff)
                backoff = min(backoff * 2, self.retry_max_s)
                continue
            for _ in batch:
                _release(self._pending.popleft())
            self._set_pending_gauge()
            if self.metrics is not None:
                self.metrics.audit_calls_recorded.inc(len(batch))
            if not self._healthy:
                log.info("%s: writing the call log again", self.service)
            self._healthy = True
            self._dropping = False
            backoff = 0.05

    async def _pause(self, seconds: float) -> None:
        """Sleep before a retry; a stop request cuts a long pause short (to flush)."""
        if self._stop_requested.is_set():
            await asyncio.sleep(min(seconds, 0.2))
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop_requested.wait(), seconds)

    def _set_pending_gauge(self) -> None:
        if self.metrics is not None:
            self.metrics.audit_calls_pending.set(len(self._pending))

    @property
    def pending(self) -> int:
        """Records queued and not yet committed."""
        return len(self._pending)

    # --- reading ---------------------------------------------------------------------

    def records(
        self,
        *,
        since: str = "",
        until: str = "",
        agency: str = "",
        correlation_id: str = "",
        method: str = "",
        from_seq: int = 0,
        to_seq: int = 0,
        limit: int = 0,
    ) -> Iterator[CallRecordRow]:
        """Committed records in seq order. ``since``/``until`` (RFC 3339; both inclusive)
        bound the start time; ``method`` is a full method or its name after the "/";
        ``from_seq``/``to_seq`` (inclusive, 0: open) bound seq; ``limit`` 0 means all.
        Raises :class:`~backbone.errors.ValidationError` for a bad time at once."""
        f = _Filter(
            since=_moment(since, "since"),
            until=_moment(until, "until"),
            agency=agency,
            correlation_id=correlation_id,
            method=method.lstrip("/"),
            to_seq=max(to_seq, 0),
        )
        return self._iter(f, max(from_seq - 1, 0), max(limit, 0))

    def _iter(self, f: _Filter, after: int, limit: int) -> Iterator[CallRecordRow]:
        remaining = limit or -1
        while remaining:
            size = _PAGE if remaining < 0 else min(_PAGE, remaining)
            with _reading():
                rows = self._store.page(f, after, size)
            yield from rows
            if len(rows) < size:
                return
            after = rows[-1].seq
            if remaining > 0:
                remaining -= len(rows)

    def head(self) -> tuple[int, bytes]:
        """The number of records and the last chain hash (``(0, GENESIS)`` when empty)."""
        with _reading():
            return self._store.head()

    def chain_hash_at(self, seq: int) -> bytes | None:
        """The chain hash of record ``seq`` (1-based); ``None`` when there is none."""
        with _reading():
            return self._store.hash_at(seq)


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a :func:`time.perf_counter` value), as recorded."""
    return round((time.perf_counter() - started) * 1000, 3)
