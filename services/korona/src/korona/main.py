"""Korona's composition root: builds the service from its settings."""

from __future__ import annotations

from backbone.metrics import ServiceMetrics
from backbone.persistence import eventsourcing_env
from backbone.runtime import ConsumerSpec, Service
from backbone.sinks import EventSourcedSink
from contracts import topics
from eportfolio.korona.v1 import korona_pb2, korona_pb2_grpc
from korona.adapters import intake_events
from korona.adapters.grpc_api import KoronaServicer
from korona.adapters.published import translate
from korona.application import KoronaApplication
from korona.settings import KoronaSettings

NAME = "korona"


def create_service(settings: KoronaSettings) -> Service:
    app = KoronaApplication(env=eventsourcing_env(settings, NAME))
    return Service(
        name=NAME,
        settings=settings,
        metrics=ServiceMetrics(NAME),
        app=app,
        translate=translate,
        published_topics=[topics.KORONA_PROPOSAL],
        consumers=[
            ConsumerSpec(
                name=f"{NAME}.intake-proposals",
                topics=[topics.INTAKE_PROPOSAL],
                sink=EventSourcedSink(app, intake_events.handle),
                handled_types=intake_events.HANDLED,
            )
        ],
        registrations=[
            (
                korona_pb2_grpc.add_KoronaServiceServicer_to_server,
                KoronaServicer(app),
                korona_pb2.DESCRIPTOR.services_by_name["KoronaService"].full_name,
            )
        ],
    )
