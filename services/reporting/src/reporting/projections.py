"""Projections: how each integration event changes the report tables.

Pure translation from a delivery to SQL operations; the sink applies them with the
tracking record in one transaction, so a projection never applies a message twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import Tracking
from pydantic import BaseModel

from backbone.consumer import TRANSIENT, Delivery, PoisonMessageError
from backbone.deadletters import DeadLetter, Letters, Routed, group_of, route
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
    "ProposalCategorised",
    "ProposalRouted",
    "ProposalAssessed",
    "ProposalDecided",
    "ProposalReopened",
    "FeedbackGiven",
    "ImplementationStatusSet",
    "FundingEnvelopeOpened",
    "FundingChanged",
}


class Stamp:
    """Where and when a fact comes from: its log position and its two times."""

    def __init__(self, delivery: Delivery) -> None:
        env = delivery.envelope
        self.seq = env.position
        self.at = utc_text(env.occurred_at)
        self.rec = utc_text(env.recorded_at)

    @property
    def values(self) -> tuple[int, str, str]:
        return (self.seq, self.at, self.rec)


def _membership(
    measure_id: int,
    t: Stamp,
    lifecycle: str,
    since: str | None,
    left_after: str | None,
    way_forward: str = "",
) -> Op:
    return (
        "INSERT INTO {s}rpt_membership (measure_id, seq, at, rec, lifecycle, since, left_after, "
        "way_forward) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (measure_id, seq) DO NOTHING",
        (measure_id, *t.values, lifecycle, since, left_after, way_forward),
    )


def _measure_registered(
    p: a.MeasureRegistered, t: Stamp, version: int, aggregate_id: str
) -> list[Op]:
    ops: list[Op] = [
        (
            "INSERT INTO {s}rpt_measures (measure_id, aggregate_id, name, responsible_agency, "
            "owner, strategic_area, candidate_for, planned_end, version) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (measure_id) DO UPDATE SET name = excluded.name, "
            "responsible_agency = excluded.responsible_agency, owner = excluded.owner, "
            "strategic_area = excluded.strategic_area, candidate_for = excluded.candidate_for, "
            "planned_end = excluded.planned_end, version = excluded.version",
            (
                p.measure_id,
                aggregate_id,
                p.name,
                p.responsible_agency,
                p.owner,
                p.strategic_area,
                p.candidate_for,
                p.planned_end,
                version,
            ),
        ),
        _membership(p.measure_id, t, p.lifecycle, p.in_portfolio_since, None),
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


def _status_report(p: a.StatusReportRecorded, t: Stamp) -> list[Op]:
    """A report is a new history row; the latest one for a period is the one that counts."""
    ops: list[Op] = [
        (
            "INSERT INTO {s}rpt_status_reports (measure_id, period, seq, at, rec, status, risk, "
            "explanation, explanation_missing, receipt_id) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (measure_id, period, seq) DO NOTHING",
            (
                p.measure_id,
                p.period,
                *t.values,
                p.status,
                p.risk,
                p.explanation,
                int(p.explanation_missing),
                p.receipt_id,
            ),
        ),
    ]
    ops.extend(
        (
            "INSERT INTO {s}rpt_budgets (measure_id, period, seq, year, amount_nok) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (measure_id, period, seq, year) DO NOTHING",
            (p.measure_id, p.period, t.seq, line.year, line.amount_nok),
        )
        for line in p.budget
    )
    return ops


def _segment_from(measure_id: int, t: Stamp, period: str, segment: str, months: list[int]) -> Op:
    """The measure is in ``segment`` from ``period`` on (the latest placement wins)."""
    return (
        "INSERT INTO {s}rpt_segments (measure_id, seq, at, rec, from_period, segment, "
        "report_months) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (measure_id, seq) DO NOTHING",
        (measure_id, *t.values, period, segment, ",".join(str(m) for m in months)),
    )


# A lifecycle change keeps the measure's entry period from its latest membership row.
_LEFT = (
    "INSERT INTO {s}rpt_membership (measure_id, seq, at, rec, lifecycle, since, left_after, "
    "way_forward) SELECT measure_id, ?, ?, ?, ?, since, "
    "CASE WHEN since IS NULL THEN NULL ELSE ? END, ? FROM {s}rpt_membership "
    "WHERE measure_id = ? ORDER BY seq DESC LIMIT 1"
)


_STEP = (
    "INSERT INTO {s}rpt_proposal_history (proposal_id, seq, at, rec, event, state, "
    "category_code, category_name, working_group, source) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (proposal_id, seq) DO NOTHING"
)
# The first row of a proposal's path, written only with its first registration.
_FIRST_STEP = (
    "INSERT INTO {s}rpt_proposal_history (proposal_id, seq, at, rec, event, state, "
    "category_code, category_name, working_group, source) "
    "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS "
    "(SELECT 1 FROM {s}rpt_proposals WHERE proposal_id = ?) "
    "ON CONFLICT (proposal_id, seq) DO NOTHING"
)


def _step(
    proposal_id: str,
    t: Stamp,
    event: str,
    state: str,
    code: str | None = None,
    name: str | None = None,
    working_group: str | None = None,
) -> Op:
    """A row of a proposal's path: the state after ``event``; None leaves a field as it was."""
    return (
        _STEP,
        (proposal_id, *t.values, event, state, code, name, working_group),
    )


