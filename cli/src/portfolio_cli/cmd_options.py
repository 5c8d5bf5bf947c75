"""Options the measure, korona, calendar and import commands share."""

from __future__ import annotations

from typing import Annotated

import typer

from portfolio_cli.caller import CLI_USER, OFFICE_AGENCY, Role
from portfolio_cli.cli_support import OutputFormat, address_option, cli_parser, period_option
from portfolio_cli.measure_args import parse_role

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="json for programs, table for people.")
]
AsAgencyOption = Annotated[
    str, typer.Option("--as-agency", metavar="NAME", help="The agency to act for (x-agency).")
]
RoleOption = Annotated[
    Role,
    typer.Option(
        "--role",
        parser=cli_parser(parse_role),
        metavar="ROLE",
        help="office, agency, auditor, working_group or proposer (x-role).",
    ),
]
UserOption = Annotated[
    str, typer.Option("--user", envvar="PORTFOLIO_USER", help="Who you are (x-user).")
]
AssessmentOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Assessment gRPC address.")
]
IntakeOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Intake gRPC address.")
]
KoronaOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Korona gRPC address.")
]
ReportingOption = Annotated[
    str | None, typer.Option(callback=address_option, help="Reporting gRPC address.")
]
PeriodOption = Annotated[
    str, typer.Option(callback=period_option, help="Reporting period, YYYY-MM.")
]


def optional_period(value: str | None) -> str | None:
    """Option callback: an optional reporting period."""
    return None if value is None else period_option(value)


OptionalPeriodOption = Annotated[
    str | None, typer.Option("--period", callback=optional_period, help="Period, YYYY-MM.")
]

DEFAULT_AGENCY = OFFICE_AGENCY
DEFAULT_USER = CLI_USER
