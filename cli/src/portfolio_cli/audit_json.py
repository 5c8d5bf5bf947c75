"""AuditService's answers as JSON-ready data: English keys, times as the service sends them
(RFC 3339, UTC), empty texts as null, the events' data and the states as objects, hashes
in lowercase hex."""

from __future__ import annotations

import json
from typing import Any

from portfolio_cli.measure_json import text_or_none


def parse_object(text: str) -> Any:
    """A ``*_json`` field: its JSON value, ``{}`` when empty, the text itself when it is
    not JSON (shown as it came, never dropped)."""
    if not text.strip():
        return {}
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_value(text: str) -> Any:
    """A field change's ``before_json``/``after_json``: its value; None when absent."""
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def hex_or_none(data: bytes) -> str | None:
    """Bytes as lowercase hex; None when empty."""
    return bytes(data).hex() or None


def actor_json(actor: Any) -> dict[str, str | None]:
    return {
        "agency": text_or_none(actor.agency),
        "user": text_or_none(actor.user),
        "role": text_or_none(actor.role),
    }


def stream_json(ref: Any, with_version: bool = False) -> dict[str, Any]:
    """``{service, aggregate_type, aggregate_id, subject}`` (and ``version``)."""
    data: dict[str, Any] = {
        "service": text_or_none(ref.service),
        "aggregate_type": text_or_none(ref.aggregate_type),
        "aggregate_id": text_or_none(ref.aggregate_id),
        "subject": text_or_none(ref.subject),
    }
    if with_version:
        data["version"] = int(ref.version)
    return data


def event_json(event: Any) -> dict[str, Any]:
    """One ``AuditEvent``: what happened, when, who did it and why, and its data."""
    return {
        "type": str(event.type),
        "version": int(event.version),
        "held_at": text_or_none(event.held_at),
        "recorded_at": text_or_none(event.recorded_at),
        "actor": actor_json(event.actor),
        "reason": text_or_none(event.reason),
        "data": parse_object(event.data_json),
        "correlation_id": text_or_none(event.correlation_id),
        "causation_id": text_or_none(event.causation_id),
        "position": int(event.position),
        "schema_version": int(event.schema_version),
        "stream": stream_json(event.stream),
    }


def state_json(state: Any) -> dict[str, Any]:
    """One ``AggregateState``: the stream, the last event applied and the fields."""
    return {
        "stream": stream_json(state.stream),
        "version": int(state.version),
        "held_at": text_or_none(state.held_at),
        "recorded_at": text_or_none(state.recorded_at),
        "state": parse_object(state.state_json),
    }


def change_json(change: Any) -> dict[str, Any]:
    """One field change: RFC 6902 ``op`` and ``path`` with the values before and after
    (null where there was none)."""
    return {
        "op": str(change.op),
        "path": str(change.path),
        "before": parse_value(change.before_json),
        "after": parse_value(change.after_json),
    }


def diff_json(diff: Any, at: dict[str, Any]) -> dict[str, Any]:
    """A ``StateDiff``, with the points asked for (``at``: ``{"from": ..., "to": ...}``)."""
    return {
        "asked": at,
        "from": state_json(getattr(diff, "from")),
        "to": state_json(diff.to),
        "changes": [change_json(c) for c in diff.changes],
        "events": [event_json(e) for e in diff.events],
    }


def call_json(record: Any) -> dict[str, Any]:
    """One recorded gRPC call."""
    return {
        "seq": int(record.seq),
        "at": text_or_none(record.at),
        "service": text_or_none(record.service),
        "method": text_or_none(record.method),
        "actor": actor_json(record.actor),
        "outcome": text_or_none(record.outcome),
        "correlation_id": text_or_none(record.correlation_id),
        "duration_ms": round(float(record.duration_ms), 3),
        "peer": text_or_none(record.peer),
        "chain_hash": hex_or_none(record.chain_hash),
    }
