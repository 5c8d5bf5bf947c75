"""``portfolio korona ...``: the corona portfolio, from the proposals to the net list and
its money (KoronaService; proposals arrive through intake's SubmitProposal).

The caller is ``--as-agency`` (default Direktoratet for e-helse) in ``--role`` (default
office, which records the prioritisation board's decisions); working groups assess with
``--role working_group``, an agency sets the status of its net-list measures with
``--role agency --as-agency NAME``. The service decides what each may do. Categorise,
route and decide take many proposals at once, all or nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import sys
import uuid
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import Annotated, Any

import typer

from eportfolio.korona.v1 import korona_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.call_errors import UNREACHABLE, explain
from portfolio_cli.caller import Caller, Role
from portfolio_cli.cli_support import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    OutputFormat,
    cli_parser,
    emit_json,
    fail,
    new_app,
)
from portfolio_cli.clients import COMMAND, READ, connect
from portfolio_cli.cmd_options import (
    DEFAULT_AGENCY,
    DEFAULT_USER,
    AsAgencyOption,
    FormatOption,
    IntakeOption,
    KoronaOption,
    ReportingOption,
    RoleOption,
    UserOption,
)
from portfolio_cli.import_views import failure_lines
from portfolio_cli.korona_calls import IDEMPOTENT, all_proposals
from portfolio_cli.korona_import import (
    NetListImportOptions,
    ProposalImportOptions,
    import_netlist,
    import_proposals,
)
from portfolio_cli.korona_json import (
    bulk_json,
    categories_json,
    envelope_json,
    netlist_import_json,
    netlist_json,
    proposal_import_json,
    proposal_json,
    proposals_json,
    similar_list_json,
)
from portfolio_cli.korona_text import (
    bulk_text,
    categories_text,
    envelope_text,
    netlist_import_text,
    netlist_text,
    proposal_import_text,
    proposal_text,
    proposals_text,
    similar_text,
)
from portfolio_cli.korona_values import (
    CRITERIA,
    FEEDBACK_NEEDS_TEXT,
    FUNDING_CHANGES,
    STATES,
    DecisionValue,
    RecommendationValue,
    StateValue,
    StatusValue,
    criterion_name,
    parse_amount,
    parse_category_code,
    parse_decision,
    parse_feedback_kind,
    parse_implementation_status,
    parse_recommendation,
    parse_rfc3339,
    parse_state,
)
from portfolio_cli.locations import service_address
from portfolio_cli.measure_args import CriterionAnswer, parse_criterion
from portfolio_cli.rpc import CallError, FieldViolation, RetryPolicy
from portfolio_cli.shared_data import shared_dir

app = new_app("The corona portfolio: proposals, assessments, decisions, the net list, funding.")
fund_app = new_app("Change the funding envelope (NOK 80 million): allocate, release, commit, pay.")

ProposalId = Annotated[str, typer.Argument(metavar="ID", help="The proposal's id.")]
ProposalIds = Annotated[
    list[str], typer.Argument(metavar="ID...", help="One or more proposal ids.")
]
CategoryOption = Annotated[
    str,
    typer.Option(
        parser=cli_parser(parse_category_code),
        metavar="CODE",
        help="A category code, e.g. 03 or 99A (see `korona categories`).",
    ),
]
FilterCategory = Annotated[
    str | None,
    typer.Option(
        "--category",
        parser=cli_parser(parse_category_code),
        metavar="CODE",
        help="Only this category, e.g. 03 or 99A.",
    ),
]
GroupFilter = Annotated[
    str | None, typer.Option("--group", metavar="GROUP", help="Only this working group.")
]
FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="Tab-separated file.")
]
STATES_HELP = ", ".join(STATES)
CRITERIA_HELP = ", ".join(CRITERIA)
_INDEXED = re.compile(r"^([a-z_]+)\[(\d+)\]")


@app.callback()
def group() -> None:
    """The corona portfolio: proposals, assessments, decisions, the net list, funding.

    Working groups assess with --role working_group; an agency sets the status of its
    net-list measures with --role agency --as-agency NAME; the office does the rest.
    """


app.add_typer(fund_app, name="fund")


@fund_app.callback()
def fund_group() -> None:
    """Change the funding envelope (NOK 80 million): allocate, release, commit, pay.

    Amounts are in million NOK (2,5 or 2.5) and sent as whole kroner.
    """


# --- calling ---------------------------------------------------------------------------


def _shown(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if hasattr(item, "criterion"):
        return criterion_name(item.criterion)
    return None


def field_label(field: str, request: Any) -> str:
    """A violated field with what it held (``proposal_ids[1] (abc)``, ``criteria[2].reason
    (feasible)``), so a bulk command's refusal names the proposal or criterion."""
    match = _INDEXED.match(field)
    if match is None or request is None:
        return field
    try:
        item = getattr(request, match.group(1))[int(match.group(2))]
    except (AttributeError, IndexError, TypeError):
        return field
    shown = _shown(item)
    return f"{field} ({shown})" if shown else field


