"""RELIABILITY.md I1: every proto message, every event contract and every stored event
version round-trips exactly.

- Each protobuf message of ``eportfolio.*`` (found by walking the generated modules, so a
  new message is covered without touching this file): binary serialise -> parse and JSON
  (``json_format``) -> parse give an equal message and the same deterministic bytes.
- Each integration-event contract registered under ``(event_type, schema_version)``, and
  the envelope around it: ``model_validate_json(model_dump_json())`` is equal, and
  ``contracts.decode(encode(envelope))`` gives back the same payload.
- Each stored event of every past version (``tests/upcasting/stored``), with its free-text
  values replaced by any Unicode: the mapper upcasts it to the current class, and the
  current stored form decodes and encodes again to the very same bytes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from google.protobuf import descriptor as d
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from contracts import Actor, Envelope, decode, encode, registry
from tests.faults.results import record, size
from tests.fuzz import strategies as s
from tests.upcasting import capture

pytestmark = pytest.mark.fuzz

EXAMPLES = size(20, 400)
MESSAGES = s.all_messages()
CONTRACTS = sorted(registry._MODELS.items())
FIXTURES: list[Path] = capture.fixture_files()
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
_counts: dict[str, int] = {"proto": 0, "contracts": 0, "stored": 0}
_started = time.perf_counter()


def test_i1_the_walks_find_every_message_and_contract() -> None:
    names = {m.full_name for m in MESSAGES}
    assert "eportfolio.intake.v1.SubmitMeasureRequest" in names
    assert "eportfolio.audit.v1.StoredRecord" in names
    assert len(MESSAGES) > 80
    assert ("MeasureSubmitted", 1) in dict(CONTRACTS)
    assert len(CONTRACTS) >= 20
    assert len(FIXTURES) >= 40


@pytest.mark.parametrize("desc", MESSAGES, ids=lambda m: m.full_name.removeprefix("eportfolio."))
def test_i1_every_proto_message_round_trips(desc: d.Descriptor) -> None:
    cls = s.message_class(desc)

    @FUZZ
    @given(s.message(desc))
    def round_trip(msg: Any) -> None:
        wire = msg.SerializeToString(deterministic=True)
        parsed = cls.FromString(wire)
        assert parsed == msg
        assert parsed.SerializeToString(deterministic=True) == wire
        as_json = json_format.MessageToJson(msg)
        again = json_format.Parse(as_json, cls())
        assert again == msg, as_json
        _counts["proto"] += 1

    round_trip()


@pytest.mark.parametrize("key", [k for k, _ in CONTRACTS], ids=lambda k: f"{k[0]}-v{k[1]}")
def test_i1_every_event_contract_round_trips_in_its_envelope(key: tuple[str, int]) -> None:
    model = registry.payload_model(*key)

    @FUZZ
    @given(
        payload=s.model(model),
        aggregate_id=st.uuids(),
        version=st.integers(1, 2**63 - 1),
        position=st.integers(1, 2**63 - 1),
        at=s.datetimes(),
        actor=s.model(Actor),
        correlation=s.text(),
    )
    def round_trip(
        payload: BaseModel,
        aggregate_id: UUID,
        version: int,
        position: int,
        at: Any,
        actor: Any,
        correlation: str,
    ) -> None:
        assert type(payload).model_validate_json(payload.model_dump_json()) == payload
        envelope = Envelope(
            event_id=aggregate_id,
            event_type=key[0],
            schema_version=key[1],
            source="fuzz",
            aggregate_type="Fuzz",
            aggregate_id=aggregate_id,
            aggregate_version=version,
            occurred_at=at,
            recorded_at=at,
            recorded_by=actor,
            correlation_id=correlation,
            position=position,
            payload=payload.model_dump(mode="json"),
        )
        wire = encode(envelope)
        decoded, validated = decode(wire)
        assert decoded == envelope
        assert validated == payload
        assert encode(decoded) == wire
        _counts["contracts"] += 1

    round_trip()


# --- stored events of every version, through the upcasters --------------------------------

FREE_TEXT = {
    "agency",
    "user",
    "role",
    "correlation_id",
    "causation_id",
    "name",
    "title",
    "description",
    "reason",
    "note",
    "explanation",
    "progress",
    "obstacles",
    "experiences",
    "dependency_notes",
    "owner",
    "strategic_area",
    "responsible_agency",
    "organisation",
    "contact",
    "need",
    "proposer",
    "decision",
    "reference",
    "justification",
    "way_forward",
    "text",
}


def _text_paths(state: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Where the stored state holds free text (by field name), at any depth."""
    found: list[tuple[Any, ...]] = []
    if isinstance(state, dict):
        for key, value in state.items():
            if key in FREE_TEXT and isinstance(value, str):
                found.append((*path, key))
            else:
                found += _text_paths(value, (*path, key))
    elif isinstance(state, list):
        for i, value in enumerate(state):
            found += _text_paths(value, (*path, i))
    return found


def _put(state: Any, path: tuple[Any, ...], value: str) -> None:
    for step in path[:-1]:
        state = state[step]
    state[path[-1]] = value


@pytest.fixture(scope="module")
def mappers() -> Any:
    apps = {service: capture.application(service) for service in capture.APPLICATIONS}
    yield {service: app.mapper for service, app in apps.items()}
    for app in apps.values():
        app.close()


@pytest.mark.parametrize(
    "path", FIXTURES, ids=lambda p: str(p.relative_to(capture.STORED)).removesuffix(".json")
)
def test_i1_every_stored_version_upcasts_and_re_encodes_stably(
    path: Path, mappers: dict[str, Any]
) -> None:
    fixture = capture.load_fixture(path)
    mapper = mappers[path.relative_to(capture.STORED).parts[0]]
    original = json.loads(fixture["state"])
    paths = _text_paths(original)
    assert paths, "every stored event carries at least its actor (meta)"

    @settings(FUZZ, max_examples=max(5, EXAMPLES // 2))
    @given(st.lists(s.text(60), min_size=len(paths), max_size=len(paths)))
    def upcast(texts: list[str]) -> None:
        state = json.loads(fixture["state"])
        for where, value in zip(paths, texts, strict=True):
            _put(state, where, value)
        stored = StoredEvent(
            originator_id=UUID(fixture["originator_id"]),
            originator_version=fixture["originator_version"],
            topic=fixture["topic"],
            state=json.dumps(state, ensure_ascii=False).encode(),
        )
        event = mapper.to_domain_event(stored)
        current = mapper.to_stored_event(event)
        again = mapper.to_domain_event(current)
        assert type(again) is type(event)
        assert vars(again) == vars(event)
        assert mapper.to_stored_event(again).state == current.state
        assert json.loads(current.state).get("class_version", 1) == getattr(
            type(event), "class_version", 1
        )
        _counts["stored"] += 1

    upcast()


@pytest.fixture(scope="module", autouse=True)
def _record() -> Iterator[None]:
    """After the module: what the property tests exercised."""
    yield
    record(
        "I1",
        "test_i1_round_trips",
        proto_messages=len(MESSAGES),
        proto_examples=_counts["proto"],
        contracts=len(CONTRACTS),
        contract_examples=_counts["contracts"],
        stored_fixtures=len(FIXTURES),
        stored_examples=_counts["stored"],
        max_examples_per_case=EXAMPLES,
        seconds=round(time.perf_counter() - _started, 1),
    )
