"""``portfolio audit ...``: what an auditor reads from every service's ``AuditService``.

Each measure's and proposal's history with who, when and why; its state at any version
or moment and what changed between two; the portfolio rebuilt at a moment; the log of
every call a service answered; and the tamper evidence: ``verify`` recomputes every hash
of every stored row here, ``export-head`` keeps the services' signed tree heads in a file
and ``check-head`` proves later that the logs still extend them.

The caller is ``--as-agency`` (default Riksrevisjonen) in ``--role auditor``; the services
answer the auditor role only. Addresses as for every command: ``--assessment`` (etc.),
the running stack's ``var/run/stack.json``, ``$PORTFOLIO_<NAME>_ADDR``, the default port.

Exit codes: 0 ok; 1 a call failed or (``verify``, ``export-head``, ``check-head``) the
evidence shows tampering; 2 the command line was wrong or (those three) a service could
not be checked at all (unreachable, refused), so there is no verdict.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Coroutine, Sequence
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer

from audit_log.heads import HeadFileError, SignedTreeHead, read_head_file, write_head_file
from audit_log.heads import utc_timestamp as head_timestamp
from eportfolio.audit.v1 import audit_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.audit_json import call_json, diff_json, event_json, state_json
from portfolio_cli.audit_points import (
    POINT_HELP,
    AuditPoint,
    axis_of,
    parse_moment_point,
    parse_point,
    parse_since,
    parse_until,
    utc_text,
)
from portfolio_cli.audit_progress import Progress, wanted
from portfolio_cli.audit_report import (
    check_json,
    check_line,
    export_lines,
    verdict_json,
    verdict_lines,
)
from portfolio_cli.audit_text import (
    calls_text,
    diff_text,
    history_text,
    moment_nb,
    portfolio_text,
    state_text,
)
from portfolio_cli.audit_verify import (
    REFUSALS,
    HeadCheck,
    ServiceVerdict,
    check_held_head,
    signed_head,
    verify_service,
)
from portfolio_cli.call_errors import explain
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
from portfolio_cli.clients import connect_audit
from portfolio_cli.cmd_options import (
    DEFAULT_USER,
    AssessmentOption,
    FormatOption,
    IntakeOption,
    KoronaOption,
    ReportingOption,
    RoleOption,
    UserOption,
)
from portfolio_cli.locations import SERVICE_NAMES, service_address
from portfolio_cli.rpc import CallError

T = TypeVar("T")

AUDITOR_AGENCY = "Riksrevisjonen"
EXIT_BROKEN = EXIT_FAILED
"""verify, export-head, check-head: the evidence shows tampering."""
EXIT_UNCHECKED = EXIT_USAGE
"""verify, export-head, check-head: no verdict (a service unreachable or refusing)."""

NOW = parse_point("now")
app = new_app("Audit: histories, past states, the call log, and the tamper evidence.")


class StoreService(StrEnum):
    """A service that keeps aggregates (and answers histories)."""

    INTAKE = "intake"
    ASSESSMENT = "assessment"
    KORONA = "korona"


class PortfolioService(StrEnum):
    """A service that rebuilds a portfolio."""

    ASSESSMENT = "assessment"
    KORONA = "korona"


class AnyService(StrEnum):
    """Any of the four services (each keeps a tamper-evident log and a call log)."""

    INTAKE = "intake"
    ASSESSMENT = "assessment"
    KORONA = "korona"
    REPORTING = "reporting"


SubjectArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID", help="A portfolio id (e.g. 160) or a proposal id.", show_default=False
    ),
]
StoreServiceOption = Annotated[
    StoreService | None,
    typer.Option(
        "--service",
        help="Whose streams: default assessment for a portfolio id (digits), korona for a "
        "proposal id; intake keeps what arrived.",
        show_default=False,
    ),
]
ServicesOption = Annotated[
    list[AnyService] | None,
    typer.Option("--service", help="Only this service (repeatable). Default: all four."),
]
TypeOption = Annotated[
    str | None,
    typer.Option(
        "--type",
        metavar="AGGREGATE_TYPE",
        help="Which of the subject's streams, e.g. Measure or MeasureIntake. Default: the "
        "service's main one.",
    ),
]
AtOption = Annotated[
    AuditPoint | None,
    typer.Option(
        "--at",
        parser=cli_parser(parse_point),
        metavar="T|vN",
        help=f"{POINT_HELP} Default: now.",
        show_default=False,
    ),
]
RecordedOption = Annotated[
    bool,
    typer.Option(
        "--recorded",
        help="Read the moments as when the system recorded the facts, not when they held "
        "in the domain (a report's own date, a decision's).",
    ),
]
ProgressOption = Annotated[
    bool,
    typer.Option("--progress", help="Show progress on stderr even when stderr is not a terminal."),
]
AsAgencyOption = Annotated[
    str, typer.Option("--as-agency", metavar="NAME", help="The agency you audit for (x-agency).")
]


@app.callback()
def group() -> None:
    """Audit: histories, past states, the call log, and the tamper evidence.

    Calls as --role auditor for --as-agency (default Riksrevisjonen). A time without an
    offset is Norwegian time; a date means the end of that day (Norwegian time).
    """


class AuditError(Exception):
    """A command ends with one line (``error: ...``) and this exit code."""

    def __init__(self, message: str, code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def _addresses(
    intake: str | None, assessment: str | None, korona: str | None, reporting: str | None
) -> dict[str, str | None]:
    return {"intake": intake, "assessment": assessment, "korona": korona, "reporting": reporting}


def _caller(agency: str, role: Role, user: str) -> Caller:
    if not agency.strip():
        fail("--as-agency is empty", EXIT_USAGE)
    return Caller(agency.strip(), role, user)


def _subject(text: str) -> str:
    subject = text.strip()
    if not subject:
        fail("the ID is empty: give a portfolio id (e.g. 160) or a proposal id", EXIT_USAGE)
    return subject


def default_service(subject: str) -> str:
    """Where a subject's main stream lives: assessment for a portfolio id, else korona."""
    return StoreService.ASSESSMENT.value if subject.isdigit() else StoreService.KORONA.value