def annotated(error: CallError, request: Any) -> CallError:
    """``error`` with each field violation labelled by :func:`field_label`."""
    failure = error.failure
    if not failure.violations:
        return error
    violations = tuple(
        FieldViolation(field_label(v.field, request), v.description) for v in failure.violations
    )
    labelled = dataclasses.replace(failure, violations=violations)
    return CallError(error.method, labelled, error.address, error.caller)


def _run(work: Coroutine[Any, Any, Any]) -> Any:
    try:
        return asyncio.run(work)
    except CallError as exc:
        fail(explain(exc))


def _call(
    address: str | None,
    caller: Caller,
    method: str,
    request: Any,
    policy: RetryPolicy = COMMAND,
    hint: Callable[[CallError], str] | None = None,
) -> Any:
    """One KoronaService call as ``caller``; the command ends with one line if it fails."""

    async def work() -> Any:
        async with connect("korona", service_address("korona", address)) as client:
            return await client.call(method, request, caller, policy)

    try:
        return asyncio.run(work())
    except CallError as exc:
        fail(explain(annotated(exc, request)) + (hint(exc) if hint else ""))


def _show(output: OutputFormat, data: Callable[[], Any], text: Callable[[], str]) -> None:
    if output is OutputFormat.JSON:
        emit_json(data())
    else:
        print(text())


def _print_proposal(proposal: Any, output: OutputFormat) -> None:
    _show(output, lambda: proposal_json(proposal), lambda: proposal_text(proposal))


def _print_bulk(result: Any, output: OutputFormat, verb: str) -> None:
    _show(output, lambda: bulk_json(result), lambda: bulk_text(result, verb))


def _unique(ids: list[str]) -> list[str]:
    found: list[str] = []
    for proposal_id in ids:
        text = proposal_id.strip()
        if not text:
            fail("a proposal id is empty", EXIT_USAGE)
        if text not in found:
            found.append(text)
    return found


# --- reading ---------------------------------------------------------------------------


def _list(
    state: StateValue,
    category: str | None,
    working_group: str | None,
    output: OutputFormat,
    caller: Caller,
    korona: str | None,
    heading: str,
) -> None:
    async def work() -> tuple[list[Any], int]:
        async with connect("korona", service_address("korona", korona)) as client:
            return await all_proposals(
                client,
                caller,
                state=state,
                category_code=category or "",
                working_group=working_group or "",
            )

    summaries, total = _run(work())
    _show(
        output,
        lambda: proposals_json(summaries, total),
        lambda: proposals_text(summaries, total, heading),
    )


