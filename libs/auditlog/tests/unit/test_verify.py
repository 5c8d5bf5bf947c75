"""The auditor's verifier over realistic copies of a service's rows: an intact store, each
kind of tampering, and a store rewritten so consistently that only a held head tells."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pytest

from audit_log import chain
from audit_log.heads import HeadSigner, SignedTreeHead, TreeHead
from audit_log.merkle import leaf_hash, root
from audit_log.verify import (
    CallRow,
    EventRow,
    Finding,
    Kind,
    LogEntry,
    StoreVerifier,
    Verdict,
)

SERVICE = "assessment"
TOPIC = "assessment.domain.measure:Measure.{}"


def _measure_id(number: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"eportfolio/measure/{number}")


M160 = _measure_id(160)
M161 = _measure_id(161)
M162 = _measure_id(162)


@dataclass
class Store:
    """A service's rows as an auditor copies them: events as the event store holds them
    (SQLite: aggregate ids as 32 hex digits), the audit log (hyphenated ids) and the call
    log, all written by the rules in :mod:`audit_log.chain`."""

    events: list[EventRow] = field(default_factory=list)
    entries: list[LogEntry] = field(default_factory=list)
    calls: list[CallRow] = field(default_factory=list)
    _chains: dict[uuid.UUID, bytes] = field(default_factory=dict)

    def record(self, aggregate: uuid.UUID, event: str, label: str, **payload: object) -> None:
        """Store an event and log it, as the service does in one transaction."""
        version = 1 + sum(1 for e in self.events if e.aggregate_id == aggregate.hex)
        notification_id = len(self.events) + 1
        topic = TOPIC.format(event)
        state = json.dumps(payload, sort_keys=True).encode()
        self.events.append(
            EventRow(notification_id, aggregate.hex, version, topic, state, label=label)
        )
        entry = chain.entry_hash(aggregate, version, topic, state)
        linked = chain.chain_hash(self._chains.get(aggregate), entry)
        self._chains[aggregate] = linked
        self.entries.append(
            LogEntry(len(self.entries), notification_id, str(aggregate), version, entry, linked)
        )

    def call(self, method: str, outcome: str = "OK") -> None:
        seq = len(self.calls) + 1
        fields: dict[str, object] = {
            "seq": seq,
            "at": f"2024-05-01T12:{seq:02d}:00.000000Z",
            "service": SERVICE,
            "method": method,
            "agency": "Helsedirektoratet",
            "user": "kari",
            "role": "assessor",
            "outcome": outcome,
            "correlation_id": f"corr-{seq}",
            "duration_ms": round(1.5 + seq / 7, 3),
            "peer": "ipv4:10.0.0.7:51234",
        }
        previous = self.calls[-1].chain_hash if self.calls else None
        self.calls.append(CallRow(seq, fields, chain.call_hash(previous, fields)))

    def head(self, signer: HeadSigner, timestamp: str, size: int | None = None) -> SignedTreeHead:
        """The head the service would sign over its first ``size`` entries (all by default)."""
        size = len(self.entries) if size is None else size
        leaves = [
            leaf_hash(chain.leaf_data(e.aggregate_id, e.version, e.chain_hash))
            for e in self.entries[:size]
        ]
        calls = self.calls
        return signer.sign(
            TreeHead(
                service=SERVICE,
                tree_size=size,
                root_hash=root(leaves),
                calls_size=len(calls),
                calls_head=calls[-1].chain_hash if calls else chain.GENESIS,
                timestamp=timestamp,
            )
        )

    def relog(self) -> None:
        """Recompute every hash from the events as they now are: what someone who can
        write the whole store (log included) does to hide a change."""
        self.entries, self._chains = [], {}
        for row in sorted(self.events, key=lambda r: r.notification_id):
            aggregate = uuid.UUID(row.aggregate_id)
            entry = chain.entry_hash(aggregate, row.version, row.topic, row.state)
            linked = chain.chain_hash(self._chains.get(aggregate), entry)
            self._chains[aggregate] = linked
            self.entries.append(
                LogEntry(
                    len(self.entries),
                    row.notification_id,
                    str(aggregate),
                    row.version,
                    entry,
                    linked,
                )
            )

    def rechain_calls(self) -> None:
        previous: bytes | None = None
        rows = []
        for row in self.calls:
            previous = chain.call_hash(previous, row.fields)
            rows.append(replace(row, chain_hash=previous))
        self.calls = rows

    def event(self, aggregate: uuid.UUID, version: int) -> EventRow:
        return next(
            e for e in self.events if e.aggregate_id == aggregate.hex and e.version == version
        )

    def replace_event(self, old: EventRow, new: EventRow | None) -> None:
        index = self.events.index(old)
        if new is None:
            del self.events[index]
        else:
            self.events[index] = new


def _store() -> Store:
    """Three measures, interleaved as a real portfolio's are, and a few calls."""
    store = Store()
    store.record(M160, "Registered", "Measure 160", name="Digital hjemmeoppfølging")
    store.record(M161, "Registered", "Measure 161", name="Pasientens legemiddelliste")
    store.record(M160, "Assessed", "Measure 160", criteria="2023-1", score=4)
    store.record(M160, "Included", "Measure 160", segment="national")
    store.record(M162, "Registered", "Measure 162", name="Helsenorge-tilgang")
    store.record(M161, "Assessed", "Measure 161", criteria="2023-1", score=2)
    store.record(M160, "StatusReported", "Measure 160", period="2024-Q1", status="green")
    store.record(M160, "StatusReported", "Measure 160", period="2024-Q2", status="yellow")
    store.record(M161, "Rejected", "Measure 161", reason="overlap")
    store.record(M162, "Assessed", "Measure 162", criteria="2023-1", score=3)
    for method in ("GetMeasure", "AssessMeasure", "IncludeMeasure", "GetMeasure", "RemindMeasure"):
        store.call(method)
    return store


