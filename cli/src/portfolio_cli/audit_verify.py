"""The auditor's side of the tamper evidence: every stored row of a service recomputed
(:class:`audit_log.verify.StoreVerifier`), signed tree heads kept in a file, and a kept
head checked later against the service's consistency proof.

Nothing here trusts the service: the rows are hashed here, the heads' signatures are
checked here, and the consistency proof is verified here (:mod:`audit_log.merkle`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from audit_log import chain
from audit_log.heads import SignedTreeHead, TreeHead
from audit_log.merkle import verify_consistency
from audit_log.verify import CallRow, EventRow, Finding, Kind, LogEntry, StoreVerifier, Verdict
from eportfolio.audit.v1 import audit_pb2  # type: ignore[import-untyped, unused-ignore]
from portfolio_cli.audit_progress import Progress
from portfolio_cli.caller import Caller
from portfolio_cli.clients import Client

REFUSALS = frozenset({"INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "NOT_FOUND"})
"""How a service answers a consistency proof it cannot give (a held head larger than its
log, one it never signed): evidence, not a failure to check."""

Record = LogEntry | EventRow | CallRow


def signed_head(message: Any) -> SignedTreeHead:
    """A ``SignedTreeHead`` message as the library's; ValueError when malformed (a hash
    of the wrong size, a timestamp that is not RFC 3339 UTC, ...)."""
    head = TreeHead(
        service=str(message.service),
        tree_size=int(message.tree_size),
        root_hash=bytes(message.root_hash),
        calls_size=int(message.calls_size),
        calls_head=bytes(message.calls_head),
        timestamp=str(message.timestamp),
    )
    return SignedTreeHead(
        head=head, public_key=bytes(message.public_key), signature=bytes(message.signature)
    )


def call_fields(call: Any) -> dict[str, object]:
    """The fields of a call record its hash covers (:data:`audit_log.chain.CALL_FIELDS`)."""
    return {
        "seq": int(call.seq),
        "at": str(call.at),
        "service": str(call.service),
        "method": str(call.method),
        "agency": str(call.actor.agency),
        "user": str(call.actor.user),
        "role": str(call.actor.role),
        "outcome": str(call.outcome),
        "correlation_id": str(call.correlation_id),
        "duration_ms": round(float(call.duration_ms), 3),
        "peer": str(call.peer),
    }


def record_of(message: Any) -> Record | None:
    """One ``StoredRecord`` as the verifier's row; None for a kind this CLI does not know."""
    kind = message.WhichOneof("record")
    if kind == "entry":
        e = message.entry
        return LogEntry(
            leaf_index=int(e.leaf_index),
            notification_id=int(e.notification_id),
            aggregate_id=str(e.aggregate_id),
            version=int(e.version),
            entry_hash=bytes(e.entry_hash),
            chain_hash=bytes(e.chain_hash),
        )
    if kind == "event":
        r = message.event
        return EventRow(
            notification_id=int(r.notification_id),
            aggregate_id=str(r.aggregate_id),
            version=int(r.version),
            topic=str(r.topic),
            state=bytes(r.state),
            label=str(r.label),
        )
    if kind == "call":
        c = message.call
        return CallRow(seq=int(c.seq), fields=call_fields(c), chain_hash=bytes(c.chain_hash))
    return None


def records_total(head: SignedTreeHead | None) -> int | None:
    """How many records ``StoredRecords`` sends at least: an entry and an event per leaf,
    and every call."""
    if head is None:
        return None
    return 2 * head.head.tree_size + head.head.calls_size


# --- verify --------------------------------------------------------------------------------


@dataclass
class ServiceVerdict:
    """One service verified: the verifier's verdict and the current head (or why the
    service could not be checked at all)."""

    service: str
    verdict: Verdict | None = None
    head: SignedTreeHead | None = None
    unchecked: str = ""
    """Why there is no verdict: the service could not be reached or refused."""

    @property
    def broken(self) -> bool:
        return self.verdict is not None and not self.verdict.ok


