"""The corona portfolio's files: proposals (each bad row named by line and column, times
in Norwegian time, Norwegian words) and the net list; what a row becomes on the wire."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from eportfolio.intake.v1 import intake_pb2
from eportfolio.korona.v1 import korona_pb2
from portfolio_cli import korona_values
from portfolio_cli.korona_rows import (
    SHAPE_ONLY,
    Categories,
    netlist_errors,
    netlist_request,
    parse_netlist,
    parse_proposals,
    proposal_errors,
    proposal_request,
)
from portfolio_cli.korona_values import in_oslo, parse_category_code, parse_moment
from portfolio_cli.rpc import CallError, CallFailure, FieldViolation
from portfolio_cli.shared_data import korona_category_names
from portfolio_cli.tsv import RowError
from tests.korona_data import write_proposals

HEADER = (
    "received_at\tproposer\torganisation\torganisation_type\ttitle\tdescription"
    "\tcategory_code\ttarget_groups"
)
NOW = datetime(2020, 6, 1, tzinfo=UTC)
CODES = Categories(frozenset({"01", "02", "03", "99A", "99B"}), "test")


def a_line(**cells: str) -> str:
    values = {
        "received_at": "2020-04-02T10:15",
        "proposer": "Kari Nordmann",
        "organisation": "Oslo kommune",
        "organisation_type": "public",
        "title": "Videokonsultasjon for fastleger",
        "description": "Video mellom fastlege og pasient",
        "category_code": "03",
        "target_groups": "citizens,health_personnel",
    }
    values.update(cells)
    return "\t".join(values[c] for c in HEADER.split("\t"))


def parse(*lines: str, header: str = HEADER, categories: Categories = CODES):  # type: ignore[no-untyped-def]
    data = "\n".join([header, *lines]) + "\n"
    return parse_proposals(data.encode("utf-8"), categories, NOW)


def only_error(*lines: str, categories: Categories = CODES) -> RowError:
    parsed = parse(*lines, categories=categories)
    assert parsed.rows == []
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def test_a_good_row_keeps_its_line_and_fields() -> None:
    parsed = parse(a_line())
    assert parsed.errors == []
    assert parsed.row_count == 1
    (row,) = parsed.rows
    assert row.line == 2
    assert row.title == "Videokonsultasjon for fastleger"
    assert row.organisation_type == "public"
    assert row.category_code == "03"
    assert row.target_groups == ("citizens", "health_personnel")
    assert (row.contact, row.need) == ("", "")


def test_a_time_without_offset_is_norwegian_summer_or_winter_time() -> None:
    summer, winter = parse(
        a_line(received_at="2020-04-02T10:15", title="a"),
        a_line(received_at="2020-03-12 10:15", title="b"),
    ).rows
    assert summer.received_at.astimezone(UTC) == datetime(2020, 4, 2, 8, 15, tzinfo=UTC)
    assert winter.received_at.astimezone(UTC) == datetime(2020, 3, 12, 9, 15, tzinfo=UTC)
    assert proposal_request(summer).received_at == "2020-04-02T10:15:00+02:00"
    assert proposal_request(winter).received_at == "2020-03-12T10:15:00+01:00"


def test_a_time_with_an_offset_or_z_keeps_its_moment_and_is_sent_in_norwegian_time() -> None:
    utc, offset, day = parse(
        a_line(received_at="2020-05-05T06:59:00Z", title="a"),
        a_line(received_at="2020-05-05T08:59:00+02:00", title="b"),
        a_line(received_at="2020-05-05", title="c"),
    ).rows
    assert utc.received_at == offset.received_at
    assert proposal_request(utc).received_at == "2020-05-05T08:59:00+02:00"
    assert proposal_request(day).received_at == "2020-05-05T00:00:00+02:00"


def test_the_hour_skipped_when_summer_time_begins_is_an_error_and_a_repeated_hour_the_first() -> (
    None
):
    error = only_error(a_line(received_at="2020-03-29T02:30"))
    assert (error.line, error.column) == (2, "received_at")
    assert "did not exist in Norwegian time" in error.reason
    assert (
        in_oslo(datetime(2020, 10, 25, 2, 30)).utcoffset()
        == parse_moment("2020-10-25T02:30:00+02:00").utcoffset()
    )


@pytest.mark.parametrize(
    "naive",
    [
        datetime(2020, 3, 29, 1, 59),
        datetime(2020, 3, 29, 3, 0),
        datetime(2020, 10, 25, 1, 59),
        datetime(2020, 10, 25, 2, 30),
        datetime(2020, 10, 25, 3, 0),
        datetime(2021, 1, 1, 0, 0),
        datetime(2021, 7, 1, 12, 0),
    ],
)
def test_without_a_time_zone_database_the_eu_rule_gives_the_same_times(
    naive: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = in_oslo(naive)
    monkeypatch.setattr(korona_values, "oslo_zone", lambda: None)
    assert in_oslo(naive).utcoffset() == expected.utcoffset()
    with pytest.raises(ValueError, match="did not exist"):
        in_oslo(datetime(2020, 3, 29, 2, 30))


def test_norwegian_words_and_any_case_are_understood() -> None:
    (row,) = parse(
        a_line(
            organisation_type="Offentlig",
            target_groups=" Innbyggere, helsepersonell ,myndigheter, innbyggere,",
            category_code="99a",
        )
    ).rows
    assert row.organisation_type == "public"
    assert row.target_groups == ("citizens", "health_personnel", "authorities")
    assert row.category_code == "99A"
    (private,) = parse(a_line(organisation_type="privat", target_groups="health-personnel")).rows
    assert private.organisation_type == "private"
    assert private.target_groups == ("health_personnel",)
    assert proposal_request(private).organisation_type == intake_pb2.ORGANISATION_TYPE_PRIVATE


def test_blank_type_category_and_groups_are_allowed_and_sent_unspecified() -> None:
    (row,) = parse(a_line(organisation_type="", category_code="", target_groups="")).rows
    request = proposal_request(row)
    assert request.organisation_type == intake_pb2.ORGANISATION_TYPE_UNSPECIFIED
    assert request.category_code == ""
    assert list(request.target_groups) == []


def test_optional_contact_and_need_columns_are_read_when_present() -> None:
    header = f"need\t{HEADER}\tcontact"
    line = f"Raskere svar\t{a_line()}\tkari@example.no"
    (row,) = parse(line, header=header).rows
    assert (row.need, row.contact) == ("Raskere svar", "kari@example.no")
    request = proposal_request(row)
    assert (request.need, request.contact) == ("Raskere svar", "kari@example.no")


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"received_at": ""}, "received_at", "is required"),
        ({"received_at": "5. mai 2020"}, "received_at", "is not an ISO 8601 time"),
        ({"received_at": "2020-13-01T10:00"}, "received_at", "is not an ISO 8601 time"),
        ({"received_at": "2020-07-01T10:00"}, "received_at", "is in the future"),
        ({"title": ""}, "title", "is required"),
        ({"title": "x" * 501}, "title", "longer than 500"),
        ({"organisation": "x" * 501}, "organisation", "longer than 500"),
        ({"organisation_type": "kommunal"}, "organisation_type", "unknown organisation type"),
        ({"category_code": "Video"}, "category_code", "is not a category code"),
        ({"category_code": "100"}, "category_code", "is not a category code"),
        ({"category_code": "21"}, "category_code", "unknown category '21'"),
        ({"target_groups": "citizens,pasienter"}, "target_groups", "unknown target group"),
    ],
)
def test_each_kind_of_bad_cell_is_named_by_line_and_column(
    cells: dict[str, str], column: str, reason: str
) -> None:
    parsed = parse(a_line(title="good"), a_line(**{"title": "bad", **cells}))
    assert [r.line for r in parsed.rows] == [2]
    (error,) = parsed.errors
    assert (error.line, error.column) == (3, column)
    assert reason in error.reason
    assert error.render("forslag.tsv").startswith(f"forslag.tsv:3: column {column}: ")


def test_a_row_with_several_problems_reports_each() -> None:
    parsed = parse(a_line(title="", organisation_type="x", target_groups="y"))
    assert sorted(e.column or "" for e in parsed.errors) == [
        "organisation_type",
        "target_groups",
        "title",
    ]


def test_unknown_codes_pass_when_only_the_shape_can_be_checked() -> None:
    (row,) = parse(a_line(category_code="21"), categories=SHAPE_ONLY).rows
    assert row.category_code == "21"
    assert parse_category_code("3") == "03"
    with pytest.raises(ValueError, match="not a category code"):
        parse_category_code("3.1")


def test_the_same_proposal_twice_is_an_error_on_the_later_line() -> None:
    parsed = parse(
        a_line(), a_line(title="other"), a_line(target_groups="innbyggere,helsepersonell")
    )
    assert [r.line for r in parsed.rows] == [2, 3]
    (error,) = parsed.errors
    assert (error.line, error.column) == (4, None)
    assert "the same proposal as line 2" in error.reason


def test_whole_line_and_header_problems() -> None:
    too_many = only_error(a_line() + "\textra")
    assert (too_many.line, too_many.column) == (2, None)
    missing = parse(a_line(), header=HEADER.replace("\ttarget_groups", ""))
    assert [(e.line, e.column) for e in missing.errors] == [(1, "target_groups")]
    assert missing.row_count == 1
    bad_bytes = parse_proposals(
        (HEADER + "\n").encode() + b"\xff\xfe\n" + a_line(title="ok").encode() + b"\n",
        CODES,
        NOW,
    )
    assert [(e.line, e.column) for e in bad_bytes.errors] == [(2, None)]
    assert [r.line for r in bad_bytes.rows] == [3]


def test_the_key_follows_the_content_not_its_spelling_or_line() -> None:
    first = parse(a_line()).rows[0]
    same = parse(
        "",
        a_line(
            received_at="2020-04-02T08:15:00Z",
            organisation_type="offentlig",
            target_groups="innbyggere, helsepersonell",
        ),
    ).rows[0]
    assert same.line == 3
    assert same.idempotency_key() == first.idempotency_key()
    assert first.idempotency_key().startswith("import-proposal:")
    assert len(first.idempotency_key()) == len("import-proposal:") + 32
    changed = parse(a_line(title="Videokonsultasjon for legevakt")).rows[0]
    assert changed.idempotency_key() != first.idempotency_key()
    later = parse(a_line(received_at="2020-04-02T10:16")).rows[0]
    assert later.idempotency_key() != first.idempotency_key()
    assert proposal_request(first).idempotency_key == first.idempotency_key()


def test_a_refused_row_names_the_columns_intake_named() -> None:
    (row,) = parse(a_line()).rows
    error = CallError(
        "SubmitProposal",
        CallFailure(
            "INVALID_ARGUMENT",
            "bad request",
            (
                FieldViolation("target_groups[1]", "unknown target group"),
                FieldViolation("idempotency_key", "is too long"),
            ),
        ),
    )
    errors = proposal_errors(row, error)
    assert [(e.line, e.column) for e in errors] == [(2, "target_groups"), (2, None)]
    assert errors[1].reason == "SubmitProposal rejected idempotency_key: is too long"
    denied = CallError("SubmitProposal", CallFailure("PERMISSION_DENIED", "auditors only read"))
    assert proposal_errors(row, denied) == [
        RowError(2, None, "SubmitProposal failed: PERMISSION_DENIED: auditors only read")
    ]


def test_the_generated_test_file_has_362_good_rows_and_3_bad_ones(
    shared_dir: Path, tmp_path: Path
) -> None:
    made = write_proposals(tmp_path / "forslag.tsv", shared_dir)
    codes = Categories(frozenset(korona_category_names(shared_dir)), "file")
    parsed = parse_proposals((tmp_path / "forslag.tsv").read_bytes(), codes)
    assert len(parsed.rows) == made.good == 362
    assert {e.line: e.column for e in parsed.errors} == made.bad
    assert len(made.bad) == 3
    moment = datetime.fromisoformat("2020-05-05T09:00:00+02:00")
    before = [r for r in parsed.rows if r.received_at < moment]
    assert len(before) == 337
    by_code: dict[str, int] = {}
    for row in before:
        by_code[row.category_code] = by_code.get(row.category_code, 0) + 1
    assert by_code == {code: n for code, _, n in made.by_category()}
    assert min(r.received_at for r in before) == datetime.fromisoformat("2020-03-12T00:00+01:00")
    assert max(r.received_at for r in before) == datetime.fromisoformat("2020-05-05T08:59+02:00")


# --- the net list ---------------------------------------------------------------------


def test_the_net_list_of_2020_reads_without_errors(shared_dir: Path) -> None:
    parsed = parse_netlist((shared_dir / "data" / "korona-nettoliste-2020.tsv").read_bytes())
    assert parsed.errors == []
    assert len(parsed.rows) == parsed.row_count == 18
    chatbot = next(r for r in parsed.rows if r.title == "Chatbot til innbyggere")
    request = netlist_request(chatbot)
    assert request.title == "Chatbot til innbyggere"
    assert request.source == '002 §5.2.2, 003 slide "Nettolisten"'
    assert request.description.startswith("Published on helsenorge.no 12 March 2020")
    assert request.status == korona_pb2.IMPLEMENTATION_STATUS_PLANNED
    assert request.responsible_agency == ""
    blank = next(r for r in parsed.rows if r.title == "Videostøtte")
    assert (blank.description, blank.source) == ("", '003 slide "Nettolisten"')


def test_a_net_list_row_may_name_its_agency_and_status_in_norwegian() -> None:
    data = (
        "name\tdescribed_in\tnotes_from_source\tresponsible_agency\tstatus\n"
        "Smittestopp\t000\tApp\tFolkehelseinstituttet\ti drift\n"
        "Sykdomspuls\t001\t\t\tUnder innføring\n"
        "Videostøtte\t003\t\t\t\n"
        "Chatbot\t002\t\t\tferdig\n"
        "\t003\tno name\t\t\n"
        "smittestopp\t003\ttwice\t\t\n"
    )
    parsed = parse_netlist(data.encode())
    assert [(r.title, r.status, r.responsible_agency) for r in parsed.rows] == [
        ("Smittestopp", "in_operation", "Folkehelseinstituttet"),
        ("Sykdomspuls", "being_introduced", ""),
        ("Videostøtte", "planned", ""),
    ]
    assert [(e.line, e.column) for e in parsed.errors] == [(5, "status"), (6, "name"), (7, "name")]
    assert "unknown status 'ferdig'" in parsed.errors[0].reason
    assert "already on line 2" in parsed.errors[2].reason
    assert netlist_request(parsed.rows[0]).status == korona_pb2.IMPLEMENTATION_STATUS_IN_OPERATION
    refused = CallError(
        "AddToNetList",
        CallFailure("INVALID_ARGUMENT", "", (FieldViolation("title", "is too long"),)),
    )
    assert netlist_errors(parsed.rows[0], refused) == [RowError(2, "name", "is too long")]


def test_a_net_list_file_without_its_columns_is_one_error() -> None:
    parsed = parse_netlist(b"title\tsource\nA\tB\n")
    assert [(e.line, e.column) for e in parsed.errors] == [
        (1, "name"),
        (1, "described_in"),
        (1, "notes_from_source"),
    ]
    assert parsed.row_count == 1
