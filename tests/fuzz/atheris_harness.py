"""Coverage-guided fuzz targets (atheris / libFuzzer) for RELIABILITY.md I3.

Run by ``test_i3_atheris.py`` in a process of its own (libFuzzer owns the process):

    FUZZ_TARGET=requests .venv/bin/python tests/fuzz/atheris_harness.py CORPUS -max_total_time=5

Targets (``FUZZ_TARGET``; ``all``: the three in one process, the first byte picks one):

``requests``
    The first byte picks an RPC of intake, assessment, korona, reporting or the AuditService;
    the rest is parsed as its request message (bytes protobuf refuses are dropped: grpc
    refuses them before any servicer runs) and given to the servicer's validation.
    Allowed: a domain error (ValidationError...), or reaching the application (a stand-in
    that stops the call there). Anything else is a crash.
``events``
    Bytes as a consumer takes them off a topic, through ``contracts.decode`` (the envelope
    and its payload contract). Allowed: ContractError (the consumer dead-letters it). What
    decodes must encode and decode again to the same envelope and payload.
``stored``
    The first byte picks a stored event fixture (``tests/upcasting/stored``, every version
    of every event class); the rest replaces its stored state, read by the service's
    eventsourcing mapper with its upcasters. Allowed: the errors a malformed stored dict
    gives (ValueError, KeyError, TypeError, AttributeError); what decodes must re-encode and
    decode again to the same event.

On start each target writes its seed corpus (valid requests, real envelopes, the fixtures'
states) into the corpus directory, so the fuzzer starts from real shapes.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from uuid import UUID

import atheris

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

# Only our packages and eventsourcing (its mapper and transcoder) are instrumented; they
# must be imported inside the block for that (a module imported before stays as it is).
with atheris.instrument_imports(
    include=[
        "backbone",
        "contracts",
        "intake",
        "assessment",
        "korona",
        "reporting",
        "eventsourcing",
    ]
):
    import eventsourcing.persistence
    import google.protobuf.message
    from google.protobuf import message_factory

    from assessment.adapters import published as assessment_published
    from assessment.adapters.grpc_api import AssessmentServicer
    from backbone.audit.grpc_api import AuditServicer
    from backbone.domain import EventMeta, acting_as
    from backbone.errors import DomainError
    from contracts import Actor, ContractError, Envelope, decode, encode
    from intake.adapters import published as intake_published
    from intake.adapters.grpc_api import IntakeServicer
    from korona.adapters import published as korona_published
    from korona.adapters.grpc_api import KoronaServicer
    from korona.settings import default_categories
    from reporting.adapters.grpc_api import ReportingServicer
    from tests.fuzz.requests import VALID, valid
    from tests.upcasting import capture

TARGET = os.environ.get("FUZZ_TARGET", "requests")


# --- requests -------------------------------------------------------------------------------


class _ReachedError(Exception):
    """The request passed validation and reached the application."""


class _AbortedError(Exception):
    """The servicer aborted the call itself (with a status of its own)."""


class _App:
    """Stands in for every application: validation may read its categories, nothing else."""

    def __init__(self) -> None:
        self.categories = default_categories()

    def __getattr__(self, name: str) -> Any:
        raise _ReachedError(name)


class _Context:
    async def abort(self, code: Any, details: str = "", *args: Any) -> None:
        raise _AbortedError(details)

    def invocation_metadata(self) -> tuple[()]:
        return ()


def _servicers() -> list[tuple[Any, Any, str]]:
    """(servicer, service descriptor, role to act in) of every service."""
    from eportfolio.assessment.v1 import assessment_pb2
    from eportfolio.audit.v1 import audit_pb2
    from eportfolio.intake.v1 import intake_pb2
    from eportfolio.korona.v1 import korona_pb2
    from eportfolio.reporting.v1 import reporting_pb2

    app: Any = _App()
    return [
        (IntakeServicer(app), intake_pb2.DESCRIPTOR.services_by_name["IntakeService"], "agency"),
        (
            AssessmentServicer(app),
            assessment_pb2.DESCRIPTOR.services_by_name["AssessmentService"],
            "office",
        ),
        (KoronaServicer(app), korona_pb2.DESCRIPTOR.services_by_name["KoronaService"], "office"),
        (
            ReportingServicer(app, None),
            reporting_pb2.DESCRIPTOR.services_by_name["ReportingService"],
            "office",
        ),
        (
            AuditServicer(service="fuzz", trail=app, heads=app, call_log=app),
            audit_pb2.DESCRIPTOR.services_by_name["AuditService"],
            "auditor",
        ),
    ]


def _drive(call: Any) -> None:
    """Run a servicer method's coroutine (or async generator) up to its first real await:
    validation happens before it; ``asyncio.to_thread`` without a loop ends it there."""
    step = call.asend(None) if hasattr(call, "asend") else call
    try:
        step.send(None)
    except StopIteration:
        pass
    except StopAsyncIteration:
        pass
    except RuntimeError as exc:
        if "no running event loop" not in str(exc):
            raise
    finally:
        step.close()
        if hasattr(call, "aclose"):
            with contextlib.suppress(BaseException):
                call.aclose().send(None)


def requests_target() -> tuple[Callable[[bytes], None], list[bytes]]:
    rpcs: list[tuple[Callable[..., Any], type[Any], str]] = []
    for servicer, service, role in _servicers():
        for method in service.methods:
            cls = message_factory.GetMessageClass(method.input_type)
            rpcs.append((getattr(servicer, method.name), cls, role))
    context = _Context()

    def one(data: bytes) -> None:
        if not data:
            return
        handler, cls, role = rpcs[data[0] % len(rpcs)]
        try:
            request = cls.FromString(data[1:])
        except google.protobuf.message.DecodeError:
            return  # grpc refuses these bytes before any servicer sees them
        meta = EventMeta(agency="fuzz", user="fuzz", role=role, correlation_id="f")
        with acting_as(meta), contextlib.suppress(DomainError, _ReachedError, _AbortedError):
            _drive(handler(request, context))

    seeds = [bytes([i]) + cls().SerializeToString() for i, (_, cls, _) in enumerate(rpcs)]
    for i, (_, cls, _) in enumerate(rpcs):
        if cls.DESCRIPTOR.name in VALID:
            seeds.append(bytes([i]) + valid(cls.DESCRIPTOR).SerializeToString())
    return one, seeds


# --- events ---------------------------------------------------------------------------------


def _real_envelopes() -> list[bytes]:
    """Envelopes of the stored fixtures' events as the relays publish them."""
    from datetime import UTC, datetime

    translate = {
        "intake": intake_published.translate,
        "assessment": assessment_published.translate_with(lambda _e: 1000),
        "korona": korona_published.translate_with(lambda _e: "p-1"),
    }
    apps = {service: capture.application(service) for service in capture.APPLICATIONS}
    out = []
    for n, path in enumerate(capture.fixture_files(), start=1):
        service = path.relative_to(capture.STORED).parts[0]
        event = apps[service].mapper.to_domain_event(_stored(path))
        published = translate[service](event)
        if published is None:
            continue
        envelope = Envelope(
            event_id=UUID(int=n),
            event_type=published.event_type,
            schema_version=published.schema_version,
            source=service,
            aggregate_type="Fuzz",
            aggregate_id=UUID(int=n),
            aggregate_version=1,
            occurred_at=datetime(2024, 3, 5, tzinfo=UTC),
            recorded_at=datetime(2024, 3, 5, tzinfo=UTC),
            recorded_by=Actor(agency="helsedir", user="kari", role="office"),
            position=n,
            payload=json.loads(json.dumps(published.payload, default=str)),
        )
        out.append(encode(envelope))
    for app in apps.values():
        app.close()
    return out


