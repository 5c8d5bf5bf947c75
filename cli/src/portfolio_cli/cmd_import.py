"""``portfolio import measures|segments|changes|candidates``: the portfolio's data files."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from portfolio_cli.candidate_import import CandidateImportOptions, import_candidates
from portfolio_cli.change_import import ChangeImportOptions, import_changes
from portfolio_cli.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    OutputFormat,
    address_option,
    emit_json,
    fail,
    new_app,
    period_option,
)
from portfolio_cli.cmd_options import (
    DEFAULT_USER,
    AssessmentOption,
    FormatOption,
    IntakeOption,
    ReportingOption,
    UserOption,
)
from portfolio_cli.import_output import print_outcome
from portfolio_cli.import_views import (
    candidates_json,
    candidates_text,
    changes_json,
    changes_text,
    failure_lines,
    segments_json,
    segments_text,
)
from portfolio_cli.importer import ImportOptions, import_measures
from portfolio_cli.locations import service_address
from portfolio_cli.segment_import import SegmentImportOptions, import_segments

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


FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Tab-separated file.")
]


def _finish(outcome: Any, file: Path, output: OutputFormat, data: Any, text: str) -> None:
    for line in failure_lines(outcome, str(file)):
        print(line, file=sys.stderr)
    sys.stderr.flush()
    if output is OutputFormat.JSON:
        emit_json(data)
    else:
        print(text)
    raise typer.Exit(EXIT_OK if outcome.ok else EXIT_FAILED)


@app.command("segments")
def segments(
    file: FileArgument,
    period: Annotated[
        str, typer.Option(callback=period_option, help="The portfolio to match against.")
    ] = "2020-03",
    strict_names: Annotated[
        bool,
        typer.Option(help="Match by name only (no second round by agency and strategic area)."),
    ] = False,
    output: FormatOption = OutputFormat.TABLE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
    reporting: ReportingOption = None,
) -> None:
    """Place the period's measures in the segments of a trial table (matched by name)."""
    options = SegmentImportOptions(
        file=file,
        period=period,
        assessment=service_address("assessment", assessment),
        reporting=service_address("reporting", reporting),
        user=user,
        by_context=not strict_names,
    )
    outcome = asyncio.run(import_segments(options))
    _finish(outcome, file, output, segments_json(outcome), segments_text(outcome))


@app.command("changes")
def changes(
    file: FileArgument,
    period: Annotated[
        str, typer.Option(callback=period_option, help="The period the changes lead up to.")
    ],
    previous: Annotated[
        str, typer.Option(callback=period_option, help="The period they are counted from.")
    ],
    timeout: Annotated[
        float, typer.Option(min=0.1, help="Seconds to wait for assessment to show a submission.")
    ] = 60.0,
    output: FormatOption = OutputFormat.TABLE,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
    intake: IntakeOption = None,
) -> None:
    """Apply measures that entered or left the portfolio between --previous and --period."""
    try:
        options = ChangeImportOptions(
            file=file,
            period=period,
            previous=previous,
            assessment=service_address("assessment", assessment),
            intake=service_address("intake", intake),
            user=user,
            timeout_s=timeout,
        )
    except ValueError as exc:
        fail(str(exc), EXIT_USAGE)
    outcome = asyncio.run(import_changes(options))
    _finish(outcome, file, output, changes_json(outcome), changes_text(outcome))


@app.command("candidates")
def candidates(
    file: FileArgument,
    year: Annotated[
        int, typer.Option(min=1900, max=2200, help="The year they are candidates for.")
    ],
    output: FormatOption = OutputFormat.TABLE,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
) -> None:
    """Submit project candidates for next year's portfolio; intake gives each an id."""
    options = CandidateImportOptions(
        file=file, year=year, intake=service_address("intake", intake), user=user
    )
    outcome = asyncio.run(import_candidates(options))
    _finish(outcome, file, output, candidates_json(outcome), candidates_text(outcome))
