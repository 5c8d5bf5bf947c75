"""The national portfolio's process through the gRPC APIs, with the real services.

Submission -> assessment against versioned criteria -> inclusion in a segment -> status
reports (red needs an explanation; corrections are new events) -> moves -> leaving the
portfolio; who may do what; the calendar; dependencies both ways.
"""

from __future__ import annotations

import itertools
from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2
from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2
from eportfolio.reporting.v1 import reporting_pb2
from tests.integration.conftest import OFFICE, System, caller, refused

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

FHI = "Folkehelseinstituttet"
NHN = "Norsk Helsenett"
AS_FHI = caller(FHI, "agency")
AS_OFFICE = caller(OFFICE, "office")
AS_AUDITOR = caller("Riksrevisjonen", "auditor")
ALL_MET = [
    assessment_pb2.CriterionResult(criterion=c, met=True, reason="ja")
    for c in ("digitalisation", "several_actors", "reuse_or_national")
]
_ids = itertools.count(500)


async def submit(system: System, agency: str = FHI, **fields: Any) -> int:
    """A new measure submitted by ``agency``; returns the id intake gave it."""
    request = intake_pb2.SubmitMeasureRequest(
        name=fields.pop("name", "Digital smittesporing"), responsible_agency=agency, **fields
    )
    # a measure already in the portfolio (a historical table) is the office's to register
    who = AS_OFFICE if request.in_portfolio_since else caller(agency, "agency")
    receipt = await system.intake.SubmitMeasure(request, metadata=who)
    measure_id = int(receipt.subject_id)
    await measure(system, measure_id)
    return measure_id


async def measure(
    system: System, measure_id: int, until: Any = lambda m: True
) -> assessment_pb2.Measure:
    request = assessment_pb2.GetMeasureRequest(measure_id=measure_id)
    return await system.eventually(
        lambda: system.assessment.GetMeasure(request, metadata=AS_AUDITOR), until
    )


async def in_portfolio(
    system: System,
    segment: int = common_pb2.SEGMENT_SAMSTYRE,
    period: str = "2020-03",
    agency: str = FHI,
    **fields: Any,
) -> int:
    measure_id = await submit(system, agency, **fields)
    await system.assessment.AssessMeasure(
        assessment_pb2.AssessMeasureRequest(
            measure_id=measure_id, criteria_version="2020", results=ALL_MET
        ),
        metadata=AS_OFFICE,
    )
    await system.assessment.IncludeMeasure(
        assessment_pb2.IncludeMeasureRequest(
            measure_id=measure_id,
            segment=segment,
            period=period,
            reason="Vedtatt",
            decision="NUIT sak 12/20",
        ),
        metadata=AS_OFFICE,
    )
    return measure_id


async def report(
    system: System, measure_id: int, period: str, as_: Any = AS_FHI, **fields: Any
) -> str:
    receipt = await system.intake.SubmitStatusReport(
        intake_pb2.SubmitStatusReportRequest(measure_id=measure_id, period=period, **fields),
        metadata=as_,
    )
    return str(receipt.receipt_id)


async def portfolio(system: System, period: str, until: Any = lambda r: True) -> Any:
    request = reporting_pb2.GetPortfolioReportRequest(period=period)
    return await system.eventually(lambda: system.reporting.GetPortfolioReport(request), until)


def line(report_: Any, measure_id: int) -> Any:
    return next((m for m in report_.measures if m.measure_id == measure_id), None)


def shows(measure_id: int, **expected: Any) -> Any:
    """A condition on a report: it lists the measure, with these field values."""

    def holds(report_: Any) -> bool:
        found = line(report_, measure_id)
        return found is not None and all(getattr(found, k) == v for k, v in expected.items())

    return holds


# --- submission ------------------------------------------------------------------------


