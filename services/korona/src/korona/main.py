"""Korona's composition root: builds the service from its settings."""

from __future__ import annotations

from prometheus_client import Histogram

from backbone.audit.wiring import audit_parts
from backbone.metrics import ServiceMetrics
from backbone.operations import operations_parts
from backbone.persistence import eventsourcing_env
from backbone.runtime import ConsumerSpec, Service
from backbone.sinks import EventSourcedSink
from contracts import topics
from eportfolio.korona.v1 import korona_pb2, korona_pb2_grpc
from korona.adapters import assessment_events, audit, intake_events
from korona.adapters.grpc_api import KoronaServicer
from korona.adapters.policy import POLICY
from korona.adapters.published import ProposalIds, translate_with
from korona.application import KoronaApplication
from korona.settings import KoronaSettings, load_categories

NAME = "korona"
HOUR = 3600.0
DAY = 24 * HOUR


def create_service(settings: KoronaSettings) -> Service:
    metrics = ServiceMetrics(NAME)
    first_feedback = Histogram(
        f"{NAME}_first_feedback_seconds",
        "time from a proposal's receipt to its first feedback beyond the acknowledgement",
        registry=metrics.registry,
        buckets=(HOUR, 4 * HOUR, DAY, 2 * DAY, 3 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 90 * DAY),
    )
    app = KoronaApplication(
        env=eventsourcing_env(settings, NAME),
        categories=load_categories(settings),
        on_first_feedback=first_feedback.observe,
    )
    arrivals = intake_events.ProposalArrivals(app)
    translate = translate_with(ProposalIds(app))
    auditing = audit_parts(
        NAME, settings, metrics, app=app, streams=audit.STREAMS, translate=translate
    )
    operations = operations_parts()  # dead letters: list, replay, discard
    return Service(
        name=NAME,
        settings=settings,
        metrics=metrics,
        call_log=auditing.call_log,
        policy=POLICY,
        app=app,
        translate=translate,
        published_topics=[topics.KORONA_PROPOSAL, topics.KORONA_FUNDING],
        consumers=[
            ConsumerSpec(
                name=f"{NAME}.intake-proposals",
                topics=[topics.INTAKE_PROPOSAL],
                sink=EventSourcedSink(app, arrivals.handle),
                handled_types=intake_events.HANDLED,
            ),
            ConsumerSpec(
                name=f"{NAME}.portfolio-measures",
                topics=[topics.ASSESSMENT_MEASURE],
                sink=EventSourcedSink(app, assessment_events.handle),
                handled_types=assessment_events.HANDLED,
            ),
        ],
        on_consuming=[*operations.on_consuming],
        registrations=[
            (
                korona_pb2_grpc.add_KoronaServiceServicer_to_server,
                KoronaServicer(app),
                korona_pb2.DESCRIPTOR.services_by_name["KoronaService"].full_name,
            ),
            auditing.registration,
            operations.registration,
        ],
    )
