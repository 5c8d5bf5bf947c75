"""What intake accepts at its edge must be publishable: the contract may not refuse it.

An accepted request is stored at once and published later by the outbox relay; if
its event then fails the contract, the relay cannot get past it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backbone.errors import ValidationError
from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2
from intake.adapters.grpc_api import measure_command, status_report_command
from intake.adapters.published import translate
from intake.domain import MeasureIntake

NOW = datetime(2024, 3, 5, 12, 0, tzinfo=UTC)


def _publish_measure(request: intake_pb2.SubmitMeasureRequest) -> Any:
    cmd = measure_command(request)
    record = MeasureIntake(
        measure_id=cmd.measure_id,
        receipt_id="r",
        received_at=NOW,
        name=cmd.name,
        description=cmd.description,
        responsible_agency=cmd.responsible_agency,
        owner=cmd.owner,
        strategic_area=cmd.strategic_area,
        in_portfolio_since=cmd.in_portfolio_since,
    )
    return record, translate(record.collect_events()[0])


@pytest.mark.parametrize("since", ["2024-01", "1999-12", "", "2024-01\n"])
def test_every_measure_intake_accepts_can_be_published(since: str) -> None:
    request = intake_pb2.SubmitMeasureRequest(
        measure_id=1, name="n", responsible_agency="a", in_portfolio_since=since
    )
    try:
        _, out = _publish_measure(request)
    except ValidationError:
        return  # refused at the edge: fine
    assert out is not None
    assert out.payload["in_portfolio_since"] == (since or None)


@pytest.mark.parametrize("period", ["2024-03", "2024-12", "2024-03\n"])
def test_every_status_report_intake_accepts_can_be_published(period: str) -> None:
    request = intake_pb2.SubmitStatusReportRequest(
        measure_id=1,
        period=period,
        status=common_pb2.COLOUR_GREEN,
        budget=[common_pb2.BudgetLine(year=2024, amount_nok=1)],
    )
    try:
        cmd = status_report_command(request)
    except ValidationError:
        return  # refused at the edge: fine
    record, _ = _publish_measure(
        intake_pb2.SubmitMeasureRequest(measure_id=1, name="n", responsible_agency="a")
    )
    record.submit_status_report(
        measure_id=1,
        receipt_id="r2",
        received_at=NOW,
        period=cmd.period,
        status=cmd.status,
        risk=cmd.risk,
        budget=cmd.budget,
        explanation=cmd.explanation,
    )
    out = translate(record.collect_events()[-1])
    assert out is not None
    assert out.payload["period"] == period