def events_target() -> tuple[Callable[[bytes], None], list[bytes]]:
    def one(data: bytes) -> None:
        try:
            envelope, payload = decode(data)
        except ContractError:
            return
        again, payload_again = decode(encode(envelope))
        assert again == envelope, (again, envelope)
        assert payload_again == payload

    return one, _real_envelopes()


# --- stored events --------------------------------------------------------------------------


def _stored(path: Path, state: bytes | None = None) -> eventsourcing.persistence.StoredEvent:
    fixture = capture.load_fixture(path)
    return eventsourcing.persistence.StoredEvent(
        originator_id=UUID(fixture["originator_id"]),
        originator_version=fixture["originator_version"],
        topic=fixture["topic"],
        state=fixture["state"].encode() if state is None else state,
    )


def stored_target() -> tuple[Callable[[bytes], None], list[bytes]]:
    paths = capture.fixture_files()
    apps = {service: capture.application(service) for service in capture.APPLICATIONS}
    mappers = [apps[p.relative_to(capture.STORED).parts[0]].mapper for p in paths]

    def one(data: bytes) -> None:
        if not data:
            return
        i = data[0] % len(paths)
        mapper = mappers[i]
        try:
            event = mapper.to_domain_event(_stored(paths[i], data[1:]))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            return  # a malformed stored dict: the reader says so, nothing is written
        again = mapper.to_domain_event(mapper.to_stored_event(event))
        assert vars(again) == vars(event)

    seeds = [bytes([i]) + capture.load_fixture(p)["state"].encode() for i, p in enumerate(paths)]
    return one, seeds


# --- main -----------------------------------------------------------------------------------


TARGETS = {"requests": requests_target, "events": events_target, "stored": stored_target}


def all_targets() -> tuple[Callable[[bytes], None], list[bytes]]:
    """The three in one process (one start-up instead of three): the first byte picks."""
    built = [build() for build in TARGETS.values()]

    def one(data: bytes) -> None:
        if data:
            built[data[0] % len(built)][0](data[1:])

    seeds = [
        bytes([i]) + seed for i, (_, target_seeds) in enumerate(built) for seed in target_seeds
    ]
    return one, seeds


def main() -> None:
    one, seeds = {**TARGETS, "all": all_targets}[TARGET]()
    corpus = next((Path(a) for a in sys.argv[1:] if not a.startswith("-")), None)
    if corpus is not None:
        corpus.mkdir(parents=True, exist_ok=True)
        for n, seed in enumerate(seeds):
            (corpus / f"seed-{n:04d}").write_bytes(seed)
    for seed in seeds:  # every seed must pass before fuzzing starts
        one(seed)
    atheris.Setup(sys.argv, one)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
