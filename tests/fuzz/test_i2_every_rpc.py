"""RELIABILITY.md I2: random valid and invalid requests to every RPC of every service.

The real servicers of intake, assessment, korona and reporting (each with its
AuditService) on real gRPC servers (``tests/fuzz/servers.py``) get, for every RPC:
- requests built from the request message's descriptor: any subset of fields, ints at and
  beyond their limits, strings of any Unicode (NUL, RTL overrides, emoji), unknown enum
  numbers;
- a valid request of that RPC with one or two fields replaced by such values or cleared;
from callers of every role (and none, and nonsense), over the wire, with a deadline.

Pass: no answer is UNKNOWN or INTERNAL, none runs into its deadline, and every
INVALID_ARGUMENT carries google.rpc.BadRequest field violations, each naming a real field
path of the request message (``a.b[3].c``).
"""

from __future__ import annotations

import collections
import time
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import descriptor as d
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backbone import validation as check
from backbone.errors import Violations
from tests.faults.results import record, size
from tests.fuzz import strategies as s
from tests.fuzz.requests import MEASURE, valid
from tests.fuzz.servers import SEEDED_PROPOSALS, Servers, caller, servers

pytestmark = pytest.mark.fuzz

EXAMPLES = size(12, 250)
NEVER = {
    grpc.StatusCode.UNKNOWN,
    grpc.StatusCode.INTERNAL,
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.CANCELLED,
}
ROLES = ["office", "agency", "auditor", "proposer", "working_group", "operations", "system", ""]
AGENCIES = ["Helsedirektoratet", "Helse Sør-Øst RHF", "Bergen kommune", ""]


def mutated(desc: d.Descriptor) -> st.SearchStrategy[Any]:
    """The RPC's valid request with up to two fields replaced by fuzz, or cleared."""
    fields = list(desc.fields)
    if not fields:
        return st.just(valid(desc))
    change = st.tuples(
        st.sampled_from(fields),
        st.booleans(),
    ).flatmap(lambda fc: s.field_value(fc[0], 0).map(lambda v: (fc[0], fc[1], v)))

    def apply(changes: list[tuple[d.FieldDescriptor, bool, Any]]) -> Any:
        msg = valid(desc)
        for field, clear, value in changes:
            msg.ClearField(field.name)
            if clear:
                continue
            if field.is_repeated and not isinstance(value, dict):
                getattr(msg, field.name).extend(value)
            elif field.type == d.FieldDescriptor.TYPE_MESSAGE and not field.is_repeated:
                getattr(msg, field.name).CopyFrom(value)
            elif isinstance(value, dict):
                getattr(msg, field.name).update(value)
            else:
                setattr(msg, field.name, value)
        return msg

    return st.lists(change, min_size=1, max_size=2).map(apply)


def callers() -> st.SearchStrategy[list[tuple[str, str]]]:
    return st.builds(
        caller,
        st.sampled_from(AGENCIES) | s.text(30),
        st.sampled_from(ROLES) | s.text(20),
        st.sampled_from(["kari", "ola"]) | s.text(30),
    )


@pytest.fixture(scope="module")
def running() -> Iterator[Servers]:
    with servers() as sv:
        yield sv


def _methods() -> list[str]:
    """Every RPC of every service the contracts define; each is fuzzed on every server that
    offers it (the shared ones, AuditService and the like, on several)."""
    return sorted(
        m.full_name
        for module in s.proto_modules()
        for svc in module.DESCRIPTOR.services_by_name.values()
        for m in svc.methods
    )


METHODS = _methods()
_codes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
_started = time.perf_counter()


def test_i2_every_rpc_of_every_server_is_fuzzed(running: Servers) -> None:
    served = {m.full_name for _, m in running.methods()}
    assert served == set(METHODS), "the servers offer every RPC of the contracts"
    assert len(running.methods()) >= 60


