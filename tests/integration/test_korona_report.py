"""The corona portfolio's proposal count per category as of a moment, through gRPC.

Seed 003 (slide 47): 337 proposals in 20 categories on 5 May 2020 at 09:00. Proposals
submitted with those receipt times give that table back as of that moment, while later
ones are left out; "as of" means when a proposal was received unless the recorded axis
is asked for.
"""

from __future__ import annotations

import asyncio
import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest

from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2
from eportfolio.reporting.v1 import reporting_pb2
from tests.integration.conftest import System, caller

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

MOMENT = "2020-05-05T09:00:00+02:00"
# The seed table's proposals are dated as received in 2020: the office's import does that.
AS_OFFICE = caller("Direktoratet for e-helse", "office")


def seed_table(shared_dir: Path) -> dict[str, int]:
    with (shared_dir / "data" / "korona-categories-2020-05-05.tsv").open(encoding="utf-8") as f:
        return {
            row["code"]: int(row["proposals_2020_05_05"])
            for row in csv.DictReader(f, delimiter="\t")
        }


async def test_the_seed_table_comes_back_as_of_5_may_2020_0900(
    system: System, shared_dir: Path
) -> None:
    table = seed_table(shared_dir)
    assert sum(table.values()) == 337
    start = datetime(2020, 3, 12, 8, 0, tzinfo=UTC)
    moment = datetime.fromisoformat(MOMENT)
    step = (moment - start) / 337
    received = [start + step * i for i in range(337)]
    codes = [code for code, n in table.items() for _ in range(n)]
    limit = asyncio.Semaphore(16)

    async def submit(code: str, at: datetime, key: str) -> None:
        async with limit:
            await system.intake.SubmitProposal(
                intake_pb2.SubmitProposalRequest(
                    idempotency_key=key,
                    title=f"Forslag {key}",
                    category_code=code,
                    target_groups=["citizens"],
                    received_at=at.isoformat(),
                ),
                metadata=AS_OFFICE,
            )

    await asyncio.gather(
        *(submit(c, at, f"seed-{i}") for i, (c, at) in enumerate(zip(codes, received, strict=True)))
    )
    # after the moment: must not be counted as of it
    await asyncio.gather(
        *(submit("03", moment + timedelta(minutes=1 + i), f"late-{i}") for i in range(5))
    )

    async def report(as_of: str = "", axis: int = 0) -> reporting_pb2.KoronaReport:
        return await system.reporting.GetKoronaReport(
            reporting_pb2.GetKoronaReportRequest(as_of=as_of, axis=axis)
        )

    now = await system.eventually(report, lambda r: r.total == 342)
    assert {c.code: c.proposals for c in now.by_category}["03"] == table["03"] + 5
    then = await report(MOMENT)
    assert then.total == 337
    assert {c.code: c.proposals for c in then.by_category} == table
    assert then.as_of == "2020-05-05T07:00:00+00:00"
    # on the recorded axis, nothing was known on 5 May 2020: it was all recorded today
    recorded = await report(MOMENT, common_pb2.TIME_AXIS_RECORDED)
    assert recorded.total == 0


async def test_a_bad_moment_or_axis_is_refused_with_the_field_named(system: System) -> None:
    for request, field in (
        (reporting_pb2.GetKoronaReportRequest(as_of="5. mai"), "as_of"),
        (reporting_pb2.GetKoronaReportRequest(axis=7), "axis"),
    ):
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await system.reporting.GetKoronaReport(request)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert field in (caught.value.details() or "")