def _explained(service: str, error: CallError) -> str:
    return f"{service}: {explain(error)}"


def _run(work: Coroutine[Any, Any, T], service: str) -> T:
    """Run ``work``; a failed call or an AuditError ends the command with one line."""
    try:
        return asyncio.run(work)
    except CallError as exc:
        fail(_explained(service, exc))
    except AuditError as exc:
        fail(exc.message, exc.code)


def _show(output: OutputFormat, data: Any, text: str) -> None:
    if output is OutputFormat.JSON:
        emit_json(data)
    else:
        print(text)


async def _collect(messages: AsyncIterator[Any], progress: Progress) -> list[Any]:
    found: list[Any] = []
    try:
        async for message in messages:
            found.append(message)
            progress.step()
    except BaseException:
        progress.abort()
        raise
    progress.done()
    return found


def _no_streams(service: str, subject: str) -> AuditError:
    other = "intake" if service != "intake" else default_service(subject)
    return AuditError(f"{service} keeps no events about {subject!r} (try --service {other})")


def _stream_total(streams: Sequence[Any], aggregate_type: str | None) -> int | None:
    if aggregate_type:
        chosen = [s for s in streams if str(s.aggregate_type) == aggregate_type]
    else:
        main = {"Measure", "Proposal"}
        chosen = [s for s in streams if str(s.aggregate_type) in main] or list(streams)
    return int(chosen[0].version) if len(chosen) == 1 else None


# --- history, state, diff ----------------------------------------------------------------


