"""``portfolio report portfolio|korona``: reports from the reporting service."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import typer

from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2,
    reporting_pb2_grpc,
)
from portfolio_cli.cli_support import (
    OutputFormat,
    address_option,
    emit_json,
    fail,
    new_app,
    period_option,
)
from portfolio_cli.locations import service_address
from portfolio_cli.report_json import korona_json, portfolio_json
from portfolio_cli.report_text import korona_text, portfolio_text
from portfolio_cli.rpc import CallError, RetryPolicy, call, insecure_channel

app = new_app("Reports from the reporting service.")
_POLICY = RetryPolicy(attempts=3, deadline_s=10.0)

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="json for programs, table for people.")
]
ReportingOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Reporting gRPC address.")
]


@app.callback()
def group() -> None:
    """Reports from the reporting service."""


async def _fetch(address: str, method: str, request: Any) -> Any:
    async with insecure_channel(address) as channel:
        stub = reporting_pb2_grpc.ReportingServiceStub(channel)
        return await call(method, getattr(stub, method), request, policy=_POLICY)


def _get(address: str, method: str, request: Any) -> Any:
    try:
        return asyncio.run(_fetch(address, method, request))
    except CallError as exc:
        hint = " (is `make run` running?)" if exc.failure.code == "UNAVAILABLE" else ""
        fail(f"{exc.method} at {address} failed: {exc.failure.describe()}{hint}")


@app.command("portfolio")
def portfolio(
    period: Annotated[str, typer.Option(callback=period_option, help="Reporting period, YYYY-MM.")],
    output: FormatOption = OutputFormat.TABLE,
    reporting: ReportingOption = None,
) -> None:
    """The portfolio report of a period: measures, budget, status and risk colours."""
    address = service_address("reporting", reporting)
    report = _get(
        address, "GetPortfolioReport", reporting_pb2.GetPortfolioReportRequest(period=period)
    )
    if output is OutputFormat.JSON:
        emit_json(portfolio_json(report))
    else:
        print(portfolio_text(report))


@app.command("korona")
def korona(output: FormatOption = OutputFormat.TABLE, reporting: ReportingOption = None) -> None:
    """The corona portfolio: proposals in total and per category."""
    address = service_address("reporting", reporting)
    report = _get(address, "GetKoronaReport", reporting_pb2.GetKoronaReportRequest())
    if output is OutputFormat.JSON:
        emit_json(korona_json(report))
    else:
        print(korona_text(report))
