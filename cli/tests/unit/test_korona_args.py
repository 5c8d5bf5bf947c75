"""The korona commands' arguments: what they send, and wrong command lines refused before
any call (exit 2, one line)."""

from __future__ import annotations

import pytest

from eportfolio.korona.v1 import korona_pb2
from portfolio_cli.caller import Role
from portfolio_cli.cmd_korona import (
    annotated,
    assess_request,
    check_korona_criteria,
    decide_request,
    field_label,
    funding_key,
    funding_request,
)
from portfolio_cli.korona_values import (
    parse_amount,
    parse_decision,
    parse_feedback_kind,
    parse_implementation_status,
    parse_recommendation,
    parse_rfc3339,
    parse_state,
)
from portfolio_cli.main import app
from portfolio_cli.measure_args import parse_criterion, parse_role
from portfolio_cli.rpc import CallError, CallFailure, FieldViolation

CRITERIA = [
    "--criterion",
    "supports_covid_work=yes:Gir helsepersonell video",
    "--criterion",
    "benefit_in_2020=ja:Kan tas i bruk nå",
    "--criterion",
    "feasible=yes:Bygger på Helsenorge",
    "--criterion",
    "no_overlap=nei:NHN har video",
]


def answers(*texts: str) -> list:  # type: ignore[type-arg]
    return [parse_criterion(t) for t in texts]


def test_the_four_criteria_in_english_with_norwegian_yes_and_no() -> None:
    given = answers(
        "supports_covid_work=yes:Gir helsepersonell video",
        "benefit_in_2020=ja:Kan tas i bruk nå",
        "feasible=j",
        "no_overlap=nei:NHN har video",
    )
    assert check_korona_criteria(given) == []
    request = assess_request("p-1", given, parse_recommendation("ikke prioriter"), "Dekket")
    assert request.proposal_id == "p-1"
    assert [(a.criterion, a.met, a.reason) for a in request.criteria] == [
        (korona_pb2.CRITERION_SUPPORTS_COVID_WORK, True, "Gir helsepersonell video"),
        (korona_pb2.CRITERION_BENEFIT_IN_2020, True, "Kan tas i bruk nå"),
        (korona_pb2.CRITERION_FEASIBLE, True, ""),
        (korona_pb2.CRITERION_NO_OVERLAP, False, "NHN har video"),
    ]
    assert request.recommendation == korona_pb2.RECOMMENDATION_NOT_PRIORITISE
    assert request.note == "Dekket"


def test_criteria_must_be_the_four_each_once() -> None:
    problems = check_korona_criteria(
        answers("feasible=yes", "feasible=no", "digitalisation=yes", "no_overlap=yes")
    )
    assert problems == [
        "criterion feasible is given twice",
        "criterion 'digitalisation' is not one of the four (use supports_covid_work,"
        " benefit_in_2020, feasible, no_overlap)",
        "criterion supports_covid_work is missing",
        "criterion benefit_in_2020 is missing",
    ]


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("prioritise", korona_pb2.RECOMMENDATION_PRIORITISE),
        ("Prioriter", korona_pb2.RECOMMENDATION_PRIORITISE),
        ("not-prioritise", korona_pb2.RECOMMENDATION_NOT_PRIORITISE),
        ("utsett", korona_pb2.RECOMMENDATION_DEFER),
    ],
)
def test_recommendations(text: str, wire: int) -> None:
    assert parse_recommendation(text) == wire


@pytest.mark.parametrize(
    ("text", "wire"),
    [
        ("prioritised", korona_pb2.DECISION_PRIORITISED),
        ("prioritert", korona_pb2.DECISION_PRIORITISED),
        ("ikke prioritert", korona_pb2.DECISION_NOT_PRIORITISED),
        ("NOT_PRIORITISED", korona_pb2.DECISION_NOT_PRIORITISED),
        ("utsatt", korona_pb2.DECISION_DEFERRED),
    ],
)
def test_decisions(text: str, wire: int) -> None:
    assert parse_decision(text) == wire


def test_a_decision_on_many_proposals_with_its_time_in_norwegian_time() -> None:
    request = decide_request(
        ["a", "b"],
        parse_decision("prioritert"),
        "Viktig for smittesporing",
        "PS 2020-05-05 sak 3",
        parse_rfc3339("2020-05-05T14:00"),
    )
    assert list(request.proposal_ids) == ["a", "b"]
    assert request.decision == korona_pb2.DECISION_PRIORITISED
    assert request.decided_at == "2020-05-05T14:00:00+02:00"
    assert parse_rfc3339("2020-05-05T12:00:00Z") == "2020-05-05T14:00:00+02:00"
    assert parse_rfc3339("2020-01-05 14:00") == "2020-01-05T14:00:00+01:00"


def test_states_statuses_and_feedback_kinds_in_english_or_norwegian() -> None:
    assert parse_state("registered") == korona_pb2.PROPOSAL_STATE_REGISTERED
    assert parse_state("Til vurdering") == korona_pb2.PROPOSAL_STATE_IN_ASSESSMENT
    assert parse_state("ikke_prioritert") == korona_pb2.PROPOSAL_STATE_NOT_PRIORITISED
    assert parse_implementation_status("planlagt") == korona_pb2.IMPLEMENTATION_STATUS_PLANNED
    for text in ("under_innføring", "under innføring", "Under-innforing", "being_introduced"):
        assert (
            parse_implementation_status(text) == korona_pb2.IMPLEMENTATION_STATUS_BEING_INTRODUCED
        )
    assert parse_implementation_status("innført") == korona_pb2.IMPLEMENTATION_STATUS_INTRODUCED
    assert parse_implementation_status("i drift") == korona_pb2.IMPLEMENTATION_STATUS_IN_OPERATION
    assert parse_feedback_kind("dekket") == "covered"
    assert parse_feedback_kind("Message") == "message"
    with pytest.raises(ValueError, match="unknown feedback kind 'svar'"):
        parse_feedback_kind("svar")


