"""The report messages of ``ReportingService``, built from the read model.

The gRPC API returns them; the web pages turn the same messages into the same JSON the CLI
prints and render it, so every view of a report says the same thing.
"""

from __future__ import annotations

from eportfolio.common.v1 import common_pb2
from eportfolio.reporting.v1 import reporting_pb2
from reporting.projections import utc_text
from reporting.queries import AsOf, PortfolioReport, korona_report, portfolio_report
from reporting.sections import Change, SegmentDue, sections
from reporting.store import ReadModelStore

SEGMENT: dict[str | None, common_pb2.Segment.ValueType] = {
    None: common_pb2.SEGMENT_UNSPECIFIED,
    "samstyre": common_pb2.SEGMENT_SAMSTYRE,
    "koordinere": common_pb2.SEGMENT_KOORDINERE,
    "observere": common_pb2.SEGMENT_OBSERVERE,
    "inspirere": common_pb2.SEGMENT_INSPIRERE,
}
COLOUR = {
    None: common_pb2.COLOUR_UNSPECIFIED,
    "green": common_pb2.COLOUR_GREEN,
    "yellow": common_pb2.COLOUR_YELLOW,
    "red": common_pb2.COLOUR_RED,
}


NOTHING_DUE = SegmentDue(0, 0)


def _previous(report: PortfolioReport) -> reporting_pb2.PreviousPeriod:
    return reporting_pb2.PreviousPeriod(
        period=report.period,
        measure_count=report.measure_count,
        budget_total_nok=report.budget_total_nok,
        status=reporting_pb2.ColourCounts(**report.status),
        risk=reporting_pb2.ColourCounts(**report.risk),
    )


def _change(c: Change) -> reporting_pb2.ChangeLine:
    return reporting_pb2.ChangeLine(
        measure_id=c.measure_id,
        name=c.name,
        responsible_agency=c.responsible_agency,
        period=c.period,
        lifecycle=c.lifecycle,
        way_forward=c.way_forward,
        budget_nok=c.budget_nok,
    )


def portfolio_message(
    store: ReadModelStore, period: str, as_of: AsOf
) -> reporting_pb2.PortfolioReport:
    """The portfolio report for ``period`` as of ``as_of`` (blocking: call off the event loop)."""
    r = portfolio_report(store, period, as_of)
    sx = sections(store, r, as_of)
    return reporting_pb2.PortfolioReport(
        previous=_previous(sx.previous) if sx.previous else None,
        entered=[_change(c) for c in sx.entered],
        exited=[_change(c) for c in sx.exited],
        candidates=[
            reporting_pb2.CandidateLine(
                measure_id=c.measure_id,
                name=c.name,
                responsible_agency=c.responsible_agency,
                strategic_area=c.strategic_area,
                candidate_for=c.candidate_for,
            )
            for c in sx.candidates
        ],
        by_strategic_area=[
            reporting_pb2.AreaLine(
                strategic_area=a.strategic_area,
                measures=a.measures,
                budget_nok_this_year=a.budget_nok_this_year,
                budget_nok_next_year=a.budget_nok_next_year,
            )
            for a in sx.by_strategic_area
        ],
        finishing_this_year=[
            reporting_pb2.FinishingLine(
                measure_id=f.measure_id,
                name=f.name,
                responsible_agency=f.responsible_agency,
                planned_end=f.planned_end,
            )
            for f in sx.finishing_this_year
        ],
        as_of=utc_text(as_of.moment) if as_of.moment else "",
        period=r.period,
        measure_count=r.measure_count,
        budget_total_nok=r.budget_total_nok,
        status=reporting_pb2.ColourCounts(**r.status),
        risk=reporting_pb2.ColourCounts(**r.risk),
        by_agency=[
            reporting_pb2.AgencyLine(agency=a.agency, measures=a.measures, budget_nok=a.budget_nok)
            for a in r.by_agency
        ],
        measures=[
            reporting_pb2.MeasureLine(
                measure_id=m.measure_id,
                name=m.name,
                responsible_agency=m.responsible_agency,
                strategic_area=m.strategic_area,
                status=COLOUR[m.status],
                risk=COLOUR[m.risk],
                budget_nok=m.budget_nok,
                reported=m.reported,
                report_receipt_id=m.report_receipt_id,
                segment=SEGMENT[m.segment],
                explanation=m.explanation,
            )
            for m in r.measures
        ],
        by_segment=[
            reporting_pb2.SegmentLine(
                segment=SEGMENT[s.segment],
                measures=s.measures,
                budget_nok=s.budget_nok,
                reports_due=sx.due_by_segment.get(s.segment, NOTHING_DUE).reports_due,
                reports_overdue=sx.due_by_segment.get(s.segment, NOTHING_DUE).reports_overdue,
            )
            for s in r.by_segment
        ],
    )


def korona_message(store: ReadModelStore, as_of: AsOf) -> reporting_pb2.KoronaReport:
    """The corona report as of ``as_of`` (blocking: call off the event loop)."""
    r = korona_report(store, as_of)
    f = r.funding
    return reporting_pb2.KoronaReport(
        as_of=utc_text(as_of.moment) if as_of.moment else "",
        total=r.total,
        by_category=[
            reporting_pb2.CategoryLine(code=c.code, proposals=c.proposals, category=c.name)
            for c in r.by_category
        ],
        by_state=[reporting_pb2.StateLine(state=s, proposals=n) for s, n in r.by_state],
        net_list=[
            reporting_pb2.NetListLine(
                proposal_id=e.proposal_id,
                title=e.title,
                responsible_agency=e.responsible_agency,
                implementation_status=e.implementation_status,
                allocated_nok=e.allocated_nok,
                committed_nok=e.committed_nok,
                paid_nok=e.paid_nok,
                category_code=e.category_code,
            )
            for e in r.net_list
        ],
        funding=reporting_pb2.FundingSummary(
            total_nok=f.total_nok,
            allocated_nok=f.allocated_nok,
            committed_nok=f.committed_nok,
            paid_nok=f.paid_nok,
            left_nok=f.left_nok,
        ),
        awaiting_feedback=r.awaiting_feedback,
        median_days_to_feedback=r.median_days_to_feedback or 0.0,
    )