def _verify(
    store: Store,
    *,
    head: SignedTreeHead | None = None,
    held: Sequence[SignedTreeHead] = (),
    events_first: bool = False,
) -> Verdict:
    verifier = StoreVerifier(SERVICE)
    streams: list[Iterable[LogEntry | EventRow | CallRow]] = [store.entries, store.events]
    if events_first:
        streams.reverse()
    for stream in [*streams, store.calls]:
        for record in stream:
            verifier.add(record)
    return verifier.finish(head=head, held=held)


def _kinds(verdict: Verdict) -> list[tuple[Kind, str, int | None]]:
    return [(f.kind, f.label, f.version) for f in verdict.findings]


def _messages(verdict: Verdict) -> list[str]:
    return [f.message for f in verdict.findings]


@pytest.fixture
def signer() -> HeadSigner:
    return HeadSigner.generate()


# -- an intact store ---------------------------------------------------------------------


def test_an_intact_store_is_ok(signer: HeadSigner) -> None:
    store = _store()
    earlier = store.head(signer, "2024-05-01T10:00:00Z", size=4)
    current = store.head(signer, "2024-05-01T12:00:00Z")
    verdict = _verify(store, head=current, held=[earlier])
    assert verdict.findings == []
    assert verdict.ok
    assert verdict.service == SERVICE
    assert (verdict.tree_size, verdict.events, verdict.aggregates, verdict.calls) == (10, 10, 3, 5)
    assert verdict.root_hash == current.head.root_hash
    assert verdict.calls_head == store.calls[-1].chain_hash == current.head.calls_head


def test_an_empty_store_is_ok() -> None:
    verdict = StoreVerifier(SERVICE).finish()
    assert verdict.ok
    assert verdict.root_hash == root([])
    assert verdict.calls_head == chain.GENESIS
    assert (verdict.tree_size, verdict.events, verdict.aggregates, verdict.calls) == (0, 0, 0, 0)


def test_the_order_of_the_streams_does_not_change_the_verdict() -> None:
    store = _store()
    a, b = store.event(M160, 2), store.event(M160, 3)
    store.replace_event(a, replace(a, topic=b.topic, state=b.state))
    store.replace_event(b, replace(b, topic=a.topic, state=a.state))
    assert _verify(store) == _verify(store, events_first=True)


@pytest.mark.parametrize("events_first", [False, True])
def test_the_states_of_matching_events_are_not_kept(events_first: bool) -> None:
    store = _store()
    verifier = StoreVerifier(SERVICE)
    records: list[LogEntry | EventRow] = [*store.entries, *store.events]
    if events_first:
        records = [*store.events, *store.entries]
    for record in records:
        verifier.add(record)
    assert verifier._pending == {}  # states are dropped once their log entry matches


