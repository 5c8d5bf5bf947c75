"""``portfolio report``: every format to stdout or to a file, binary never to a terminal."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from eportfolio.reporting.v1 import reporting_pb2
from portfolio_cli import cmd_report
from portfolio_cli.report_output import DestinationError, check_destination, choose_format
from report_views.render import ReportFormat


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def served(
    monkeypatch: pytest.MonkeyPatch,
    march_message: reporting_pb2.PortfolioReport,
    korona_message: reporting_pb2.KoronaReport,
) -> list[str]:
    """The reporting service's answers without a server; records the methods called."""
    calls: list[str] = []

    def answer(address: str, method: str, request: Any) -> Any:
        calls.append(method)
        return march_message if method == "GetPortfolioReport" else korona_message

    monkeypatch.setattr(cmd_report, "_get", answer)
    return calls


def run(*args: str) -> Any:
    return CliRunner().invoke(cmd_report.app, list(args))


def test_json_is_still_the_report_data(served: list[str]) -> None:
    result = run("portfolio", "--period", "2020-03", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["measure_count"], data["budget_total_mnok"]) == (52, 1571)
    assert served == ["GetPortfolioReport"]


def test_csv_goes_to_stdout_with_its_byte_order_mark(served: list[str]) -> None:
    result = run("portfolio", "--period", "2020-03", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"\xef\xbb\xbfNr;Tiltak;")
    assert result.stdout_bytes.count(b"\r\n") == 53


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_format_can_be_written_to_a_file(
    served: list[str], tmp_path: Path, fmt: ReportFormat
) -> None:
    out = tmp_path / f"rapport.{fmt.value}"
    result = run("portfolio", "--period", "2020-03", "--format", fmt.value, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"wrote {out} ({fmt.value}," in result.stderr
    data = out.read_bytes()
    assert data
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind
    if fmt is ReportFormat.JSON:
        assert json.loads(data)["period"] == "2020-03"
        assert "EPJ-løftet".encode() in data  # UTF-8 in a file, not \\u escapes


def test_the_file_name_chooses_the_format_when_format_is_not_given(
    served: list[str], tmp_path: Path
) -> None:
    pdf, xlsx = tmp_path / "mars.pdf", tmp_path / "mars.XLSX"
    assert run("portfolio", "--period", "2020-03", "--out", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert run("portfolio", "--period", "2020-03", "--out", str(xlsx)).exit_code == 0
    assert load_workbook(xlsx).sheetnames[0] == "Oppsummering"
    assert choose_format(None, Path("rapport.txt")) is ReportFormat.TABLE
    assert choose_format(None, Path("rapport")) is ReportFormat.TABLE
    assert choose_format(ReportFormat.CSV, Path("rapport.pdf")) is ReportFormat.CSV


def test_binary_formats_are_refused_on_a_terminal_but_go_down_a_pipe(served: list[str]) -> None:
    with pytest.raises(DestinationError, match=r"binary format.*--out FILE.*> rapport\.pdf"):
        check_destination(ReportFormat.PDF, None, Terminal())
    check_destination(ReportFormat.HTML, None, Terminal())
    check_destination(ReportFormat.PDF, None, io.StringIO())
    result = run("portfolio", "--period", "2020-03", "--format", "xlsx")  # stdout is a pipe
    assert result.exit_code == 0
    assert result.stdout_bytes.startswith(b"PK")


def test_a_file_in_a_missing_directory_is_refused_before_asking_the_server(
    served: list[str], tmp_path: Path
) -> None:
    out = tmp_path / "nowhere" / "rapport.pdf"
    result = run("portfolio", "--period", "2020-03", "--out", str(out))
    assert result.exit_code == 2
    assert "the directory" in result.stderr and "does not exist" in result.stderr
    assert served == []


def test_the_korona_report_names_categories_from_the_shared_directory(
    served: list[str], shared_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTFOLIO_SHARED_DIR", str(shared_dir))
    named = run("korona", "--format", "table")
    assert named.exit_code == 0
    assert "Infeksjonsovervåking" in named.stdout
    monkeypatch.setenv("PORTFOLIO_SHARED_DIR", str(tmp_path))
    bare = run("korona", "--format", "csv")
    assert bare.exit_code == 0
    assert b"\r\n12;;84\r\n" in bare.stdout_bytes


def test_the_table_is_unchanged_for_the_terminal(served: list[str]) -> None:
    result = run("portfolio", "--period", "2020-03")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[:3] == ["Porteføljerapport 2020-03", "Antall tiltak: 52", "Budsjett: 1 571 MNOK"]
    assert lines[3] == "Status: Grønn 17, Gul 30, Rød 2, Ikke rapportert 3"
