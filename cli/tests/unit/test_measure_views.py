"""Measures, calendars, dependencies and import outcomes as JSON (English keys, lowercase
segment names or null) and as bokmål text; the requests the commands send."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

from eportfolio.assessment.v1 import assessment_pb2
from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2
from portfolio_cli.calendar_view import calendar_json, calendar_text
from portfolio_cli.call_errors import explain
from portfolio_cli.caller import Caller, Role, office
from portfolio_cli.candidate_import import (
    CandidateImportOutcome,
    CandidateRow,
    NotSubmitted,
    Submitted,
    candidate_request,
)
from portfolio_cli.change_import import (
    Action,
    Change,
    ChangeImportOutcome,
    ChangeResult,
    ChangeRow,
    change_row,
    exit_reason,
    span_nb,
    submit_request,
)
from portfolio_cli.dependencies_view import dependencies_json, dependencies_text
from portfolio_cli.import_views import candidates_json, changes_json, segments_json
from portfolio_cli.intake_messages import status_report_request
from portfolio_cli.measure_json import measure_json, receipt_json
from portfolio_cli.measure_text import measure_text
from portfolio_cli.name_matching import Candidate, Match, Matching, Method, NoMatch, Scored
from portfolio_cli.records import Record, parse_records
from portfolio_cli.rpc import CallError, CallFailure, FieldViolation
from portfolio_cli.segment_import import (
    Placed,
    Placement,
    SegmentImportOutcome,
    SegmentRow,
    move_reason,
)
from report_views.colours import Colour
from report_views.segment_names import Segment


def a_measure() -> assessment_pb2.Measure:
    return assessment_pb2.Measure(
        measure_id=160,
        name="Digitalisering av legemiddelområdet",
        responsible_agency="Direktoratet for e-helse",
        owner="Robert Nystuen",
        strategic_area="2.2 Dele oppdaterte legemiddelopplysninger",
        in_portfolio_since="2020-03",
        lifecycle="active",
        segment=common_pb2.SEGMENT_SAMSTYRE,
        version=7,
        depends_on=[47, 100],
        assessment=assessment_pb2.Assessment(
            criteria_version="2020",
            all_met=False,
            results=[
                assessment_pb2.CriterionResult(criterion="digitalisation", met=True, reason="Ja"),
                assessment_pb2.CriterionResult(criterion="several_actors", met=False),
            ],
        ),
        status_reports=[
            assessment_pb2.StatusReport(
                period="2020-03",
                status=common_pb2.COLOUR_RED,
                risk=common_pb2.COLOUR_RED,
                budget=[common_pb2.BudgetLine(year=2020, amount_nok=62_000_000)],
                receipt_id="r-1",
                explanation_missing=True,
            )
        ],
    )


def test_a_measure_has_the_keys_the_office_reads() -> None:
    data = measure_json(a_measure())
    assert {
        k: data[k]
        for k in (
            "measure_id",
            "name",
            "responsible_agency",
            "owner",
            "lifecycle",
            "segment",
            "in_portfolio_since",
            "left_after",
            "way_forward",
            "depends_on",
            "version",
        )
    } == {
        "measure_id": 160,
        "name": "Digitalisering av legemiddelområdet",
        "responsible_agency": "Direktoratet for e-helse",
        "owner": "Robert Nystuen",
        "lifecycle": "active",
        "segment": "samstyre",
        "in_portfolio_since": "2020-03",
        "left_after": None,
        "way_forward": None,
        "depends_on": [47, 100],
        "version": 7,
    }
    assert data["assessment"] == {
        "criteria_version": "2020",
        "all_met": False,
        "results": [
            {"criterion": "digitalisation", "met": True, "reason": "Ja"},
            {"criterion": "several_actors", "met": False, "reason": ""},
        ],
    }
    assert data["status_reports"] == [
        {
            "period": "2020-03",
            "status": "red",
            "risk": "red",
            "budget": [{"year": 2020, "amount_mnok": 62, "amount_nok": 62_000_000}],
            "explanation": None,
            "explanation_missing": True,
            "correction": False,
            "receipt_id": "r-1",
            "progress": None,
            "obstacles": None,
            "experiences": None,
            "dependency_notes": None,
            "missing_focus": [],
        }
    ]
    assert data["refused_reports"] == []
    assert data["reminders"] == []


def test_a_new_measure_has_no_segment_and_no_assessment() -> None:
    data = measure_json(assessment_pb2.Measure(measure_id=1, name="Ny", lifecycle="submitted"))
    assert (data["segment"], data["assessment"], data["status_reports"]) == (None, None, [])
    assert data["candidate_for"] is None


def test_the_measure_text_is_in_bokmal() -> None:
    text = measure_text(a_measure())
    for words in [
        "Tiltak 160: Digitalisering av legemiddelområdet",
        "Segment",
        "Samstyre",
        "I porteføljen",
        "Vurdering (kriterier 2020): ikke alle oppfylt",
        "Digitalisering er en vesentlig del av tiltaket",
        "Rød",
        "(mangler)",
        "2020: 62",
    ]:
        assert words in text
    bare = measure_text(assessment_pb2.Measure(measure_id=1, name="Ny"))
    assert "Ikke plassert" in bare
    assert "ikke vurdert" in bare


def test_a_receipt_names_the_measure() -> None:
    receipt = common_pb2.Receipt(receipt_id="r", received_at="2020-04-01T00:00:00Z", subject_id="9")
    assert receipt_json(receipt) == {
        "receipt_id": "r",
        "received_at": "2020-04-01T00:00:00Z",
        "subject_id": "9",
        "replayed": False,
    }


def test_the_calendar_lists_who_owes_a_report() -> None:
    calendar = reporting_pb2.Calendar(
        period="2020-06",
        due=[
            reporting_pb2.CalendarEntry(
                measure_id=11,
                name="EPJ-løftet",
                responsible_agency="Direktoratet for e-helse",
                segment=common_pb2.SEGMENT_KOORDINERE,
                deadline="2020-06-20",
                overdue=True,
            ),
            reporting_pb2.CalendarEntry(measure_id=12, name="X", reported=True),
        ],
    )
    data = calendar_json(calendar)
    assert data["period"] == "2020-06"
    assert data["due"][0] == {
        "measure_id": 11,
        "name": "EPJ-løftet",
        "responsible_agency": "Direktoratet for e-helse",
        "segment": "koordinere",
        "deadline": "2020-06-20",
        "reported": False,
        "overdue": True,
    }
    assert (data["due"][1]["segment"], data["due"][1]["deadline"]) == (None, None)
    text = calendar_text(calendar)
    assert "Frist" in text
    assert "Forsinket" in text
    assert "forsinket: 1" in text


def test_dependencies_go_both_ways() -> None:
    found = reporting_pb2.Dependencies(
        measure_id=11,
        depends_on=[reporting_pb2.DependencyLine(measure_id=47, name="Kodeverk")],
    )
    assert dependencies_json(found) == {
        "measure_id": 11,
        "depends_on": [{"measure_id": 47, "name": "Kodeverk"}],
        "depended_on_by": [],
    }
    assert "Andre tiltak som avhenger av dette: ingen" in dependencies_text(found)


def test_a_status_report_from_the_command_line_is_not_a_historical_import() -> None:
    request = status_report_request(
        measure_id=160,
        period="2020-06",
        status=Colour.RED,
        risk=Colour.YELLOW,
        explanation="Mangler finansiering",
        budget_nok=62_000_000,
        idempotency_key="k",
    )
    assert not request.historical_import
    assert request.status == common_pb2.COLOUR_RED
    assert [(b.year, b.amount_nok) for b in request.budget] == [(2020, 62_000_000)]
    later = status_report_request(
        measure_id=1,
        period="2020-12",
        status=Colour.GREEN,
        risk=Colour.GREEN,
        budget_nok=1,
        budget_year=2021,
        idempotency_key="k",
    )
    assert [b.year for b in later.budget] == [2021]


def test_the_caller_travels_as_metadata_with_non_ascii_percent_encoded() -> None:
    caller = Caller("Helse Sør-Øst RHF", Role.AGENCY, "kari", "c-1")
    metadata = dict(caller.metadata())
    assert unquote(metadata["x-agency"]) == "Helse Sør-Øst RHF"
    assert metadata["x-agency"].isascii()
    assert (metadata["x-role"], metadata["x-user"], metadata["x-correlation-id"]) == (
        "agency",
        "kari",
        "c-1",
    )
    assert office().agency == "Direktoratet for e-helse"
    assert office().role is Role.OFFICE


def test_each_failure_is_one_line_naming_what_matters() -> None:
    bad = CallError(
        "IncludeMeasure",
        CallFailure("INVALID_ARGUMENT", "bad", (FieldViolation("period", "a period is YYYY-MM"),)),
    )
    assert explain(bad) == "IncludeMeasure refused the request: period: a period is YYYY-MM"
    denied = CallError(
        "MoveMeasure",
        CallFailure("PERMISSION_DENIED", "MoveMeasure is for the office role"),
        caller='agency "KS"',
    )
    assert explain(denied) == (
        'MoveMeasure: permission denied as agency "KS": MoveMeasure is for the office role'
    )
    missing = CallError("GetMeasure", CallFailure("NOT_FOUND", "measure 999\nis unknown"))
    assert explain(missing) == "GetMeasure: not found: measure 999 is unknown"
    state = CallError("PauseMeasure", CallFailure("FAILED_PRECONDITION", "it is paused"))
    assert explain(state) == "PauseMeasure: not possible now: it is paused"
    away = CallError("GetMeasure", CallFailure("UNAVAILABLE", "down"), address="127.0.0.1:1")
    assert "cannot reach the service at 127.0.0.1:1" in explain(away)
    for error in (bad, denied, missing, state, away):
        assert "\n" not in explain(error)


# --- imports ----------------------------------------------------------------------------


def test_smaller_tables_are_read_by_column_name_with_missing_trailing_cells_empty() -> None:
    data = "name\tresponsible_agency\tmain_strategic_area\tdescription\nA\tKS\n\nB\tKS\tx\ty\tz\n"
    records = parse_records(data.encode(), ("name", "responsible_agency"))
    assert [(r.line, r["name"], r["description"]) for r in records.rows] == [(2, "A", "")]
    assert [e.line for e in records.errors] == [4]
    assert records.row_count == 2
    missing = parse_records(b"name\n", ("name", "segment"))
    assert [e.column for e in missing.errors] == ["segment"]


def test_a_trial_move_gives_the_document_and_the_comment_as_its_reason() -> None:
    assert move_reason("2020-03", "Utprøving") == (
        "Prøveplassering av 2020-porteføljen (Porteføljestyring 2.0, §5.2): Utprøving"
    )
    assert move_reason("2020-03", "") == (
        "Prøveplassering av 2020-porteføljen (Porteføljestyring 2.0, §5.2)"
    )


def test_segment_import_json_lists_matched_unmatched_and_placed() -> None:
    row = SegmentRow(3, "1.1", "HMN Lab", "Helse Midt-Norge RHF", Segment.OBSERVERE, "x")
    other = SegmentRow(4, "5.1", "Akson - journal", "Akson journal AS", Segment.KOORDINERE, "")
    lab = Candidate(119, "HMN Lab", "Helse Midt-Norge RHF")
    akson = Candidate(81, "Akson", "Direktoratet for e-helse")
    match = Match(row.query(), Scored(lab, 1.0, True))
    outcome = SegmentImportOutcome(
        Path("s.tsv"),
        "2020-03",
        row_count=2,
        rows=[row, other],
        matching=Matching(
            [match],
            [NoMatch(other.query(), (Scored(akson, 0.6111, False),), "no name similar enough")],
        ),
        placements=[Placement(row, match, Placed.ALREADY)],
    )
    data = segments_json(outcome)
    assert data["matched"] == [
        {
            "line": 3,
            "name": "HMN Lab",
            "measure_id": 119,
            "measure_name": "HMN Lab",
            "segment": "observere",
            "score": 1.0,
            "method": "name",
            "outcome": "already",
            "error": None,
        }
    ]
    assert data["unmatched"] == [
        {
            "line": 4,
            "name": "Akson - journal",
            "reason": "no name similar enough",
            "closest": [
                {
                    "measure_id": 81,
                    "name": "Akson",
                    "responsible_agency": "Direktoratet for e-helse",
                    "score": 0.611,
                    "matched_to_line": None,
                }
            ],
        }
    ]
    assert (data["placed"], data["failed"]) == (1, 0)
    assert outcome.ok
    assert Method.AGENCY_AND_AREA.value == "agency+area"


def test_a_change_row_needs_an_id_a_known_change_and_a_way_forward_to_exit() -> None:
    def record(**cells: str) -> Record:
        base = {
            "measure_id": "143",
            "name": "Medikamentell kreftbehandling",
            "responsible_agency": "Helse Sør-Øst",
            "change": "exited",
            "way_forward": "Forvaltning",
        }
        return Record(3, {**base, **cells})

    row = change_row(record())
    assert isinstance(row, ChangeRow)
    assert (row.measure_id, row.change, row.responsible_agency) == (
        143,
        Change.EXITED,
        "Helse Sør-Øst",
    )
    assert getattr(change_row(record(measure_id="x")), "column", None) == "measure_id"
    assert getattr(change_row(record(change="moved")), "column", None) == "change"
    assert getattr(change_row(record(way_forward="")), "column", None) == "way_forward"
    entered = change_row(record(change="entered", way_forward=""))
    assert isinstance(entered, ChangeRow)


def test_changes_submit_with_a_stable_key_and_give_the_period_span_as_reason() -> None:
    row = ChangeRow(
        4, 142, "Regionalt laboratoriedatasystem", "Helse Sør-Øst", Change.EXITED, "Pauset"
    )
    request = submit_request(row, "2020-01")
    assert request.idempotency_key == "import-change:142"
    assert (request.measure_id, request.in_portfolio_since) == (142, "2020-01")
    assert request.responsible_agency == "Helse Sør-Øst"
    assert span_nb("2020-01", "2020-03") == "januar\u2013mars 2020"
    assert span_nb("2019-12", "2020-03") == "desember 2019\u2013mars 2020"
    assert exit_reason(row, "2020-01", "2020-03") == "Pauset (endringer januar\u2013mars 2020)"
    done = ChangeRow(3, 143, "M", "Helse Sør-Øst", Change.EXITED, "Forvaltning")
    assert "Forvaltning" in exit_reason(done, "2020-01", "2020-03")
    outcome = ChangeImportOutcome(
        Path("c.tsv"),
        row_count=2,
        results=[ChangeResult(row, Action.PAUSED), ChangeResult(done, Action.FAILED, "boom")],
    )
    data = changes_json(outcome)
    assert [r["action"] for r in data["results"]] == ["paused", "failed"]
    assert data["results"][1]["error"] == "boom"
    assert data["failed"] == 1
    assert not outcome.ok
    assert outcome.summary() == "2 rows: 1 paused, 1 failed"


def test_a_candidate_gets_its_id_from_intake_and_a_key_from_year_and_name() -> None:
    row = CandidateRow(6, "Ny personidentifikator", "Direktoratet for e-helse", "", "Tekst")
    request = candidate_request(row, 2021)
    assert request.measure_id == 0
    assert request.candidate_for == 2021
    assert request.idempotency_key == "import-candidate:2021:Ny personidentifikator"
    assert request.strategic_area == ""
    outcome = CandidateImportOutcome(
        Path("k.tsv"),
        2021,
        row_count=2,
        submitted=[Submitted(row, 190, "r-9", True)],
        failures=[NotSubmitted(row, "refused")],
    )
    data = candidates_json(outcome)
    assert data["submitted"] == [
        {
            "line": 6,
            "name": "Ny personidentifikator",
            "responsible_agency": "Direktoratet for e-helse",
            "measure_id": 190,
            "receipt_id": "r-9",
            "replayed": True,
        }
    ]
    assert data["failed"] == [{"line": 6, "name": "Ny personidentifikator", "error": "refused"}]