async def verify_service(
    client: Client,
    caller: Caller,
    held: Sequence[SignedTreeHead],
    progress: Progress,
) -> ServiceVerdict:
    """Every stored row of ``client``'s service through a :class:`StoreVerifier`, then
    the rows against its current head and the ``held`` heads (those of this service).

    The head is asked for first: the rows streamed after it cover at least what it
    signed, and the verifier takes the root of the log's first ``tree_size`` leaves.
    """
    service = client.service
    head_message = await client.call("TreeHead", audit_pb2.TreeHeadRequest(), caller)
    malformed = ""
    head: SignedTreeHead | None
    try:
        head = signed_head(head_message)
    except ValueError as exc:
        head, malformed = None, str(exc)
    progress.total = records_total(head)
    verifier = StoreVerifier(service)
    request = audit_pb2.StoredRecordsRequest(include_calls=True)
    try:
        async for message in client.stream("StoredRecords", request, caller):
            record = record_of(message)
            if record is not None:
                verifier.add(record)
            progress.step()
    except BaseException:
        progress.abort()
        raise
    progress.done()
    verdict = verifier.finish(head=head, held=held)
    if malformed:
        verdict.findings.insert(
            0,
            Finding(
                Kind.HEAD,
                "",
                None,
                "current head",
                f"the service's current head is malformed ({malformed}): it cannot be checked",
            ),
        )
    return ServiceVerdict(service, verdict, head)


# --- check-head --------------------------------------------------------------------------


@dataclass
class HeadCheck:
    """A held head checked against the service's log as it is now."""

    held: SignedTreeHead
    current: SignedTreeHead | None = None
    problems: list[str] = field(default_factory=list)
    unchecked: str = ""

    @property
    def service(self) -> str:
        return self.held.head.service

    @property
    def ok(self) -> bool:
        return not self.problems and not self.unchecked


def _calls_match(held: TreeHead, at_first: bytes) -> bool:
    if held.calls_size == 0:
        return at_first in (b"", chain.GENESIS)
    return at_first == held.calls_head


def judge_proof(held: SignedTreeHead, answer: Any) -> HeadCheck:
    """Whether the ``ConsistencyProofResponse`` shows the service's log and call log as
    they are now extend those of the ``held`` head, under the same key."""
    check = HeadCheck(held)
    problems = check.problems
    if not held.verify():
        problems.append(
            f"the held head's signature does not verify (key {held.key_id}): the head file "
            "was altered"
        )
    try:
        current = signed_head(answer.head)
    except ValueError as exc:
        problems.append(f"the service's current head is malformed ({exc})")
        return check
    check.current = current
    old, new = held.head, current.head
    if not current.verify():
        problems.append("the signature of the service's current head does not verify")
    if new.service != old.service:
        problems.append(f"the service answered with a head of {new.service!r}")
    if current.public_key != held.public_key:
        problems.append(
            f"the service's signing key changed: the held head was signed by key "
            f"{held.key_id}, the current head by key {current.key_id}"
        )
    if new.tree_size < old.tree_size:
        problems.append(
            f"the log shrank from {old.tree_size} to {new.tree_size} entries: entries were removed"
        )
    elif not verify_consistency(
        old.tree_size, new.tree_size, old.root_hash, new.root_hash, list(answer.proof)
    ):
        problems.append(
            f"the log of {new.tree_size} entries does not extend the held one of "
            f"{old.tree_size} (the consistency proof fails): entries up to the held head "
            "were rewritten"
        )
    if new.calls_size < old.calls_size:
        problems.append(f"the call log shrank from {old.calls_size} to {new.calls_size} records")
    elif not _calls_match(old, bytes(answer.calls_hash_at_first)):
        problems.append(
            f"call {old.calls_size}'s hash is not the held head's: the call log up to the "
            "held head was rewritten"
        )
    return check


async def check_held_head(client: Client, caller: Caller, held: SignedTreeHead) -> HeadCheck:
    """Ask for PROOF(held size, current size) and judge it (:func:`judge_proof`)."""
    request = audit_pb2.ConsistencyProofRequest(
        first=held.head.tree_size, second=0, calls_first=held.head.calls_size
    )
    answer = await client.call("ConsistencyProof", request, caller)
    return judge_proof(held, answer)