def _proposal_registered(p: k.ProposalRegistered, t: Stamp) -> list[Op]:
    """A proposal counts from when it was received; registered again, it is kept as it was
    (the history row is written only with the proposal's first registration)."""
    received = utc_text(p.received_at)
    return [
        (
            _FIRST_STEP,
            (
                p.proposal_id,
                t.seq,
                received,
                t.rec,
                "ProposalRegistered",
                p.state,
                p.category_code,
                p.category_name,
                p.working_group,
                p.source,
                p.proposal_id,
            ),
        ),
        (
            "INSERT INTO {s}rpt_proposals "
            "(proposal_id, title, category_code, received_at, recorded_at, state) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (proposal_id) DO NOTHING",
            (p.proposal_id, p.title, p.category_code, received, t.rec, p.state),
        ),
    ]


def _proposal_step(p: BaseModel, t: Stamp) -> list[Op]:
    """A later event on a proposal's path (categorised, routed, assessed, decided, reopened)."""
    if isinstance(p, k.ProposalCategorised):
        group = p.working_group or None
        return [
            _step(
                p.proposal_id,
                t,
                "ProposalCategorised",
                p.state,
                p.category_code,
                p.category_name,
                group,
            )
        ]
    if isinstance(p, k.ProposalRouted | k.ProposalAssessed):
        return [_step(p.proposal_id, t, type(p).__name__, p.state, working_group=p.working_group)]
    if isinstance(p, k.ProposalDecided | k.ProposalReopened):
        return [_step(p.proposal_id, t, type(p).__name__, p.state)]
    return []


def _korona_other(p: BaseModel, t: Stamp) -> list[Op]:
    """Feedback, implementation status and funding."""
    if isinstance(p, k.FeedbackGiven):
        return [
            (
                "INSERT INTO {s}rpt_feedback (proposal_id, seq, at, rec, kind, first) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (proposal_id, seq) DO NOTHING",
                (p.proposal_id, *t.values, p.kind, int(p.first)),
            )
        ]
    if isinstance(p, k.ImplementationStatusSet):
        return [
            (
                "INSERT INTO {s}rpt_implementation (proposal_id, seq, at, rec, status, "
                "responsible_agency, note) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (proposal_id, seq) DO NOTHING",
                (p.proposal_id, *t.values, p.status, p.responsible_agency, p.note),
            )
        ]
    if isinstance(p, k.FundingEnvelopeOpened):
        return [
            (
                "INSERT INTO {s}rpt_funding_envelopes (envelope, seq, at, rec, name, total_nok) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (envelope, seq) DO NOTHING",
                (p.envelope, *t.values, p.name, p.total_nok),
            )
        ]
    if isinstance(p, k.FundingChanged):
        return [
            (
                "INSERT INTO {s}rpt_funding (envelope, seq, at, rec, proposal_id, change, "
                "amount_nok, total_nok, allocated_nok, committed_nok, paid_nok, "
                "proposal_allocated_nok, proposal_committed_nok, proposal_paid_nok) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (envelope, seq) DO NOTHING",
                (
                    p.envelope,
                    *t.values,
                    p.proposal_id,
                    p.change,
                    p.amount_nok,
                    p.total_nok,
                    p.allocated_nok,
                    p.committed_nok,
                    p.paid_nok,
                    p.proposal_allocated_nok,
                    p.proposal_committed_nok,
                    p.proposal_paid_nok,
                ),
            )
        ]
    return []


