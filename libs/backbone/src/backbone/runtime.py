"""Runs one service: gRPC, /metrics, the outbox relay and the consumers, until stopped.

Each service's composition root builds a :class:`Service` from its settings; this
module starts the parts in a safe order and stops them gracefully on SIGTERM/SIGINT:
the gRPC server first comes up (commands are accepted even while Kafka is away:
they wait in the outbox), then Kafka parts connect in the background, retrying.
On stop: health turns NOT_SERVING, in-flight RPCs get a grace period, the call log
writes what is queued, consumers finish the batch in hand, the relay stops after its
current batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from aiokafka.errors import KafkaError
from faststream.kafka import KafkaBroker

from backbone.audit.calls import CallLog
from backbone.consumer import Sink, TrackedConsumer
from backbone.epoch import BrokerEpoch, BrokerEpochError
from backbone.grpc_server import GrpcServer, Registration
from backbone.http import WebSpec, serve_wsgi
from backbone.metrics import ServiceMetrics
from backbone.outbox import OutboxRelay, Translator
from backbone.persistence import ServiceApplication
from backbone.pgstore import databases_available
from backbone.security.config import production_problems, server_security
from backbone.security.policy import AccessPolicy
from backbone.settings import ServiceSettings

log = logging.getLogger(__name__)


@dataclass
class ConsumerSpec:
    """A consumer group of this service: what it reads and where it applies it."""

    name: str
    topics: Sequence[str]
    sink: Sink
    handled_types: set[str] | None = None


@dataclass
class Service:
    """Everything one service is made of; built by its ``create_service(settings)``."""

    name: str
    settings: ServiceSettings
    metrics: ServiceMetrics
    registrations: list[Registration]
    app: ServiceApplication | None = None
    translate: Translator | None = None
    published_topics: list[str] = field(default_factory=list)
    consumers: list[ConsumerSpec] = field(default_factory=list)
    on_close: list[Callable[[], None]] = field(default_factory=list)
    on_consuming: list[Callable[[list[TrackedConsumer]], None]] = field(default_factory=list)
    """Called with the running consumers once they are subscribed (e.g. for replays)."""
    web: WebSpec | None = None
    """Read-only pages the service serves over HTTP, besides ``/metrics`` (reporting's report)."""
    call_log: CallLog | None = None
    """Where every gRPC call the service answers is recorded (none: calls are not recorded)."""
    policy: AccessPolicy | None = None
    """Who may call which of its RPCs (``<service>/adapters/policy.py``); none: every RPC is
    denied (health and reflection aside)."""


class ServiceRunner:
    """Starts and stops the parts of a :class:`Service`."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.settings = service.settings
        self.stop_event = asyncio.Event()
        self.grpc: GrpcServer | None = None
        self.metrics_port = 0
        self.relay: OutboxRelay | None = None
        self.consumers: list[TrackedConsumer] = []
        self._broker: KafkaBroker | None = None
        self._epochs: list[BrokerEpoch] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._relay_task: asyncio.Task[None] | None = None
        self._metrics_server: object | None = None
        self._web_server: WSGIServer | None = None
        self.web_port = 0
        self.kafka_ready = asyncio.Event()
        self.stopping = False

    async def start(self) -> None:
        s, svc = self.settings, self.service
        server, _ = svc.metrics.serve(s.metrics_host, s.metrics_port)
        self._metrics_server = server
        self.metrics_port = server.server_port
        if svc.web is not None:
            self._web_server, _ = serve_wsgi(svc.web)
            self.web_port = self._web_server.server_port
        if svc.call_log is not None:
            await svc.call_log.start()  # before the first call can come in
        self.grpc = grpc_server_for(svc)
        await self.grpc.start()
        self._tasks.append(asyncio.create_task(self._start_kafka(), name=f"{svc.name}-kafka"))
        self._tasks.append(
            asyncio.create_task(self._watch_database(), name=f"{svc.name}-database-health")
        )

    async def _watch_database(self) -> None:
        """gRPC health follows the database (R10): NOT_SERVING while a probe of the
        service's PostgreSQL stores fails, SERVING again once it answers. The stack's
        supervisor restarts only processes that exit, never one that is NOT_SERVING."""
        serving = True
        while not self.stop_event.is_set():
            available = await asyncio.to_thread(databases_available)
            if available != serving and not self.stopping and self.grpc is not None:
                log.warning(
                    "%s: database %s", self.service.name, "back" if available else "unavailable"
                )
                await self.grpc.set_serving(available)
                serving = available
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    self.stop_event.wait(), self.settings.database_check_interval_s
                )

    async def _start_kafka(self) -> None:
        backoff = 0.2
        while not self.stop_event.is_set():
            try:
                await self._connect_kafka()
                self.kafka_ready.set()
                return
            except (KafkaError, BrokerEpochError, OSError) as exc:
                log.warning(
                    "%s: Kafka not ready (%r); retrying in %.1fs", self.service.name, exc, backoff
                )
                await self._close_kafka()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop_event.wait(), backoff)
                backoff = min(backoff * 2, 5.0)

    def _new_epoch(self, role: str) -> BrokerEpoch:
        epoch = BrokerEpoch(self.settings.kafka_bootstrap_servers, f"{self.service.name}-{role}")
        self._epochs.append(epoch)
        return epoch

    async def _connect_kafka(self) -> None:
        s, svc = self.settings, self.service
        if svc.app is not None and svc.translate is not None and svc.published_topics:
            epoch = self._new_epoch("outbox")
            await epoch.start()
            self.relay = OutboxRelay(
                app=svc.app,
                source=svc.name,
                translate=svc.translate,
                bootstrap_servers=s.kafka_bootstrap_servers,
                topics=svc.published_topics,
                partitions=s.kafka_partitions,
                epoch=epoch,
                metrics=svc.metrics,
                batch_size=s.relay_batch_size,
                idle_sleep_s=s.relay_idle_sleep_s,
            )
            await self.relay.start()
            self._relay_task = asyncio.create_task(self.relay.run(self.stop_event))
        if svc.consumers:
            self._broker = KafkaBroker(
                s.kafka_bootstrap_servers,
                client_id=f"{svc.name}-consumer",
                graceful_timeout=s.shutdown_grace_s,
                logger=logging.getLogger(f"{svc.name}.kafka"),
                log_level=logging.DEBUG,  # one line per batch received/processed is noise
            )
            for spec in svc.consumers:
                epoch = self._new_epoch(f"consumer-{spec.name}")
                await epoch.start()
                consumer = TrackedConsumer(
                    service=svc.name,
                    name=spec.name,
                    topics=spec.topics,
                    sink=spec.sink,
                    epoch=epoch,
                    metrics=svc.metrics,
                    settings=s,
                    handled_types=spec.handled_types,
                )
                await consumer.start()
                consumer.subscribe(self._broker)
                self.consumers.append(consumer)
            await self._ensure_consumed_topics()
            await self._broker.start()
            for hook in svc.on_consuming:
                hook(self.consumers)

    async def _ensure_consumed_topics(self) -> None:
        """Create consumed topics up front so subscribers never wait on a missing topic."""
        from aiokafka.admin import AIOKafkaAdminClient

        from backbone.epoch import ensure_topics

        topics = {t for spec in self.service.consumers for t in spec.topics}
        admin = AIOKafkaAdminClient(bootstrap_servers=self.settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            await ensure_topics(admin, dict.fromkeys(topics, self.settings.kafka_partitions))
        finally:
            await admin.close()

    async def _close_kafka(self) -> None:
        if self._broker is not None:
            with contextlib.suppress(Exception):
                await self._broker.stop()
            self._broker = None
        for consumer in self.consumers:
            with contextlib.suppress(Exception):
                await consumer.stop()
        self.consumers = []
        if self._relay_task is not None:
            # A failed connection attempt must not leave a relay behind: a second one
            # would publish the same log concurrently.
            self._relay_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._relay_task
            self._relay_task = None
        if self.relay is not None:
            with contextlib.suppress(Exception):
                await self.relay.stop()
            self.relay = None
        for epoch in self._epochs:
            with contextlib.suppress(Exception):
                await epoch.stop()
        self._epochs = []

    async def stop(self) -> None:
        log.info("%s: stopping", self.service.name)
        self.stopping = True  # the database watch must not turn health back on
        if self.grpc is not None:
            await self.grpc.set_serving(False)
            await self.grpc.stop(self.settings.shutdown_grace_s)
        if self.service.call_log is not None:
            await self.service.call_log.stop()  # writes the calls still queued
        if self._broker is not None:
            await self._broker.stop()  # waits for the batch in hand
            self._broker = None
        self.stop_event.set()
        tasks = [*self._tasks, *([self._relay_task] if self._relay_task else [])]
        for task in tasks:  # the relay finishes the batch in hand
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(asyncio.shield(task), self.settings.shutdown_grace_s)
        await self._close_kafka()
        if self._metrics_server is not None:
            self._metrics_server.shutdown()  # type: ignore[attr-defined]
        if self._web_server is not None:
            self._web_server.shutdown()
            self._web_server.server_close()
        for close in self.service.on_close:
            close()
        if self.service.app is not None:
            self.service.app.close()


def configure_logging(service: str) -> None:
    level = os.environ.get("LOG_LEVEL", "INFO").upper()
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format=f"%(asctime)s {service} %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("aiokafka").setLevel(logging.WARNING)


def grpc_server_for(service: Service) -> GrpcServer:
    """The service's gRPC server as its settings say: mutual TLS or plaintext, tokens or
    metadata identity, quotas, and its access policy."""
    s = service.settings
    security = server_security(s, service.name, service.policy)
    return GrpcServer(
        host=s.grpc_host,
        port=s.grpc_port,
        registrations=service.registrations,
        metrics=service.metrics,
        call_log=service.call_log,
        credentials=security.credentials,
        gate=security.gate,
    )


def refuse_unsafe_start(service: Service) -> None:
    """In production, exit (one line on stderr, no traceback) unless mutual TLS and tokens
    are configured."""
    problems = production_problems(service.settings)
    if problems:
        if service.app is not None:
            service.app.close()
        raise SystemExit(
            f"{service.name}: refusing to start in production without mutual TLS and "
            f"access tokens: {'; '.join(problems)}"
        )


async def serve(service: Service) -> None:
    """Run ``service`` until SIGTERM or SIGINT."""
    refuse_unsafe_start(service)
    runner = ServiceRunner(service)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await runner.start()
    assert runner.grpc is not None
    print(
        json.dumps(
            {  # one line the supervisor and humans can read
                "service": service.name,
                "pid": os.getpid(),
                "grpc": runner.grpc.address,
                "metrics": f"http://{service.settings.metrics_host}:{runner.metrics_port}/metrics",
                **(
                    {"web": f"http://{service.web.host}:{runner.web_port}/"}
                    if service.web is not None
                    else {}
                ),
            }
        ),
        flush=True,
    )
    await stop.wait()
    await runner.stop()
