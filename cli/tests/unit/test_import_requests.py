"""What a table row becomes on the wire, and how a rejected call names the row's columns."""

from __future__ import annotations

from urllib.parse import unquote

from eportfolio.common.v1 import common_pb2
from portfolio_cli.importer import already_in_portfolio
from portfolio_cli.intake_messages import (
    caller_metadata,
    measure_request,
    report_key,
    report_request,
)
from portfolio_cli.row_errors import column_for, errors_of
from portfolio_cli.rpc import CallError, CallFailure, FieldViolation, header_value
from portfolio_cli.tsv import BudgetFigure, MeasureRow
from report_views.colours import Colour


def a_row(**changes: object) -> MeasureRow:
    fields: dict[str, object] = {
        "line": 7,
        "strategic_area": "2.2 Dele oppdaterte legemiddelopplysninger",
        "measure_id": 160,
        "name": "Digitalisering av legemiddelområdet",
        "responsible_agency": "Helse Sør-Øst RHF",
        "owner": "(blank)",
        "status": Colour.RED,
        "risk": None,
        "budget": (BudgetFigure(2020, 62_000_000),),
    }
    fields.update(changes)
    return MeasureRow(**fields)  # type: ignore[arg-type]


def test_a_row_submits_its_measure_in_the_portfolio_since_the_period() -> None:
    request = measure_request(a_row(), "2020-03")
    assert request.idempotency_key == "import-measure:2020-03:160"
    assert request.measure_id == 160
    assert request.owner == "(blank)"
    assert request.responsible_agency == "Helse Sør-Øst RHF"
    assert request.in_portfolio_since == "2020-03"


def test_a_row_reports_status_risk_and_budget_for_the_period() -> None:
    request = report_request(a_row(), "2020-03")
    assert request.period == "2020-03"
    assert request.status == common_pb2.COLOUR_RED
    assert request.risk == common_pb2.COLOUR_UNSPECIFIED
    assert [(b.year, b.amount_nok) for b in request.budget] == [(2020, 62_000_000)]


def test_a_table_row_is_a_historical_report_so_red_without_explanation_is_flagged() -> None:
    request = report_request(a_row(), "2020-03")
    assert request.historical_import
    assert request.explanation == ""


def test_a_row_without_a_budget_figure_sends_no_budget_line() -> None:
    assert list(report_request(a_row(budget=()), "2020-03").budget) == []


def test_the_report_key_is_stable_for_the_same_row_and_new_for_a_corrected_one() -> None:
    key = report_key(a_row(), "2020-03")
    assert key.startswith("import-report:2020-03:160:")
    assert len(key.rsplit(":", 1)[1]) == 16
    assert report_key(a_row(line=99), "2020-03") == key
    assert report_key(a_row(status=Colour.YELLOW), "2020-03") != key
    assert report_key(a_row(), "2020-06") != key


def test_the_caller_is_the_rows_agency_acting_through_the_cli() -> None:
    metadata = dict(caller_metadata("KS", "c-1"))
    assert metadata == {
        "x-agency": "KS",
        "x-user": "portfolio-cli",
        "x-role": "agency",
        "x-correlation-id": "c-1",
    }


def test_an_agency_name_outside_ascii_is_percent_encoded_for_grpc_metadata() -> None:
    value = header_value("Helse Sør-Øst RHF")
    assert value.isascii()
    assert unquote(value) == "Helse Sør-Øst RHF"
    assert header_value("100% KS") == "100%25 KS"
    assert header_value("Helse Vest RHF") == "Helse Vest RHF"


def test_request_fields_map_back_to_file_columns() -> None:
    row = a_row()
    assert column_for("name", row) == "name"
    assert column_for("budget[0].amount_nok", row) == "budget_2020_mnok"
    assert column_for("budget[3].year", row) is None
    assert column_for("period", row) is None


def test_field_violations_become_one_error_per_column() -> None:
    failure = CallFailure(
        "INVALID_ARGUMENT",
        "name: too long; period: bad",
        (FieldViolation("name", "is longer than 500 characters"), FieldViolation("period", "bad")),
    )
    errors = errors_of(a_row(), CallError("SubmitStatusReport", failure))
    assert [(e.line, e.column, e.reason) for e in errors] == [
        (7, "name", "is longer than 500 characters"),
        (7, None, "SubmitStatusReport rejected period: bad"),
    ]


def test_a_failure_without_violations_is_an_error_of_the_whole_row() -> None:
    failure = CallFailure("NOT_FOUND", "measure 160 has not been submitted")
    (error,) = errors_of(a_row(), CallError("SubmitStatusReport", failure))
    assert error.column is None
    assert error.reason == (
        "SubmitStatusReport failed: NOT_FOUND: measure 160 has not been submitted"
    )


def test_a_measure_submitted_before_is_no_failure() -> None:
    assert already_in_portfolio(CallFailure("ALREADY_EXISTS", "measure 160 exists"))
    assert not already_in_portfolio(
        CallFailure(
            "FAILED_PRECONDITION", "idempotency key was used before for a different request"
        )
    )
    assert not already_in_portfolio(CallFailure("FAILED_PRECONDITION", "too many concurrent"))
    assert not already_in_portfolio(CallFailure("INVALID_ARGUMENT", "name: is required"))
