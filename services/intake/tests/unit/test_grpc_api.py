"""Intake's request validation: every bad field is named by its proto path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from backbone.errors import FieldViolation, ValidationError
from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2
from intake.adapters.grpc_api import measure_command, proposal_command, status_report_command
from intake.application import SubmitMeasure, SubmitProposal, SubmitStatusReport


def _line(year: int, amount: int) -> common_pb2.BudgetLine:
    return common_pb2.BudgetLine(year=year, amount_nok=amount)


def measure_request(**changes: Any) -> intake_pb2.SubmitMeasureRequest:
    fields: dict[str, Any] = {
        "idempotency_key": "key-1",
        "measure_id": 7,
        "name": "Kjernejournal",
        "description": "Summary care record",
        "responsible_agency": "helsedir",
        "owner": "Kari",
        "strategic_area": "Samhandling",
        "in_portfolio_since": "2024-01",
    }
    return intake_pb2.SubmitMeasureRequest(**{**fields, **changes})


def report_request(**changes: Any) -> intake_pb2.SubmitStatusReportRequest:
    fields: dict[str, Any] = {
        "idempotency_key": "key-2",
        "measure_id": 7,
        "period": "2024-03",
        "status": common_pb2.COLOUR_GREEN,
        "risk": common_pb2.COLOUR_RED,
        "budget": [_line(2024, 1_000), _line(2025, 2_000)],
        "explanation": "on track",
    }
    return intake_pb2.SubmitStatusReportRequest(**{**fields, **changes})


def proposal_request(**changes: Any) -> intake_pb2.SubmitProposalRequest:
    fields: dict[str, Any] = {
        "idempotency_key": "key-3",
        "title": "Video consultations",
        "description": "Remote consultations",
        "proposer": "Ola",
        "organisation": "Kommune X",
        "organisation_type": intake_pb2.ORGANISATION_TYPE_PUBLIC,
        "contact": "ola@example.org",
        "need": "Fewer visits",
        "target_groups": ["citizens", "authorities"],
        "category_code": "A1",
        "received_at": "",
    }
    return intake_pb2.SubmitProposalRequest(**{**fields, **changes})


def _case_id(value: Any) -> str:
    """Readable test ids: the changed field and the start of its bad value."""
    if isinstance(value, dict):
        return ",".join(
            f"{name}={(repr(bad) if not isinstance(bad, list) else f'{len(bad)} items')[:24]}"
            for name, bad in value.items()
        )
    return str(value)


def violated_fields(error: ValidationError) -> list[str]:
    assert error.violations, "a ValidationError names at least one field"
    assert all(isinstance(v, FieldViolation) and v.description for v in error.violations)
    return [v.field for v in error.violations]


# --- SubmitMeasure --------------------------------------------------------------------


def test_a_valid_measure_request_maps_to_the_command() -> None:
    cmd = measure_command(measure_request(name="  Kjernejournal  ", owner=" Kari "))
    assert cmd == SubmitMeasure(
        measure_id=7,
        name="Kjernejournal",
        description="Summary care record",
        responsible_agency="helsedir",
        owner="Kari",
        strategic_area="Samhandling",
        in_portfolio_since="2024-01",
    )


def test_a_measure_request_may_leave_optional_fields_empty() -> None:
    cmd = measure_command(
        intake_pb2.SubmitMeasureRequest(measure_id=1, name="n", responsible_agency="a")
    )
    assert cmd == SubmitMeasure(1, "n", "", "a", "", "", None)


def test_a_measure_request_accepts_fields_at_their_maximum_length() -> None:
    cmd = measure_command(
        measure_request(
            idempotency_key="k" * 200,
            name="n" * 500,
            responsible_agency="a" * 200,
            owner="o" * 500,
            strategic_area="s" * 500,
            description="d" * 10_000,
        )
    )
    assert len(cmd.name) == 500
    assert len(cmd.description) == 10_000


MEASURE_CASES: list[tuple[dict[str, Any], str]] = [
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ({"measure_id": -3}, "measure_id"),
    ({"planned_start": "2024-13"}, "planned_start"),
    ({"planned_start": "2024-06", "planned_end": "2024-01"}, "planned_end"),
    ({"depends_on": [0]}, "depends_on[0]"),
    ({"measure_id": 5, "depends_on": [5]}, "depends_on[0]"),
    ({"operating_cost_nok_per_year": -1}, "operating_cost_nok_per_year"),
    ({"proposed_segment": 9}, "proposed_segment"),
    ({"candidate_for": 20, "in_portfolio_since": ""}, "candidate_for"),
    ({"candidate_for": 2021, "in_portfolio_since": "2020-03"}, "candidate_for"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name": "n" * 501}, "name"),
    ({"description": "d" * 10_001}, "description"),
    ({"responsible_agency": ""}, "responsible_agency"),
    ({"responsible_agency": "a" * 201}, "responsible_agency"),
    ({"owner": "o" * 501}, "owner"),
    ({"strategic_area": "s" * 501}, "strategic_area"),
    ({"in_portfolio_since": "2024-13"}, "in_portfolio_since"),
    ({"in_portfolio_since": "2024-00"}, "in_portfolio_since"),
    ({"in_portfolio_since": "2024-1"}, "in_portfolio_since"),
    ({"in_portfolio_since": "24-01"}, "in_portfolio_since"),
    ({"in_portfolio_since": "2024-01-01"}, "in_portfolio_since"),
]


@pytest.mark.parametrize(("changes", "field"), MEASURE_CASES, ids=_case_id)
def test_a_bad_measure_field_is_named_in_the_validation_error(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        measure_command(measure_request(**changes))
    assert violated_fields(caught.value) == [field]
    assert field in str(caught.value)


def test_every_bad_measure_field_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as caught:
        measure_command(intake_pb2.SubmitMeasureRequest(measure_id=-1, in_portfolio_since="soon"))
    assert violated_fields(caught.value) == [
        "measure_id",
        "in_portfolio_since",
        "name",
        "responsible_agency",
    ]


# --- SubmitStatusReport ---------------------------------------------------------------


def test_a_valid_status_report_request_maps_to_the_command() -> None:
    cmd = status_report_command(report_request(explanation="  on track  "))
    assert cmd == SubmitStatusReport(
        measure_id=7,
        period="2024-03",
        status="green",
        risk="red",
        budget=[{"year": 2024, "amount_nok": 1_000}, {"year": 2025, "amount_nok": 2_000}],
        explanation="on track",
    )


@pytest.mark.parametrize(
    ("colour", "expected"),
    [
        (common_pb2.COLOUR_UNSPECIFIED, None),
        (common_pb2.COLOUR_GREEN, "green"),
        (common_pb2.COLOUR_YELLOW, "yellow"),
        (common_pb2.COLOUR_RED, "red"),
    ],
)
def test_colours_map_to_their_names_and_unspecified_to_none(
    colour: int, expected: str | None
) -> None:
    cmd = status_report_command(report_request(status=colour, risk=colour))
    assert cmd.status == expected
    assert cmd.risk == expected


def test_a_status_report_may_have_no_budget_and_a_zero_amount() -> None:
    assert status_report_command(report_request(budget=[])).budget == []
    cmd = status_report_command(report_request(budget=[_line(1900, 0), _line(2200, 5)]))
    assert cmd.budget == [{"year": 1900, "amount_nok": 0}, {"year": 2200, "amount_nok": 5}]


REPORT_CASES: list[tuple[dict[str, Any], str]] = [
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ({"measure_id": 0}, "measure_id"),
    ({"period": ""}, "period"),
    ({"period": "2024/03"}, "period"),
    ({"period": "2024-3"}, "period"),
    ({"status": 7}, "status"),
    ({"risk": 9}, "risk"),
    ({"explanation": "e" * 10_001}, "explanation"),
    ({"budget": [_line(2024, 1), _line(1899, 1)]}, "budget[1].year"),
    ({"budget": [_line(2024, 1), _line(2201, 1)]}, "budget[1].year"),
    ({"budget": [_line(2024, 1), _line(0, 1)]}, "budget[1].year"),
    ({"budget": [_line(2024, 1), _line(2024, 2)]}, "budget[1].year"),
    ({"budget": [_line(2024, -1)]}, "budget[0].amount_nok"),
    ({"budget": [_line(2000 + i, 1) for i in range(51)]}, "budget"),
]


@pytest.mark.parametrize(("changes", "field"), REPORT_CASES, ids=_case_id)
def test_a_bad_status_report_field_is_named_in_the_validation_error(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        status_report_command(report_request(**changes))
    assert violated_fields(caught.value) == [field]


def test_fifty_budget_lines_are_allowed() -> None:
    cmd = status_report_command(report_request(budget=[_line(2000 + i, i) for i in range(50)]))
    assert len(cmd.budget) == 50


def test_every_bad_budget_line_is_named_by_its_index() -> None:
    budget = [_line(2024, 1), _line(1800, -5), _line(2024, 3), _line(2025, -1)]
    with pytest.raises(ValidationError) as caught:
        status_report_command(report_request(budget=budget, period="x", status=5))
    assert violated_fields(caught.value) == [
        "budget[1].year",
        "budget[1].amount_nok",
        "budget[2].year",
        "budget[3].amount_nok",
        "period",
        "status",
    ]


# --- SubmitProposal -------------------------------------------------------------------


def test_a_valid_proposal_request_maps_to_the_command() -> None:
    cmd = proposal_command(proposal_request(title="  Video consultations "))
    assert cmd == SubmitProposal(
        title="Video consultations",
        description="Remote consultations",
        proposer="Ola",
        organisation="Kommune X",
        organisation_type="public",
        contact="ola@example.org",
        need="Fewer visits",
        target_groups=["citizens", "authorities"],
        category_code="A1",
        received_at=None,
    )


@pytest.mark.parametrize(
    ("org_type", "expected"),
    [
        (intake_pb2.ORGANISATION_TYPE_UNSPECIFIED, None),
        (intake_pb2.ORGANISATION_TYPE_PUBLIC, "public"),
        (intake_pb2.ORGANISATION_TYPE_PRIVATE, "private"),
    ],
)
def test_organisation_types_map_to_their_names(org_type: int, expected: str | None) -> None:
    assert proposal_command(proposal_request(organisation_type=org_type)).organisation_type == (
        expected
    )


def test_a_proposals_received_at_is_parsed_and_a_naive_time_taken_as_utc() -> None:
    aware = proposal_command(proposal_request(received_at="2024-03-01T10:00:00+01:00"))
    assert aware.received_at == datetime(2024, 3, 1, 10, tzinfo=timezone(timedelta(hours=1)))
    naive = proposal_command(proposal_request(received_at="2024-03-01T10:00:00"))
    assert naive.received_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    zulu = proposal_command(proposal_request(received_at="2024-03-01T09:00:00Z"))
    assert zulu.received_at == datetime(2024, 3, 1, 9, tzinfo=UTC)


def test_a_proposal_needs_only_a_title() -> None:
    cmd = proposal_command(intake_pb2.SubmitProposalRequest(title="t"))
    assert cmd == SubmitProposal("t", "", "", "", None, "", "", [], "", None)


PROPOSAL_CASES: list[tuple[dict[str, Any], str]] = [
    ({"idempotency_key": "k" * 201}, "idempotency_key"),
    ({"title": ""}, "title"),
    ({"title": "t" * 501}, "title"),
    ({"description": "d" * 10_001}, "description"),
    ({"proposer": "p" * 501}, "proposer"),
    ({"organisation": "o" * 501}, "organisation"),
    ({"organisation_type": 9}, "organisation_type"),
    ({"contact": "c" * 501}, "contact"),
    ({"need": "n" * 10_001}, "need"),
    ({"target_groups": ["citizens", "aliens"]}, "target_groups[1]"),
    ({"target_groups": [""]}, "target_groups[0]"),
    ({"category_code": "C" * 11}, "category_code"),
    ({"received_at": "yesterday"}, "received_at"),
    ({"received_at": "2024-13-01T00:00:00"}, "received_at"),
]


@pytest.mark.parametrize(("changes", "field"), PROPOSAL_CASES, ids=_case_id)
def test_a_bad_proposal_field_is_named_in_the_validation_error(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        proposal_command(proposal_request(**changes))
    assert violated_fields(caught.value) == [field]


def test_every_bad_proposal_field_is_reported_at_once() -> None:
    request = intake_pb2.SubmitProposalRequest(
        organisation_type=5,
        target_groups=["x", "citizens", "y"],
        received_at="never",
    )
    with pytest.raises(ValidationError) as caught:
        proposal_command(request)
    assert violated_fields(caught.value) == [
        "organisation_type",
        "target_groups[0]",
        "target_groups[2]",
        "title",
        "received_at",
    ]


# --- what the contracts and the stores downstream cannot take ---------------------------


def test_a_period_with_a_trailing_newline_is_refused() -> None:
    # Python's ``$`` matches before a final newline; the contract's pattern does not,
    # so such a period would be stored by intake and then refused at publishing.
    with pytest.raises(ValidationError) as caught:
        measure_command(measure_request(in_portfolio_since="2024-01\n"))
    assert violated_fields(caught.value) == ["in_portfolio_since"]
    with pytest.raises(ValidationError) as caught:
        status_report_command(report_request(period="2024-03\n"))
    assert violated_fields(caught.value) == ["period"]


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: measure_command(measure_request(name="Kjerne\x00journal")), "name"),
        (
            lambda: measure_command(measure_request(responsible_agency="nhn\x00")),
            "responsible_agency",
        ),
        (lambda: status_report_command(report_request(explanation="late\x00")), "explanation"),
        (lambda: proposal_command(proposal_request(title="Video\x00")), "title"),
    ],
    ids=["measure.name", "measure.responsible_agency", "report.explanation", "proposal.title"],
)
def test_a_nul_character_in_a_text_field_is_refused(build: Any, field: str) -> None:
    # PostgreSQL text cannot hold NUL: reporting's read model could never store it.
    with pytest.raises(ValidationError) as caught:
        build()
    assert violated_fields(caught.value) == [field]
