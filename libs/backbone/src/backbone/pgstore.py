"""PostgreSQL for the event stores: fast failure while the database is away, fast recovery.

eventsourcing's PostgreSQL datastore keeps a psycopg pool and retries each statement
that fails on a connection error (10 attempts, 0.2 s apart). On its own that behaves
badly when the database goes away (STACK_NOTES.md; RELIABILITY.md R9-R11):

- every attempt waits for a pool connection up to the pool timeout, so a request hangs
  for tens of seconds before it fails, and the caller's deadline passes first;
- the pool reconnects in the background with exponential backoff (1, 2, 4, 8, 16 s),
  so after the database is back requests still stall until the next attempt comes up;
- a connection cut by a network partition hangs for the kernel's retransmission
  timeout (minutes) unless TCP keepalives and a user timeout are set.

:class:`GuardedDatastore` adds a :class:`DatabaseGuard`: a connection-level failure
makes it probe the database on a connection of its own. While the probe fails, the
database is *down* and every statement fails at once (``OperationalError``, which the
gRPC layer answers as UNAVAILABLE and consumers retry); the first successful probe
replaces the pool with a fresh one, so recovery does not wait for any backoff. If the
probe succeeds right away (connections were killed but the server is fine) the pool is
drained: its idle connections are replaced at once instead of failing one by one.
Every connection carries libpq timeouts and keepalives, and ``application_name``
``portfolio-<service>`` so an operator can tell the services' connections apart.

:func:`databases_available` probes every guarded store of the process; the service
runner reports it through gRPC health (NOT_SERVING while a database is away).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import weakref
from collections.abc import Iterator
from typing import Any

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import ConnectionPool, PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment, EnvType
from psycopg.rows import DictRow, dict_row
from psycopg_pool import PoolTimeout

log = logging.getLogger(__name__)

APPLICATION_NAME = "POSTGRES_APPLICATION_NAME"
"""Environment keys this factory reads besides eventsourcing's own ``POSTGRES_*``."""
LIBPQ_CONNECT_TIMEOUT = "POSTGRES_LIBPQ_CONNECT_TIMEOUT"
TCP_USER_TIMEOUT_MS = "POSTGRES_TCP_USER_TIMEOUT_MS"

_GUARDS: weakref.WeakSet[DatabaseGuard] = weakref.WeakSet()