def test_only_rows_can_be_verified() -> None:
    with pytest.raises(TypeError, match="cannot verify a str"):
        StoreVerifier(SERVICE).add("row")  # type: ignore[arg-type]


# -- the store against the log -----------------------------------------------------------


def test_an_altered_event_is_found() -> None:
    store = _store()
    row = store.event(M160, 4)
    store.replace_event(row, replace(row, state=row.state.replace(b"green", b"red")))
    verdict = _verify(store)
    assert verdict.findings == [
        Finding(
            Kind.ALTERED,
            str(M160),
            4,
            "Measure 160",
            "Measure 160 version 4: the stored event was altered "
            "(its hash no longer matches the log)",
        )
    ]
    assert str(verdict.findings[0].kind) == "altered"


def test_an_event_with_another_topic_is_altered() -> None:
    store = _store()
    row = store.event(M161, 3)
    store.replace_event(row, replace(row, topic=TOPIC.format("Included")))
    assert _kinds(_verify(store)) == [(Kind.ALTERED, "Measure 161", 3)]


def test_a_deleted_event_is_found() -> None:
    store = _store()
    store.replace_event(store.event(M160, 2), None)
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.DELETED, "Measure 160", 2)]
    assert _messages(verdict) == [
        "Measure 160 version 2: the stored event was deleted (the log holds it, the store does not)"
    ]


def test_a_cut_tail_is_one_finding_per_aggregate() -> None:
    store = _store()
    store.replace_event(store.event(M160, 4), None)
    store.replace_event(store.event(M160, 5), None)
    store.replace_event(store.event(M161, 3), None)
    verdict = _verify(store)
    assert _kinds(verdict) == [
        (Kind.TAIL_CUT, "Measure 160", 4),
        (Kind.TAIL_CUT, "Measure 161", 3),
    ]
    assert _messages(verdict) == [
        "Measure 160 versions 4..5 are missing: the stream's tail was cut",
        "Measure 161 version 3 is missing: the stream's tail was cut",
    ]


def test_a_deleted_stream_is_named_by_its_id() -> None:
    store = _store()
    for version in (1, 2):
        store.replace_event(store.event(M162, version), None)
    verdict = _verify(store)
    assert verdict.findings == [
        Finding(
            Kind.TAIL_CUT,
            str(M162),
            1,
            str(M162),
            f"{M162} versions 1..2 are missing: the whole stream was deleted",
        )
    ]
    assert verdict.aggregates == 2


def test_swapped_events_are_reordered() -> None:
    store = _store()
    a, b = store.event(M160, 2), store.event(M160, 3)
    store.replace_event(a, replace(a, topic=b.topic, state=b.state))
    store.replace_event(b, replace(b, topic=a.topic, state=a.state))
    verdict = _verify(store)
    assert _kinds(verdict) == [
        (Kind.REORDERED, "Measure 160", 2),
        (Kind.REORDERED, "Measure 160", 3),
    ]
    assert _messages(verdict) == [
        "Measure 160 version 2: the stored event was reordered: "
        "version 2 holds the event logged as version 3",
        "Measure 160 version 3: the stored event was reordered: "
        "version 3 holds the event logged as version 2",
    ]


def test_renumbered_versions_are_reordered_once_each() -> None:
    store = _store()
    a, b = store.event(M160, 4), store.event(M160, 5)
    store.replace_event(a, replace(a, version=5))
    store.replace_event(b, replace(b, version=4))
    store.events.sort(key=lambda r: r.notification_id)
    assert _kinds(_verify(store)) == [
        (Kind.REORDERED, "Measure 160", 4),
        (Kind.REORDERED, "Measure 160", 5),
    ]


def test_an_event_moved_in_the_stores_order_is_reordered() -> None:
    store = _store()
    row = store.event(M161, 2)
    store.replace_event(row, None)
    store.events.append(replace(row, notification_id=99))
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.REORDERED, "Measure 161", 2)]
    assert _messages(verdict) == [
        "Measure 161 version 2: the stored event was moved in the store's order "
        "(notification id 99, logged as 6)"
    ]


