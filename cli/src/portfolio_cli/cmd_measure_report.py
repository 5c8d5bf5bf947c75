"""``portfolio measure report``: an agency's status report for one measure and period.

Sent through intake as the measure's responsible agency (looked up with GetMeasure)
in the agency role, unless ``--as-agency``/``--role`` say otherwise. Prints the receipt;
assessment records the report shortly after (``portfolio measure show``).
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import typer

from eportfolio.assessment.v1 import assessment_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import run_or_fail
from portfolio_cli.caller import OFFICE_AGENCY, Caller, Role, office
from portfolio_cli.cli_support import EXIT_USAGE, OutputFormat, cli_parser, emit_json, fail
from portfolio_cli.clients import SUBMIT, connect
from portfolio_cli.cmd_options import (
    DEFAULT_USER,
    AssessmentOption,
    FormatOption,
    IntakeOption,
    PeriodOption,
    UserOption,
)
from portfolio_cli.intake_messages import status_report_request
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import parse_budget, parse_report_colour, parse_role
from portfolio_cli.measure_json import receipt_json
from portfolio_cli.measure_text import receipt_text
from report_views.colours import Colour

ColourParser = cli_parser(parse_report_colour)
COLOUR_HELP = "Grønn, Gul or Rød (or green, yellow, red)."


def red_needs_explanation(status: Colour, risk: Colour, explanation: str) -> bool:
    """Whether the report lacks the explanation a red status or risk needs."""
    return Colour.RED in (status, risk) and not explanation.strip()


async def _send(
    request: Any,
    measure_id: int,
    agency: str | None,
    role: Role,
    user: str,
    addresses: tuple[str, str],
) -> Any:
    assessment, intake = addresses
    lookup = office(user=user)
    if agency is None and role is Role.AGENCY:
        async with connect("assessment", assessment) as client:
            measure = await client.call(
                "GetMeasure", assessment_pb2.GetMeasureRequest(measure_id=measure_id), lookup
            )
        agency = str(measure.responsible_agency)
    caller = Caller(agency or OFFICE_AGENCY, role, user, lookup.correlation_id)
    async with connect("intake", intake) as client:
        return await client.call("SubmitStatusReport", request, caller, SUBMIT)


def report(
    measure_id: Annotated[int, typer.Argument(min=1, metavar="ID", help="Portfolio id.")],
    period: PeriodOption,
    status: Annotated[
        Colour, typer.Option(parser=ColourParser, metavar="COLOUR", help=COLOUR_HELP)
    ],
    risk: Annotated[Colour, typer.Option(parser=ColourParser, metavar="COLOUR", help=COLOUR_HELP)],
    explanation: Annotated[
        str, typer.Option(help="Why status or risk is red (required when either is).")
    ] = "",
    progress: Annotated[str, typer.Option(help="Progress (fremdrift).")] = "",
    obstacles: Annotated[str, typer.Option(help="Obstacles (hindringer).")] = "",
    experiences: Annotated[str, typer.Option(help="Experiences (erfaringer).")] = "",
    dependency_notes: Annotated[
        str, typer.Option(help="Dependencies (avhengigheter), as Koordinere asks.")
    ] = "",
    budget: Annotated[
        int | None,
        typer.Option(
            parser=cli_parser(parse_budget), metavar="MNOK", help="Budget in million NOK."
        ),
    ] = None,
    budget_year: Annotated[
        int | None,
        typer.Option(min=1900, max=2200, help="The budget's year; default the period's year."),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        typer.Option(help="Send again with the same key to be sure it is taken once."),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: Annotated[
        str | None,
        typer.Option(
            "--as-agency", metavar="NAME", help="Default: the measure's responsible agency."
        ),
    ] = None,
    role: Annotated[
        Role | None,
        typer.Option(
            parser=cli_parser(parse_role), metavar="ROLE", help="agency (default) or office."
        ),
    ] = None,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
    intake: IntakeOption = None,
) -> None:
    """Report status, risk and budget of a measure for a period; print the receipt."""
    if red_needs_explanation(status, risk, explanation):
        fail("a red status or risk needs --explanation", EXIT_USAGE)
    if budget_year is not None and budget is None:
        fail("--budget-year needs --budget", EXIT_USAGE)
    request = status_report_request(
        measure_id=measure_id,
        period=period,
        status=status,
        risk=risk,
        explanation=explanation,
        budget_nok=budget,
        budget_year=budget_year,
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        notes={
            "progress": progress,
            "obstacles": obstacles,
            "experiences": experiences,
            "dependency_notes": dependency_notes,
        },
    )
    addresses = (service_address("assessment", assessment), service_address("intake", intake))
    receipt = run_or_fail(
        _send(request, measure_id, as_agency, role or Role.AGENCY, user, addresses)
    )
    if output is OutputFormat.JSON:
        emit_json(receipt_json(receipt))
    else:
        print(receipt_text(receipt))