async def test_an_agency_submits_a_measure_gets_a_receipt_and_can_follow_its_state(
    system: System,
) -> None:
    receipt = await system.intake.SubmitMeasure(
        intake_pb2.SubmitMeasureRequest(
            idempotency_key="sub-1",
            name="Nasjonal vaksinasjonsoversikt",
            description="Oversikt over vaksinerte",
            responsible_agency=FHI,
            owner="Kari",
            strategic_area="3.2 Bedre bruk av helsedata",
            planned_start="2021-01",
            planned_end="2022-06",
            budget=[
                common_pb2.FundedBudgetLine(year=2021, funder=FHI, amount_nok=5_000_000),
                common_pb2.FundedBudgetLine(
                    year=2021, funder="Helsedirektoratet", amount_nok=2_000_000
                ),
            ],
            checklist=[
                intake_pb2.ChecklistAnswer(
                    criterion="digitalisation", answer=True, justification="Digital løsning"
                )
            ],
            proposed_segment=common_pb2.SEGMENT_KOORDINERE,
            operating_cost_nok_per_year=800_000,
        ),
        metadata=AS_FHI,
    )
    assert receipt.receipt_id
    assert int(receipt.subject_id) >= 1000, "a new measure gets the next portfolio id"
    m = await measure(system, int(receipt.subject_id))
    assert m.lifecycle == "submitted"
    assert [(b.funder, b.amount_nok) for b in m.planned_budget] == [
        (FHI, 5_000_000),
        ("Helsedirektoratet", 2_000_000),
    ]
    assert m.proposed_segment == common_pb2.SEGMENT_KOORDINERE
    assert m.operating_cost_nok_per_year == 800_000
    assert (m.planned_start, m.planned_end) == ("2021-01", "2022-06")
    # not counted in the portfolio before the office has included it
    r = await portfolio(system, "2021-06")
    assert line(r, m.measure_id) is None