def test_an_event_written_around_the_log_is_unlogged() -> None:
    store = _store()
    store.events.append(
        EventRow(11, M160.hex, 6, TOPIC.format("Completed"), b'{"at":"2024-06"}', "Measure 160")
    )
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.UNLOGGED, "Measure 160", 6)]
    assert _messages(verdict) == [
        "Measure 160 version 6: the stored event is not in the log: it was written around it"
    ]


def test_a_whole_unlogged_aggregate_is_found() -> None:
    store = _store()
    stray = uuid.uuid4()
    store.events.append(EventRow(11, str(stray), 1, TOPIC.format("Registered"), b"{}"))
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.UNLOGGED, str(stray), 1)]
    assert verdict.aggregates == 4


def test_a_duplicated_event_row_is_altered() -> None:
    store = _store()
    row = store.event(M160, 3)
    store.events.append(replace(row, notification_id=11))
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.ALTERED, "Measure 160", 3)]
    assert "twice" in verdict.findings[0].message


# -- the log against itself --------------------------------------------------------------


def test_an_altered_log_entry_breaks_its_chain() -> None:
    store = _store()
    index = store.entries.index(next(e for e in store.entries if e.aggregate_id == str(M161)))
    entry = store.entries[index]
    store.entries[index] = replace(entry, chain_hash=bytes(32))
    verdict = _verify(store)
    # Version 1's chain hash no longer follows from the start, version 2's no longer
    # follows from version 1's as stored.
    assert _kinds(verdict) == [
        (Kind.LOG_ALTERED, "Measure 161", 1),
        (Kind.LOG_ALTERED, "Measure 161", 2),
    ]
    assert _messages(verdict)[0] == (
        "Measure 161 version 1: the log entry's chain hash does not follow from the chain's "
        "start: the log was altered"
    )
    assert "from version 1's" in _messages(verdict)[1]


def test_a_log_entry_with_another_entry_hash_is_found_twice() -> None:
    store = _store()
    index = next(
        i for i, e in enumerate(store.entries) if (e.aggregate_id, e.version) == (str(M162), 2)
    )
    store.entries[index] = replace(store.entries[index], entry_hash=bytes(32))
    assert _kinds(_verify(store)) == [
        (Kind.LOG_ALTERED, "Measure 162", 2),
        (Kind.ALTERED, "Measure 162", 2),
    ]


def test_a_removed_log_entry_leaves_gaps() -> None:
    store = _store()
    removed = next(e for e in store.entries if (e.aggregate_id, e.version) == (str(M160), 3))
    store.entries.remove(removed)
    verdict = _verify(store)
    assert _kinds(verdict) == [
        (Kind.LOG_GAP, "log", None),
        (Kind.LOG_GAP, "Measure 160", 3),
        (Kind.UNLOGGED, "Measure 160", 3),
    ]
    assert _messages(verdict) == [
        "log entry 3 is missing (the next entry has leaf index 4): "
        "entries were removed from the log",
        "Measure 160 version 3 is missing from the log: log entries were removed",
        "Measure 160 version 3: the stored event is not in the log: it was written around it",
    ]


def test_removed_log_entries_at_the_end_of_streams_leave_a_leaf_gap() -> None:
    store = _store()
    del store.entries[6:8]  # Measure 160's versions 4 and 5: its log's tail
    verdict = _verify(store)
    assert _messages(verdict) == [
        "log entries 6..7 are missing (the next entry has leaf index 8): "
        "entries were removed from the log",
        "Measure 160 version 4: the stored event is not in the log: it was written around it",
        "Measure 160 version 5: the stored event is not in the log: it was written around it",
    ]


def test_log_entries_out_of_their_aggregates_order_are_found() -> None:
    store = _store()
    # Swap the leaf positions of Measure 160's versions 2 and 3.
    i = next(
        i for i, e in enumerate(store.entries) if (e.aggregate_id, e.version) == (str(M160), 2)
    )
    a, b = store.entries[i], store.entries[i + 1]
    store.entries[i], store.entries[i + 1] = (
        replace(b, leaf_index=a.leaf_index),
        replace(a, leaf_index=b.leaf_index),
    )
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.LOG_ALTERED, "Measure 160", 3)]
    assert "comes before version 2's" in verdict.findings[0].message