@pytest.mark.parametrize("method_name", METHODS, ids=lambda x: x.split(".")[-1])
def test_i2_random_requests_never_give_unknown_or_internal(
    running: Servers, method_name: str
) -> None:
    offered = [(n, m) for n, m in running.methods() if m.full_name == method_name]
    assert offered, f"no server offers {method_name}"
    method = offered[0][1]
    desc = method.input_type

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        database=None,
    )
    @given(
        server=st.sampled_from([n for n, _ in offered]),
        request=s.message(desc) | mutated(desc),
        metadata=callers(),
    )
    def fuzz(server: str, request: Any, metadata: list[tuple[str, str]]) -> None:
        outcome = running.call(server, method, request, metadata)
        _codes[server][outcome.code.name] += 1
        assert outcome.code not in NEVER, (outcome, request)
        if outcome.code == grpc.StatusCode.INVALID_ARGUMENT:
            assert outcome.fields, f"INVALID_ARGUMENT without field violations: {outcome}"
            for path in outcome.fields:
                assert s.names_a_field(desc, path), f"{path!r} is no field of {desc.full_name}"

    fuzz()


@settings(max_examples=size(200, 5000), deadline=None)
@given(s.text(12))
def test_i2_a_period_is_accepted_only_in_ascii_digits(value: str) -> None:
    """Python's ``\\d`` matches any Unicode digit: ``٢٠٢٤-٠٣`` must not pass as a period
    (it would be stored and reported as a period of its own, beside ``2024-03``)."""
    v = Violations()
    if check.period(value, "period", v) is not None:
        assert value.isascii()
        assert len(value) == 7 and value[:4].isdigit() and 1 <= int(value[5:]) <= 12


@pytest.fixture(scope="module", autouse=True)
def _record(running: Servers) -> Iterator[None]:
    """After the module: the calls made and the codes they got, per server."""
    yield
    record(
        "I2",
        "test_i2_every_rpc",
        rpcs=len(METHODS),
        rpcs_on_servers=len(running.methods()),
        calls=sum(sum(c.values()) for c in _codes.values()),
        max_examples_per_rpc=EXAMPLES,
        codes={name: dict(c) for name, c in _codes.items()},
        unknown_or_internal=sum(c["UNKNOWN"] + c["INTERNAL"] for c in _codes.values()),
        seconds=round(time.perf_counter() - _started, 1),
    )


def test_i2_found_examples_stay_fixed(running: Servers) -> None:
    """What the fuzzing above found, as fixed examples (each was INTERNAL or named a field
    the request does not have)."""
    from eportfolio.audit.v1 import audit_pb2
    from eportfolio.korona.v1 import korona_pb2
    from eportfolio.reporting.v1 import reporting_pb2

    methods = {(n, m.full_name): m for n, m in running.methods()}

    def call(name: str, request: Any, role: str) -> Any:
        service = {"audit": "assessment"}.get(name.split(".")[1], name.split(".")[1])
        method = methods[(service, name)]
        return running.call(service, method, request, caller("Helsedirektoratet", role))

    # 1. A time in year 1 with a positive offset overflowed when moved to UTC.
    out = call(
        "eportfolio.reporting.v1.ReportingService.GetKoronaReport",
        reporting_pb2.GetKoronaReportRequest(as_of="0001-01-01T00:00:00+01:00"),
        "office",
    )
    assert (out.code, out.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["as_of"])
    # 2. History's violations said stream.subject; its request has subject at the top.
    out = call(
        "eportfolio.audit.v1.AuditService.History",
        audit_pb2.StreamSelector(subject=" ", aggregate_type="x"),
        "auditor",
    )
    assert (out.code, out.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["subject"])
    out = call(
        "eportfolio.audit.v1.AuditService.History",
        audit_pb2.StreamSelector(subject=str(MEASURE), aggregate_type="Nonsense"),
        "auditor",
    )
    assert (out.code, out.fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["aggregate_type"])
    # 3. Routing a proposal whose category korona does not know named category_code,
    #    which RouteRequest has not: the proposal's state is at fault.
    out = call(
        "eportfolio.korona.v1.KoronaService.Route",
        korona_pb2.RouteRequest(proposal_ids=[SEEDED_PROPOSALS[2]], reason="x"),
        "office",
    )
    assert out.code == grpc.StatusCode.FAILED_PRECONDITION, out
    assert "proposal_ids[0]" in out.details
