"""Puts the audit parts into a service: the call log and the AuditService registration."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from backbone.audit.calls import CallLog
from backbone.audit.grpc_api import AuditServicer
from backbone.audit.heads import TreeHeads, signer_for
from backbone.audit.trail import AuditTrail, StreamKind, held_at_by
from backbone.grpc_server import Registration
from backbone.metrics import ServiceMetrics
from backbone.outbox import Translator
from backbone.persistence import ServiceApplication
from backbone.settings import ServiceSettings
from eportfolio.audit.v1 import audit_pb2, audit_pb2_grpc

AUDIT_SERVICE = audit_pb2.DESCRIPTOR.services_by_name["AuditService"].full_name


@dataclass(frozen=True)
class AuditParts:
    call_log: CallLog
    registration: Registration


def audit_parts(
    name: str,
    settings: ServiceSettings,
    metrics: ServiceMetrics,
    *,
    app: ServiceApplication | None = None,
    streams: Sequence[StreamKind] = (),
    translate: Translator | None = None,
) -> AuditParts:
    """The call log of service ``name`` and its AuditService over ``app``'s store (none for
    a service without aggregates). ``streams`` are the kinds of stream auditors ask for by
    subject; ``translate`` tells when each event held (its published ``occurred_at``)."""
    call_log = CallLog(name, settings, metrics)
    trail = AuditTrail(name, app, streams, held_at_by(translate)) if app is not None else None
    heads = TreeHeads(
        name, app.audit_log if app is not None else None, call_log, signer_for(settings, name)
    )
    servicer = AuditServicer(service=name, trail=trail, heads=heads, call_log=call_log)
    return AuditParts(
        call_log=call_log,
        registration=(audit_pb2_grpc.add_AuditServiceServicer_to_server, servicer, AUDIT_SERVICE),
    )