def test_a_duplicated_log_entry_is_found() -> None:
    store = _store()
    store.entries.append(replace(store.entries[2], leaf_index=10))
    verdict = _verify(store)
    assert _kinds(verdict) == [(Kind.LOG_ALTERED, "Measure 160", 2)]
    assert "holds this version twice" in verdict.findings[0].message


def test_a_repeated_leaf_index_is_a_gap_finding() -> None:
    store = _store()
    store.entries[5] = replace(store.entries[5], leaf_index=4)
    verdict = _verify(store)
    assert _messages(verdict) == [
        "log entry 4 appears again after entry 4: the log was rearranged",
        "log entry 5 is missing (the next entry has leaf index 6): "
        "entries were removed from the log",
    ]


# -- signed heads ------------------------------------------------------------------------


def test_a_consistently_rewritten_store_is_caught_only_by_a_held_head(signer: HeadSigner) -> None:
    store = _store()
    exported = store.head(signer, "2024-05-01T12:00:00Z")
    # Someone with the database and the service's key changes an assessment's score,
    # recomputes the log from the events and has the service sign a fresh head.
    row = store.event(M160, 2)
    store.replace_event(row, replace(row, state=row.state.replace(b'"score": 4', b'"score": 5')))
    store.relog()
    fresh = store.head(signer, "2024-05-02T12:00:00Z")

    assert _verify(store, head=fresh).ok
    verdict = _verify(store, head=fresh, held=[exported])
    assert _kinds(verdict) == [(Kind.HEAD, "head exported at 2024-05-01T12:00:00Z", None)]
    assert _messages(verdict) == [
        "the log no longer matches the head exported at 2024-05-01T12:00:00Z: "
        "events before it were rewritten"
    ]


def test_a_held_head_over_a_prefix_is_enough(signer: HeadSigner) -> None:
    store = _store()
    covering = store.head(signer, "2024-05-01T09:00:00Z", size=3)
    earlier = store.head(signer, "2024-05-01T08:00:00Z", size=2)
    row = store.event(M160, 2)  # leaf 2: in the first head's tree, not in the second's
    store.replace_event(row, replace(row, state=b"{}"))
    store.relog()
    verdict = _verify(store, held=[covering, earlier])
    assert [f.message for f in verdict.findings] == [
        "the log no longer matches the head exported at 2024-05-01T09:00:00Z: "
        "events before it were rewritten"
    ]


def test_a_shortened_log_is_caught_by_a_held_head(signer: HeadSigner) -> None:
    store = _store()
    store.record(M162, "Included", "Measure 162", segment="regional")
    store.record(M162, "Completed", "Measure 162", at="2024-06")
    exported = store.head(signer, "2024-05-01T12:00:00Z")
    del store.events[-2:]
    del store.entries[-2:]
    verdict = _verify(store, held=[exported])
    assert _messages(verdict) == [
        "the log holds 10 entries, fewer than the 12 of the head exported at "
        "2024-05-01T12:00:00Z: entries were removed"
    ]


def test_the_current_head_is_checked_like_a_held_one(signer: HeadSigner) -> None:
    store = _store()
    current = store.head(signer, "2024-05-01T12:00:00Z")
    row = store.event(M161, 1)
    store.replace_event(row, replace(row, state=b"{}"))
    store.relog()
    verdict = _verify(store, head=current)
    assert _kinds(verdict) == [(Kind.HEAD, "current head (signed at 2024-05-01T12:00:00Z)", None)]
    assert "the log no longer matches the current head" in verdict.findings[0].message


def test_a_head_whose_signature_does_not_verify_is_found(signer: HeadSigner) -> None:
    store = _store()
    honest = store.head(signer, "2024-05-01T12:00:00Z", size=8)
    forged = replace(honest, head=replace(honest.head, tree_size=10))
    verdict = _verify(store, held=[forged])
    assert _messages(verdict) == [
        "the signature of the head exported at 2024-05-01T12:00:00Z does not verify: "
        "it was forged or altered"
    ]


def test_a_head_of_another_service_is_found(signer: HeadSigner) -> None:
    store = _store()
    other = store.head(signer, "2024-05-01T12:00:00Z")
    other = signer.sign(replace(other.head, service="korona"))
    verdict = _verify(store, head=other)
    assert _kinds(verdict) == [(Kind.HEAD, "current head (signed at 2024-05-01T12:00:00Z)", None)]
    assert "is for service 'korona', not 'assessment'" in verdict.findings[0].message


