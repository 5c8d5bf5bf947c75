"""``portfolio import measures``: import a portfolio table through the intake service."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from portfolio_cli.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    address_option,
    new_app,
    period_option,
)
from portfolio_cli.import_output import print_outcome
from portfolio_cli.importer import ImportOptions, import_measures
from portfolio_cli.locations import service_address

app = new_app("Import data into the portfolio.")


@app.callback()
def group() -> None:
    """Import data into the portfolio."""


@app.command("measures")
def measures(
    *,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="Tab-separated portfolio table (e.g. portfolio-2020-03.tsv).",
        ),
    ],
    period: Annotated[str, typer.Option(callback=period_option, help="Reporting period, YYYY-MM.")],
    wait: Annotated[
        bool, typer.Option(help="Wait until the portfolio report shows every imported row.")
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds --wait waits for the report.")
    ] = 60.0,
    intake: Annotated[
        str | None, typer.Option(callback=address_option, help="Intake gRPC address.")
    ] = None,
    reporting: Annotated[
        str | None, typer.Option(callback=address_option, help="Reporting gRPC address.")
    ] = None,
) -> None:
    """Submit each row's measure and status report; print failed rows and a summary."""
    options = ImportOptions(
        file=file,
        period=period,
        intake=service_address("intake", intake),
        reporting=service_address("reporting", reporting),
        wait=wait,
        timeout_s=timeout,
    )
    outcome = asyncio.run(import_measures(options))
    print_outcome(outcome, label=str(file))
    raise typer.Exit(EXIT_OK if outcome.ok else EXIT_FAILED)