@app.command("history")
def history(
    subject: SubjectArgument,
    service: StoreServiceOption = None,
    aggregate_type: TypeOption = None,
    output: FormatOption = OutputFormat.TABLE,
    progress: ProgressOption = False,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
) -> None:
    """Every event of a measure or proposal, oldest first: what, when, who and why.

    JSON: a list of events with type, version, held_at, recorded_at, actor, reason,
    data (the event's fields), correlation_id, causation_id, position, schema_version
    and stream.
    """
    subject = _subject(subject)
    name = service.value if service else default_service(subject)
    address = service_address(name, _addresses(intake, assessment, korona, None)[name])
    caller = _caller(as_agency, role, user)
    kind = (aggregate_type or "").strip()

    async def work() -> list[Any]:
        async with connect_audit(name, address) as client:
            found = await client.call(
                "FindStreams", audit_pb2.FindStreamsRequest(subject=subject), caller
            )
            streams = list(found.streams)
            if not streams:
                raise _no_streams(name, subject)
            types = sorted({str(s.aggregate_type) for s in streams})
            if kind and kind not in types:
                raise AuditError(
                    f"{name} keeps no {kind} stream about {subject!r}; it keeps: "
                    + ", ".join(types)
                )
            meter = Progress(
                name,
                "events",
                _stream_total(streams, kind or None),
                enabled=wanted(progress),
            )
            selector = audit_pb2.StreamSelector(subject=subject, aggregate_type=kind)
            return await _collect(client.stream("History", selector, caller), meter)

    events = _run(work(), name)
    _show(
        output,
        [event_json(e) for e in events],
        history_text(events, f"{kind or 'ID'} {subject} ({name})"),
    )


def _selector(subject: str, aggregate_type: str | None) -> Any:
    return audit_pb2.StreamSelector(subject=subject, aggregate_type=(aggregate_type or "").strip())


def _fixed(point: AuditPoint | None) -> AuditPoint:
    """``now`` (or no point) as the moment of the command, so what is sent is what is shown."""
    if point is None or (point.version is None and point.moment is None):
        return AuditPoint("now", moment=datetime.now(UTC))
    return point


def _asked(point: AuditPoint) -> str:
    if point.version is not None:
        return f"versjon {point.version}"
    return moment_nb(point.moment)


@app.command("state")
def state(
    subject: SubjectArgument,
    at: AtOption = None,
    recorded: RecordedOption = False,
    service: StoreServiceOption = None,
    aggregate_type: TypeOption = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
) -> None:
    """A measure's or proposal's state at a version (--at v4) or a moment (--at 2020-06-30:
    the end of that day in Norwegian time), replayed from its events."""
    subject = _subject(subject)
    at = _fixed(at)
    name = service.value if service else default_service(subject)
    address = service_address(name, _addresses(intake, assessment, korona, None)[name])
    caller = _caller(as_agency, role, user)
    request = audit_pb2.StateAtRequest(
        stream=_selector(subject, aggregate_type), at=at.to_proto(recorded)
    )

    async def work() -> Any:
        async with connect_audit(name, address) as client:
            return await client.call("StateAt", request, caller)

    answer = _run(work(), name)
    data = {"at": at.to_json(recorded), **state_json(answer)}
    _show(output, data, state_text(answer, _asked(at)))


@app.command("diff")
def diff(
    subject: SubjectArgument,
    from_point: Annotated[
        AuditPoint,
        typer.Option("--from", parser=cli_parser(parse_point), metavar="T|vN", help=POINT_HELP),
    ],
    to_point: Annotated[
        AuditPoint | None,
        typer.Option(
            "--to",
            parser=cli_parser(parse_point),
            metavar="T|vN",
            help="As --from. Default: now.",
            show_default=False,
        ),
    ] = None,
    recorded: RecordedOption = False,
    service: StoreServiceOption = None,
    aggregate_type: TypeOption = None,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
) -> None:
    """What changed between two points (field by field, as JSON Pointer paths) and the
    events in between. A date is the end of that day, so --from 2020-03-31 --to 2020-06-30
    is the second quarter."""
    subject = _subject(subject)
    from_point, to_point = _fixed(from_point), _fixed(to_point)
    name = service.value if service else default_service(subject)
    address = service_address(name, _addresses(intake, assessment, korona, None)[name])
    caller = _caller(as_agency, role, user)
    _check_order(from_point, to_point)
    request = audit_pb2.DiffRequest(
        stream=_selector(subject, aggregate_type),
        to=to_point.to_proto(recorded),
        **{"from": from_point.to_proto(recorded)},
    )

    async def work() -> Any:
        async with connect_audit(name, address) as client:
            return await client.call("Diff", request, caller)

    answer = _run(work(), name)
    asked = {"from": from_point.to_json(recorded), "to": to_point.to_json(recorded)}
    _show(
        output,
        diff_json(answer, asked),
        diff_text(answer, _asked(from_point), _asked(to_point)),
    )