def utc_text(moment: datetime) -> str:
    """A moment as sortable text: ISO 8601 in UTC (naive times are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def ops_for(delivery: Delivery) -> list[Op]:  # noqa: PLR0911 - one branch per event type
    p = delivery.payload
    env = delivery.envelope
    t = Stamp(delivery)
    if isinstance(p, a.MeasureRegistered):
        return _measure_registered(p, t, env.aggregate_version, str(env.aggregate_id))
    if isinstance(p, a.StatusReportRecorded):
        return _status_report(p, t)
    if isinstance(p, a.MeasureIncluded):
        return [
            _membership(p.measure_id, t, "active", p.period, None),
            _segment_from(p.measure_id, t, p.period, p.segment, p.report_months),
        ]
    if isinstance(p, a.SegmentChanged):
        return [_segment_from(p.measure_id, t, p.period, p.to_segment, p.report_months)]
    if isinstance(p, a.MeasureNotIncluded):
        return [_membership(p.measure_id, t, "not_included", None, None)]
    if isinstance(p, a.MeasureLeft):
        return [(_LEFT, (*t.values, p.lifecycle, p.period, p.way_forward, p.measure_id))]
    if isinstance(p, k.ProposalRegistered):
        return _proposal_registered(p, t)
    return _proposal_step(p, t) or _korona_other(p, t)


class ProjectionSink:
    """Applies deliveries to the read model: rows and tracking record in one commit."""

    def __init__(self, store: ReadModelStore) -> None:
        self.store = store

    def position(self, tracking_name: str) -> int | None:
        return self.store.position(tracking_name)

    def apply(
        self,
        tracking_name: str,
        position: int | None,
        deliveries: Sequence[Delivery | DeadLetter],
        failed: Mapping[int, str] | None = None,
    ) -> Routed:
        ops: list[Op] = []
        book = _Book(self.store, group_of(tracking_name))
        routed = route(deliveries, failed or {}, book.letters, lambda i, d: _ops(ops, i, d))
        tracking = Tracking(tracking_name, position) if position is not None else None
        self.store.write(tracking, [*ops, *book.ops()])
        return routed

    def dead_letters(self, group: str) -> Letters:
        return _Book(self.store, group).letters

    def replay(self, group: str, sequence: str, deliveries: Sequence[Delivery]) -> None:
        ops: list[Op] = []
        for index, delivery in enumerate(deliveries):
            _ops(ops, index, delivery)
        book = _Book(self.store, group)
        book.letters.release(sequence, len(deliveries))
        self.store.write(None, [*ops, *book.ops()])

    def change_letters(self, group: str, change: Callable[[Letters], Any]) -> Any:
        book = _Book(self.store, group)
        result = change(book.letters)
        self.store.write(None, book.ops())
        return result


def _ops(ops: list[Op], index: int, delivery: Delivery) -> None:
    try:
        ops.extend(ops_for(delivery))
    except TRANSIENT:
        raise
    except Exception as exc:
        raise PoisonMessageError(index, exc) from exc


def _json(letter: DeadLetter) -> str:
    return json.dumps(letter.to_dict(), sort_keys=True)


class _Book:
    """A consumer group's parked letters in ``rpt_dead_letters``: loaded, changed by the
    consumer's routing or a replay, written back as the difference."""

    def __init__(self, store: ReadModelStore, group: str) -> None:
        self.group = group
        rows = store.query(
            "SELECT letter_id, sequence, idx, state, letter FROM {s}rpt_dead_letters "
            "WHERE grp = ? ORDER BY idx",
            (group,),
        )
        parked: dict[str, list[DeadLetter]] = {}
        discarded: set[str] = set()
        self._next = 0
        for letter_id, sequence, idx, state, letter in rows:
            self._next = max(self._next, int(idx) + 1)
            if state == "discarded":
                discarded.add(letter_id)
            else:
                parked.setdefault(sequence, []).append(DeadLetter.from_dict(json.loads(letter)))
        self._before = {x.letter_id: x for ls in parked.values() for x in ls}
        self.letters = Letters(parked, discarded)

    def ops(self) -> list[Op]:
        after = {x.letter_id: x for ls in self.letters.parked.values() for x in ls}
        ops: list[Op] = []
        for letter_id, old in self._before.items():
            new = after.get(letter_id)
            if new is None and letter_id in self.letters.discarded:
                ops.append(
                    (
                        "UPDATE {s}rpt_dead_letters SET state = 'discarded' "
                        "WHERE grp = ? AND letter_id = ?",
                        (self.group, letter_id),
                    )
                )
            elif new is None:
                ops.append(
                    (
                        "DELETE FROM {s}rpt_dead_letters WHERE grp = ? AND letter_id = ?",
                        (self.group, letter_id),
                    )
                )
            elif new != old:
                ops.append(
                    (
                        "UPDATE {s}rpt_dead_letters SET letter = ? WHERE grp = ? AND letter_id = ?",
                        (_json(new), self.group, letter_id),
                    )
                )
        for letter_id, new in after.items():
            if letter_id not in self._before:
                ops.append(
                    (
                        "INSERT INTO {s}rpt_dead_letters "
                        "(grp, letter_id, sequence, idx, state, letter) "
                        "VALUES (?, ?, ?, ?, 'parked', ?)",
                        (self.group, letter_id, new.sequence, self._next, _json(new)),
                    )
                )
                self._next += 1
        return ops
