"""Reporting's composition root: builds the service from its settings."""

from __future__ import annotations

from backbone.audit.wiring import audit_parts
from backbone.http import WebSpec
from backbone.metrics import ServiceMetrics
from backbone.operations import operations_parts
from backbone.runtime import ConsumerSpec, Service
from contracts import topics
from eportfolio.reporting.v1 import reporting_pb2, reporting_pb2_grpc
from reporting import projections
from reporting.adapters.grpc_api import ReportingServicer
from reporting.adapters.policy import POLICY
from reporting.adapters.rebuild import Rebuilder
from reporting.adapters.web import ReportPages
from reporting.settings import ReportingSettings
from reporting.store import open_store

NAME = "reporting"


def create_service(settings: ReportingSettings) -> Service:
    store = open_store(settings, NAME)
    sink = projections.ProjectionSink(store)
    rebuilder = Rebuilder(store)
    metrics = ServiceMetrics(NAME)
    auditing = audit_parts(NAME, settings, metrics)  # no aggregates: the call log only
    operations = operations_parts()  # dead letters: list, replay, discard
    return Service(
        name=NAME,
        settings=settings,
        metrics=metrics,
        call_log=auditing.call_log,
        policy=POLICY,
        consumers=[
            ConsumerSpec(
                name=f"{NAME}.portfolio",
                topics=[topics.ASSESSMENT_MEASURE, topics.KORONA_PROPOSAL, topics.KORONA_FUNDING],
                sink=sink,
                handled_types=projections.HANDLED,
            )
        ],
        registrations=[
            (
                reporting_pb2_grpc.add_ReportingServiceServicer_to_server,
                ReportingServicer(store, rebuilder),
                reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"].full_name,
            ),
            auditing.registration,
            operations.registration,
        ],
        on_close=[store.close],
        on_consuming=[rebuilder.attach, *operations.on_consuming],
        web=WebSpec(ReportPages(store), settings.web_host, settings.web_port, f"{NAME}-web"),
    )
