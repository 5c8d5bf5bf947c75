"""Command-line values of the measure commands, and the usage errors (exit 2) a wrong
one gives before anything is sent."""

from __future__ import annotations

import pytest

from portfolio_cli.caller import Role
from portfolio_cli.main import app
from portfolio_cli.measure_args import (
    CriterionAnswer,
    check_criteria,
    parse_budget,
    parse_criterion,
    parse_report_colour,
    parse_role,
    parse_timestamp,
)
from report_views.colours import Colour
from report_views.segment_names import Segment, parse_segment

REPORT = ["measure", "report", "5", "--period", "2020-03"]
ALL_MET = [
    CriterionAnswer("digitalisation", True),
    CriterionAnswer("several_actors", True),
    CriterionAnswer("reuse_or_national", True),
]


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("digitalisation=yes", CriterionAnswer("digitalisation", True, "")),
        ("several_actors=no", CriterionAnswer("several_actors", False, "")),
        (
            "reuse_or_national=no:Bare én virksomhet",
            CriterionAnswer("reuse_or_national", False, "Bare én virksomhet"),
        ),
        (
            "digitalisation=Ja: Ny løsning: fase 2",
            CriterionAnswer("digitalisation", True, "Ny løsning: fase 2"),
        ),
        ("several_actors=NEI", CriterionAnswer("several_actors", False, "")),
    ],
)
def test_a_criterion_flag_is_key_verdict_and_optional_reason(
    text: str, answer: CriterionAnswer
) -> None:
    assert parse_criterion(text) == answer


@pytest.mark.parametrize(
    "text", ["digitalisation", "digitalisation=maybe", "=yes", "Digitalisation=yes", "x y=yes"]
)
def test_a_malformed_criterion_flag_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="criterion"):
        parse_criterion(text)


def test_criteria_2020_must_be_complete_known_and_given_once() -> None:
    assert check_criteria("2020", ALL_MET) == []
    problems = check_criteria("2020", [*ALL_MET[:2], CriterionAnswer("digitalisation", False)])
    assert problems == [
        "criterion digitalisation is given twice",
        "criterion reuse_or_national is missing",
    ]
    unknown = check_criteria("2020", [*ALL_MET, CriterionAnswer("cost", True)])
    assert len(unknown) == 1
    assert "'cost' is not in criteria version 2020" in unknown[0]


def test_an_unknown_criteria_version_is_left_to_the_server() -> None:
    assert check_criteria("2023", [CriterionAnswer("anything", True)]) == []


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("Samstyre", Segment.SAMSTYRE),
        ("samstyre", Segment.SAMSTYRE),
        ("S", Segment.SAMSTYRE),
        ("KOORDINERE", Segment.KOORDINERE),
        ("k", Segment.KOORDINERE),
        (" Observere ", Segment.OBSERVERE),
        ("o", Segment.OBSERVERE),
        ("Inspirere", Segment.INSPIRERE),
        ("I", Segment.INSPIRERE),
    ],
)
def test_segments_are_names_or_letters_in_any_case(text: str, segment: Segment) -> None:
    assert parse_segment(text) == segment


@pytest.mark.parametrize("text", ["", "X", "Samstyring", "koord"])
def test_an_unknown_segment_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="unknown segment"):
        parse_segment(text)


def test_segments_have_bokmal_labels() -> None:
    assert [s.label for s in Segment] == ["Samstyre", "Koordinere", "Observere", "Inspirere"]


def test_roles_colours_times_and_budgets() -> None:
    assert parse_role("Office") is Role.OFFICE
    assert parse_role("auditor") is Role.AUDITOR
    with pytest.raises(ValueError, match="unknown role"):
        parse_role("admin")
    assert parse_report_colour("Rød") is Colour.RED
    assert parse_report_colour("yellow") is Colour.YELLOW
    with pytest.raises(ValueError, match="give a colour"):
        parse_report_colour(" ")
    assert parse_timestamp("2020-04-15T12:00:00Z") == "2020-04-15T12:00:00Z"
    assert parse_timestamp("2020-04-15T12:00:00+02:00") == "2020-04-15T12:00:00+02:00"
    for bad in ["2020-04-15", "2020-04-15T12:00:00", "tomorrow"]:
        with pytest.raises(ValueError, match="RFC 3339"):
            parse_timestamp(bad)
    assert parse_budget("1,5") == 1_500_000
    with pytest.raises(ValueError, match="million NOK"):
        parse_budget("")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_info:
        app(args)
    return int(exit_info.value.code or 0), capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["measure", "move", "5", "--to", "X", "--reason", "r"], "unknown segment 'X'"),
        (["measure", "include", "5", "--segment", "S", "--period", "2020-3"], "a period is"),
        (["measure", "assess", "5", "--criterion", "digitalisation"], "KEY=yes|no"),
        (["measure", "assess", "5", "--criterion", "digitalisation=yes"], "is missing"),
        (["measure", "show", "5", "--role", "admin"], "unknown role"),
        (["measure", "show", "0"], "ID"),
        (
            ["measure", "report", "5", "--period", "2020-03", "--status", "Rød", "--risk", "Gul"],
            "needs --explanation",
        ),
        (
            ["measure", "report", "5", "--period", "2020-03", "--status", "blå", "--risk", "Gul"],
            "unknown colour",
        ),
        (
            [*REPORT, "--status", "Gul", "--risk", "Gul", "--budget-year", "2021"],
            "--budget-year needs --budget",
        ),
        (["calendar", "--period", "2020-06", "--at", "2020-07-01"], "RFC 3339"),
        (["import", "candidates", "/dev/null"], "--year"),
    ],
)
def test_wrong_command_lines_are_usage_errors_before_any_call(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _run(args, capsys)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
