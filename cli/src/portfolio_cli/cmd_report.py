"""``portfolio report portfolio|korona``: reports from the reporting service.

``--format`` json, table, csv, xlsx, html or pdf (``render``); ``--out FILE`` writes the
report to a file, and names the format by its suffix when ``--format`` is not given.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import (  # type: ignore[import-untyped, unused-ignore]
    reporting_pb2,
    reporting_pb2_grpc,
)
from portfolio_cli import cmd_rebuild
from portfolio_cli.cli_support import (
    EXIT_USAGE,
    address_option,
    cli_parser,
    emit_json,
    fail,
    new_app,
    period_option,
)
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import parse_timestamp
from portfolio_cli.report_output import (
    DestinationError,
    check_destination,
    choose_format,
    size_text,
    write_file,
    write_stdout,
)
from portfolio_cli.rpc import CallError, RetryPolicy, call, insecure_channel
from portfolio_cli.shared_data import korona_category_names, shared_dir
from report_views.render import ReportFormat, render_korona, render_portfolio
from report_views.report_json import korona_json, portfolio_json

app = new_app("Reports from the reporting service.")
_POLICY = RetryPolicy(attempts=3, deadline_s=10.0)

FormatOption = Annotated[
    ReportFormat | None,
    typer.Option(
        "--format",
        help="json for programs, table for the terminal, csv or xlsx for spreadsheets, "
        "html or pdf for people. Default: from --out's suffix (.pdf, .xlsx, ...), else table.",
    ),
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        metavar="FILE",
        help="Write the report to FILE instead of stdout (xlsx and pdf need a file or a "
        "redirected stdout).",
    ),
]
ReportingOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Reporting gRPC address.")
]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        parser=cli_parser(parse_timestamp),
        metavar="RFC3339",
        help="The report as it stood at this moment, e.g. 2020-05-05T09:00:00+02:00. Default now.",
    ),
]
RecordedOption = Annotated[
    bool,
    typer.Option(
        "--recorded",
        help="Read --as-of as the moment the system had recorded the facts, not the moment "
        "they held in the domain (a report's own time, a proposal's receipt).",
    ),
]


def _axis(recorded: bool) -> common_pb2.TimeAxis.ValueType:
    return common_pb2.TIME_AXIS_RECORDED if recorded else common_pb2.TIME_AXIS_DOMAIN


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


def _destination(requested: ReportFormat | None, out: Path | None) -> ReportFormat:
    fmt = choose_format(requested, out)
    try:
        check_destination(fmt, out, sys.stdout)
    except DestinationError as exc:
        fail(str(exc), EXIT_USAGE)
    return fmt


def _deliver(
    fmt: ReportFormat,
    out: Path | None,
    data: Mapping[str, Any],
    render: Callable[[ReportFormat], str | bytes],
) -> None:
    if out is None and fmt is ReportFormat.JSON:
        emit_json(data)  # as every command prints JSON on a terminal
        return
    content = render(fmt)
    if out is None:
        write_stdout(content, sys.stdout)
        return
    try:
        size = write_file(content, out)
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    print(f"wrote {out} ({fmt.value}, {size_text(size)})", file=sys.stderr)


@app.command("portfolio")
def portfolio(
    period: Annotated[str, typer.Option(callback=period_option, help="Reporting period, YYYY-MM.")],
    output: FormatOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    recorded: RecordedOption = False,
    reporting: ReportingOption = None,
) -> None:
    """The portfolio report of a period: measures, budget, status and risk colours."""
    fmt = _destination(output, out)
    address = service_address("reporting", reporting)
    request = reporting_pb2.GetPortfolioReportRequest(
        period=period, as_of=as_of or "", axis=_axis(recorded)
    )
    report = _get(address, "GetPortfolioReport", request)
    data = portfolio_json(report)
    _deliver(fmt, out, data, lambda f: render_portfolio(data, f, made_on=date.today()))


app.command("rebuild")(cmd_rebuild.rebuild)


@app.command("korona")
def korona(
    output: FormatOption = None,
    out: OutOption = None,
    as_of: AsOfOption = None,
    recorded: RecordedOption = False,
    reporting: ReportingOption = None,
) -> None:
    """The corona portfolio: proposals per category and per state, the net list, the
    funding envelope and feedback to proposers, as of now or --as-of.

    Category names come with the report; for a category the report does not name,
    data/korona-categories-*.tsv in the shared directory ($PORTFOLIO_SHARED_DIR, else
    ../shared) is used, else the code is shown.
    """
    fmt = _destination(output, out)
    address = service_address("reporting", reporting)
    request = reporting_pb2.GetKoronaReportRequest(as_of=as_of or "", axis=_axis(recorded))
    report = _get(address, "GetKoronaReport", request)
    data = korona_json(report)
    names = korona_category_names(shared_dir()) if fmt is not ReportFormat.JSON else {}
    _deliver(fmt, out, data, lambda f: render_korona(data, f, names, made_on=date.today()))