@app.command("list")
def list_proposals(
    state: Annotated[
        StateValue | None,
        typer.Option(
            parser=cli_parser(parse_state), metavar="STATE", help=f"Only this state: {STATES_HELP}."
        ),
    ] = None,
    category: FilterCategory = None,
    working_group: GroupFilter = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """The proposals, by state, category and working group (every page)."""
    caller = Caller(as_agency, role, user)
    _list(
        state or korona_pb2.PROPOSAL_STATE_UNSPECIFIED,
        category,
        working_group,
        output,
        caller,
        korona,
        "Forslag",
    )


@app.command("backlog")
def backlog(
    category: FilterCategory = None,
    working_group: GroupFilter = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """The proposals nobody has assessed yet (state registered)."""
    caller = Caller(as_agency, role, user)
    state = korona_pb2.PROPOSAL_STATE_REGISTERED
    _list(state, category, working_group, output, caller, korona, "Ikke behandlet")


@app.command("show")
def show(
    proposal_id: ProposalId,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """One proposal: who sent it, its category, assessment, decision, feedback, net list."""
    request = korona_pb2.GetProposalRequest(proposal_id=proposal_id.strip())
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "GetProposal", request, READ), output)


@app.command("similar")
def similar(
    text: Annotated[str, typer.Argument(help="What to look for, e.g. a proposal's title.")],
    limit: Annotated[int, typer.Option(min=1, max=20, help="At most this many.")] = 5,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Earlier proposals, national-portfolio measures and net-list measures like TEXT."""
    if not text.strip():
        fail("give a text to look for", EXIT_USAGE)
    request = korona_pb2.FindSimilarRequest(text=text.strip(), limit=limit)
    caller = Caller(as_agency, role, user)
    answer = _call(korona, caller, "FindSimilar", request, READ)
    _show(output, lambda: similar_list_json(text, answer), lambda: similar_text(text, answer))


@app.command("categories")
def categories(
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """The proposal categories and the working group each is routed to."""
    caller = Caller(as_agency, role, user)
    answer = _call(korona, caller, "ListCategories", korona_pb2.ListCategoriesRequest(), READ)
    _show(output, lambda: categories_json(answer), lambda: categories_text(answer))


# --- triage, assessment, decision --------------------------------------------------------


@app.command("categorise")
def categorise(
    proposal_ids: ProposalIds,
    category: CategoryOption,
    reason: Annotated[str, typer.Option(help="Why it belongs there.")],
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Put proposals in a category (all or none of them)."""
    request = korona_pb2.CategoriseRequest(
        proposal_ids=_unique(proposal_ids), category_code=category, reason=reason
    )
    caller = Caller(as_agency, role, user)
    _print_bulk(_call(korona, caller, "Categorise", request), output, "Kategorisert")


@app.command("route")
def route(
    proposal_ids: ProposalIds,
    working_group: Annotated[
        str,
        typer.Option(
            "--group", metavar="GROUP", help="Default: the group the category is routed to."
        ),
    ] = "",
    reason: Annotated[str, typer.Option(help="Why this group.")] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Send proposals to a working group for assessment (all or none of them)."""
    request = korona_pb2.RouteRequest(
        proposal_ids=_unique(proposal_ids), working_group=working_group.strip(), reason=reason
    )
    caller = Caller(as_agency, role, user)
    _print_bulk(_call(korona, caller, "Route", request), output, "Sendt til vurdering")


def check_korona_criteria(answers: Sequence[CriterionAnswer]) -> list[str]:
    """Problems with a working group's answers: unknown, repeated or missing criteria."""
    keys = [a.criterion for a in answers]
    problems = [f"criterion {k} is given twice" for k in sorted(set(keys)) if keys.count(k) > 1]
    problems += [
        f"criterion {k!r} is not one of the four (use {CRITERIA_HELP})"
        for k in keys
        if k not in CRITERIA
    ]
    problems += [f"criterion {k} is missing" for k in CRITERIA if k not in keys]
    return problems


def assess_request(
    proposal_id: str,
    answers: Sequence[CriterionAnswer],
    recommendation: RecommendationValue,
    note: str,
) -> korona_pb2.AssessRequest:
    """Assess with each criterion met or not and why, and a recommendation."""
    return korona_pb2.AssessRequest(
        proposal_id=proposal_id,
        criteria=[
            korona_pb2.CriterionAnswer(criterion=CRITERIA[a.criterion], met=a.met, reason=a.reason)
            for a in answers
        ],
        recommendation=recommendation,
        note=note,
    )


@app.command("assess")
def assess(
    proposal_id: ProposalId,
    criteria: Annotated[
        list[CriterionAnswer],
        typer.Option(
            "--criterion",
            parser=cli_parser(parse_criterion),
            metavar="KEY=yes|no[:REASON]",
            help=f"Each of the four once: {CRITERIA_HELP}; ja/nei for yes/no.",
        ),
    ],
    recommend: Annotated[
        RecommendationValue,
        typer.Option(
            parser=cli_parser(parse_recommendation),
            metavar="RECOMMENDATION",
            help="prioritise, not_prioritise or defer (prioriter, ikke_prioriter, utsett).",
        ),
    ],
    note: Annotated[str, typer.Option(help="A note for the board.")] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """A working group's assessment against the four criteria, with a recommendation.

    Working groups call it with --role working_group (and --as-agency their agency).
    """
    problems = check_korona_criteria(criteria)
    if problems:
        fail("; ".join(problems), EXIT_USAGE)
    request = assess_request(proposal_id.strip(), criteria, recommend, note)
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "Assess", request), output)


def decide_request(
    proposal_ids: list[str],
    decision: DecisionValue,
    reason: str,
    reference: str,
    decided_at: str,
) -> korona_pb2.DecideRequest:
    """The board's decision on proposals."""
    return korona_pb2.DecideRequest(
        proposal_ids=proposal_ids,
        decision=decision,
        reason=reason,
        reference=reference,
        decided_at=decided_at,
    )


@app.command("decide")
def decide(
    proposal_ids: ProposalIds,
    decision: Annotated[
        DecisionValue,
        typer.Option(
            parser=cli_parser(parse_decision),
            metavar="DECISION",
            help="prioritised, not_prioritised or deferred (prioritert, ikke_prioritert, utsatt).",
        ),
    ],
    reason: Annotated[str, typer.Option(help="Why (goes to the proposers).")],
    reference: Annotated[
        str, typer.Option(metavar="REF", help="The board meeting or case, e.g. 'PS 2020-05-05'.")
    ] = "",
    decided_at: Annotated[
        str | None,
        typer.Option(
            parser=cli_parser(parse_rfc3339),
            metavar="TIME",
            help="When the board decided (ISO 8601; without offset Norwegian time). Default now.",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Record the prioritisation board's decision on proposals (all or none of them)."""
    request = decide_request(_unique(proposal_ids), decision, reason, reference, decided_at or "")
    caller = Caller(as_agency, role, user)
    _print_bulk(_call(korona, caller, "Decide", request), output, "Besluttet")


@app.command("reopen")
def reopen(
    proposal_id: ProposalId,
    reason: Annotated[str, typer.Option(help="Why it is taken up again.")],
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Take a deferred or not prioritised proposal up again."""
    request = korona_pb2.ReopenRequest(proposal_id=proposal_id.strip(), reason=reason)
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "Reopen", request), output)


@app.command("feedback")
def feedback(
    proposal_id: ProposalId,
    kind: Annotated[
        str,
        typer.Option(
            parser=cli_parser(parse_feedback_kind),
            metavar="KIND",
            help="received, prioritised, not_prioritised, deferred, reopened, covered or message.",
        ),
    ],
    text: Annotated[
        str,
        typer.Option(help="For message: the text; for covered: what covers the need."),
    ] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Send the proposer feedback from a template, or a message."""
    if kind in FEEDBACK_NEEDS_TEXT and not text.strip():
        what = "the message" if kind == "message" else "what covers the need"
        fail(f"--kind {kind} needs --text ({what})", EXIT_USAGE)
    request = korona_pb2.GiveFeedbackRequest(proposal_id=proposal_id.strip(), kind=kind, text=text)
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "GiveFeedback", request), output)


# --- the net list ------------------------------------------------------------------------


@app.command("netlist")
def netlist(
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """The net list: the prioritised measures, who is responsible, how far each has come."""
    caller = Caller(as_agency, role, user)
    found = _call(korona, caller, "ListNetList", korona_pb2.ListNetListRequest(), READ)
    _show(output, lambda: netlist_json(found), lambda: netlist_text(found))


@app.command("set-status")
def set_status(
    proposal_id: ProposalId,
    status: Annotated[
        StatusValue,
        typer.Option(
            parser=cli_parser(parse_implementation_status),
            metavar="STATUS",
            help="planned, being_introduced, introduced or in_operation"
            " (planlagt, under_innføring, innført, i_drift).",
        ),
    ],
    agency: Annotated[
        str,
        typer.Option("--agency", metavar="NAME", help="The responsible agency, if it changes."),
    ] = "",
    note: Annotated[str, typer.Option(help="A note on the status.")] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Set a net-list measure's implementation status.

    The responsible agency does it with --role agency --as-agency NAME.
    """
    request = korona_pb2.SetImplementationStatusRequest(
        proposal_id=proposal_id.strip(),
        status=status,
        responsible_agency=agency.strip(),
        note=note,
    )
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "SetImplementationStatus", request), output)


@app.command("promote")
def promote(
    proposal_id: ProposalId,
    note: Annotated[str, typer.Option(help="A note for the portfolio office.")] = "",
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Promote a prioritised measure into the national portfolio (assessment registers it)."""
    request = korona_pb2.PromoteRequest(proposal_id=proposal_id.strip(), note=note)
    caller = Caller(as_agency, role, user)
    _print_proposal(_call(korona, caller, "Promote", request), output)


@app.command("import-netlist")
def import_netlist_command(
    file: FileArgument,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """Put the measures of a net-list file on the net list (korona-nettoliste-2020.tsv:
    name, described_in, notes_from_source; optionally responsible_agency and status,
    planned unless given). Importing it again adds nothing."""
    options = NetListImportOptions(
        file=file,
        korona=service_address("korona", korona),
        caller=Caller(as_agency, role, user),
    )
    outcome = asyncio.run(import_netlist(options))
    _finish(outcome, file, output, netlist_import_json, netlist_import_text)


# --- proposals in bulk -------------------------------------------------------------------


def _finish(
    outcome: Any,
    file: Path,
    output: OutputFormat,
    data: Callable[[Any], Any],
    text: Callable[[Any], str],
) -> None:
    for line in failure_lines(outcome, str(file)):
        print(line, file=sys.stderr)
    sys.stderr.flush()
    _show(output, lambda: data(outcome), lambda: text(outcome))
    raise typer.Exit(EXIT_OK if outcome.ok else EXIT_FAILED)


@app.command("import-proposals")
def import_proposals_command(
    file: FileArgument,
    wait: Annotated[
        bool,
        typer.Option(
            help="Wait until korona holds every imported proposal and the corona report"
            " counts the new ones."
        ),
    ] = False,
    timeout: Annotated[float, typer.Option(min=0.1, help="Seconds --wait waits.")] = 60.0,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    korona: KoronaOption = None,
    reporting: ReportingOption = None,
) -> None:
    """Submit each row of a proposals file through intake; print refused rows and a summary.

    Columns: received_at (ISO 8601; without offset Norwegian time), proposer, organisation,
    organisation_type (public|private), title (required), description, category_code (as in
    `korona categories`), target_groups (comma-separated citizens, health_personnel,
    authorities; or innbyggere, helsepersonell, myndigheter); optionally contact, need.
    Rows it cannot take are printed as FILE:LINE: column C: reason; the others are still
    submitted, and the exit code is 1 if any row failed. Each row's idempotency key comes
    from its content, so importing the file again (as the same --as-agency) changes nothing.
    """
    options = ProposalImportOptions(
        file=file,
        intake=service_address("intake", intake),
        korona=service_address("korona", korona),
        reporting=service_address("reporting", reporting),
        caller=Caller(as_agency, role, user),
        wait=wait,
        timeout_s=timeout,
        shared=shared_dir(),
    )
    outcome = asyncio.run(import_proposals(options))
    if outcome.categories_from and not outcome.categories_from.startswith("korona"):
        print(
            f"note: korona did not list its categories; codes checked against"
            f" {outcome.categories_from}",
            file=sys.stderr,
        )
    _finish(outcome, file, output, proposal_import_json, proposal_import_text)


# --- funding -----------------------------------------------------------------------------


def funding_key(change: str, proposal_id: str, amount_nok: int) -> str:
    """A fresh idempotency key for one change: its arguments and a new uuid."""
    return f"cli-fund:{change}:{proposal_id}:{amount_nok}:{uuid.uuid4().hex}"


def funding_request(
    change: str, proposal_id: str, amount_nok: int, reason: str, key: str
) -> korona_pb2.ChangeFundingRequest:
    """ChangeFunding: ``change`` (allocate, release, commit, pay) of ``amount_nok``."""
    return korona_pb2.ChangeFundingRequest(
        idempotency_key=key,
        change=FUNDING_CHANGES[change],
        proposal_id=proposal_id,
        amount_nok=amount_nok,
        reason=reason,
    )


def _retry_hint(key: str) -> Callable[[CallError], str]:
    def hint(error: CallError) -> str:
        if error.failure.code in {*UNREACHABLE, "UNKNOWN", "INTERNAL", "ABORTED"}:
            return f"; it may or may not have been made: send it again with --key {key}"
        return ""

    return hint


KEY_HELP = (
    "Idempotency key. Korona makes a change once however often the same key arrives: if you"
    " cannot tell whether a change went through (a timeout, a lost connection), send it again"
    " with the same --key. Default: the arguments and a fresh uuid (printed), so every run"
    " is a new change."
)
FUND_HELP = {
    "allocate": "Set money aside for a prioritised measure.",
    "release": "Give back part of an allocation that is not committed.",
    "commit": "Commit part of an allocation (a contract, an order).",
    "pay": "Pay part of a commitment.",
}


def _fund_command(change: str) -> None:
    def command(
        proposal_id: ProposalId,
        amount: Annotated[
            int,
            typer.Argument(
                parser=cli_parser(parse_amount),
                metavar="AMOUNT_MNOK",
                help="Million NOK, e.g. 2,5 or 2.5.",
            ),
        ],
        reason: Annotated[str, typer.Option(help="Why.")],
        key: Annotated[str | None, typer.Option(metavar="KEY", help=KEY_HELP)] = None,
        output: FormatOption = OutputFormat.TABLE,
        as_agency: AsAgencyOption = DEFAULT_AGENCY,
        role: RoleOption = Role.OFFICE,
        user: UserOption = DEFAULT_USER,
        korona: KoronaOption = None,
    ) -> None:
        target = proposal_id.strip()
        if key is not None and not key.strip():
            fail("--key is empty", EXIT_USAGE)
        chosen = key.strip() if key else funding_key(change, target, amount)
        request = funding_request(change, target, amount, reason, chosen)
        caller = Caller(as_agency, role, user)
        envelope = _call(
            korona, caller, "ChangeFunding", request, IDEMPOTENT, hint=_retry_hint(chosen)
        )
        _show(
            output,
            lambda: envelope_json(envelope, chosen),
            lambda: envelope_text(envelope, chosen),
        )

    command.__doc__ = FUND_HELP[change] + " Prints the envelope after the change."
    fund_app.command(change)(command)


for _change in FUNDING_CHANGES:
    _fund_command(_change)


@app.command("envelope")
def envelope(
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = DEFAULT_AGENCY,
    role: RoleOption = Role.OFFICE,
    user: UserOption = DEFAULT_USER,
    korona: KoronaOption = None,
) -> None:
    """The funding envelope: total, allocated, committed, paid, left, and per measure."""
    caller = Caller(as_agency, role, user)
    found = _call(korona, caller, "GetEnvelope", korona_pb2.GetEnvelopeRequest(), READ)
    _show(output, lambda: envelope_json(found), lambda: envelope_text(found))
