"""``eportfolio.audit.v1.AuditService``: the auditor's read-only view of one service.

Every service serves it; one that owns no aggregates (reporting) has no streams and an
empty Merkle tree, but its call log is real. Only the ``auditor`` role may call it, and
its calls are recorded in the call log like every other.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any, TypeVar

from audit_log.heads import SignedTreeHead
from backbone import validation as check
from backbone.access import AUDITOR, require_role
from backbone.audit.calls import CallLog, CallRecordRow
from backbone.audit.heads import TreeHeads
from backbone.audit.recorders import AuditLogReader
from backbone.audit.trail import AuditedEvent, AuditTrail, Point, State, Stream
from backbone.errors import NotFoundError, Violations
from eportfolio.audit.v1 import audit_pb2, audit_pb2_grpc
from eportfolio.common.v1 import common_pb2

T = TypeVar("T")
_BATCH = 500


def _time(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def _ref(stream: Stream) -> audit_pb2.StreamRef:
    return audit_pb2.StreamRef(
        service=stream.service,
        aggregate_type=stream.kind.name,
        aggregate_id=str(stream.aggregate_id),
        subject=stream.subject,
        version=stream.version,
    )


def event_message(e: AuditedEvent) -> audit_pb2.AuditEvent:
    return audit_pb2.AuditEvent(
        type=e.type,
        version=e.version,
        held_at=_time(e.held_at),
        recorded_at=_time(e.recorded_at),
        actor=audit_pb2.Actor(
            agency=e.meta.get("agency", ""),
            user=e.meta.get("user", ""),
            role=e.meta.get("role", ""),
        ),
        reason=e.reason,
        data_json=json.dumps(e.data, ensure_ascii=False, sort_keys=True),
        correlation_id=e.meta.get("correlation_id", ""),
        causation_id=e.meta.get("causation_id", ""),
        stream=_ref(e.stream),
        position=e.position,
        schema_version=e.schema_version,
    )


def state_message(s: State) -> audit_pb2.AggregateState:
    return audit_pb2.AggregateState(
        stream=_ref(s.stream),
        version=s.version,
        held_at=_time(s.held_at),
        recorded_at=_time(s.recorded_at),
        state_json=json.dumps(s.data, ensure_ascii=False, sort_keys=True),
    )


def head_message(h: SignedTreeHead) -> audit_pb2.SignedTreeHead:
    return audit_pb2.SignedTreeHead(
        service=h.head.service,
        tree_size=h.head.tree_size,
        root_hash=h.head.root_hash,
        calls_size=h.head.calls_size,
        calls_head=h.head.calls_head,
        timestamp=h.head.timestamp,
        public_key=h.public_key,
        signature=h.signature,
    )


def call_message(r: CallRecordRow) -> audit_pb2.CallRecord:
    return audit_pb2.CallRecord(
        seq=r.seq,
        at=r.at,
        service=r.service,
        method=r.method,
        actor=audit_pb2.Actor(agency=r.agency, user=r.user, role=r.role),
        outcome=r.outcome,
        correlation_id=r.correlation_id,
        duration_ms=r.duration_ms,
        peer=r.peer,
        chain_hash=r.chain_hash,
    )


def _point(point: audit_pb2.Point, field: str, v: Violations) -> Point:
    recorded = point.axis == common_pb2.TIME_AXIS_RECORDED
    which = point.WhichOneof("at")
    if which == "version":
        if point.version < 0:
            v.add(f"{field}.version", "a version is 0 or more")
        return Point(version=point.version)
    if which == "moment":
        moment = check.timestamp(point.moment, f"{field}.moment", v)
        if moment is None and point.moment == "":
            v.add(f"{field}.moment", "is required")
        return Point(moment=moment, recorded=recorded)
    return Point(recorded=recorded)


async def _batched(items: Iterator[T], batch: int = _BATCH) -> AsyncIterator[list[T]]:
    """Pull ``items`` (a blocking iterator over the store) in a worker thread, in batches."""

    def pull() -> list[T]:
        out = []
        for item in items:
            out.append(item)
            if len(out) == batch:
                break
        return out

    while chunk := await asyncio.to_thread(pull):
        yield chunk


class AuditServicer(audit_pb2_grpc.AuditServiceServicer):
    """Answers auditors from a service's event store (if any), its log and its call log."""

    def __init__(
        self,
        *,
        service: str,
        trail: AuditTrail | None,
        heads: TreeHeads,
        call_log: CallLog | None,
    ) -> None:
        self.service = service
        self.trail = trail
        self.heads = heads
        self.call_log = call_log

    @staticmethod
    def _require() -> None:
        require_role("reading the audit trail", AUDITOR)

    def _trail(self, subject: str) -> AuditTrail:
        if self.trail is None:
            raise NotFoundError(f"{self.service} keeps no event streams (asked for {subject!r})")
        return self.trail

    async def FindStreams(  # noqa: N802 - gRPC method name
        self, request: audit_pb2.FindStreamsRequest, context: Any
    ) -> audit_pb2.FindStreamsResponse:
        self._require()
        if self.trail is None:
            return audit_pb2.FindStreamsResponse()
        streams = await asyncio.to_thread(self.trail.find, request.subject)
        return audit_pb2.FindStreamsResponse(streams=[_ref(s) for s in streams])

    async def History(  # noqa: N802
        self, request: audit_pb2.StreamSelector, context: Any
    ) -> AsyncIterator[audit_pb2.AuditEvent]:
        self._require()
        trail = self._trail(request.subject)
        stream = await asyncio.to_thread(
            trail.stream,
            request.subject,
            request.aggregate_type,
            "",  # top-level fields
        )
        async for chunk in _batched(trail.history(stream)):
            for e in chunk:
                yield event_message(e)

    async def StateAt(  # noqa: N802
        self, request: audit_pb2.StateAtRequest, context: Any
    ) -> audit_pb2.AggregateState:
        self._require()
        v = Violations()
        point = _point(request.at, "at", v)
        v.raise_if_any()
        trail = self._trail(request.stream.subject)
        stream = await asyncio.to_thread(
            trail.stream, request.stream.subject, request.stream.aggregate_type
        )
        return state_message(await asyncio.to_thread(trail.state_at, stream, point))

    async def Diff(  # noqa: N802
        self, request: audit_pb2.DiffRequest, context: Any
    ) -> audit_pb2.StateDiff:
        self._require()
        v = Violations()
        start = _point(getattr(request, "from"), "from", v)
        end = _point(request.to, "to", v)
        v.raise_if_any()
        trail = self._trail(request.stream.subject)
        stream = await asyncio.to_thread(
            trail.stream, request.stream.subject, request.stream.aggregate_type
        )
        before, after, changes, events = await asyncio.to_thread(trail.diff, stream, start, end)
        return audit_pb2.StateDiff(
            **{"from": state_message(before)},
            to=state_message(after),
            changes=[
                audit_pb2.FieldChange(
                    op=c.op,
                    path=c.path,
                    before_json=json.dumps(c.before, ensure_ascii=False) if c.has_before else "",
                    after_json=json.dumps(c.after, ensure_ascii=False) if c.has_after else "",
                )
                for c in changes
            ],
            events=[event_message(e) for e in events],
        )

    async def PortfolioAt(  # noqa: N802
        self, request: audit_pb2.PortfolioAtRequest, context: Any
    ) -> AsyncIterator[audit_pb2.AggregateState]:
        self._require()
        v = Violations()
        moment = check.timestamp(request.moment, "moment", v)
        v.raise_if_any()
        if self.trail is None:
            return
        point = Point(moment=moment, recorded=request.axis == common_pb2.TIME_AXIS_RECORDED)
        async for chunk in _batched(self.trail.portfolio_at(point), 100):
            for state in chunk:
                yield state_message(state)

    async def StoredRecords(  # noqa: N802
        self, request: audit_pb2.StoredRecordsRequest, context: Any
    ) -> AsyncIterator[audit_pb2.StoredRecord]:
        """One consistent copy of a live store: the rows stored when the call began.

        The bound is the highest notification id among the events and the log entries
        then (they are written in one transaction, in commit order). Without it an event
        stored meanwhile could come without its entry and look written around the log;
        taking the log's too keeps a cut tail in view."""
        self._require()
        last_event = 0
        if self.trail is not None:
            recorder, log_reader = self.trail.app.recorder, self.trail.app.audit_log
            last_event = await asyncio.to_thread(
                lambda: max(recorder.max_notification_id() or 0, log_reader.last_notification_id())
            )
        calls = 0
        if request.include_calls and self.call_log is not None:
            calls = (await asyncio.to_thread(self.call_log.head))[0]
        for records in (
            self._log_entries(last_event),
            self._stored_events(last_event),
            self._calls(calls),
        ):
            async for chunk in _batched(records):
                for record in chunk:
                    yield record

    def _log_entries(self, last_event: int) -> Iterator[audit_pb2.StoredRecord]:
        reader: AuditLogReader | None = self.heads.log_reader
        if reader is None:
            return
        for r in reader.iter_log():
            if r.notification_id > last_event:
                continue  # stored after the call began, with its event
            yield audit_pb2.StoredRecord(
                entry=audit_pb2.LogEntry(
                    leaf_index=r.leaf_index,
                    notification_id=r.notification_id,
                    aggregate_id=str(r.aggregate_id),
                    version=r.version,
                    entry_hash=r.entry_hash,
                    chain_hash=r.chain_hash,
                )
            )

    def _stored_events(self, last_event: int) -> Iterator[audit_pb2.StoredRecord]:
        if self.trail is None or last_event == 0:
            return
        trail = self.trail
        labels: dict[str, str] = {}
        start: int | None = None
        while rows := trail.app.recorder.select_notifications(
            start, _BATCH, stop=last_event, inclusive_of_start=False
        ):
            for n in rows:
                aggregate_id = str(n.originator_id)
                if aggregate_id not in labels:
                    labels[aggregate_id] = trail.label(n)
                yield audit_pb2.StoredRecord(
                    event=audit_pb2.StoredEventRow(
                        notification_id=n.id,
                        aggregate_id=aggregate_id,
                        version=n.originator_version,
                        topic=n.topic,
                        state=n.state,
                        label=labels[aggregate_id],
                    )
                )
            start = rows[-1].id

    def _calls(self, last_seq: int) -> Iterator[audit_pb2.StoredRecord]:
        if self.call_log is None or last_seq == 0:
            return
        for r in self.call_log.records(to_seq=last_seq):
            yield audit_pb2.StoredRecord(call=call_message(r))

    async def TreeHead(  # noqa: N802
        self, request: audit_pb2.TreeHeadRequest, context: Any
    ) -> audit_pb2.SignedTreeHead:
        self._require()
        return head_message(await asyncio.to_thread(self.heads.current))

    async def ConsistencyProof(  # noqa: N802
        self, request: audit_pb2.ConsistencyProofRequest, context: Any
    ) -> audit_pb2.ConsistencyProofResponse:
        self._require()
        proof = await asyncio.to_thread(
            self.heads.consistency, request.first, request.second, request.calls_first
        )
        return audit_pb2.ConsistencyProofResponse(
            proof=proof.proof,
            head=head_message(proof.head),
            calls_hash_at_first=proof.calls_hash_at_first,
        )

    async def ListCalls(  # noqa: N802
        self, request: audit_pb2.ListCallsRequest, context: Any
    ) -> AsyncIterator[audit_pb2.CallRecord]:
        self._require()
        v = Violations()
        if request.from_seq < 0:
            v.add("from_seq", "must be 0 or more")
        if request.limit < 0:
            v.add("limit", "must be 0 or more")
        v.raise_if_any()
        if self.call_log is None:
            return
        records = self.call_log.records(
            since=request.since,
            until=request.until,
            agency=request.agency,
            correlation_id=request.correlation_id,
            method=request.method,
            from_seq=request.from_seq,
            limit=request.limit,
        )
        async for chunk in _batched(records):
            for r in chunk:
                yield call_message(r)