def _check_order(first: AuditPoint, second: AuditPoint) -> None:
    """Both versions or both moments: the first must not come after the second."""
    versions = first.version is not None and second.version is not None
    if versions and int(first.version or 0) > int(second.version or 0):
        fail(f"--from {first.text} comes after --to {second.text}", EXIT_USAGE)
    if first.moment and second.moment and first.moment > second.moment:
        fail(f"--from {first.text} comes after --to {second.text}", EXIT_USAGE)


# --- the portfolio at a moment ----------------------------------------------------------


@app.command("portfolio")
def portfolio(
    at: Annotated[
        AuditPoint | None,
        typer.Option(
            "--at",
            parser=cli_parser(parse_moment_point),
            metavar="T",
            help="A date 2020-06-30 (its end), a month, a time (Norwegian time unless it has "
            "an offset) or now. Default: now.",
            show_default=False,
        ),
    ] = None,
    recorded: RecordedOption = False,
    service: Annotated[
        PortfolioService,
        typer.Option(
            "--service",
            help="assessment: the national portfolio's measures; korona: the corona "
            "portfolio's proposals.",
        ),
    ] = PortfolioService.ASSESSMENT,
    output: FormatOption = OutputFormat.TABLE,
    progress: ProgressOption = False,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
) -> None:
    """The portfolio as it stood at a moment, rebuilt from the events: the measures
    (assessment), or with --service korona the corona proposals. JSON: the states."""
    at = at or NOW
    name = service.value
    address = service_address(name, korona if name == "korona" else assessment)
    caller = _caller(as_agency, role, user)
    request = audit_pb2.PortfolioAtRequest(moment=at.wire_moment(), axis=axis_of(recorded))
    unit = "proposals" if name == "korona" else "measures"

    async def work() -> list[Any]:
        async with connect_audit(name, address) as client:
            meter = Progress(name, unit, enabled=wanted(progress))
            return await _collect(client.stream("PortfolioAt", request, caller), meter)

    states = _run(work(), name)
    _show(
        output,
        [state_json(s) for s in states],
        portfolio_text(states, name, _asked(at), recorded),
    )


# --- the call log -----------------------------------------------------------------------


def _services(chosen: list[AnyService] | None) -> list[str]:
    if not chosen:
        return list(SERVICE_NAMES)
    return [s for s in SERVICE_NAMES if s in {c.value for c in chosen}]


@app.command("calls")
def calls(
    service: ServicesOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            parser=cli_parser(parse_since),
            metavar="T",
            help="From this moment (a date: from its start), Norwegian time unless given.",
        ),
    ] = None,
    until: Annotated[
        datetime | None,
        typer.Option(
            parser=cli_parser(parse_until), metavar="T", help="Up to this moment (a date: its end)."
        ),
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Only this agency's calls.")] = None,
    correlation_id: Annotated[
        str | None, typer.Option("--correlation-id", help="Only the calls of this request.")
    ] = None,
    method: Annotated[str | None, typer.Option(help="Only this method, e.g. MoveMeasure.")] = None,
    limit: Annotated[int, typer.Option(min=0, help="At most this many per service (0: all).")] = 0,
    output: FormatOption = OutputFormat.TABLE,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
    reporting: ReportingOption = None,
) -> None:
    """The gRPC calls the services answered (who, what, outcome), oldest first; of all
    four services merged by time unless --service says which."""
    addresses = _addresses(intake, assessment, korona, reporting)
    caller = _caller(as_agency, role, user)
    if since is not None and until is not None and since > until:
        fail("--since comes after --until", EXIT_USAGE)
    request = audit_pb2.ListCallsRequest(
        since=utc_text(since) if since else "",
        until=utc_text(until) if until else "",
        agency=(agency or "").strip(),
        correlation_id=(correlation_id or "").strip(),
        method=(method or "").strip(),
        limit=limit,
    )
    names = _services(service)
    found: list[Any] = []
    for name in names:

        async def work(name: str = name) -> list[Any]:
            async with connect_audit(name, service_address(name, addresses[name])) as client:
                return [r async for r in client.stream("ListCalls", request, caller)]

        found += _run(work(), name)
    found.sort(key=lambda r: (_moment_key(str(r.at)), _rank(names, str(r.service)), int(r.seq)))
    _show(output, [call_json(r) for r in found], calls_text(found))


