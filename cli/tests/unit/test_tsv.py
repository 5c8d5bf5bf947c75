"""Reading a portfolio table: rows with their line numbers, errors naming line and column."""

from __future__ import annotations

from pathlib import Path

from portfolio_cli.tsv import BudgetFigure, RowError, parse_table, read_table
from report_views.colours import Colour

HEADER = (
    "strategic_area\tmeasure_id\tname\tresponsible_agency\towner\tstatus\trisk\tbudget_2020_mnok"
)
AREA = "1.1 Modernisere journal- og samhandlingsløsninger"


def table(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def row(
    measure_id: str = "11",
    *,
    name: str = "EPJ-løftet",
    agency: str = "Direktoratet for e-helse",
    owner: str = "Siv Ingebrigtsen",
    status: str = "Gul",
    risk: str = "Gul",
    budget: str = "32",
) -> str:
    return "\t".join([AREA, measure_id, name, agency, owner, status, risk, budget])


def only_error(data: bytes) -> RowError:
    parsed = parse_table(data)
    assert len(parsed.errors) == 1, parsed.errors
    return parsed.errors[0]


def test_the_march_2020_portfolio_reads_without_errors(shared_dir: Path) -> None:
    parsed = read_table(shared_dir / "data" / "portfolio-2020-03.tsv")
    assert parsed.errors == []
    assert parsed.row_count == 52
    assert len(parsed.rows) == 52
    assert parsed.budget_years == (2020,)
    assert sum(b.amount_nok for r in parsed.rows for b in r.budget) == 1_571_000_000


def test_the_march_2020_portfolio_keeps_its_blanks_as_written(shared_dir: Path) -> None:
    rows = {r.measure_id: r for r in read_table(shared_dir / "data" / "portfolio-2020-03.tsv").rows}
    assert rows[131].status is None
    assert rows[164].risk is None
    assert rows[83].owner == "(blank)"


def test_a_valid_row_keeps_its_line_number_and_fields() -> None:
    parsed = parse_table(table(row()))
    assert parsed.errors == []
    (first,) = parsed.rows
    assert first.line == 2
    assert first.measure_id == 11
    assert first.name == "EPJ-løftet"
    assert first.responsible_agency == "Direktoratet for e-helse"
    assert first.strategic_area == AREA
    assert (first.status, first.risk) == (Colour.YELLOW, Colour.YELLOW)
    assert first.budget == (BudgetFigure(2020, 32_000_000),)


def test_the_budget_year_comes_from_the_column_name() -> None:
    header = HEADER.replace("budget_2020_mnok", "budget_2021_mnok")
    (first,) = parse_table(table(row(budget="1,5"), header=header)).rows
    assert first.budget == (BudgetFigure(2021, 1_500_000),)


def test_a_blank_budget_means_no_figure() -> None:
    (first,) = parse_table(table(row(budget=""))).rows
    assert first.budget == ()


def test_colours_are_read_in_norwegian_or_english_in_any_case() -> None:
    parsed = parse_table(
        table(row(status="grønn", risk="RØD"), row("12", status="Yellow", risk=""))
    )
    assert [(r.status, r.risk) for r in parsed.rows] == [
        (Colour.GREEN, Colour.RED),
        (Colour.YELLOW, None),
    ]


def test_columns_are_found_by_name_in_any_order() -> None:
    header = "\t".join(
        [
            "measure_id",
            "name",
            "responsible_agency",
            "owner",
            "status",
            "risk",
            "budget_2020_mnok",
            "strategic_area",
        ]
    )
    data = table("7\tX\tKS\t\tGrønn\tGul\t2\t4.1 Område", header=header)
    (first,) = parse_table(data).rows
    assert (first.measure_id, first.strategic_area, first.status) == (7, "4.1 Område", Colour.GREEN)


def test_an_unknown_colour_names_its_line_and_column() -> None:
    error = only_error(table(row(), row("12", status="Blå")))
    assert (error.line, error.column) == (3, "status")
    assert "Blå" in error.reason


def test_a_measure_id_that_is_not_a_number_is_an_error() -> None:
    error = only_error(table(row(measure_id="abc")))
    assert (error.line, error.column) == (2, "measure_id")


def test_a_measure_id_of_zero_is_an_error() -> None:
    assert only_error(table(row(measure_id="0"))).column == "measure_id"


def test_a_measure_id_beyond_int32_is_an_error() -> None:
    assert only_error(table(row(measure_id="2147483648"))).column == "measure_id"


def test_a_budget_that_is_not_a_number_is_an_error() -> None:
    error = only_error(table(row(budget="mye")))
    assert (error.line, error.column) == (2, "budget_2020_mnok")
    assert "not a number" in error.reason


def test_a_negative_budget_is_an_error() -> None:
    error = only_error(table(row(budget="-3")))
    assert error.column == "budget_2020_mnok"
    assert "negative" in error.reason


def test_a_missing_name_is_an_error() -> None:
    assert only_error(table(row(name=""))).column == "name"


def test_a_missing_agency_is_an_error() -> None:
    assert only_error(table(row(agency=" "))).column == "responsible_agency"


def test_a_row_with_too_few_columns_is_an_error_of_the_whole_line() -> None:
    error = only_error(table(row(), "\t".join(row().split("\t")[:-1])))
    assert (error.line, error.column) == (3, None)
    assert "expected 8" in error.reason


def test_a_duplicate_measure_id_is_an_error_on_the_later_line() -> None:
    parsed = parse_table(table(row(), row(name="Again")))
    assert [r.line for r in parsed.rows] == [2]
    (error,) = parsed.errors
    assert (error.line, error.column) == (3, "measure_id")
    assert "line 2" in error.reason


def test_missing_header_columns_are_each_named() -> None:
    header = "strategic_area\tmeasure_id\tname\towner\tstatus"
    parsed = parse_table(table("1\t2\t3\t4\t5", header=header))
    assert {e.column for e in parsed.errors} == {"responsible_agency", "risk", "budget_YYYY_mnok"}
    assert {e.line for e in parsed.errors} == {1}
    assert parsed.rows == []
    assert parsed.row_count == 1


def test_a_bad_row_does_not_stop_the_rows_after_it() -> None:
    parsed = parse_table(table(row(status="lilla"), row("12"), row("13", budget="x"), row("14")))
    assert [r.measure_id for r in parsed.rows] == [12, 14]
    assert [e.line for e in parsed.errors] == [2, 4]
    assert parsed.failed_count == 2


def test_a_row_with_several_problems_reports_each() -> None:
    parsed = parse_table(table(row(status="x", risk="y", budget="z")))
    assert [e.column for e in parsed.errors] == ["status", "risk", "budget_2020_mnok"]


def test_blank_lines_are_skipped_and_line_numbers_stay_true() -> None:
    data = (HEADER + "\n\n" + row() + "\r\n\n" + row("12") + "\n").encode()
    parsed = parse_table(data)
    assert [r.line for r in parsed.rows] == [3, 5]
    assert parsed.row_count == 2


def test_a_byte_order_mark_is_ignored() -> None:
    assert parse_table(b"\xef\xbb\xbf" + table(row())).errors == []


def test_a_line_that_is_not_utf8_is_an_error_of_that_line_only() -> None:
    data = table(row(), row("12")).replace(b"Siv", b"S\xf8v", 1)
    parsed = parse_table(data)
    assert [r.line for r in parsed.rows] == [3]
    assert (parsed.errors[0].line, parsed.errors[0].column) == (2, None)


def test_an_empty_file_is_an_error() -> None:
    assert only_error(b"").line == 1


def test_an_error_renders_as_file_line_column_reason() -> None:
    assert RowError(4, "status", "unknown colour").render("x.tsv") == (
        "x.tsv:4: column status: unknown colour"
    )
    assert RowError(5, None, "expected 8").render("x.tsv") == "x.tsv:5: expected 8"


def test_the_fingerprint_ignores_the_spelling_of_the_budget_and_the_line() -> None:
    first = parse_table(table(row(budget="1,5"))).rows[0]
    second = parse_table(table("", row(budget="1.50"))).rows[0]
    assert first.line != second.line
    assert first.fingerprint() == second.fingerprint()


def test_the_fingerprint_changes_when_a_field_changes() -> None:
    first = parse_table(table(row())).rows[0]
    corrected = parse_table(table(row(status="Rød"))).rows[0]
    assert first.fingerprint() != corrected.fingerprint()
