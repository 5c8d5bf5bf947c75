"""What korona keeps of assessment's events (topic ``assessment.measure.v1``): the national
portfolio's measures, so a proposal can be told that a measure already covers its need."""

from __future__ import annotations

from backbone.consumer import Delivery
from backbone.sinks import UnitOfWork
from contracts import assessment as a
from korona.domain import KnownMeasure

HANDLED = {"MeasureRegistered"}


def handle(uow: UnitOfWork, delivery: Delivery) -> None:
    p = delivery.payload
    if not isinstance(p, a.MeasureRegistered):
        return
    if uow.get(KnownMeasure.create_id(p.measure_id)) is not None:
        return
    uow.add(
        KnownMeasure(
            measure_id=p.measure_id,
            name=p.name,
            description=p.description,
            responsible_agency=p.responsible_agency,
        )
    )
