"""Assessment's composition root: builds the service from its settings."""

from __future__ import annotations

from assessment.adapters import audit, intake_events, korona_events
from assessment.adapters.grpc_api import AssessmentServicer
from assessment.adapters.policy import POLICY
from assessment.adapters.published import MeasureIds, translate_with
from assessment.application import AssessmentApplication
from assessment.settings import AssessmentSettings
from backbone.audit.wiring import audit_parts
from backbone.metrics import ServiceMetrics
from backbone.operations import operations_parts
from backbone.persistence import eventsourcing_env
from backbone.runtime import ConsumerSpec, Service
from backbone.sinks import EventSourcedSink
from contracts import topics
from eportfolio.assessment.v1 import assessment_pb2, assessment_pb2_grpc

NAME = "assessment"


def create_service(settings: AssessmentSettings) -> Service:
    app = AssessmentApplication(env=eventsourcing_env(settings, NAME))
    metrics = ServiceMetrics(NAME)
    translate = translate_with(MeasureIds(app))  # old decisions name their measure too
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
        published_topics=[topics.ASSESSMENT_MEASURE],
        consumers=[
            ConsumerSpec(
                name=f"{NAME}.intake-measures",
                topics=[topics.INTAKE_MEASURE],
                sink=EventSourcedSink(app, intake_events.handle),
                handled_types=intake_events.HANDLED,
            ),
            ConsumerSpec(
                name=f"{NAME}.korona-promotions",
                topics=[topics.KORONA_PROPOSAL],
                sink=EventSourcedSink(app, korona_events.handle),
                handled_types=korona_events.HANDLED,
            ),
        ],
        on_consuming=[*operations.on_consuming],
        registrations=[
            (
                assessment_pb2_grpc.add_AssessmentServiceServicer_to_server,
                AssessmentServicer(app),
                assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"].full_name,
            ),
            auditing.registration,
            operations.registration,
        ],
    )