def test_a_current_head_under_a_new_key_is_found(signer: HeadSigner) -> None:
    store = _store()
    exported = store.head(signer, "2024-05-01T10:00:00Z", size=5)
    impostor = HeadSigner.generate()
    current = store.head(impostor, "2024-05-01T12:00:00Z")
    verdict = _verify(store, head=current, held=[exported])
    assert _kinds(verdict) == [(Kind.HEAD, "current head (signed at 2024-05-01T12:00:00Z)", None)]
    assert f"signed by key {current.key_id}, which signed none of the held heads" in (
        verdict.findings[0].message
    )


def test_a_rewritten_call_log_is_caught_by_a_held_head(signer: HeadSigner) -> None:
    store = _store()
    exported = store.head(signer, "2024-05-01T12:00:00Z")
    store.calls[1] = replace(store.calls[1], fields={**store.calls[1].fields, "outcome": "DENIED"})
    store.rechain_calls()
    verdict = _verify(store, held=[exported])
    assert _messages(verdict) == [
        "the call log no longer matches the head exported at 2024-05-01T12:00:00Z: "
        "calls before it were rewritten"
    ]


def test_a_shortened_call_log_is_caught_by_a_held_head(signer: HeadSigner) -> None:
    store = _store()
    exported = store.head(signer, "2024-05-01T12:00:00Z")
    del store.calls[3:]
    verdict = _verify(store, held=[exported])
    assert _messages(verdict) == [
        "the call log holds 3 records, fewer than the 5 of the head exported at "
        "2024-05-01T12:00:00Z: records were removed"
    ]


def test_a_head_before_any_call_expects_the_genesis_hash(signer: HeadSigner) -> None:
    store = _store()
    calls = store.calls
    store.calls = []
    empty = store.head(signer, "2024-05-01T08:00:00Z")
    assert empty.head.calls_head == chain.GENESIS
    store.calls = calls
    assert _verify(store, held=[empty]).ok
    bad = signer.sign(replace(empty.head, calls_head=calls[0].chain_hash))
    assert _kinds(_verify(store, held=[bad])) == [
        (Kind.HEAD, "head exported at 2024-05-01T08:00:00Z", None)
    ]


# -- calls -------------------------------------------------------------------------------


def test_an_altered_call_is_found() -> None:
    store = _store()
    store.calls[1] = replace(store.calls[1], fields={**store.calls[1].fields, "user": "ola"})
    verdict = _verify(store)
    assert verdict.findings == [
        Finding(
            Kind.CALLS,
            "",
            None,
            "call 2",
            "call 2 was altered (its hash no longer follows from call 1's)",
        )
    ]


def test_a_removed_call_is_found() -> None:
    store = _store()
    del store.calls[2]
    verdict = _verify(store)
    assert _messages(verdict) == ["call record 3 is missing before call 4: records were removed"]
    assert verdict.calls == 4


def test_a_call_record_with_other_fields_is_found() -> None:
    store = _store()
    fields = {k: v for k, v in store.calls[0].fields.items() if k != "peer"}
    fields["note"] = "added"
    store.calls[0] = replace(store.calls[0], fields=fields)
    store.rechain_calls()
    verdict = _verify(store)
    assert _messages(verdict) == [
        "call 1's record does not have the logged fields (missing peer; unexpected note)"
    ]


def test_a_call_record_with_another_seq_is_found() -> None:
    store = _store()
    store.calls[3] = replace(store.calls[3], fields={**store.calls[3].fields, "seq": 9})
    store.rechain_calls()
    assert _messages(_verify(store)) == ["call 4's record says it is call 9: it was altered"]


def test_a_repeated_call_is_found() -> None:
    store = _store()
    store.calls.insert(3, store.calls[2])
    assert _messages(_verify(store)) == [
        "call 3 appears again after call 3: the call log was rearranged"
    ]


def test_kinds_are_lower_case_names() -> None:
    assert [str(kind) for kind in Kind] == [
        "altered",
        "deleted",
        "reordered",
        "tail_cut",
        "unlogged",
        "log_altered",
        "log_gap",
        "head",
        "calls",
    ]
