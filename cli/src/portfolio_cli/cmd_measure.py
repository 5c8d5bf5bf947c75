"""``portfolio measure ...``: read one measure and make the office's decisions on it.

Every command prints the measure as it is after the change (``show``'s output). The
caller is ``--as-agency`` (default Direktoratet for e-helse) in ``--role`` (default
office); the servers decide whether that caller may do it.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from eportfolio.assessment.v1 import assessment_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.reporting.v1 import reporting_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli import cmd_measure_report
from portfolio_cli.call_errors import run_or_fail
from portfolio_cli.caller import Caller, Role
from portfolio_cli.cli_support import EXIT_USAGE, OutputFormat, cli_parser, emit_json, fail, new_app
from portfolio_cli.clients import COMMAND, READ, connect
from portfolio_cli.cmd_options import (
    DEFAULT_AGENCY,
    DEFAULT_USER,
    AsAgencyOption,
    AssessmentOption,
    FormatOption,
    OptionalPeriodOption,
    PeriodOption,
    ReportingOption,
    RoleOption,
    UserOption,
)
from portfolio_cli.dependencies_view import dependencies_json, dependencies_text
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import CriterionAnswer, check_criteria, parse_criterion
from portfolio_cli.measure_json import measure_json
from portfolio_cli.measure_text import measure_text
from report_views.segment_names import Segment, parse_segment

app = new_app("Read one measure and make the portfolio office's decisions on it.")

MeasureId = Annotated[int, typer.Argument(min=1, metavar="ID", help="Portfolio id, e.g. 160.")]
SegmentParser = cli_parser(parse_segment)
SEGMENTS_HELP = "Samstyre, Koordinere, Observere or Inspirere (or S, K, O, I)."


@app.callback()
def group() -> None:
    """Read one measure and make the portfolio office's decisions on it."""


def print_measure(measure: Any, output: OutputFormat) -> None:
    """The measure as JSON or as text."""
    if output is OutputFormat.JSON:
        emit_json(measure_json(measure))
    else:
        print(measure_text(measure))


def _call(address: str | None, caller: Caller, method: str, request: Any) -> Any:
    """One assessment call as ``caller``; the command ends with one line if it fails."""
    policy = READ if method == "GetMeasure" else COMMAND

    async def work() -> Any:
        async with connect("assessment", service_address("assessment", address)) as client:
            return await client.call(method, request, caller, policy)

    return run_or_fail(work())


@app.command("show")
def show(
    measure_id: MeasureId,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """The measure: owner, lifecycle, segment, assessment, status reports."""
    request = assessment_pb2.GetMeasureRequest(measure_id=measure_id)
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "GetMeasure", request), output)


@app.command("assess")
def assess(
    measure_id: MeasureId,
    criteria: Annotated[
        list[CriterionAnswer],
        typer.Option(
            "--criterion",
            parser=cli_parser(parse_criterion),
            metavar="KEY=yes|no[:REASON]",
            help="Repeat for each criterion: digitalisation, several_actors, reuse_or_national.",
        ),
    ],
    criteria_version: Annotated[
        str, typer.Option(help="The version of the inclusion criteria used.")
    ] = "2020",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """Record whether the measure meets each inclusion criterion, and why."""
    problems = check_criteria(criteria_version, criteria)
    if problems:
        fail("; ".join(problems), EXIT_USAGE)
    request = assessment_pb2.AssessMeasureRequest(
        measure_id=measure_id,
        criteria_version=criteria_version,
        results=[
            assessment_pb2.CriterionResult(criterion=a.criterion, met=a.met, reason=a.reason)
            for a in criteria
        ],
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "AssessMeasure", request), output)


@app.command("include")
def include(
    measure_id: MeasureId,
    segment: Annotated[
        Segment, typer.Option(parser=SegmentParser, metavar="SEGMENT", help=SEGMENTS_HELP)
    ],
    period: PeriodOption,
    reason: Annotated[str, typer.Option(help="Why it is included.")] = "",
    decision: Annotated[
        str, typer.Option(metavar="CASE", help='The deciding case, e.g. "NUIT sak 15/20".')
    ] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """Include an assessed measure in the portfolio, in a segment, from a period."""
    request = assessment_pb2.IncludeMeasureRequest(
        measure_id=measure_id,
        segment=segment.wire,
        period=period,
        reason=reason,
        decision=decision,
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "IncludeMeasure", request), output)


@app.command("reject")
def reject(
    measure_id: MeasureId,
    reason: Annotated[str, typer.Option(help="Why it is not included (goes to the submitter).")],
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """Do not include the measure in the portfolio."""
    request = assessment_pb2.RejectMeasureRequest(measure_id=measure_id, reason=reason)
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "RejectMeasure", request), output)


@app.command("move")
def move(
    measure_id: MeasureId,
    to: Annotated[
        Segment, typer.Option(parser=SegmentParser, metavar="SEGMENT", help=SEGMENTS_HELP)
    ],
    reason: Annotated[str, typer.Option(help="Why it moves.")],
    decision: Annotated[
        str, typer.Option(metavar="CASE", help='The deciding case, e.g. "NUIT sak 15/20".')
    ] = "",
    period: OptionalPeriodOption = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """Move the measure to another segment (the new cadence applies from --period)."""
    request = assessment_pb2.MoveMeasureRequest(
        measure_id=measure_id, to=to.wire, reason=reason, decision=decision, period=period or ""
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "MoveMeasure", request), output)


@app.command("complete")
def complete(
    measure_id: MeasureId,
    way_forward: Annotated[
        str, typer.Option(help='Veien videre, e.g. "Forvaltning".', metavar="TEXT")
    ],
    period: OptionalPeriodOption = None,
    reason: Annotated[str, typer.Option(help="Why it leaves the portfolio.")] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """The measure is finished and leaves the portfolio after --period."""
    request = assessment_pb2.CompleteMeasureRequest(
        measure_id=measure_id, period=period or "", way_forward=way_forward, reason=reason
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "CompleteMeasure", request), output)


@app.command("pause")
def pause(
    measure_id: MeasureId,
    reason: Annotated[str, typer.Option(help="Why it is paused.")],
    period: OptionalPeriodOption = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """The measure is paused and leaves the portfolio after --period."""
    request = assessment_pb2.PauseMeasureRequest(
        measure_id=measure_id, period=period or "", reason=reason
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "PauseMeasure", request), output)


@app.command("withdraw")
def withdraw(
    measure_id: MeasureId,
    reason: Annotated[str, typer.Option(help="Why it is withdrawn.")],
    period: OptionalPeriodOption = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
) -> None:
    """The measure is withdrawn (from the portfolio after --period, or before inclusion)."""
    request = assessment_pb2.WithdrawMeasureRequest(
        measure_id=measure_id, period=period or "", reason=reason
    )
    caller = Caller(as_agency, role, user)
    print_measure(_call(assessment, caller, "WithdrawMeasure", request), output)


app.command("report")(cmd_measure_report.report)


@app.command("dependencies")
def dependencies(
    measure_id: MeasureId,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    reporting: ReportingOption = None,
) -> None:
    """What the measure depends on, and what depends on it."""
    caller = Caller(as_agency, role, user)
    request = reporting_pb2.GetDependenciesRequest(measure_id=measure_id)

    async def work() -> Any:
        async with connect("reporting", service_address("reporting", reporting)) as client:
            return await client.call("GetDependencies", request, caller)

    found = run_or_fail(work())
    if output is OutputFormat.JSON:
        emit_json(dependencies_json(found))
    else:
        print(dependencies_text(found))