def _rank(names: Sequence[str], service: str) -> int:
    return names.index(service) if service in names else len(names)


def _moment_key(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- the tamper evidence ------------------------------------------------------------------


def _unchecked(error: CallError) -> str:
    """Why a service could not be checked (its name is said where this is shown)."""
    return explain(error)


def _read_heads(path: Path) -> list[SignedTreeHead]:
    try:
        return read_head_file(path)
    except HeadFileError as exc:
        fail(exc.message, EXIT_USAGE)


@app.command("verify")
def verify(
    service: ServicesOption = None,
    head: Annotated[
        Path | None,
        typer.Option(
            "--head",
            metavar="FILE",
            help="Heads exported earlier (export-head): the logs must still match them.",
        ),
    ] = None,
    output: FormatOption = OutputFormat.TABLE,
    progress: ProgressOption = False,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
    reporting: ReportingOption = None,
) -> None:
    """Recompute every hash of every stored event, log entry and call record, here.

    Exit 0 when every service is intact, 1 when anything is broken (each finding names the
    service, the aggregate and the version), 2 when a service could not be checked.
    """
    addresses = _addresses(intake, assessment, korona, reporting)
    caller = _caller(as_agency, role, user)
    held = _read_heads(head) if head is not None else []
    show = wanted(progress)
    verdicts: list[ServiceVerdict] = []
    for name in _services(service):
        mine = [h for h in held if h.head.service == name]

        async def work(name: str = name, mine: list[SignedTreeHead] = mine) -> ServiceVerdict:
            async with connect_audit(name, service_address(name, addresses[name])) as client:
                meter = Progress(name, "records", enabled=show)
                return await verify_service(client, caller, mine, meter)

        try:
            verdicts.append(asyncio.run(work()))
        except CallError as exc:
            verdicts.append(ServiceVerdict(name, unchecked=_unchecked(exc)))
        if output is OutputFormat.TABLE:
            print("\n".join(verdict_lines(verdicts[-1], len(mine))), flush=True)
    if output is OutputFormat.JSON:
        emit_json(verdict_json(verdicts, len(held)))
    _verify_exit(verdicts)


def _verify_exit(verdicts: Sequence[ServiceVerdict]) -> NoReturn:
    broken = [v for v in verdicts if v.broken]
    unchecked = [v for v in verdicts if v.unchecked]
    if broken:
        parts = []
        for v in broken:
            assert v.verdict is not None
            first = v.verdict.findings[0].message
            more = len(v.verdict.findings) - 1
            parts.append(f"{v.service}: {first}" + (f" (and {more} more)" if more else ""))
        fail("tampering found: " + "; ".join(parts), EXIT_BROKEN)
    if unchecked:
        names = ", ".join(v.service for v in unchecked)
        fail(f"not verified: {names} could not be checked", EXIT_UNCHECKED)
    raise typer.Exit(EXIT_OK)


def _default_head_file() -> Path:
    return Path(f"audit-heads-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json")


@app.command("export-head")
def export_head(
    output_file: Annotated[
        Path | None,
        typer.Option(
            "--output",
            metavar="FILE",
            help="Where to keep the heads. Default: audit-heads-<UTC time>.json here.",
        ),
    ] = None,
    service: ServicesOption = None,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
    reporting: ReportingOption = None,
) -> None:
    """Keep every service's signed tree head in a file (each signature checked first), to
    prove with check-head or verify --head later that the logs were not rewritten."""
    addresses = _addresses(intake, assessment, korona, reporting)
    caller = _caller(as_agency, role, user)
    path = output_file or _default_head_file()
    if path.exists():
        fail(f"{path} exists already; choose another --output", EXIT_USAGE)
    heads: list[SignedTreeHead] = []
    for name in _services(service):

        async def work(name: str = name) -> Any:
            async with connect_audit(name, service_address(name, addresses[name])) as client:
                return await client.call("TreeHead", audit_pb2.TreeHeadRequest(), caller)

        try:
            message = asyncio.run(work())
        except CallError as exc:
            fail(f"{_explained(name, exc)}; no head file written", EXIT_UNCHECKED)
        try:
            signed = signed_head(message)
        except ValueError as exc:
            fail(f"{name}: the service's head is malformed ({exc}); no head file written")
        if not signed.verify():
            fail(
                f"{name}: the signature of the service's head does not verify; no head file "
                "written",
                EXIT_BROKEN,
            )
        if signed.head.service != name:
            fail(
                f"{name}: the service signed a head of {signed.head.service!r}; no head file "
                "written",
                EXIT_BROKEN,
            )
        heads.append(signed)
    try:
        write_head_file(path, heads, exported_at=head_timestamp())
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}")
    print("\n".join(export_lines(heads)))
    print(f"wrote {path} ({len(heads)} heads)", file=sys.stderr)


