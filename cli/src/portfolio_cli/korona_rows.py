"""The corona portfolio's files: proposals, and the net list of prioritised measures.

**Proposals** (``portfolio korona import-proposals``), tab-separated UTF-8 with the columns
``received_at proposer organisation organisation_type title description category_code
target_groups`` and optionally ``contact`` and ``need``, in any order:

- ``received_at``: ISO 8601; without an offset it is Norwegian time (Europe/Oslo). Not in
  the future.
- ``organisation_type``: public or private (offentlig, privat); blank if unknown.
- ``category_code``: one of the categories (``03``, ``99A``); blank if not categorised yet.
- ``target_groups``: comma-separated citizens, health_personnel, authorities (innbyggere,
  helsepersonell, myndigheter); blank if none is named.
- ``title`` is required.

**The net list** (``portfolio korona import-netlist``): ``name described_in
notes_from_source`` and optionally ``responsible_agency`` and ``status`` (planned unless
the row says otherwise).

Every row is checked on its own; a bad row is reported with its line and column and never
stops the others. A proposal's idempotency key is derived from its content, so importing
the same file again submits nothing new.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from eportfolio.intake.v1 import intake_pb2  # type: ignore[import-untyped, unused-ignore]
from eportfolio.korona.v1 import korona_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.korona_values import (
    IMPLEMENTATION_STATUSES,
    ORGANISATION_TYPES,
    parse_category_code,
    parse_implementation_status,
    parse_moment,
    parse_organisation_type,
    parse_target_groups,
    rfc3339,
)
from portfolio_cli.records import Record, parse_records
from portfolio_cli.rpc import CallError
from portfolio_cli.tsv import RowError

PROPOSAL_COLUMNS = (
    "received_at",
    "proposer",
    "organisation",
    "organisation_type",
    "title",
    "description",
    "category_code",
    "target_groups",
)
OPTIONAL_PROPOSAL_COLUMNS = ("contact", "need")
NETLIST_COLUMNS = ("name", "described_in", "notes_from_source")
OPTIONAL_NETLIST_COLUMNS = ("responsible_agency", "status")
SHORT_TEXT = 500
"""Longest title, proposer, organisation and contact intake takes."""
LONG_TEXT = 10_000
"""Longest description and need intake takes."""
KEY_PREFIX = "import-proposal:"
KEY_HASH_LENGTH = 32
_SHORT_COLUMNS = ("title", "proposer", "organisation", "contact")
_LONG_COLUMNS = ("description", "need")
_INDEXED = re.compile(r"^([a-z_]+)\[\d+\]")
RowT = TypeVar("RowT")


@dataclass(frozen=True)
class Categories:
    """The category codes rows may use, and where they came from; ``codes`` None means
    only the shape of a code is checked (``03``, ``99A``)."""

    codes: frozenset[str] | None
    source: str

    def check(self, code: str) -> str | None:
        """Why ``code`` (already in shape) is not a category; None when it is."""
        if self.codes is None or code in self.codes:
            return None
        return f"unknown category {code!r}; use one of {', '.join(sorted(self.codes))}"


SHAPE_ONLY = Categories(None, "the shape of the codes only")


@dataclass(frozen=True)
class ProposalRow:
    """A valid proposal row, with the file line it came from."""

    line: int
    received_at: datetime
    title: str
    proposer: str = ""
    organisation: str = ""
    organisation_type: str | None = None
    description: str = ""
    category_code: str = ""
    target_groups: tuple[str, ...] = ()
    contact: str = ""
    need: str = ""

    def content(self) -> dict[str, Any]:
        """What the proposal says, independent of its line and of how the file wrote it
        (Norwegian or English words, the time's offset)."""
        return {
            "received_at": self.received_at.astimezone(UTC).isoformat(),
            "title": self.title,
            "proposer": self.proposer,
            "organisation": self.organisation,
            "organisation_type": self.organisation_type,
            "description": self.description,
            "category_code": self.category_code,
            "target_groups": list(self.target_groups),
            "contact": self.contact,
            "need": self.need,
        }

    def fingerprint(self) -> str:
        """SHA-256 (hex) of :meth:`content`."""
        body = json.dumps(self.content(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(body.encode("utf-8")).hexdigest()

    def idempotency_key(self) -> str:
        """``import-proposal:<hash of the content>``: the same proposal gets the same key."""
        return KEY_PREFIX + self.fingerprint()[:KEY_HASH_LENGTH]


@dataclass(frozen=True)
class NetListRow:
    """A valid net-list row: a prioritised measure and where it is described."""

    line: int
    title: str
    source: str = ""
    description: str = ""
    responsible_agency: str = ""
    status: str = "planned"


@dataclass(frozen=True)
class ParsedRows(Generic[RowT]):
    """The valid rows of a file, the errors of the others, and how many data rows it had."""

    rows: list[RowT]
    errors: list[RowError]
    row_count: int


def _checked(
    record: Record,
    column: str,
    parse: Callable[[str], Any],
    errors: list[RowError],
) -> Any:
    try:
        return parse(record[column])
    except ValueError as exc:
        errors.append(RowError(record.line, column, str(exc)))
        return None


def _text_lengths(record: Record, errors: list[RowError]) -> None:
    for columns, limit in ((_SHORT_COLUMNS, SHORT_TEXT), (_LONG_COLUMNS, LONG_TEXT)):
        for column in columns:
            if len(record[column]) > limit:
                reason = f"is longer than {limit} characters ({len(record[column])})"
                errors.append(RowError(record.line, column, reason))


def _received_at(text: str, now: datetime) -> datetime:
    if not text:
        raise ValueError("is required (ISO 8601, e.g. 2020-04-02T10:15 in Norwegian time)")
    moment = parse_moment(text)
    if moment > now:
        raise ValueError(f"{text} is in the future")
    return moment


def proposal_row(
    record: Record, categories: Categories, now: datetime
) -> ProposalRow | list[RowError]:
    """The row, or every reason it cannot be used (each with its column)."""
    errors: list[RowError] = []
    received_at = _checked(record, "received_at", lambda t: _received_at(t, now), errors)
    if not record["title"]:
        errors.append(RowError(record.line, "title", "is required"))
    _text_lengths(record, errors)
    organisation_type = None
    if record["organisation_type"]:
        organisation_type = _checked(record, "organisation_type", parse_organisation_type, errors)
    code = ""
    if record["category_code"]:
        code = _checked(record, "category_code", parse_category_code, errors) or ""
        problem = categories.check(code) if code else None
        if problem:
            errors.append(RowError(record.line, "category_code", problem))
    groups = _checked(record, "target_groups", parse_target_groups, errors)
    if errors:
        return errors
    return ProposalRow(
        line=record.line,
        received_at=received_at,
        title=record["title"],
        proposer=record["proposer"],
        organisation=record["organisation"],
        organisation_type=organisation_type,
        description=record["description"],
        category_code=code,
        target_groups=groups,
        contact=record["contact"],
        need=record["need"],
    )


def parse_proposals(
    data: bytes, categories: Categories = SHAPE_ONLY, now: datetime | None = None
) -> ParsedRows[ProposalRow]:
    """A whole proposals file's bytes as rows and errors; a proposal given twice is an
    error on its later line."""
    records = parse_records(data, PROPOSAL_COLUMNS)
    errors = list(records.errors)
    moment = now or datetime.now(UTC)
    rows: list[ProposalRow] = []
    first_line: dict[str, int] = {}
    for record in records.rows:
        row = proposal_row(record, categories, moment)
        if isinstance(row, list):
            errors.extend(row)
            continue
        first = first_line.setdefault(row.fingerprint(), row.line)
        if first != row.line:
            reason = f"the same proposal as line {first} (imported once)"
            errors.append(RowError(row.line, None, reason))
            continue
        rows.append(row)
    errors.sort(key=lambda e: e.line)
    return ParsedRows(rows, errors, records.row_count)


def proposal_request(row: ProposalRow) -> intake_pb2.SubmitProposalRequest:
    """SubmitProposal for the row, keyed by its content, received when the row says."""
    return intake_pb2.SubmitProposalRequest(
        idempotency_key=row.idempotency_key(),
        title=row.title,
        description=row.description,
        proposer=row.proposer,
        organisation=row.organisation,
        organisation_type=ORGANISATION_TYPES.get(
            row.organisation_type or "", intake_pb2.ORGANISATION_TYPE_UNSPECIFIED
        ),
        contact=row.contact,
        need=row.need,
        target_groups=list(row.target_groups),
        category_code=row.category_code,
        received_at=rfc3339(row.received_at),
    )


def netlist_row(record: Record, taken: dict[str, int]) -> NetListRow | list[RowError]:
    """The row, or every reason it cannot be used; ``taken`` maps titles (case-folded)
    already read to their line."""
    errors: list[RowError] = []
    title = record["name"]
    if not title:
        errors.append(RowError(record.line, "name", "is required"))
    elif len(title) > SHORT_TEXT:
        errors.append(RowError(record.line, "name", f"is longer than {SHORT_TEXT} characters"))
    elif (first := taken.setdefault(title.casefold(), record.line)) != record.line:
        errors.append(RowError(record.line, "name", f"is on the net list already on line {first}"))
    status = "planned"
    if record["status"]:
        value = _checked(record, "status", parse_implementation_status, errors)
        status = next((k for k, v in IMPLEMENTATION_STATUSES.items() if v == value), status)
    if errors:
        return errors
    return NetListRow(
        line=record.line,
        title=title,
        source=record["described_in"],
        description=record["notes_from_source"],
        responsible_agency=record["responsible_agency"],
        status=status,
    )


def parse_netlist(data: bytes) -> ParsedRows[NetListRow]:
    """A whole net-list file's bytes as rows and errors."""
    records = parse_records(data, NETLIST_COLUMNS)
    errors = list(records.errors)
    rows: list[NetListRow] = []
    taken: dict[str, int] = {}
    for record in records.rows:
        row = netlist_row(record, taken)
        if isinstance(row, list):
            errors.extend(row)
        else:
            rows.append(row)
    errors.sort(key=lambda e: e.line)
    return ParsedRows(rows, errors, records.row_count)


def netlist_request(row: NetListRow) -> korona_pb2.AddToNetListRequest:
    """AddToNetList for the row: its name as the title, where it is described as the source."""
    return korona_pb2.AddToNetListRequest(
        title=row.title,
        description=row.description,
        responsible_agency=row.responsible_agency,
        status=IMPLEMENTATION_STATUSES[row.status],
        source=row.source,
    )


_NETLIST_FIELDS = {
    "title": "name",
    "source": "described_in",
    "description": "notes_from_source",
    "responsible_agency": "responsible_agency",
    "status": "status",
}
_PROPOSAL_FIELDS = {name: name for name in (*PROPOSAL_COLUMNS, *OPTIONAL_PROPOSAL_COLUMNS)}


def column_of(field: str, columns: Mapping[str, str]) -> str | None:
    """The file column (``columns``: request field -> column) a request field came from
    (``target_groups[1]`` -> ``target_groups``); None for fields that are not columns
    (the idempotency key)."""
    match = _INDEXED.match(field)
    return columns.get(match.group(1) if match else field)


def row_errors(line: int, error: CallError, fields: Mapping[str, str]) -> list[RowError]:
    """One error per field violation of a refused call, naming the row's column; one for
    the whole row when the server named no field."""
    failure = error.failure
    if not failure.violations:
        return [RowError(line, None, f"{error.method} failed: {failure.describe()}")]
    found = []
    for violation in failure.violations:
        column = column_of(violation.field, fields)
        reason = violation.description
        if column is None:
            reason = f"{error.method} rejected {violation.field}: {reason}"
        found.append(RowError(line, column, reason))
    return found


def proposal_errors(row: ProposalRow, error: CallError) -> list[RowError]:
    """SubmitProposal's refusal of a row, by column."""
    return row_errors(row.line, error, _PROPOSAL_FIELDS)


def netlist_errors(row: NetListRow, error: CallError) -> list[RowError]:
    """AddToNetList's refusal of a row, by column."""
    return row_errors(row.line, error, _NETLIST_FIELDS)
