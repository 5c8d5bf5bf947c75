"""Prometheus metrics every service exposes on ``/metrics``.

Names follow ``<service>_<thing>_<unit>``; label values are bounded (methods,
codes, topics, outcomes), never ids or offsets.
"""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server


class ServiceMetrics:
    """The backbone's metrics for one service, in a registry of its own."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        s, r = service, self.registry
        self.grpc_requests = Counter(
            f"{s}_grpc_requests", "gRPC requests handled", ["method", "code"], registry=r
        )
        self.grpc_latency = Histogram(
            f"{s}_grpc_request_duration_seconds",
            "gRPC request latency",
            ["method"],
            registry=r,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.events_published = Counter(
            f"{s}_events_published",
            "integration events published by the outbox relay",
            ["topic"],
            registry=r,
        )
        self.outbox_lag = Gauge(
            f"{s}_outbox_lag_events",
            "notification-log head minus the relay's published position",
            registry=r,
        )
        self.outbox_republishes = Counter(
            f"{s}_outbox_republishes",
            "times the relay started over because the broker was new",
            registry=r,
        )
        self.consumer_messages = Counter(
            f"{s}_consumer_messages",
            "messages seen by consumers, by outcome (applied, duplicate, stale_epoch, "
            "ignored, dead_lettered, parked: behind a dead letter of the same aggregate, "
            "held: waiting for a message before it)",
            ["topic", "outcome"],
            registry=r,
        )
        self.consumer_batch_seconds = Histogram(
            f"{s}_consumer_batch_duration_seconds",
            "time to apply one partition batch in one transaction",
            registry=r,
        )
        self.consumer_retries = Counter(
            f"{s}_consumer_retries", "batch attempts that failed and were retried", registry=r
        )
        self.dead_letters_parked = Gauge(
            f"{s}_dead_letters_parked",
            "letters parked in a consumer group's sequenced dead-letter queue",
            ["group"],
            registry=r,
        )
        self.dead_letters_replayed = Counter(
            f"{s}_dead_letters_replayed",
            "parked letters applied by a replay",
            ["group"],
            registry=r,
        )
        self.dead_letters_discarded = Counter(
            f"{s}_dead_letters_discarded",
            "parked letters an operator discarded",
            ["group"],
            registry=r,
        )
        self.audit_calls_recorded = Counter(
            f"{s}_audit_calls_recorded", "gRPC calls written to the audit call log", registry=r
        )
        self.audit_call_write_failures = Counter(
            f"{s}_audit_call_write_failures",
            "attempts to write a batch of call records that failed (the batch is retried)",
            registry=r,
        )
        self.audit_calls_dropped = Counter(
            f"{s}_audit_calls_dropped",
            "call records given up because the queue was full or the log had stopped",
            registry=r,
        )
        self.audit_calls_pending = Gauge(
            f"{s}_audit_calls_pending", "call records waiting to be written", registry=r
        )

    def serve(self, host: str, port: int) -> tuple[WSGIServer, threading.Thread]:
        """Serve ``/metrics`` on a background thread; port 0 picks a free port."""
        server, thread = start_http_server(port, addr=host, registry=self.registry)
        return server, thread