async def test_an_agency_submits_only_its_own_measures_and_auditors_only_read(
    system: System,
) -> None:
    code, _ = await refused(
        system.intake.SubmitMeasure(
            intake_pb2.SubmitMeasureRequest(name="X", responsible_agency=NHN), metadata=AS_FHI
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await refused(
        system.intake.SubmitMeasure(
            intake_pb2.SubmitMeasureRequest(name="X", responsible_agency=FHI), metadata=AS_AUDITOR
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await refused(
        system.intake.SubmitMeasure(
            intake_pb2.SubmitMeasureRequest(
                name="X", responsible_agency=FHI, in_portfolio_since="2020-03"
            ),
            metadata=AS_FHI,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED, "inclusion is the office's decision"
    nhn_measure = await submit(system, NHN)
    code, _ = await refused(
        system.intake.SubmitStatusReport(
            intake_pb2.SubmitStatusReportRequest(measure_id=nhn_measure, period="2020-03"),
            metadata=AS_FHI,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED


# --- assessment and inclusion ----------------------------------------------------------


async def test_only_the_office_assesses_includes_and_moves(system: System) -> None:
    measure_id = await submit(system)
    for call in (
        system.assessment.AssessMeasure(
            assessment_pb2.AssessMeasureRequest(
                measure_id=measure_id, criteria_version="2020", results=ALL_MET
            ),
            metadata=AS_FHI,
        ),
        system.assessment.IncludeMeasure(
            assessment_pb2.IncludeMeasureRequest(
                measure_id=measure_id, segment=common_pb2.SEGMENT_SAMSTYRE, period="2020-03"
            ),
            metadata=AS_FHI,
        ),
        system.assessment.MoveMeasure(
            assessment_pb2.MoveMeasureRequest(
                measure_id=measure_id, to=common_pb2.SEGMENT_OBSERVERE, reason="r"
            ),
            metadata=AS_AUDITOR,
        ),
    ):
        code, _ = await refused(call)
        assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_an_assessment_names_its_criteria_version_and_gates_inclusion(
    system: System,
) -> None:
    measure_id = await submit(system)
    code, fields = await refused(
        system.assessment.AssessMeasure(
            assessment_pb2.AssessMeasureRequest(
                measure_id=measure_id, criteria_version="1999", results=ALL_MET
            ),
            metadata=AS_OFFICE,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["criteria_version"])
    code, _ = await refused(
        system.assessment.IncludeMeasure(
            assessment_pb2.IncludeMeasureRequest(
                measure_id=measure_id, segment=common_pb2.SEGMENT_SAMSTYRE, period="2020-03"
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "not assessed yet"
    one_not_met = [
        *ALL_MET[:2],
        assessment_pb2.CriterionResult(
            criterion="reuse_or_national", met=False, reason="Lokal løsning"
        ),
    ]
    assessed = await system.assessment.AssessMeasure(
        assessment_pb2.AssessMeasureRequest(
            measure_id=measure_id, criteria_version="2020", results=one_not_met
        ),
        metadata=AS_OFFICE,
    )
    assert assessed.assessment.criteria_version == "2020"
    assert not assessed.assessment.all_met
    code, _ = await refused(
        system.assessment.IncludeMeasure(
            assessment_pb2.IncludeMeasureRequest(
                measure_id=measure_id, segment=common_pb2.SEGMENT_SAMSTYRE, period="2020-03"
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "all three criteria must hold"
    rejected = await system.assessment.RejectMeasure(
        assessment_pb2.RejectMeasureRequest(
            measure_id=measure_id, reason="Ikke nasjonal gjenbruksverdi"
        ),
        metadata=AS_OFFICE,
    )
    assert (rejected.lifecycle, rejected.rejection_reason) == (
        "not_included",
        "Ikke nasjonal gjenbruksverdi",
    )


async def test_an_included_measure_counts_in_its_segment_from_its_period(system: System) -> None:
    measure_id = await in_portfolio(system, common_pb2.SEGMENT_KOORDINERE, period="2020-06")
    m = await measure(system, measure_id)
    assert (m.lifecycle, m.segment, m.in_portfolio_since) == (
        "active",
        common_pb2.SEGMENT_KOORDINERE,
        "2020-06",
    )
    june = await portfolio(system, "2020-06", until=shows(measure_id))
    assert line(june, measure_id).segment == common_pb2.SEGMENT_KOORDINERE
    assert any(
        s.segment == common_pb2.SEGMENT_KOORDINERE and s.measures >= 1 for s in june.by_segment
    )
    assert line(await portfolio(system, "2020-03"), measure_id) is None


# --- segments ---------------------------------------------------------------------------


async def test_a_move_needs_a_reason_another_segment_and_is_kept_with_who_and_why(
    system: System,
) -> None:
    measure_id = await in_portfolio(system, common_pb2.SEGMENT_SAMSTYRE)
    code, fields = await refused(
        system.assessment.MoveMeasure(
            assessment_pb2.MoveMeasureRequest(
                measure_id=measure_id, to=common_pb2.SEGMENT_OBSERVERE
            ),
            metadata=AS_OFFICE,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["reason"])
    code, _ = await refused(
        system.assessment.MoveMeasure(
            assessment_pb2.MoveMeasureRequest(
                measure_id=measure_id, to=common_pb2.SEGMENT_SAMSTYRE, reason="r"
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "a move to the segment it is in"
    code, fields = await refused(
        system.assessment.MoveMeasure(
            assessment_pb2.MoveMeasureRequest(measure_id=measure_id, to=9, reason="r"),
            metadata=AS_OFFICE,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["to"])
    moved = await system.assessment.MoveMeasure(
        assessment_pb2.MoveMeasureRequest(
            measure_id=measure_id,
            to=common_pb2.SEGMENT_OBSERVERE,
            reason="Løsningen er i drift hos de fleste",
            decision="NUIT sak 15/20",
            period="2020-09",
        ),
        metadata=caller(OFFICE, "office", user="porteføljekontoret"),
    )
    assert moved.segment == common_pb2.SEGMENT_OBSERVERE
    events = list(system.assessment_app.events.get(moved_id(measure_id)))
    move = next(e for e in events if type(e).__name__ == "SegmentChanged")
    assert (move.from_segment, move.to_segment) == ("samstyre", "observere")
    assert (move.reason, move.decision, move.period) == (
        "Løsningen er i drift hos de fleste",
        "NUIT sak 15/20",
        "2020-09",
    )
    assert (move.meta["agency"], move.meta["user"], move.meta["role"]) == (
        OFFICE,
        "porteføljekontoret",
        "office",
    )
    assert move.timestamp is not None
    # before the move it reported as Samstyre, from the move on as Observere
    sep = await portfolio(
        system, "2020-09", until=shows(measure_id, segment=common_pb2.SEGMENT_OBSERVERE)
    )
    assert line(sep, measure_id).segment == common_pb2.SEGMENT_OBSERVERE
    june = await portfolio(system, "2020-06")
    assert line(june, measure_id).segment == common_pb2.SEGMENT_SAMSTYRE


def moved_id(measure_id: int) -> Any:
    from assessment.domain import Measure

    return Measure.create_id(measure_id)


# --- status reports ---------------------------------------------------------------------


async def test_bad_status_reports_are_refused_with_the_field_named(system: System) -> None:
    measure_id = await in_portfolio(system)
    cases = [
        ({"status": common_pb2.COLOUR_RED}, ["explanation"]),
        ({"risk": 7}, ["risk"]),
        ({"budget": [common_pb2.BudgetLine(year=2020, amount_nok=-1)]}, ["budget[0].amount_nok"]),
        ({"period": "2020-13"}, ["period"]),
    ]
    for fields, expected in cases:
        request = {"period": "2020-03", **fields}
        code, named = await refused(
            system.intake.SubmitStatusReport(
                intake_pb2.SubmitStatusReportRequest(measure_id=measure_id, **request),
                metadata=AS_FHI,
            )
        )
        assert (code, named) == (grpc.StatusCode.INVALID_ARGUMENT, expected), fields
    code, _ = await refused(
        system.intake.SubmitStatusReport(
            intake_pb2.SubmitStatusReportRequest(measure_id=99_999, period="2020-03"),
            metadata=AS_FHI,
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_a_red_report_is_shown_with_its_explanation_and_a_correction_replaces_it(
    system: System,
) -> None:
    measure_id = await in_portfolio(system)
    await report(
        system,
        measure_id,
        "2020-03",
        status=common_pb2.COLOUR_RED,
        risk=common_pb2.COLOUR_YELLOW,
        explanation="Forsinket leverandør",
    )
    first = await portfolio(system, "2020-03", until=shows(measure_id, reported=True))
    assert (line(first, measure_id).status, line(first, measure_id).explanation) == (
        common_pb2.COLOUR_RED,
        "Forsinket leverandør",
    )
    correction = await report(
        system,
        measure_id,
        "2020-03",
        status=common_pb2.COLOUR_YELLOW,
        risk=common_pb2.COLOUR_YELLOW,
    )
    corrected = await portfolio(
        system, "2020-03", until=lambda r: line(r, measure_id).report_receipt_id == correction
    )
    assert line(corrected, measure_id).status == common_pb2.COLOUR_YELLOW
    m = await measure(system, measure_id)
    assert m.status_reports[0].correction
    history = [type(e).__name__ for e in system.assessment_app.events.get(moved_id(measure_id))]
    assert history.count("StatusReportRecorded") == 2, "a correction is a new event"


async def test_a_historical_red_without_explanation_is_taken_and_flagged(system: System) -> None:
    measure_id = await in_portfolio(system)
    # A historical table is the office's to import: the agency itself may not skip the rule.
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await report(
            system, measure_id, "2020-03", status=common_pb2.COLOUR_RED, historical_import=True
        )
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert "historical_import" in (refused.value.details() or "")
    await report(
        system,
        measure_id,
        "2020-03",
        as_=AS_OFFICE,
        status=common_pb2.COLOUR_RED,
        historical_import=True,
    )
    m = await measure(system, measure_id, until=lambda m: len(m.status_reports) == 1)
    assert m.status_reports[0].explanation_missing


# --- the calendar and the lifecycle ------------------------------------------------------


async def test_the_calendar_follows_each_segments_cadence_and_names_the_late(
    system: System,
) -> None:
    samstyre = await in_portfolio(system, common_pb2.SEGMENT_SAMSTYRE)
    inspirere = await in_portfolio(system, common_pb2.SEGMENT_INSPIRERE)
    await report(
        system, samstyre, "2020-03", status=common_pb2.COLOUR_GREEN, risk=common_pb2.COLOUR_GREEN
    )

    async def calendar(period: str, at: str) -> dict[int, Any]:
        answer = await system.reporting.GetCalendar(
            reporting_pb2.GetCalendarRequest(period=period, at=at)
        )
        return {e.measure_id: e for e in answer.due}

    march = await system.eventually(
        lambda: calendar("2020-03", "2020-05-01T00:00:00+00:00"),
        lambda c: samstyre in c and c[samstyre].reported,
    )
    assert inspirere not in march, "Inspirere reports once a year (December)"
    assert march[samstyre].deadline == "2020-04-15"
    assert not march[samstyre].overdue
    december = await calendar("2020-12", "2021-02-01T00:00:00+00:00")
    assert december[inspirere].overdue and december[samstyre].overdue
    assert not (await calendar("2020-12", "2021-01-10T00:00:00+00:00"))[inspirere].overdue


async def test_a_measure_that_left_is_counted_up_to_its_last_period_only(system: System) -> None:
    completed = await in_portfolio(system)
    paused = await in_portfolio(system)
    withdrawn = await in_portfolio(system)
    await system.assessment.CompleteMeasure(
        assessment_pb2.CompleteMeasureRequest(
            measure_id=completed, period="2020-06", way_forward="Forvaltning", reason="Ferdig"
        ),
        metadata=AS_OFFICE,
    )
    await system.assessment.PauseMeasure(
        assessment_pb2.PauseMeasureRequest(
            measure_id=paused, period="2020-06", reason="Omprioritert"
        ),
        metadata=AS_FHI,
    )
    await system.assessment.WithdrawMeasure(
        assessment_pb2.WithdrawMeasureRequest(
            measure_id=withdrawn, period="2020-06", reason="Trukket"
        ),
        metadata=AS_FHI,
    )
    code, _ = await refused(
        system.assessment.PauseMeasure(
            assessment_pb2.PauseMeasureRequest(measure_id=completed, period="2020-09", reason="r"),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, _ = await refused(
        system.assessment.CompleteMeasure(
            assessment_pb2.CompleteMeasureRequest(measure_id=paused, way_forward="x"),
            metadata=caller(NHN, "agency"),
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    ids = {completed, paused, withdrawn}
    september = await portfolio(
        system, "2020-09", until=lambda r: not ids & {m.measure_id for m in r.measures}
    )
    assert not ids & {m.measure_id for m in september.measures}
    june = await portfolio(system, "2020-06")
    assert ids <= {m.measure_id for m in june.measures}
    m = await measure(system, completed)
    assert (m.lifecycle, m.left_after, m.way_forward) == ("completed", "2020-06", "Forvaltning")


async def test_a_candidate_is_not_counted_until_it_is_included(system: System) -> None:
    candidate = await submit(system, name="Akson journal", candidate_for=2021)
    m = await measure(system, candidate)
    assert (m.lifecycle, m.candidate_for) == ("candidate", 2021)
    assert line(await portfolio(system, "2021-03"), candidate) is None
    await system.assessment.AssessMeasure(
        assessment_pb2.AssessMeasureRequest(
            measure_id=candidate, criteria_version="2020", results=ALL_MET
        ),
        metadata=AS_OFFICE,
    )
    await system.assessment.IncludeMeasure(
        assessment_pb2.IncludeMeasureRequest(
            measure_id=candidate,
            segment=common_pb2.SEGMENT_SAMSTYRE,
            period="2021-03",
            reason="Oppstart bekreftet",
        ),
        metadata=AS_OFFICE,
    )
    await portfolio(system, "2021-03", until=shows(candidate))


async def test_dependencies_are_queryable_both_ways(system: System) -> None:
    base = await in_portfolio(system, name="Felles grunnmur")
    user = await submit(system, name="Pasientens legemiddelliste", depends_on=[base])
    answer = await system.eventually(
        lambda: system.reporting.GetDependencies(
            reporting_pb2.GetDependenciesRequest(measure_id=base)
        ),
        lambda d: bool(d.depended_on_by),
    )
    assert [(d.measure_id, d.name) for d in answer.depended_on_by] == [
        (user, "Pasientens legemiddelliste")
    ]
    other_way = await system.reporting.GetDependencies(
        reporting_pb2.GetDependenciesRequest(measure_id=user)
    )
    assert [d.measure_id for d in other_way.depends_on] == [base]


async def test_a_report_the_measure_cannot_take_is_refused_with_a_reason_the_agency_sees(
    system: System,
) -> None:
    measure_id = await in_portfolio(system)
    await system.assessment.WithdrawMeasure(
        assessment_pb2.WithdrawMeasureRequest(
            measure_id=measure_id, period="2020-06", reason="Trukket"
        ),
        metadata=AS_FHI,
    )
    receipt = await report(system, measure_id, "2020-09", status=common_pb2.COLOUR_GREEN)
    m = await measure(system, measure_id, until=lambda m: bool(m.refused_reports))
    (refusal,) = m.refused_reports
    assert (refusal.receipt_id, refusal.period) == (receipt, "2020-09")
    assert "not in the portfolio" in refusal.reason
    assert not m.status_reports


async def test_a_move_cannot_take_effect_before_the_last_placement(system: System) -> None:
    measure_id = await in_portfolio(system, common_pb2.SEGMENT_SAMSTYRE, period="2020-06")
    code, _ = await refused(
        system.assessment.MoveMeasure(
            assessment_pb2.MoveMeasureRequest(
                measure_id=measure_id, to=common_pb2.SEGMENT_OBSERVERE, reason="r", period="2020-03"
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION


async def test_dependencies_of_an_unknown_measure_are_not_found(system: System) -> None:
    code, _ = await refused(
        system.reporting.GetDependencies(reporting_pb2.GetDependenciesRequest(measure_id=98_765))
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_a_report_is_checked_against_what_its_segments_focus_asks_for(
    system: System,
) -> None:
    coordinated = await in_portfolio(system, common_pb2.SEGMENT_KOORDINERE, period="2020-06")
    await report(
        system,
        coordinated,
        "2020-06",
        status=common_pb2.COLOUR_GREEN,
        risk=common_pb2.COLOUR_GREEN,
        progress="I rute",
    )
    await report(
        system,
        coordinated,
        "2020-12",
        status=common_pb2.COLOUR_GREEN,
        risk=common_pb2.COLOUR_GREEN,
        dependency_notes="Venter på grunndata fra tiltak 189",
    )
    m = await measure(system, coordinated, until=lambda m: len(m.status_reports) == 2)
    june, december = m.status_reports
    assert list(june.missing_focus) == ["dependency_notes"]
    assert (list(december.missing_focus), december.dependency_notes) == (
        [],
        "Venter på grunndata fra tiltak 189",
    )


async def test_a_reminder_is_an_event_issued_once_per_period_and_kind(system: System) -> None:
    measure_id = await in_portfolio(system, common_pb2.SEGMENT_SAMSTYRE, period="2020-03")

    async def remind(overdue: bool) -> assessment_pb2.Measure:
        return await system.assessment.RemindMeasure(
            assessment_pb2.RemindMeasureRequest(
                measure_id=measure_id, period="2020-06", deadline="2020-07-15", overdue=overdue
            ),
            metadata=AS_OFFICE,
        )

    await remind(False)
    await remind(False)
    m = await remind(True)
    assert [(r.period, r.kind) for r in m.reminders] == [("2020-06", "due"), ("2020-06", "overdue")]
    history = [type(e).__name__ for e in system.assessment_app.events.get(moved_id(measure_id))]
    assert history.count("ReminderIssued") == 2
    code, _ = await refused(
        system.assessment.RemindMeasure(
            assessment_pb2.RemindMeasureRequest(
                measure_id=measure_id, period="2020-06", deadline="2020-07-15"
            ),
            metadata=AS_FHI,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    await report(
        system, measure_id, "2020-09", status=common_pb2.COLOUR_GREEN, risk=common_pb2.COLOUR_GREEN
    )
    await measure(system, measure_id, until=lambda m: len(m.status_reports) == 1)
    code, _ = await refused(
        system.assessment.RemindMeasure(
            assessment_pb2.RemindMeasureRequest(
                measure_id=measure_id, period="2020-09", deadline="2020-10-15"
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "it has reported"


# --- as of a past moment -----------------------------------------------------------------


async def test_the_portfolio_report_answers_as_of_a_past_moment_on_either_time_axis(
    system: System,
) -> None:
    """Domain time: when a report was given. Recorded time: when the system stored it."""
    # a measure from a historical table: in the portfolio since 2019-03, as told then
    measure_id = await submit(
        system, in_portfolio_since="2019-03", reported_at="2019-03-01T12:00:00+01:00"
    )
    # Dated reports come from the office's import of a historical table.
    first = await report(
        system,
        measure_id,
        "2019-03",
        as_=AS_OFFICE,
        status=common_pb2.COLOUR_RED,
        explanation="Forsinket",
        reported_at="2019-03-20T12:00:00+01:00",
    )
    second = await report(
        system,
        measure_id,
        "2019-03",
        as_=AS_OFFICE,
        status=common_pb2.COLOUR_GREEN,
        reported_at="2019-04-02T12:00:00+02:00",
    )
    now = await portfolio(system, "2019-03", until=shows(measure_id, report_receipt_id=second))
    assert line(now, measure_id).status == common_pb2.COLOUR_GREEN

    async def as_of(moment: str, axis: int = 0) -> Any:
        return await system.reporting.GetPortfolioReport(
            reporting_pb2.GetPortfolioReportRequest(period="2019-03", as_of=moment, axis=axis)
        )

    late_march = await as_of("2019-03-25T00:00:00+01:00")
    assert (
        line(late_march, measure_id).status,
        line(late_march, measure_id).report_receipt_id,
    ) == (common_pb2.COLOUR_RED, first), "the correction was given in April"
    assert late_march.as_of == "2019-03-24T23:00:00+00:00"
    # Recorded time: on 25 March 2019 the system knew nothing of this measure.
    recorded = await as_of("2019-03-25T00:00:00+01:00", common_pb2.TIME_AXIS_RECORDED)
    assert line(recorded, measure_id) is None
    # Recorded time now-ish: everything recorded so far, the correction included.
    recorded_now = await as_of("2999-01-01T00:00:00Z", common_pb2.TIME_AXIS_RECORDED)
    assert line(recorded_now, measure_id).report_receipt_id == second
    code, fields = await refused(
        system.reporting.GetPortfolioReport(
            reporting_pb2.GetPortfolioReportRequest(period="2019-03", as_of="i går", axis=9)
        )
    )
    assert (code, sorted(fields)) == (grpc.StatusCode.INVALID_ARGUMENT, ["as_of", "axis"])


async def test_the_report_compares_with_the_previous_period_and_lists_the_changes(
    system: System,
) -> None:
    """Seed 002's sections: against January, what entered and left (with its way
    forward), next year's candidates, budget per strategic area, finishing this year."""

    async def historical(since: str, **fields: Any) -> int:
        return await submit(
            system, in_portfolio_since=since, reported_at=f"{since}-28T12:00:00+00:00", **fields
        )

    kept = await historical(
        "2023-01", name="Kjernejournal 2023", planned_end="2023-11", strategic_area="9.1 Testområde"
    )
    left = await historical("2023-01", name="Gammelt register", strategic_area="9.1 Testområde")
    entered = await historical("2023-03", name="Nytt API", strategic_area="9.2 Annet område")
    candidate = await submit(system, name="Kandidat 2024", candidate_for=2024)
    for mid, period in (
        (kept, "2023-01"),
        (left, "2023-01"),
        (kept, "2023-03"),
        (entered, "2023-03"),
    ):
        await report(
            system,
            mid,
            period,
            as_=AS_OFFICE,
            status=common_pb2.COLOUR_GREEN,
            risk=common_pb2.COLOUR_YELLOW,
            historical_import=True,
            budget=[
                common_pb2.BudgetLine(year=2023, amount_nok=10_000_000),
                common_pb2.BudgetLine(year=2024, amount_nok=12_000_000),
            ],
            reported_at=f"{period}-28T12:00:00+00:00",
        )
    await system.assessment.CompleteMeasure(
        assessment_pb2.CompleteMeasureRequest(
            measure_id=left, period="2023-01", way_forward="Forvaltning", reason="Ferdig"
        ),
        metadata=AS_OFFICE,
    )
    r = await portfolio(
        system,
        "2023-03",
        until=lambda r: (
            bool(r.exited) and shows(entered, reported=True)(r) and shows(kept, reported=True)(r)
        ),
    )
    # other tests' measures share this system; those with 2023 figures are ours
    assert r.previous.period == "2023-01"
    assert r.measure_count == r.previous.measure_count, "one entered, one left"
    assert r.previous.budget_total_nok == 20_000_000
    assert [(c.measure_id, c.period) for c in r.entered] == [(entered, "2023-03")]
    assert [(c.measure_id, c.lifecycle, c.way_forward, c.period) for c in r.exited] == [
        (left, "completed", "Forvaltning", "2023-01")
    ]
    assert [(c.measure_id, c.candidate_for) for c in r.candidates] == [(candidate, 2024)]
    areas = {a.strategic_area: a for a in r.by_strategic_area}
    assert (
        areas["9.1 Testområde"].budget_nok_this_year,
        areas["9.1 Testområde"].budget_nok_next_year,
    ) == (10_000_000, 12_000_000)
    assert [f.measure_id for f in r.finishing_this_year] == [kept]
    unplaced = next(s for s in r.by_segment if s.segment == common_pb2.SEGMENT_UNSPECIFIED)
    assert unplaced.reports_due >= 2, "unplaced measures report every period"
    assert unplaced.reports_overdue <= unplaced.reports_due - 2, "ours reported"


# --- rebuild (kept last: it replays everything the tests above produced) ------------------


async def test_rebuilt_projections_equal_the_live_views(system: System) -> None:
    periods = ["2019-03", "2020-03", "2020-06", "2020-09", "2020-12", "2021-03", "2023-03"]

    async def views() -> list[Any]:
        out: list[Any] = []
        for period in periods:
            for as_of, axis in (
                ("", 0),
                ("2020-07-01T00:00:00Z", 0),
                ("2999-01-01T00:00:00Z", common_pb2.TIME_AXIS_RECORDED),
            ):
                out.append(
                    await system.reporting.GetPortfolioReport(
                        reporting_pb2.GetPortfolioReportRequest(
                            period=period, as_of=as_of, axis=axis
                        )
                    )
                )
            out.append(
                await system.reporting.GetCalendar(
                    reporting_pb2.GetCalendarRequest(period=period, at="2021-01-01T00:00:00Z")
                )
            )
        return out

    live = await views()
    assert sum(r.measure_count for r in live[::4]) > 0, "there is something to rebuild"
    code, _ = await refused(
        system.reporting.RebuildProjections(
            reporting_pb2.RebuildProjectionsRequest(), metadata=AS_FHI
        ).read()
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    progress = [
        p
        async for p in system.reporting.RebuildProjections(
            reporting_pb2.RebuildProjectionsRequest(), metadata=AS_OFFICE
        )
    ]
    assert progress[-1].done
    assert progress[-1].read == progress[-1].total > 0
    assert [p.read for p in progress] == sorted(p.read for p in progress), "it only goes up"
    assert await views() == live
