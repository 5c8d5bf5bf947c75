"""Projections: how each integration event changes the report tables.

Pure translation from a delivery to SQL operations; the sink applies them with the
tracking record in one transaction, so a projection never applies a message twice.
"""

from __future__ import annotations

from collections.abc import Sequence

from eventsourcing.persistence import Tracking

from backbone.consumer import TRANSIENT, Delivery, PoisonMessageError
from contracts import assessment as a
from contracts import korona as k
from reporting.store import Op, ReadModelStore

HANDLED = {"MeasureRegistered", "StatusReportRecorded", "ProposalRegistered"}


def ops_for(delivery: Delivery) -> list[Op]:
    p = delivery.payload
    env = delivery.envelope
    if isinstance(p, a.MeasureRegistered):
        return [
            (
                "INSERT INTO {s}rpt_measures (measure_id, aggregate_id, name, responsible_agency, "
                "owner, strategic_area, in_portfolio_since, exited_period, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?) "
                "ON CONFLICT (measure_id) DO UPDATE SET name = excluded.name, "
                "responsible_agency = excluded.responsible_agency, owner = excluded.owner, "
                "strategic_area = excluded.strategic_area, "
                "in_portfolio_since = excluded.in_portfolio_since, version = excluded.version",
                (
                    p.measure_id,
                    str(env.aggregate_id),
                    p.name,
                    p.responsible_agency,
                    p.owner,
                    p.strategic_area,
                    p.in_portfolio_since,
                    env.aggregate_version,
                ),
            )
        ]
    if isinstance(p, a.StatusReportRecorded):
        ops: list[Op] = [
            (
                "INSERT INTO {s}rpt_status_reports (measure_id, period, status, risk, explanation, "
                "receipt_id) VALUES (?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (measure_id, period) DO UPDATE SET status = excluded.status, "
                "risk = excluded.risk, explanation = excluded.explanation, "
                "receipt_id = excluded.receipt_id",
                (p.measure_id, p.period, p.status, p.risk, p.explanation, p.receipt_id),
            )
        ]
        # A later report for the same period replaces the earlier one, budget included.
        ops.append(
            (
                "DELETE FROM {s}rpt_budgets WHERE measure_id = ? AND period = ?",
                (p.measure_id, p.period),
            )
        )
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
    if isinstance(p, k.ProposalRegistered):
        return [
            (
                "INSERT INTO {s}rpt_proposals "
                "(proposal_id, title, category_code, received_at, state) "
                "VALUES (?, ?, ?, ?, 'registered') ON CONFLICT (proposal_id) DO NOTHING",
                (p.proposal_id, p.title, p.category_code, p.received_at.isoformat()),
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