@pytest.mark.parametrize(
    ("text", "nok"),
    [("2,5", 2_500_000), ("2.5", 2_500_000), ("80", 80_000_000), ("0,000001", 1)],
)
def test_amounts_are_million_nok_with_comma_or_point_sent_as_whole_kroner(
    text: str, nok: int
) -> None:
    assert parse_amount(text) == nok


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("0", "more than zero"),
        ("", "give the amount"),
        ("-1", "must not be negative"),
        ("to", "is not a number"),
        ("0,0000001", "not a whole number of kroner"),
    ],
)
def test_bad_amounts(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_amount(text)


def test_a_funding_change_carries_its_key_and_whole_kroner() -> None:
    key = funding_key("allocate", "p-1", 2_500_000)
    assert key.startswith("cli-fund:allocate:p-1:2500000:")
    assert funding_key("allocate", "p-1", 2_500_000) != key, "a fresh uuid every time"
    request = funding_request("commit", "p-1", 1_000_000, "Kontrakt med NHN", "my-key")
    assert request.change == korona_pb2.FUNDING_CHANGE_COMMIT
    assert (request.proposal_id, request.amount_nok, request.reason) == (
        "p-1",
        1_000_000,
        "Kontrakt med NHN",
    )
    assert request.idempotency_key == "my-key"


def test_corona_roles() -> None:
    assert parse_role("working_group") is Role.WORKING_GROUP
    assert parse_role("Working-Group") is Role.WORKING_GROUP
    assert parse_role("proposer") is Role.PROPOSER


def test_a_refused_field_names_the_proposal_or_criterion_it_held() -> None:
    decide = decide_request(["a", "b"], korona_pb2.DECISION_DEFERRED, "", "", "")
    assert field_label("proposal_ids[1]", decide) == "proposal_ids[1] (b)"
    assert field_label("proposal_ids[7]", decide) == "proposal_ids[7]"
    assert field_label("reason", decide) == "reason"
    assess = assess_request(
        "p", answers("feasible=yes", "no_overlap=no"), korona_pb2.RECOMMENDATION_DEFER, ""
    )
    assert field_label("criteria[1].reason", assess) == "criteria[1].reason (no_overlap)"
    error = CallError(
        "Decide",
        CallFailure("INVALID_ARGUMENT", "", (FieldViolation("proposal_ids[0]", "unknown"),)),
    )
    assert annotated(error, decide).failure.violations == (
        FieldViolation("proposal_ids[0] (a)", "unknown"),
    )


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        app(args)
    return int(exit_info.value.code or 0), capsys.readouterr().err


UNREACHABLE = ["--korona", "127.0.0.1:1"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["korona", "assess", "p", *CRITERIA[:6], "--recommend", "prioritise"], "is missing"),
        (["korona", "assess", "p", *CRITERIA, "--recommend", "ja"], "unknown recommendation"),
        (["korona", "assess", "p", "--criterion", "feasible", "--recommend", "defer"], "KEY="),
        (
            ["korona", "assess", "p", *CRITERIA, "--criterion", "feasible=kanskje"],
            "say yes or no",
        ),
        (["korona", "decide", "p", "--decision", "vent", "--reason", "r"], "unknown decision"),
        (
            [
                "korona",
                "decide",
                "p",
                "--decision",
                "utsatt",
                "--reason",
                "r",
                "--decided-at",
                "i går",
            ],
            "not an ISO 8601 time",
        ),
        (
            [
                "korona",
                "decide",
                "p",
                "--decision",
                "utsatt",
                "--reason",
                "r",
                "--decided-at",
                "2020-03-29T02:30",
            ],
            "did not exist in Norwegian time",
        ),
        (["korona", "decide", "p", "--decision", "utsatt"], "--reason"),
        (["korona", "decide", "--decision", "utsatt", "--reason", "r"], "ID"),
        (["korona", "fund", "allocate", "p", "to", "--reason", "r"], "is not a number"),
        (["korona", "fund", "pay", "p", "0", "--reason", "r"], "more than zero"),
        (["korona", "fund", "commit", "p", "1,5", "--reason", "r", "--key", " "], "--key is empty"),
        (["korona", "fund", "give", "p", "1"], "No such command"),
        (["korona", "feedback", "p", "--kind", "message"], "needs --text"),
        (["korona", "feedback", "p", "--kind", "dekket"], "needs --text"),
        (["korona", "feedback", "p", "--kind", "svar"], "unknown feedback kind"),
        (["korona", "list", "--state", "ny"], "unknown state"),
        (["korona", "list", "--category", "Video"], "not a category code"),
        (["korona", "backlog", "--role", "admin"], "unknown role"),
        (["korona", "categorise", "p", "--category", "100", "--reason", "r"], "category code"),
        (["korona", "set-status", "p", "--status", "ferdig"], "unknown status"),
        (["korona", "similar", "video", "--limit", "21"], "--limit"),
        (["korona", "similar", " "], "give a text"),
        (["korona", "import-proposals", "/no/such/file.tsv"], "does not exist"),
    ],
)
def test_wrong_command_lines_are_usage_errors_before_any_call(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run([*args, *UNREACHABLE] if "No such" not in message else args, capsys)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_an_unreachable_service_is_one_line_naming_where_it_was_looked_for(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, err = _run(["korona", "show", "p", *UNREACHABLE], capsys)
    assert code == 1
    assert err.startswith("error: GetProposal: cannot reach the service at 127.0.0.1:1")
    assert len(err.strip().splitlines()) == 1
