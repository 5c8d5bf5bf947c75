"""Intake's composition root: builds the service from its settings; nothing runs at import."""

from __future__ import annotations

from backbone.audit.wiring import audit_parts
from backbone.metrics import ServiceMetrics
from backbone.persistence import eventsourcing_env
from backbone.runtime import Service
from contracts import topics
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc
from intake.adapters import audit
from intake.adapters.grpc_api import IntakeServicer
from intake.adapters.policy import POLICY
from intake.adapters.published import translate
from intake.application import IntakeApplication
from intake.settings import IntakeSettings

NAME = "intake"


def create_service(settings: IntakeSettings) -> Service:
    app = IntakeApplication(env=eventsourcing_env(settings, NAME))
    metrics = ServiceMetrics(NAME)
    auditing = audit_parts(
        NAME, settings, metrics, app=app, streams=audit.STREAMS, translate=translate
    )
    return Service(
        name=NAME,
        settings=settings,
        metrics=metrics,
        call_log=auditing.call_log,
        policy=POLICY,
        app=app,
        translate=translate,
        published_topics=[topics.INTAKE_MEASURE, topics.INTAKE_PROPOSAL],
        registrations=[
            (
                intake_pb2_grpc.add_IntakeServiceServicer_to_server,
                IntakeServicer(app),
                intake_pb2.DESCRIPTOR.services_by_name["IntakeService"].full_name,
            ),
            auditing.registration,
        ],
    )
