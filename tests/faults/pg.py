"""A temporary PostgreSQL cluster of the tests' own, which they may stop, start and cut off.

The machine's shared PostgreSQL on 5432 is never touched: fault tests (RELIABILITY.md
R9-R11) run the stack against a cluster made with ``initdb`` in a temporary directory
(as user ``postgres``, which initdb requires when run by root), on a free port, with
trust authentication and its socket in the same directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2, health_pb2_grpc

from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class TempCluster:
    """One PostgreSQL cluster: ``start()``, ``stop()``, ``url``; removed by ``destroy()``."""

    def __init__(self, port: int, listen: str = "127.0.0.1") -> None:
        self.port = port
        self.listen = listen
        self.dir = Path(tempfile.mkdtemp(prefix="pgfault-"))
        self.data = self.dir / "data"
        self.log = self.dir / "postgres.log"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            _as_postgres(
                str(BIN / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ),
            check=True,
            capture_output=True,
        )
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{listen}'\nport = {port}\n"
                f"unix_socket_directories = '{self.dir}'\n"
                "max_connections = 200\nfsync = off\nsynchronous_commit = off\n"
                "full_page_writes = off\nshared_buffers = 32MB\n"
            )
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write("host all all 0.0.0.0/0 trust\n")

    def url(self, dbname: str = "postgres", host: str = "127.0.0.1") -> str:
        return f"postgresql://postgres@{host}:{self.port}/{dbname}"

    def pg_ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), *args),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        self.pg_ctl("-w", "-t", "30", "start")

    def stop(self) -> None:
        """A fast shutdown: every connection is cut, as when a database server goes away."""
        self.pg_ctl("-w", "-t", "30", "-m", "fast", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url(), connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def destroy(self) -> None:
        if self.running():
            with contextlib.suppress(Exception):
                self.pg_ctl("-w", "-t", "30", "-m", "immediate", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def temp_cluster(port: int, listen: str = "127.0.0.1") -> Iterator[TempCluster]:
    """A started cluster, destroyed afterwards whatever happened."""
    cluster = TempCluster(port, listen)
    try:
        cluster.start()
        cluster.wait_ready()
        yield cluster
    finally:
        cluster.destroy()


def terminate_backends(url: str) -> dict[str, int]:
    """``pg_terminate_backend`` every other connection to ``url``'s database (all the
    services' pools, probes and call-log writers); how many, by application name."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT application_name, pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
    killed: dict[str, int] = {}
    for name, done in rows:
        if done:
            killed[name or "?"] = killed.get(name or "?", 0) + 1
    return killed


# --- a write load through intake, for the database fault rows ---------------------------

AGENCY = (("x-agency", "Folkehelseinstituttet"), ("x-user", "fault-test"), ("x-role", "agency"))
OFFICE = (
    ("x-agency", "Direktoratet%20for%20e-helse"),
    ("x-user", "fault-test"),
    ("x-role", "office"),
)


@dataclass
class Outcome:
    """One call: when it started and ended (monotonic), its status code and receipt."""

    key: str
    started: float
    ended: float
    code: str
    receipt_id: str = ""
    replayed: bool = False


