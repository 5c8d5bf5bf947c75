"""How a stored event and a call record are hashed: the rules writers and verifiers share.

A stored event is what the event store holds: aggregate id, version, topic (the event
class) and state (its bytes). Its **entry hash** covers all four; its **chain hash** binds
it to the previous event of the same aggregate, so an aggregate's history is a hash chain
that breaks where a row was edited, removed or moved. Each chain hash is also a leaf of
the service's Merkle tree (:mod:`audit_log.merkle`), in the order the events were stored,
so cutting a stream's tail changes the tree.

Every field is length-prefixed and each hash is domain-separated, so no two different
inputs share an encoding.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from uuid import UUID

HASH_SIZE = 32
GENESIS = bytes(HASH_SIZE)
"""The "previous" chain hash of an aggregate's first event (and of the first call)."""

_ENTRY = b"eportfolio.audit.entry.v1\x00"
_CHAIN = b"eportfolio.audit.chain.v1\x00"
_CALL = b"eportfolio.audit.call.v1\x00"


def _field(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


def canonical_id(aggregate_id: UUID | str) -> str:
    """The aggregate id as hashed: a UUID's lower-case hyphenated form (SQLite stores it
    as 32 hex digits, PostgreSQL as a uuid; both hash the same)."""
    try:
        return str(UUID(str(aggregate_id)))
    except ValueError:
        return str(aggregate_id)


def entry_hash(aggregate_id: UUID | str, version: int, topic: str, state: bytes) -> bytes:
    """SHA-256 of one stored event: its aggregate, version, topic and state bytes."""
    return hashlib.sha256(
        _ENTRY
        + _field(canonical_id(aggregate_id).encode())
        + version.to_bytes(8, "big", signed=True)
        + _field(topic.encode())
        + _field(bytes(state))
    ).digest()


def chain_hash(previous: bytes | None, entry: bytes) -> bytes:
    """The chain hash of an event: the previous event's chain hash (``None`` or
    :data:`GENESIS` for version 1) followed by this event's entry hash."""
    return hashlib.sha256(_CHAIN + (previous or GENESIS) + entry).digest()


def leaf_data(aggregate_id: UUID | str, version: int, chain: bytes) -> bytes:
    """The bytes a Merkle leaf holds for an event (hashed with RFC 6962's 0x00 prefix)."""
    return _field(canonical_id(aggregate_id).encode()) + version.to_bytes(8, "big") + chain


def call_record_bytes(record: Mapping[str, object]) -> bytes:
    """The canonical form of a call record: sorted-key compact JSON, UTF-8."""
    return json.dumps(
        dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()


def call_hash(previous: bytes | None, record: Mapping[str, object]) -> bytes:
    """The chain hash of a call record: the previous record's followed by this one's
    canonical bytes (:func:`call_record_bytes`)."""
    return hashlib.sha256(
        _CALL + (previous or GENESIS) + _field(call_record_bytes(record))
    ).digest()


CALL_FIELDS = (
    "seq",
    "at",
    "service",
    "method",
    "agency",
    "user",
    "role",
    "outcome",
    "correlation_id",
    "duration_ms",
    "peer",
)
"""The fields of a call record that its hash covers, in :func:`call_record_bytes` form:
``seq`` and ``duration_ms`` are numbers (``duration_ms`` rounded to 3 decimals), the rest
strings."""