@app.command("check-head")
def check_head(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A head file written by export-head.")
    ],
    service: ServicesOption = None,
    output: FormatOption = OutputFormat.TABLE,
    progress: ProgressOption = False,
    as_agency: AsAgencyOption = AUDITOR_AGENCY,
    role: RoleOption = Role.AUDITOR,
    user: UserOption = DEFAULT_USER,
    intake: IntakeOption = None,
    assessment: AssessmentOption = None,
    korona: KoronaOption = None,
    reporting: ReportingOption = None,
) -> None:
    """Prove that each service's log and call log still extend the heads kept in FILE,
    under the same signing key (RFC 6962 consistency proofs, verified here).

    Exit 0 when every head is consistent, 1 when one is not, 2 when a service could not
    be checked.
    """
    addresses = _addresses(intake, assessment, korona, reporting)
    caller = _caller(as_agency, role, user)
    names = _services(service)
    held = [h for h in _read_heads(file) if h.head.service in names]
    if not held:
        fail(f"{file} holds no head of {', '.join(names)}", EXIT_USAGE)
    meter = Progress("check-head", "heads", len(held), enabled=wanted(progress))
    checks: list[HeadCheck] = []
    for one in held:
        checks.append(_check_one(one, addresses, caller))
        meter.step()
        if output is OutputFormat.TABLE:
            print(check_line(checks[-1]), flush=True)
    meter.done()
    if output is OutputFormat.JSON:
        emit_json(check_json(checks))
    failed = [c for c in checks if c.problems]
    unchecked = [c for c in checks if c.unchecked]
    if failed:
        fail(
            "not consistent: " + "; ".join(f"{c.service}: {c.problems[0]}" for c in failed),
            EXIT_BROKEN,
        )
    if unchecked:
        fail(
            "not checked: " + ", ".join(sorted({c.service for c in unchecked})),
            EXIT_UNCHECKED,
        )
    raise typer.Exit(EXIT_OK)


def _check_one(held: SignedTreeHead, addresses: dict[str, str | None], caller: Caller) -> HeadCheck:
    name = held.head.service
    if name not in SERVICE_NAMES:
        return HeadCheck(held, unchecked="not a service of the portfolio")

    async def work() -> HeadCheck:
        async with connect_audit(name, service_address(name, addresses[name])) as client:
            return await check_held_head(client, caller, held)

    try:
        return asyncio.run(work())
    except CallError as exc:
        if exc.failure.code in REFUSALS:
            failure = exc.failure
            said = [f"{v.field}: {v.description}" for v in failure.violations]
            message = "; ".join(said) or " ".join(failure.message.split()) or failure.code
            return HeadCheck(
                held,
                problems=[f"the service cannot prove its log extends the held head ({message})"],
            )
        return HeadCheck(held, unchecked=_unchecked(exc))