@dataclass
class WriteLoad:
    """Status reports submitted to intake by ``workers`` clients, each report retried with
    its idempotency key until acknowledged (as a careful client does), every call kept."""

    address: str
    measures: int
    periods: list[str]
    workers: int = 8
    deadline_s: float = 10.0
    pause_s: float = 0.02
    outcomes: list[Outcome] = field(default_factory=list)
    acked: dict[str, str] = field(default_factory=dict)
    """idempotency key -> receipt id of its first acknowledgement."""

    def keys(self) -> list[tuple[str, int, str]]:
        return [
            (f"r{1000 + i}-{p}", 1000 + i, p) for p in self.periods for i in range(self.measures)
        ]

    async def register(self) -> None:
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = intake_pb2_grpc.IntakeServiceStub(channel)
            for i in range(self.measures):
                request = intake_pb2.SubmitMeasureRequest(
                    idempotency_key=f"m{1000 + i}",
                    measure_id=1000 + i,
                    name=f"Tiltak {i}",
                    responsible_agency="Folkehelseinstituttet",
                    in_portfolio_since=self.periods[0],
                )
                await stub.SubmitMeasure(request, metadata=OFFICE, timeout=self.deadline_s)

    @staticmethod
    def request(key: str, measure_id: int, period: str) -> intake_pb2.SubmitStatusReportRequest:
        return intake_pb2.SubmitStatusReportRequest(
            idempotency_key=key,
            measure_id=measure_id,
            period=period,
            status=common_pb2.COLOUR_GREEN,
            risk=common_pb2.COLOUR_YELLOW,
            budget=[common_pb2.BudgetLine(year=2021, amount_nok=1_000_000 + measure_id)],
        )

    async def call(
        self, stub: intake_pb2_grpc.IntakeServiceStub, key: str, measure_id: int, period: str
    ) -> Outcome:
        started = time.monotonic()
        try:
            receipt = await stub.SubmitStatusReport(  # type: ignore[misc]
                self.request(key, measure_id, period), metadata=AGENCY, timeout=self.deadline_s
            )
            outcome = Outcome(
                key, started, time.monotonic(), "OK", receipt.receipt_id, receipt.replayed
            )
        except grpc.aio.AioRpcError as exc:
            outcome = Outcome(key, started, time.monotonic(), exc.code().name)
        self.outcomes.append(outcome)
        return outcome

    async def run(self, stop_when: asyncio.Event | None = None) -> None:
        """Submit every report once acknowledged; paced by ``pause_s`` per worker."""
        queue: asyncio.Queue[tuple[str, int, str]] = asyncio.Queue()
        for item in self.keys():
            queue.put_nowait(item)
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = intake_pb2_grpc.IntakeServiceStub(channel)

            async def worker() -> None:
                while not queue.empty():
                    key, measure_id, period = queue.get_nowait()
                    while True:
                        outcome = await self.call(stub, key, measure_id, period)
                        if outcome.code == "OK":
                            self.acked.setdefault(key, outcome.receipt_id)
                            break
                        await asyncio.sleep(0.1)  # retried with the same key
                    await asyncio.sleep(self.pause_s)

            await asyncio.gather(*(worker() for _ in range(self.workers)))

    async def replay_all(self) -> list[Outcome]:
        """Every acknowledged report again with its key: each must answer its first receipt."""
        async with grpc.aio.insecure_channel(self.address) as channel:
            stub = intake_pb2_grpc.IntakeServiceStub(channel)
            wanted = {k: (m, p) for k, m, p in self.keys()}
            return [await self.call(stub, k, *wanted[k]) for k in sorted(self.acked)]

    def codes(self, since: float = 0.0, until: float = float("inf")) -> dict[str, int]:
        out: dict[str, int] = {}
        for o in self.outcomes:
            if since <= o.ended <= until:
                out[o.code] = out.get(o.code, 0) + 1
        return out

    def first_success_after(self, moment: float) -> float:
        """Seconds from ``moment`` to the first acknowledgement of a call started after it."""
        ends = [o.ended for o in self.outcomes if o.code == "OK" and o.started >= moment]
        return min(ends) - moment if ends else float("inf")


async def serving(address: str, timeout: float = 1.0) -> str:
    """The overall gRPC health status of the server at ``address`` (or the error code)."""
    try:
        async with grpc.aio.insecure_channel(address) as channel:
            response = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
    except grpc.aio.AioRpcError as exc:
        return str(exc.code().name)
    return str(health_pb2.HealthCheckResponse.ServingStatus.Name(response.status))


def count_events(url: str, service: str, topic_suffix: str) -> int:
    """Stored events of one type in a service's PostgreSQL event store."""
    from psycopg import sql

    query = sql.SQL("SELECT COUNT(*) FROM {} WHERE topic LIKE %s").format(
        sql.Identifier(service, f"{service}_events")
    )
    with psycopg.connect(url, connect_timeout=5) as conn:
        row = conn.execute(query, (f"%{topic_suffix}",)).fetchone()
    return int(row[0]) if row else 0
