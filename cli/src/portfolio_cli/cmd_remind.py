"""``portfolio remind``: remind every measure the reporting calendar names as owing a report.

Reads the calendar (reporting), then asks assessment to remind each measure that has not
reported: "due" before the deadline, "overdue" after it. A measure is reminded once per
period and kind, so running it again (say, daily from cron) reminds nobody twice.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eportfolio.assessment.v1 import assessment_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import reporting_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import run_or_fail
from portfolio_cli.caller import office
from portfolio_cli.cli_support import OutputFormat, cli_parser, emit_json
from portfolio_cli.clients import COMMAND, connect
from portfolio_cli.cmd_options import (
    AssessmentOption,
    FormatOption,
    PeriodOption,
    ReportingOption,
)
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import parse_timestamp


def remind(
    period: PeriodOption,
    at: Annotated[
        str | None,
        typer.Option(
            parser=cli_parser(parse_timestamp),
            metavar="RFC3339",
            help="Judge lateness at this moment; default now.",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
    reporting: ReportingOption = None,
    assessment: AssessmentOption = None,
) -> None:
    """Remind the measures that owe a status report for --period (once per period and kind)."""

    async def work() -> list[dict[str, Any]]:
        async with connect("reporting", service_address("reporting", reporting)) as client:
            calendar = await client.call(
                "GetCalendar", reporting_pb2.GetCalendarRequest(period=period, at=at or "")
            )
        sent: list[dict[str, Any]] = []
        caller = office()
        async with connect("assessment", service_address("assessment", assessment)) as client:
            for entry in calendar.due:
                if entry.reported:
                    continue
                before = await client.call(
                    "GetMeasure",
                    assessment_pb2.GetMeasureRequest(measure_id=entry.measure_id),
                    caller,
                )
                after = await client.call(
                    "RemindMeasure",
                    assessment_pb2.RemindMeasureRequest(
                        measure_id=entry.measure_id,
                        period=period,
                        deadline=entry.deadline,
                        overdue=entry.overdue,
                    ),
                    caller,
                    COMMAND,
                )
                sent.append(
                    {
                        "measure_id": entry.measure_id,
                        "responsible_agency": entry.responsible_agency,
                        "kind": "overdue" if entry.overdue else "due",
                        "deadline": entry.deadline,
                        "new": len(after.reminders) > len(before.reminders),
                    }
                )
        return sent

    reminders = run_or_fail(work())
    if output is OutputFormat.JSON:
        emit_json({"period": period, "reminders": reminders})
        return
    new = sum(1 for r in reminders if r["new"])
    print(f"Påminnelser for {period}: {new} nye, {len(reminders) - new} sendt før")
    for r in reminders:
        if r["new"]:
            kind = "forsinket" if r["kind"] == "overdue" else "forfaller"
            print(f"  {r['measure_id']:>5}  {r['responsible_agency']}  ({kind} {r['deadline']})")
