"""The auditor's verifier: checks a copy of a service's stored rows (its event store, its
audit log and its call log) against each other and against signed tree heads.

It runs on the auditor's side, over rows the auditor copied, because a service cannot
vouch for itself: whoever can rewrite the store can rewrite a verifier running next to
it. The checks, from weakest to strongest evidence:

* the log against itself: leaf positions without gaps, every aggregate's versions
  without gaps, and every chain hash following from the previous version's;
* the store against the log: each logged event still stored, unchanged, at its version
  and position, and no stored event that was never logged;
* the log against signed heads: each head's root must equal the root of the log's first
  ``tree_size`` leaves. Only this catches a store *and* log rewritten consistently, and
  only with a head exported before the rewrite (``held``);
* the call log: records without gaps, each chain hash following from the previous one.

Rows stream through :meth:`StoreVerifier.add`; the verifier keeps hashes, not event
states, so a store of millions of events fits in memory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from audit_log import chain
from audit_log.heads import SignedTreeHead
from audit_log.merkle import EMPTY_ROOT, CompactTree, leaf_hash

__all__ = [
    "CallRow",
    "EventRow",
    "Finding",
    "Kind",
    "LogEntry",
    "StoreVerifier",
    "Verdict",
]


@dataclass(frozen=True)
class LogEntry:
    """One row of the service's audit log: a stored event's place in the Merkle tree."""

    leaf_index: int
    notification_id: int
    aggregate_id: str
    version: int
    entry_hash: bytes
    chain_hash: bytes


@dataclass(frozen=True)
class EventRow:
    """One stored event as the event store holds it."""

    notification_id: int
    aggregate_id: str
    version: int
    topic: str
    state: bytes
    label: str = ""
    """A human name for the aggregate (``"Measure 160"``), used in findings."""


@dataclass(frozen=True)
class CallRow:
    """One record of the service's call log."""

    seq: int
    fields: Mapping[str, object]
    """Exactly :data:`audit_log.chain.CALL_FIELDS`."""
    chain_hash: bytes


class Kind(StrEnum):
    """What a finding is about."""

    ALTERED = "altered"
    """A stored event's content no longer matches its logged hash."""
    DELETED = "deleted"
    """A logged event is missing from the store, with later versions still there."""
    REORDERED = "reordered"
    """A stored event sits at another version, or another place in the store's order."""
    TAIL_CUT = "tail_cut"
    """An aggregate's last logged versions are missing from the store."""
    UNLOGGED = "unlogged"
    """A stored event that the log never saw: written around the log."""
    LOG_ALTERED = "log_altered"
    """A log entry whose chain hash does not follow, or that is duplicated or misplaced."""
    LOG_GAP = "log_gap"
    """Log entries are missing: a gap in leaf positions or in an aggregate's versions."""
    HEAD = "head"
    """A signed tree head that the log or call log does not match."""
    CALLS = "calls"
    """A call record that is missing or whose chain hash does not follow."""


@dataclass(frozen=True)
class Finding:
    """One thing wrong, in a sentence fit for an audit report."""

    kind: Kind
    aggregate_id: str
    """The aggregate concerned; ``""`` for head and call findings."""
    version: int | None
    label: str
    """Whom the finding is about: the aggregate's label (or id), a head, a call."""
    message: str


@dataclass
class Verdict:
    """The outcome of verifying one service's rows."""

    service: str
    findings: list[Finding]
    tree_size: int
    """Log entries seen."""
    root_hash: bytes
    """The root of the log as found, to compare with (or sign as) a new head."""
    events: int
    aggregates: int
    """Distinct aggregates among the stored events."""
    calls: int
    calls_head: bytes
    """The last call record's chain hash; :data:`audit_log.chain.GENESIS` when none."""

    @property
    def ok(self) -> bool:
        """Whether nothing was found wrong."""
        return not self.findings


class _Logged(NamedTuple):
    leaf_index: int
    notification_id: int
    entry_hash: bytes
    chain_hash: bytes


class _Stored(NamedTuple):
    notification_id: int
    entry_hash: bytes