# SQLSTATE classes that mean the connection (not the statement) failed: 08 connection
# exception, 57P0x the server shut down or killed the backend (pg_terminate_backend).
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` (an eventsourcing persistence error) means the connection or the
    server went away, rather than a statement failing (a lock timeout, a conflict)."""
    cause = exc.__cause__ or exc
    if isinstance(cause, PoolTimeout):
        return True
    if not isinstance(cause, psycopg.Error):
        return isinstance(exc, InterfaceError)
    if isinstance(cause, psycopg.InterfaceError):
        return True
    state = cause.sqlstate
    return state is None or state.startswith(_CONNECTION_STATES)


class DatabaseGuard:
    """Knows whether the database answers, from failures and probes; see the module doc."""

    retry_after_s = 0.5
    """While down, a statement probes again only if the last probe is older than this."""
    drain_every_s = 1.0

    def __init__(self, datastore: GuardedDatastore, connection: dict[str, Any]) -> None:
        self._datastore = weakref.ref(datastore)
        self._connection = connection
        self._probe_lock = threading.Lock()
        self._probe_conn: psycopg.Connection[Any] | None = None
        self._up = True
        self._probed_at = 0.0
        self._drained_at = 0.0
        self.outages = 0
        _GUARDS.add(self)

    @property
    def available(self) -> bool:
        return self._up

    def admit(self) -> None:
        """Let a statement through, or fail it at once while the database is down."""
        if self._up:
            return
        if time.monotonic() - self._probed_at >= self.retry_after_s:
            self.probe()
        if not self._up:
            raise OperationalError("the database is unavailable")

    def failed(self, exc: BaseException) -> None:
        """A statement failed with ``exc``: probe if the connection was lost."""
        if not connection_lost(exc):
            return
        if self.probe() and time.monotonic() - self._drained_at >= self.drain_every_s:
            # The server answers: the pool's other idle connections are likely as dead
            # as the one that failed (all backends killed); replace them now.
            self._drained_at = time.monotonic()
            datastore = self._datastore()
            if datastore is not None:
                with contextlib.suppress(Exception):
                    datastore.pool.drain()

    def probe(self) -> bool:
        """``SELECT 1`` on the guard's own connection; updates and returns availability."""
        with self._probe_lock:
            if time.monotonic() - self._probed_at < 0.05:  # another thread just probed
                return self._up
            ok = self._select_one()
            self._probed_at = time.monotonic()
            if ok and not self._up:
                log.warning("the database is back; starting a fresh connection pool")
                datastore = self._datastore()
                if datastore is not None:
                    datastore.renew_pool()
            elif not ok and self._up:
                self.outages += 1
                log.warning("the database is unavailable; failing statements until it is back")
            self._up = ok
            return ok

    def _select_one(self) -> bool:
        try:
            if self._probe_conn is None or self._probe_conn.closed:
                self._probe_conn = psycopg.connect(**self._connection, autocommit=True)
            self._probe_conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            if self._probe_conn is not None:
                with contextlib.suppress(Exception):
                    self._probe_conn.close()
            self._probe_conn = None
            return False

    def close(self) -> None:
        with self._probe_lock:
            if self._probe_conn is not None:
                with contextlib.suppress(Exception):
                    self._probe_conn.close()
                self._probe_conn = None


class GuardedDatastore(PostgresDatastore):
    """eventsourcing's datastore with a :class:`DatabaseGuard` and libpq timeouts."""

    def __init__(self, *, libpq: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._settings = kwargs
        self._libpq = libpq
        assert isinstance(self.pool.kwargs, dict)
        self.pool.kwargs.update(libpq)
        probe = {k: v for k, v in self.pool.kwargs.items() if k != "row_factory"}
        self.guard = DatabaseGuard(self, probe)

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[psycopg.Connection[DictRow]]:
        self.guard.admit()
        try:
            with super().get_connection() as conn:
                yield conn
        except (OperationalError, InterfaceError) as exc:
            self.guard.failed(exc)
            raise

    def renew_pool(self) -> None:
        """Swap in a new, unopened pool (opened by the next statement); close the old
        one in the background (connections in use are closed when given back)."""
        s = self._settings
        old = self.pool
        self.pool = ConnectionPool(
            get_password_func=s.get("get_password_func"),
            connection_class=psycopg.Connection[DictRow],
            kwargs={
                "dbname": s["dbname"],
                "host": s["host"],
                "port": s["port"],
                "user": s["user"],
                "password": s["password"],
                "row_factory": dict_row,
                **self._libpq,
            },
            min_size=s["pool_size"],
            max_size=s["pool_size"] + s["max_overflow"],
            open=False,
            configure=self.after_connect_func(),
            timeout=s["connect_timeout"],
            max_waiting=s["max_waiting"],
            max_lifetime=s["conn_max_age"],
            check=ConnectionPool.check_connection if self.pre_ping else None,
        )
        threading.Thread(target=old.close, kwargs={"timeout": 5.0}, daemon=True).start()

    def close(self) -> None:
        with contextlib.suppress(AttributeError):
            self.guard.close()
        super().close()


class PortfolioPostgresFactory(PostgresFactory):
    """eventsourcing's PostgreSQL factory building a :class:`GuardedDatastore`
    (``PERSISTENCE_MODULE=backbone.pgstore:PortfolioPostgresFactory``)."""

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        plain = self.datastore
        pool = plain.pool
        assert isinstance(pool.kwargs, dict)
        libpq: dict[str, Any] = {
            "application_name": self.env.get(APPLICATION_NAME) or "portfolio",
            "connect_timeout": int(self.env.get(LIBPQ_CONNECT_TIMEOUT) or "3"),
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 1,
            "keepalives_count": 3,
            "tcp_user_timeout": int(self.env.get(TCP_USER_TIMEOUT_MS) or "5000"),
        }
        self.datastore = GuardedDatastore(
            libpq=libpq,
            dbname=pool.kwargs["dbname"],
            host=pool.kwargs["host"],
            port=pool.kwargs["port"],
            user=pool.kwargs["user"],
            password=pool.kwargs["password"],
            connect_timeout=pool.timeout,
            idle_in_transaction_session_timeout=plain.idle_in_transaction_session_timeout,
            pool_size=pool.min_size,
            max_overflow=pool.max_size - pool.min_size,
            max_waiting=pool.max_waiting,
            conn_max_age=pool.max_lifetime,
            pre_ping=plain.pre_ping,
            lock_timeout=plain.lock_timeout,
            schema=plain.schema,
            get_password_func=pool.get_password_func,
            single_row_tracking=plain.single_row_tracking,
            originator_id_type=plain.originator_id_type,
            enable_db_functions=plain.enable_db_functions,
        )
        plain.close()  # never opened; nothing to wait for


def databases_available() -> bool:
    """Probe every guarded store of this process; True when all answer (or there are none)."""
    results = [guard.probe() for guard in list(_GUARDS)]  # probe each, no short cut
    return all(results)
