"""Projections: how each integration event changes the report tables.

Pure translation from a delivery to SQL operations; the sink applies them with the
tracking record in one transaction, so a projection never applies a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from backbone.consumer import TRANSIENT, Delivery, PoisonMessageError
from contracts import assessment as a
from contracts import korona as k
from reporting.store import Op, ReadModelStore

HANDLED = {
    "MeasureRegistered",
    "StatusReportRecorded",
    "MeasureIncluded",
    "MeasureNotIncluded",
    "SegmentChanged",
    "MeasureLeft",
    "ProposalRegistered",
}


def _measure_registered(p: a.MeasureRegistered, version: int, aggregate_id: str) -> list[Op]:
    ops: list[Op] = [
        (
            "INSERT INTO {s}rpt_measures (measure_id, aggregate_id, name, responsible_agency, "
            "owner, strategic_area, in_portfolio_since, left_after, lifecycle, way_forward, "
            "candidate_for, version) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, '', ?, ?) "
            "ON CONFLICT (measure_id) DO UPDATE SET name = excluded.name, "
            "responsible_agency = excluded.responsible_agency, owner = excluded.owner, "
            "strategic_area = excluded.strategic_area, "
            "in_portfolio_since = excluded.in_portfolio_since, lifecycle = excluded.lifecycle, "
            "candidate_for = excluded.candidate_for, version = excluded.version",
            (
                p.measure_id,
                aggregate_id,
                p.name,
                p.responsible_agency,
                p.owner,
                p.strategic_area,
                p.in_portfolio_since,
                p.lifecycle,
                p.candidate_for,
                version,
            ),
        ),
        ("DELETE FROM {s}rpt_dependencies WHERE measure_id = ?", (p.measure_id,)),
    ]
    ops.extend(
        (
            "INSERT INTO {s}rpt_dependencies (measure_id, depends_on) VALUES (?, ?)",
            (p.measure_id, other),
        )
        for other in sorted(set(p.depends_on))
    )
    return ops


def _status_report(p: a.StatusReportRecorded) -> list[Op]:
    ops: list[Op] = [
        (
            "INSERT INTO {s}rpt_status_reports (measure_id, period, status, risk, explanation, "
            "explanation_missing, receipt_id) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (measure_id, period) DO UPDATE SET status = excluded.status, "
            "risk = excluded.risk, explanation = excluded.explanation, "
            "explanation_missing = excluded.explanation_missing, "
            "receipt_id = excluded.receipt_id",
            (
                p.measure_id,
                p.period,
                p.status,
                p.risk,
                p.explanation,
                int(p.explanation_missing),
                p.receipt_id,
            ),
        ),
        # A later report for the same period replaces the earlier one, budget included.
        (
            "DELETE FROM {s}rpt_budgets WHERE measure_id = ? AND period = ?",
            (p.measure_id, p.period),
        ),
    ]
    ops.extend(
        (
            "INSERT INTO {s}rpt_budgets (measure_id, year, period, amount_nok) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (measure_id, year, period) "
            "DO UPDATE SET amount_nok = excluded.amount_nok",
            (p.measure_id, line.year, p.period, line.amount_nok),
        )
        for line in p.budget
    )
    return ops


def _segment_from(measure_id: int, period: str, segment: str, months: list[int]) -> Op:
    """The measure is in ``segment`` from ``period`` on (a later move in the same period wins)."""
    return (
        "INSERT INTO {s}rpt_segments (measure_id, from_period, segment, report_months) "
        "VALUES (?, ?, ?, ?) ON CONFLICT (measure_id, from_period) DO UPDATE SET "
        "segment = excluded.segment, report_months = excluded.report_months",
        (measure_id, period, segment, ",".join(str(m) for m in months)),
    )


def utc_text(moment: datetime) -> str:
    """A moment as sortable text: ISO 8601 in UTC (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def ops_for(delivery: Delivery) -> list[Op]:  # noqa: PLR0911 - one branch per event type
    p = delivery.payload
    env = delivery.envelope
    if isinstance(p, a.MeasureRegistered):
        return _measure_registered(p, env.aggregate_version, str(env.aggregate_id))
    if isinstance(p, a.StatusReportRecorded):
        return _status_report(p)
    if isinstance(p, a.MeasureIncluded):
        return [
            (
                "UPDATE {s}rpt_measures SET lifecycle = 'active', in_portfolio_since = ? "
                "WHERE measure_id = ?",
                (p.period, p.measure_id),
            ),
            _segment_from(p.measure_id, p.period, p.segment, p.report_months),
        ]
    if isinstance(p, a.SegmentChanged):
        return [_segment_from(p.measure_id, p.period, p.to_segment, p.report_months)]
    if isinstance(p, a.MeasureNotIncluded):
        return [
            (
                "UPDATE {s}rpt_measures SET lifecycle = 'not_included' WHERE measure_id = ?",
                (p.measure_id,),
            )
        ]
    if isinstance(p, a.MeasureLeft):
        return [
            (
                "UPDATE {s}rpt_measures SET lifecycle = ?, way_forward = ?, "
                "left_after = CASE WHEN in_portfolio_since IS NULL THEN NULL ELSE ? END "
                "WHERE measure_id = ?",
                (p.lifecycle, p.way_forward, p.period, p.measure_id),
            )
        ]
    if isinstance(p, k.ProposalRegistered):
        return [
            (
                "INSERT INTO {s}rpt_proposals "
                "(proposal_id, title, category_code, received_at, recorded_at, state) "
                "VALUES (?, ?, ?, ?, ?, 'registered') ON CONFLICT (proposal_id) DO NOTHING",
                (
                    p.proposal_id,
                    p.title,
                    p.category_code,
                    utc_text(p.received_at),
                    utc_text(env.recorded_at),
                ),
            )
        ]
    return []


class ProjectionSink:
    """Applies deliveries to the read model: rows and tracking record in one commit."""

    def __init__(self, store: ReadModelStore) -> None:
        self.store = store

    def position(self, tracking_name: str) -> int | None:
        return self.store.position(tracking_name)

    def apply(self, tracking_name: str, position: int, deliveries: Sequence[Delivery]) -> None:
        ops: list[Op] = []
        for index, delivery in enumerate(deliveries):
            try:
                ops.extend(ops_for(delivery))
            except TRANSIENT:
                raise
            except Exception as exc:
                raise PoisonMessageError(index, exc) from exc
        self.store.write(Tracking(tracking_name, position), ops)
