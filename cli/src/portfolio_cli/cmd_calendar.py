"""``portfolio calendar``: who owes a status report for a period, and who is late."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eportfolio.reporting.v1 import reporting_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.calendar_view import calendar_json, calendar_text
from portfolio_cli.call_errors import run_or_fail
from portfolio_cli.cli_support import OutputFormat, cli_parser, emit_json
from portfolio_cli.clients import connect
from portfolio_cli.cmd_options import FormatOption, PeriodOption, ReportingOption
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import parse_timestamp


def calendar(
    period: PeriodOption,
    at: Annotated[
        str | None,
        typer.Option(
            parser=cli_parser(parse_timestamp),
            metavar="RFC3339",
            help="Judge lateness at this moment (e.g. 2020-07-01T00:00:00Z); default now.",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
    reporting: ReportingOption = None,
) -> None:
    """The measures that owe a report for --period under their segment's cadence."""
    request = reporting_pb2.GetCalendarRequest(period=period, at=at or "")

    async def work() -> Any:
        async with connect("reporting", service_address("reporting", reporting)) as client:
            return await client.call("GetCalendar", request)

    found = run_or_fail(work())
    if output is OutputFormat.JSON:
        emit_json(calendar_json(found))
    else:
        print(calendar_text(found))