@dataclass(frozen=True)
class _Issue:
    """A finding about an aggregate, worded once its label is known (at the end)."""

    kind: Kind
    aggregate_id: str
    version: int
    text: str
    """Follows the aggregate's name: ``"version 4: the stored event was altered"``."""


@dataclass
class _Ranges:
    """Consecutive integers folded into ``a..b`` runs, for gap messages."""

    runs: list[tuple[int, int]] = field(default_factory=list)

    def add(self, value: int) -> None:
        if self.runs and self.runs[-1][1] + 1 == value:
            self.runs[-1] = (self.runs[-1][0], value)
        else:
            self.runs.append((value, value))


def _span(noun: str, first: int, last: int, plural: str = "") -> str:
    """``"version 4 is"`` or ``"versions 4..6 are"``: a subject with its verb."""
    if first == last:
        return f"{noun} {first} is"
    return f"{plural or noun + 's'} {first}..{last} are"


class StoreVerifier:
    """Verifies one service's rows, fed through :meth:`add`, then :meth:`finish`.

    Feed log entries in leaf order, events in notification order and calls in seq order;
    the three streams may interleave. Feeding the log first keeps memory smallest: an
    event whose logged hash is already known and matches is reduced to its hash at once,
    while an event that does not match (or whose entry has not arrived yet) keeps its
    topic and state until :meth:`finish`, to tell a moved event from an altered one.
    """

    def __init__(self, service: str) -> None:
        self.service = service
        self._leaves: list[bytes] = []
        self._next_leaf = 0
        self._log: dict[str, dict[int, _Logged]] = {}
        self._events: dict[str, dict[int, _Stored]] = {}
        self._pending: dict[tuple[str, int], tuple[str, bytes]] = {}
        self._labels: dict[str, str] = {}
        self._order: dict[str, None] = {}
        self._issues: list[_Issue] = []
        self._log_findings: list[Finding] = []
        self._event_count = 0
        self._call_findings: list[Finding] = []
        self._call_hashes: dict[int, bytes] = {}
        self._next_seq = 1
        self._previous_call: bytes | None = chain.GENESIS
        self._call_count = 0
        self._calls_head = chain.GENESIS

    # -- feeding -----------------------------------------------------------------------

    def add(self, record: LogEntry | EventRow | CallRow) -> None:
        """Take the next log entry, stored event or call record."""
        if isinstance(record, LogEntry):
            self._add_entry(record)
        elif isinstance(record, EventRow):
            self._add_event(record)
        elif isinstance(record, CallRow):
            self._add_call(record)
        else:
            raise TypeError(f"cannot verify a {type(record).__name__}")

    def _add_entry(self, entry: LogEntry) -> None:
        aggregate = chain.canonical_id(entry.aggregate_id)
        self._order.setdefault(aggregate)
        version = entry.version
        # The tree is built over the log as found, whatever is wrong with it: a head's
        # root then shows whether this is the log it signed.
        self._leaves.append(leaf_hash(chain.leaf_data(aggregate, version, bytes(entry.chain_hash))))
        expected = self._next_leaf
        if entry.leaf_index > expected:
            missing = _span("log entry", expected, entry.leaf_index - 1, "log entries")
            self._log_finding(
                f"{missing} missing (the next entry has leaf index {entry.leaf_index}): "
                "entries were removed from the log"
            )
        elif entry.leaf_index < expected:
            self._log_finding(
                f"log entry {entry.leaf_index} appears again after entry {expected - 1}: "
                "the log was rearranged"
            )
        if entry.leaf_index >= expected:
            self._next_leaf = entry.leaf_index + 1
        if version < 1:
            self._issue(
                Kind.LOG_ALTERED,
                aggregate,
                version,
                f"version {version}: the log entry has an impossible version (they start at 1)",
            )
            return
        logged = self._log.setdefault(aggregate, {})
        first = logged.get(version)
        if first is not None:
            self._issue(
                Kind.LOG_ALTERED,
                aggregate,
                version,
                f"version {version}: the log holds this version twice "
                f"(leaf indexes {first.leaf_index} and {entry.leaf_index})",
            )
            return
        logged[version] = _Logged(
            entry.leaf_index,
            entry.notification_id,
            bytes(entry.entry_hash),
            bytes(entry.chain_hash),
        )
        stored = self._events.get(aggregate, {}).get(version)
        if stored is not None and stored.entry_hash == entry.entry_hash:
            self._pending.pop((aggregate, version), None)

    def _add_event(self, row: EventRow) -> None:
        aggregate = chain.canonical_id(row.aggregate_id)
        self._order.setdefault(aggregate)
        if row.label:
            self._labels.setdefault(aggregate, row.label)
        self._event_count += 1
        stored = self._events.setdefault(aggregate, {})
        if row.version in stored:
            self._issue(
                Kind.ALTERED,
                aggregate,
                row.version,
                f"version {row.version}: the store holds this version twice "
                f"(notification ids {stored[row.version].notification_id} "
                f"and {row.notification_id})",
            )
            return
        state = bytes(row.state)
        computed = chain.entry_hash(aggregate, row.version, row.topic, state)
        stored[row.version] = _Stored(row.notification_id, computed)
        logged = self._log.get(aggregate, {}).get(row.version)
        if logged is None or logged.entry_hash != computed:
            # Keep what is needed to tell which version this event was logged as.
            self._pending[(aggregate, row.version)] = (row.topic, state)

    def _add_call(self, row: CallRow) -> None:
        self._call_count += 1
        seq = row.seq
        expected = self._next_seq
        contiguous = seq == expected
        if seq > expected:
            self._call(
                seq,
                f"{_span('call record', expected, seq - 1)} missing before call {seq}: "
                "records were removed",
            )
        elif seq < expected:
            self._call(
                seq,
                f"call {seq} appears again after call {expected - 1}: the call log was rearranged",
            )
        if seq >= expected:
            self._next_seq = seq + 1
        keys = set(row.fields)
        if keys != set(chain.CALL_FIELDS):
            missing = sorted(set(chain.CALL_FIELDS) - keys)
            extra = sorted(keys - set(chain.CALL_FIELDS))
            detail = "; ".join(
                part
                for part in (
                    f"missing {', '.join(missing)}" if missing else "",
                    f"unexpected {', '.join(extra)}" if extra else "",
                )
                if part
            )
            self._call(seq, f"call {seq}'s record does not have the logged fields ({detail})")
        elif row.fields.get("seq") != seq:
            self._call(
                seq,
                f"call {seq}'s record says it is call {row.fields.get('seq')!r}: it was altered",
            )
        if contiguous:
            try:
                computed: bytes | None = chain.call_hash(self._previous_call, row.fields)
            except (TypeError, ValueError):
                computed = None
            if computed != row.chain_hash:
                self._call(
                    seq,
                    f"call {seq} was altered (its hash no longer follows from call {seq - 1}'s)"
                    if seq > 1
                    else "call 1 was altered (its hash no longer matches the chain's start)",
                )
        self._previous_call = bytes(row.chain_hash)
        self._call_hashes.setdefault(seq, bytes(row.chain_hash))
        self._calls_head = bytes(row.chain_hash)

    def _issue(self, kind: Kind, aggregate: str, version: int, text: str) -> None:
        self._issues.append(_Issue(kind, aggregate, version, text))

    def _log_finding(self, message: str) -> None:
        self._log_findings.append(Finding(Kind.LOG_GAP, "", None, "log", message))

    def _call(self, seq: int, message: str) -> None:
        self._call_findings.append(Finding(Kind.CALLS, "", None, f"call {seq}", message))

    # -- judging -----------------------------------------------------------------------

    def finish(
        self, *, head: SignedTreeHead | None = None, held: Sequence[SignedTreeHead] = ()
    ) -> Verdict:
        """Check everything fed so far against itself and against the heads: ``head`` is
        the service's current signed head, ``held`` the heads the auditor exported earlier
        (only these catch a store rewritten consistently, log and head included)."""
        issues = list(self._issues)
        for aggregate in self._order:
            issues.extend(self._check_log(aggregate))
            issues.extend(self._check_store(aggregate))
        rank = {aggregate: index for index, aggregate in enumerate(self._order)}
        issues.sort(key=lambda issue: (rank[issue.aggregate_id], issue.version))
        findings = [*self._log_findings, *(self._finding(issue) for issue in issues)]

        heads = [(head, True)] if head is not None else []
        heads += [(h, False) for h in held]
        roots = self._roots({h.head.tree_size for h, _ in heads})
        for signed, current in heads:
            findings.extend(self._check_head(signed, current, held, roots))
        findings.extend(self._call_findings)

        return Verdict(
            service=self.service,
            findings=findings,
            tree_size=len(self._leaves),
            root_hash=roots[len(self._leaves)],
            events=self._event_count,
            aggregates=len(self._events),
            calls=self._call_count,
            calls_head=self._calls_head,
        )

    def _finding(self, issue: _Issue) -> Finding:
        name = self._labels.get(issue.aggregate_id, issue.aggregate_id)
        return Finding(issue.kind, issue.aggregate_id, issue.version, name, f"{name} {issue.text}")

    def _check_log(self, aggregate: str) -> list[_Issue]:
        """The aggregate's log entries among themselves: versions 1..max, each chain hash
        following from the previous version's, each version after the previous one."""
        logged = self._log.get(aggregate)
        if not logged:
            return []
        issues: list[_Issue] = []
        gaps = _Ranges()
        for version in range(1, max(logged) + 1):
            if version not in logged:
                gaps.add(version)
        for first, last in gaps.runs:
            issues.append(
                _Issue(
                    Kind.LOG_GAP,
                    aggregate,
                    first,
                    f"{_span('version', first, last)} missing from the log: "
                    "log entries were removed",
                )
            )
        for version in sorted(logged):
            entry = logged[version]
            previous = logged.get(version - 1)
            if previous is None and version > 1:
                continue  # a gap, reported above; nothing to chain from
            before = chain.GENESIS if previous is None else previous.chain_hash
            if chain.chain_hash(before, entry.entry_hash) != entry.chain_hash:
                issues.append(
                    _Issue(
                        Kind.LOG_ALTERED,
                        aggregate,
                        version,
                        f"version {version}: the log entry's chain hash does not follow "
                        + (
                            "from the chain's start"
                            if version == 1
                            else f"from version {version - 1}'s"
                        )
                        + ": the log was altered",
                    )
                )
            if previous is not None and previous.leaf_index > entry.leaf_index:
                issues.append(
                    _Issue(
                        Kind.LOG_ALTERED,
                        aggregate,
                        version,
                        f"version {version}: the log entry comes before version "
                        f"{version - 1}'s (leaf {entry.leaf_index} < {previous.leaf_index}): "
                        "the log was rearranged",
                    )
                )
        return issues

    def _check_store(self, aggregate: str) -> list[_Issue]:
        """The aggregate's stored events against its log entries."""
        logged = self._log.get(aggregate, {})
        stored = self._events.get(aggregate, {})
        top_stored = max(stored, default=0)
        issues: list[_Issue] = []
        tail: list[int] = []
        for version in sorted(logged):
            entry = logged[version]
            event = stored.get(version)
            if event is None:
                if version > top_stored:
                    tail.append(version)
                else:
                    issues.append(
                        _Issue(
                            Kind.DELETED,
                            aggregate,
                            version,
                            f"version {version}: the stored event was deleted "
                            "(the log holds it, the store does not)",
                        )
                    )
                continue
            moved_from = None
            if event.entry_hash != entry.entry_hash:
                moved_from = self._logged_as(aggregate, version, logged)
                if moved_from is None:
                    issues.append(
                        _Issue(
                            Kind.ALTERED,
                            aggregate,
                            version,
                            f"version {version}: the stored event was altered "
                            "(its hash no longer matches the log)",
                        )
                    )
                else:
                    issues.append(
                        _Issue(
                            Kind.REORDERED,
                            aggregate,
                            version,
                            f"version {version}: the stored event was reordered: "
                            f"version {version} holds the event logged as version {moved_from}",
                        )
                    )
            if moved_from is None and event.notification_id != entry.notification_id:
                issues.append(
                    _Issue(
                        Kind.REORDERED,
                        aggregate,
                        version,
                        f"version {version}: the stored event was moved in the store's order "
                        f"(notification id {event.notification_id}, "
                        f"logged as {entry.notification_id})",
                    )
                )
        if tail:
            first, last = tail[0], tail[-1]
            what = (
                "the whole stream was deleted" if top_stored == 0 else "the stream's tail was cut"
            )
            text = f"{_span('version', first, last)} missing: {what}"
            issues.append(_Issue(Kind.TAIL_CUT, aggregate, first, text))
        for version in sorted(set(stored) - set(logged)):
            issues.append(
                _Issue(
                    Kind.UNLOGGED,
                    aggregate,
                    version,
                    f"version {version}: the stored event is not in the log: "
                    "it was written around it",
                )
            )
        return issues

    def _logged_as(self, aggregate: str, version: int, logged: Mapping[int, _Logged]) -> int | None:
        """The other version whose logged entry hash the event stored at ``version``
        has, or ``None``: the entry hash covers the version, so it is recomputed for each."""
        pending = self._pending.get((aggregate, version))
        if pending is None:
            return None
        topic, state = pending
        for other, entry in logged.items():
            if (
                other != version
                and chain.entry_hash(aggregate, other, topic, state) == entry.entry_hash
            ):
                return other
        return None

    def _roots(self, sizes: set[int]) -> dict[int, bytes]:
        """The root of the log's first ``n`` leaves for each wanted ``n`` (and for the
        whole log), in one pass."""
        total = len(self._leaves)
        wanted = {size for size in sizes if 0 <= size <= total} | {total}
        roots = {0: EMPTY_ROOT}
        tree = CompactTree()
        for leaf in self._leaves:
            tree.append(leaf)
            if tree.size in wanted:
                roots[tree.size] = tree.root()
        return roots

    def _check_head(
        self,
        signed: SignedTreeHead,
        current: bool,
        held: Sequence[SignedTreeHead],
        roots: Mapping[int, bytes],
    ) -> list[Finding]:
        head = signed.head
        who = (
            f"the current head (signed at {head.timestamp})"
            if current
            else f"the head exported at {head.timestamp}"
        )
        label = who.removeprefix("the ")

        def finding(message: str) -> Finding:
            return Finding(Kind.HEAD, "", None, label, message)

        if not signed.verify():
            return [finding(f"the signature of {who} does not verify: it was forged or altered")]
        if head.service != self.service:
            return [finding(f"{who} is for service {head.service!r}, not {self.service!r}")]
        findings: list[Finding] = []
        if current and held and signed.public_key not in {h.public_key for h in held}:
            findings.append(
                finding(
                    f"{who} is signed by key {signed.key_id}, which signed none of the held "
                    "heads: the service's key was replaced or the head forged"
                )
            )
        entries = len(self._leaves)
        if head.tree_size > entries:
            findings.append(
                finding(
                    f"the log holds {entries} entries, fewer than the {head.tree_size} of "
                    f"{who}: entries were removed"
                )
            )
        elif roots[head.tree_size] != head.root_hash:
            findings.append(
                finding(f"the log no longer matches {who}: events before it were rewritten")
            )
        size = head.calls_size
        if size > self._call_count and size not in self._call_hashes:
            findings.append(
                finding(
                    f"the call log holds {self._call_count} records, fewer than the {size} "
                    f"of {who}: records were removed"
                )
            )
        else:
            found = chain.GENESIS if size == 0 else self._call_hashes.get(size)
            if found is None:
                findings.append(
                    finding(
                        f"the call log has no call {size}, the last of {who}: records were removed"
                    )
                )
            elif found != head.calls_head:
                findings.append(
                    finding(f"the call log no longer matches {who}: calls before it were rewritten")
                )
        return findings
