"""``portfolio audit`` against stand-in AuditServices (real grpc.aio servers in a thread of
this process, one per service) that hold measure 160's history, a proposal, call logs,
and a tamper-evident store built with :mod:`audit_log.chain` that the tests tamper with."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import grpc
import pytest
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from audit_log import chain, merkle
from audit_log.heads import HeadSigner, SignedTreeHead, TreeHead, read_head_file, utc_timestamp
from eportfolio.audit.v1 import audit_pb2, audit_pb2_grpc
from eportfolio.common.v1 import common_pb2
from portfolio_cli.locations import SERVICE_NAMES
from portfolio_cli.main import app

T = TypeVar("T")
MEASURE_160 = "5f1c7a52-2b1d-5c36-9a0e-160160160160"
MEASURE_101 = "0d7e3a11-8c44-5e2b-b3f0-101101101101"
INTAKE_160 = "9a4b2c10-1f2e-4d3c-8b7a-160000000160"
PROPOSAL = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
OFFICE = ("Direktoratet for e-helse", "kari", "office")
AGENCY = ("Helse Nord RHF", "ola", "agency")


@dataclass
class Canned:
    """One event of a stream, as History tells it and as the event store holds it."""

    aggregate_type: str
    aggregate_id: str
    subject: str
    version: int
    type: str
    held_at: str
    recorded_at: str
    actor: tuple[str, str, str]
    reason: str
    data: dict[str, Any]
    sets: dict[str, Any]
    """What the event sets in the aggregate's state."""

    @property
    def label(self) -> str:
        return f"{self.aggregate_type} {self.subject}"

    def message(self, service: str, position: int) -> audit_pb2.AuditEvent:
        agency, user, role = self.actor
        return audit_pb2.AuditEvent(
            type=self.type,
            version=self.version,
            held_at=self.held_at,
            recorded_at=self.recorded_at,
            actor=audit_pb2.Actor(agency=agency, user=user, role=role),
            reason=self.reason,
            data_json=json.dumps(self.data),
            correlation_id=f"corr-{self.subject}-{self.version}",
            stream=self.ref(service, self.version),
            position=position,
            schema_version=1,
        )

    def ref(self, service: str, version: int) -> audit_pb2.StreamRef:
        return audit_pb2.StreamRef(
            service=service,
            aggregate_type=self.aggregate_type,
            aggregate_id=self.aggregate_id,
            subject=self.subject,
            version=version,
        )


def measure_160() -> list[Canned]:
    def event(
        version: int,
        kind: str,
        held: str,
        recorded: str,
        actor: tuple[str, str, str],
        reason: str,
        data: dict[str, Any],
        sets: dict[str, Any],
    ) -> Canned:
        return Canned(
            "Measure", MEASURE_160, "160", version, kind, held, recorded, actor, reason, data, sets
        )

    return [
        event(
            1,
            "Registered",
            "2019-12-01T09:00:00Z",
            "2019-12-01T09:00:00Z",
            AGENCY,
            "",
            {"measure_id": 160, "name": "Helseplattformen"},
            {"measure_id": 160, "name": "Helseplattformen", "lifecycle": "submitted"},
        ),
        event(
            2,
            "Included",
            "2020-01-15T10:00:00Z",
            "2020-01-15T10:00:00Z",
            OFFICE,
            "Oppfyller kriteriene",
            {"segment": "koordinere", "period": "2020-01", "decision": "PS 1/2020"},
            {"lifecycle": "active", "segment": "koordinere"},
        ),
        event(
            3,
            "StatusReportRecorded",
            "2020-03-31T12:00:00Z",
            "2020-04-02T08:00:00Z",
            AGENCY,
            "",
            {"period": "2020-03", "status": "yellow", "risk": "red", "explanation": "Finansiering"},
            {
                "status_reports": {
                    "2020-03": {"period": "2020-03", "status": "yellow", "risk": "red"}
                }
            },
        ),
        event(
            4,
            "SegmentChanged",
            "2020-06-30T20:00:00Z",  # 22:00 in Oslo on 30 June
            "2020-07-01T07:00:00Z",
            OFFICE,
            "Kritisk for pandemiarbeidet, trenger tett styring av avhengigheter og risiko",
            {"from_segment": "koordinere", "to_segment": "samstyre", "period": "2020-06"},
            {"segment": "samstyre"},
        ),
        event(
            5,
            "StatusReportRecorded",
            "2020-06-30T22:30:00Z",  # 00:30 in Oslo on 1 July
            "2020-07-02T09:00:00Z",
            AGENCY,
            "",
            {"period": "2020-06", "status": "green", "risk": "yellow", "explanation": ""},
            {
                "status_reports": {
                    "2020-03": {"period": "2020-03", "status": "yellow", "risk": "red"},
                    "2020-06": {"period": "2020-06", "status": "green", "risk": "yellow"},
                }
            },
        ),
    ]


def measure_101() -> list[Canned]:
    base = {"measure_id": 101, "name": "Kjernejournal", "lifecycle": "active"}
    return [
        Canned(
            "Measure", MEASURE_101, "101", 1, "Registered", "2019-11-01T09:00:00Z",
            "2019-11-01T09:00:00Z", AGENCY, "", {"measure_id": 101, "name": "Kjernejournal"},
            base,
        ),
        Canned(
            "Measure", MEASURE_101, "101", 2, "Included", "2020-01-15T10:00:00Z",
            "2020-01-15T10:00:00Z", OFFICE, "", {"segment": "observere", "period": "2020-01"},
            {"segment": "observere"},
        ),
    ]  # fmt: skip


def proposal() -> list[Canned]:
    who = ("Direktoratet for e-helse", "per", "office")
    return [
        Canned(
            "Proposal", PROPOSAL, PROPOSAL, 1, "Registered", "2020-04-02T08:15:00Z",
            "2020-04-02T08:16:00Z", who, "", {"title": "Video for fastleger"},
            {"proposal_id": PROPOSAL, "title": "Video for fastleger", "state": "registered"},
        ),
        Canned(
            "Proposal", PROPOSAL, PROPOSAL, 2, "Decided", "2020-04-20T10:00:00Z",
            "2020-04-20T10:05:00Z", who, "Støtter covid-19-arbeidet", {"decision": "prioritised"},
            {"state": "prioritised"},
        ),
    ]  # fmt: skip


def intake_160() -> list[Canned]:
    return [
        Canned(
            "MeasureIntake", INTAKE_160, "160", 1, "MeasureSubmitted", "2019-12-01T08:59:00Z",
            "2019-12-01T08:59:00Z", AGENCY, "", {"name": "Helseplattformen"},
            {"name": "Helseplattformen"},
        ),
    ]  # fmt: skip


def call_fields(seq: int, service: str, at: str, method: str, agency: str) -> dict[str, object]:
    return {
        "seq": seq,
        "at": at,
        "service": service,
        "method": f"eportfolio.{service}.v1.Service/{method}",
        "agency": agency,
        "user": "kari",
        "role": "office",
        "outcome": "OK",
        "correlation_id": f"c-{service}-{seq}",
        "duration_ms": round(1.5 * seq, 3),
        "peer": "ipv4:127.0.0.1:40000",
    }


@dataclass
class Row:
    """A stored event as the store holds it (what the tests tamper with)."""

    notification_id: int
    aggregate_id: str
    version: int
    topic: str
    state: bytes
    label: str


@dataclass
class Store:
    """One service's event store, tamper-evident log, call log and signing key."""

    service: str
    events: list[Canned]
    calls: list[dict[str, object]]
    signer: HeadSigner = field(default_factory=HeadSigner.generate)
    rows: list[Row] = field(default_factory=list)
    entries: list[audit_pb2.LogEntry] = field(default_factory=list)
    call_hashes: list[bytes] = field(default_factory=list)
    heads: dict[int, audit_pb2.SignedTreeHead] = field(default_factory=dict)
    proof_override: list[bytes] | None = None

    def __post_init__(self) -> None:
        self.rows = [
            Row(
                i + 1,
                e.aggregate_id,
                e.version,
                f"{self.service}.domain:{e.aggregate_type}.{e.type}",
                json.dumps(e.data, sort_keys=True).encode(),
                e.label,
            )
            for i, e in enumerate(self.events)
        ]
        self.relog()

    def relog(self) -> None:
        """The log as the service writes it, over the rows as they are now."""
        previous: dict[str, bytes] = {}
        self.entries = []
        for i, row in enumerate(self.rows):
            entry = chain.entry_hash(row.aggregate_id, row.version, row.topic, row.state)
            link = chain.chain_hash(previous.get(row.aggregate_id), entry)
            previous[row.aggregate_id] = link
            self.entries.append(
                audit_pb2.LogEntry(
                    leaf_index=i,
                    notification_id=row.notification_id,
                    aggregate_id=row.aggregate_id,
                    version=row.version,
                    entry_hash=entry,
                    chain_hash=link,
                )
            )
        self.rehash_calls()

    def rehash_calls(self) -> None:
        hashes: list[bytes] = []
        for fields in self.calls:
            hashes.append(chain.call_hash(hashes[-1] if hashes else None, fields))
        self.call_hashes = hashes

    def leaves(self) -> list[bytes]:
        return [
            merkle.leaf_hash(chain.leaf_data(e.aggregate_id, e.version, e.chain_hash))
            for e in self.entries
        ]

    def head(self) -> audit_pb2.SignedTreeHead:
        tree = TreeHead(
            service=self.service,
            tree_size=len(self.entries),
            root_hash=merkle.root(self.leaves()),
            calls_size=len(self.calls),
            calls_head=self.call_hashes[-1] if self.call_hashes else chain.GENESIS,
            timestamp=utc_timestamp(),
        )
        signed = self.signer.sign(tree)
        return audit_pb2.SignedTreeHead(
            service=tree.service,
            tree_size=tree.tree_size,
            root_hash=tree.root_hash,
            calls_size=tree.calls_size,
            calls_head=tree.calls_head,
            timestamp=tree.timestamp,
            public_key=signed.public_key,
            signature=signed.signature,
        )

    def call_message(self, i: int) -> audit_pb2.CallRecord:
        f = self.calls[i]
        return audit_pb2.CallRecord(
            seq=int(str(f["seq"])),
            at=str(f["at"]),
            service=str(f["service"]),
            method=str(f["method"]),
            actor=audit_pb2.Actor(
                agency=str(f["agency"]), user=str(f["user"]), role=str(f["role"])
            ),
            outcome=str(f["outcome"]),
            correlation_id=str(f["correlation_id"]),
            duration_ms=float(str(f["duration_ms"])),
            peer=str(f["peer"]),
            chain_hash=self.call_hashes[i],
        )

    # -- tampering (what an operator with write access to the database could do) -------

    def row(self, aggregate_id: str, version: int) -> Row:
        return next(r for r in self.rows if (r.aggregate_id, r.version) == (aggregate_id, version))

    def alter(self, aggregate_id: str, version: int) -> None:
        row = self.row(aggregate_id, version)
        row.state = row.state.replace(b"samstyre", b"inspirere").replace(b"green", b"red")

    def delete(self, aggregate_id: str, version: int) -> None:
        self.rows.remove(self.row(aggregate_id, version))


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Audit(audit_pb2_grpc.AuditServiceServicer):
    """A service's AuditService over its canned store; auditors only."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.requests: list[tuple[str, Any]] = []
        self.callers: list[dict[str, str]] = []

    async def _enter(self, method: str, request: Any, context: Any) -> None:
        metadata = dict(context.invocation_metadata())
        self.requests.append((method, request))
        self.callers.append(metadata)
        if metadata.get("x-role") != "auditor":
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED, "the audit service answers auditors only"
            )

    def _stream(self, selector: Any) -> list[Canned]:
        events = [e for e in self.store.events if e.subject == selector.subject]
        if selector.aggregate_type:
            events = [e for e in events if e.aggregate_type == selector.aggregate_type]
        elif events:
            main = {"Measure", "Proposal"}
            kinds = {e.aggregate_type for e in events}
            first = next((k for k in kinds if k in main), events[0].aggregate_type)
            events = [e for e in events if e.aggregate_type == first]
        return sorted(events, key=lambda e: e.version)

    async def _events(self, selector: Any, context: Any) -> list[Canned]:
        events = self._stream(selector)
        if not events:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"{self.store.service} keeps no stream about {selector.subject!r}",
            )
        return events

    @staticmethod
    def _upto(events: list[Canned], point: Any) -> list[Canned]:
        if point.WhichOneof("at") == "version":
            return [e for e in events if e.version <= point.version]
        moment = _moment(point.moment)
        recorded = point.axis == common_pb2.TIME_AXIS_RECORDED
        return [e for e in events if _moment(e.recorded_at if recorded else e.held_at) <= moment]

    def _state(self, events: list[Canned], applied: list[Canned]) -> audit_pb2.AggregateState:
        fields: dict[str, Any] = {}
        for e in applied:
            fields.update(e.sets)
        last = applied[-1] if applied else None
        return audit_pb2.AggregateState(
            stream=events[0].ref(self.store.service, events[-1].version),
            version=last.version if last else 0,
            held_at=last.held_at if last else "",
            recorded_at=last.recorded_at if last else "",
            state_json=json.dumps(fields),
        )

    async def FindStreams(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("FindStreams", request, context)
        refs: dict[str, audit_pb2.StreamRef] = {}
        for e in self.store.events:
            if e.subject == request.subject:
                refs[e.aggregate_id] = e.ref(self.store.service, e.version)
        return audit_pb2.FindStreamsResponse(streams=list(refs.values()))

    async def History(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("History", request, context)
        for event in await self._events(request, context):
            yield event.message(self.store.service, self.store.events.index(event) + 1)

    async def StateAt(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("StateAt", request, context)
        events = await self._events(request.stream, context)
        return self._state(events, self._upto(events, request.at))

    async def Diff(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("Diff", request, context)
        events = await self._events(request.stream, context)
        before = self._upto(events, getattr(request, "from"))
        after = self._upto(events, request.to)
        old, new = self._state(events, before), self._state(events, after)
        old_fields, new_fields = json.loads(old.state_json), json.loads(new.state_json)
        changes = [
            audit_pb2.FieldChange(
                op="replace" if key in old_fields else "add",
                path=f"/{key}",
                before_json=json.dumps(old_fields[key]) if key in old_fields else "",
                after_json=json.dumps(value),
            )
            for key, value in new_fields.items()
            if old_fields.get(key) != value
        ]
        between = [e for e in after if e not in before]
        return audit_pb2.StateDiff(
            changes=changes,
            to=new,
            events=[e.message(self.store.service, self.store.events.index(e) + 1) for e in between],
            **{"from": old},
        )

    async def PortfolioAt(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("PortfolioAt", request, context)
        point = audit_pb2.Point(moment=request.moment, axis=request.axis)
        for subject in dict.fromkeys(e.subject for e in self.store.events):
            events = self._stream(audit_pb2.StreamSelector(subject=subject))
            applied = self._upto(events, point) if request.moment else events
            if applied:
                yield self._state(events, applied)

    async def StoredRecords(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("StoredRecords", request, context)
        for entry in self.store.entries:
            yield audit_pb2.StoredRecord(entry=entry)
        for row in self.store.rows:
            yield audit_pb2.StoredRecord(
                event=audit_pb2.StoredEventRow(
                    notification_id=row.notification_id,
                    aggregate_id=row.aggregate_id,
                    version=row.version,
                    topic=row.topic,
                    state=row.state,
                    label=row.label,
                )
            )
        if request.include_calls:
            for i in range(len(self.store.calls)):
                yield audit_pb2.StoredRecord(call=self.store.call_message(i))

    async def TreeHead(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("TreeHead", request, context)
        return self.store.head()

    async def ConsistencyProof(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("ConsistencyProof", request, context)
        leaves = self.store.leaves()
        if request.first > len(leaves):  # as the services refuse it: a field violation
            violation = error_details_pb2.BadRequest.FieldViolation(
                field="first",
                description=f"the log holds {len(leaves)} entries; a head of {request.first} "
                "cannot be part of it",
            )
            detail = any_pb2.Any()
            detail.Pack(error_details_pb2.BadRequest(field_violations=[violation]))
            status = status_pb2.Status(
                code=code_pb2.INVALID_ARGUMENT, message="bad request", details=[detail]
            )
            await context.abort_with_status(rpc_status.to_status(status))
        proof = merkle.consistency_proof(leaves, request.first)
        if self.store.proof_override is not None:
            proof = self.store.proof_override
        first = request.calls_first
        at_first = self.store.call_hashes[first - 1] if first else b""
        return audit_pb2.ConsistencyProofResponse(
            proof=proof, head=self.store.head(), calls_hash_at_first=at_first
        )

    async def ListCalls(self, request: Any, context: Any) -> Any:  # noqa: N802
        await self._enter("ListCalls", request, context)
        sent = 0
        for i, f in enumerate(self.store.calls):
            if request.agency and f["agency"] != request.agency:
                continue
            if request.method and not str(f["method"]).endswith(f"/{request.method}"):
                continue
            if request.since and _moment(str(f["at"])) < _moment(request.since):
                continue
            if request.limit and sent >= request.limit:
                return
            sent += 1
            yield self.store.call_message(i)


class Loop:
    """An event loop in a thread of its own, for the servers; the CLI runs its own."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=10)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Stack:
    audits: dict[str, Audit]
    addresses: dict[str, str]

    def store(self, service: str) -> Store:
        return self.audits[service].store

    def options(self, *services: str) -> list[str]:
        return [arg for s in services for arg in (f"--{s}", self.addresses[s])]


def stores() -> dict[str, Store]:
    return {
        "intake": Store(
            "intake",
            intake_160(),
            [call_fields(1, "intake", "2019-12-01T08:59:00Z", "SubmitMeasure", AGENCY[0])],
        ),
        "assessment": Store(
            "assessment",
            # Stored in the order they happened, two measures interleaved.
            [*measure_101()[:1], *measure_160()[:2], measure_101()[1], *measure_160()[2:]],
            [
                call_fields(1, "assessment", "2020-01-15T10:00:00Z", "IncludeMeasure", OFFICE[0]),
                call_fields(2, "assessment", "2020-04-02T08:00:00Z", "RecordStatus", AGENCY[0]),
                call_fields(3, "assessment", "2020-07-01T07:00:00Z", "MoveMeasure", OFFICE[0]),
            ],
        ),
        "korona": Store(
            "korona",
            proposal(),
            [call_fields(1, "korona", "2020-04-20T10:05:00Z", "Decide", OFFICE[0])],
        ),
        "reporting": Store(
            "reporting",
            [],
            [call_fields(1, "reporting", "2020-07-03T12:00:00Z", "GetPortfolioReport", OFFICE[0])],
        ),
    }


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    monkeypatch.setenv("PORTFOLIO_VAR_DIR", str(tmp_path / "var"))  # no running stack here
    monkeypatch.setenv("COLUMNS", "160")
    monkeypatch.chdir(tmp_path)
    loop = Loop()
    audits = {name: Audit(store) for name, store in stores().items()}
    servers: list[Any] = []

    async def start() -> dict[str, str]:
        addresses = {}
        for name, audit in audits.items():
            server = grpc.aio.server()
            audit_pb2_grpc.add_AuditServiceServicer_to_server(audit, server)
            port = server.add_insecure_port("127.0.0.1:0")
            await server.start()
            servers.append(server)
            addresses[name] = f"127.0.0.1:{port}"
        return addresses

    addresses = loop.run(start())
    for name, address in addresses.items():
        monkeypatch.setenv(f"PORTFOLIO_{name.upper()}_ADDR", address)
    yield Stack(audits, addresses)

    async def stop() -> None:
        for server in servers:
            await server.stop(None)

    loop.run(stop())
    loop.close()


def portfolio(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run ``portfolio audit ARGS``: exit code, stdout, stderr."""
    with pytest.raises(SystemExit) as exit_info:
        app(["audit", *args])
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


# --- history -------------------------------------------------------------------------------


def test_history_json_has_who_when_why_and_the_data_of_every_event(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = portfolio(capsys, "history", "160", "--format", "json")
    assert code == 0, err
    events = json.loads(out)
    assert [e["version"] for e in events] == [1, 2, 3, 4, 5]
    moved = events[3]
    assert moved["type"] == "SegmentChanged"
    assert moved["data"] == {
        "from_segment": "koordinere",
        "to_segment": "samstyre",
        "period": "2020-06",
    }
    assert moved["actor"] == {
        "agency": "Direktoratet for e-helse",
        "user": "kari",
        "role": "office",
    }
    assert moved["reason"].startswith("Kritisk for pandemiarbeidet")
    assert (moved["held_at"], moved["recorded_at"]) == (
        "2020-06-30T20:00:00Z",
        "2020-07-01T07:00:00Z",
    )
    assert moved["stream"] == {
        "service": "assessment",
        "aggregate_type": "Measure",
        "aggregate_id": MEASURE_160,
        "subject": "160",
    }
    assert set(moved) >= {"correlation_id", "causation_id", "position", "schema_version"}
    assert moved["causation_id"] is None  # empty texts are null
    assert events[0]["reason"] is None
    audit = stack.audits["assessment"]
    assert [m for m, _ in audit.requests] == ["FindStreams", "History"]
    assert audit.callers[-1]["x-role"] == "auditor"
    assert audit.callers[-1]["x-agency"] == "Riksrevisjonen"
    assert err == ""


def test_history_table_follows_the_segment_moves_and_status_changes(
    stack: Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "240")
    code, out, _ = portfolio(capsys, "history", "160")
    assert code == 0
    lines = out.splitlines()
    assert lines[:2] == [
        f"Historikk for Measure 160 (assessment), strøm {MEASURE_160}",
        "5 hendelser",
    ]
    assert lines[3].split() == [
        "Versjon", "Hendelse", "Gjaldt", "Registrert", "Hvem", "Begrunnelse", "Innhold"
    ]  # fmt: skip
    assert len(lines) == 10  # one line per event when the terminal is wide enough
    moved = lines[8]
    assert moved.split()[:2] == ["4", "SegmentChanged"]
    # Times in Norwegian time: held 22:00 on 30 June, recorded 09:00 on 1 July.
    assert "2020-06-30 22:00  2020-07-01 09:00" in moved
    assert "Direktoratet for e-helse / kari (office)" in moved
    assert "Kritisk for pandemiarbeidet, trenger tett styring" in moved
    assert moved.endswith("Koordinere → Samstyre fra 2020-06")
    assert lines[7].endswith("2020-03: status Gul, risiko Rød; Finansiering")
    assert lines[9].endswith("2020-06: status Grønn, risiko Gul")

    monkeypatch.setenv("COLUMNS", "120")
    code, out, _ = portfolio(capsys, "history", "160")
    assert code == 0
    assert max(len(line) for line in out.splitlines()) <= 120
    assert len(out.splitlines()) > 10  # long cells wrap within their columns
    assert "Koordinere →" in out


def test_history_of_a_proposal_goes_to_korona_and_intake_on_request(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(capsys, "history", PROPOSAL, "--format", "json")
    assert code == 0
    assert [e["type"] for e in json.loads(out)] == ["Registered", "Decided"]
    assert stack.audits["korona"].requests
    code, out, _ = portfolio(capsys, "history", "160", "--service", "intake", "--format", "json")
    assert code == 0
    assert json.loads(out)[0]["stream"]["aggregate_type"] == "MeasureIntake"


def test_history_with_progress_counts_the_events_on_stderr(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = portfolio(capsys, "history", "160", "--format", "json", "--progress")
    assert code == 0
    json.loads(out)  # stdout stays clean JSON
    assert err.splitlines()[-1] == "assessment: 5 / 5 events"
    code, _, err = portfolio(capsys, "history", "160", "--format", "json")
    assert err == ""  # stderr is not a terminal here


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["history", "999"], "error: assessment keeps no events about '999'"),
        (["history", "160", "--type", "Proposal"], "it keeps: Measure"),
        (
            ["state", "999", "--at", "v1"],
            "error: assessment: StateAt: not found: assessment keeps no",
        ),
        (
            ["history", "160", "--role", "office", "--as-agency", "Direktoratet for e-helse"],
            'error: assessment: FindStreams: permission denied as office "Direktoratet for '
            'e-helse": the audit service answers auditors only',
        ),
    ],
)
def test_unknown_ids_and_refusals_are_one_line(
    stack: Stack, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, out, err = portfolio(capsys, *args)
    assert code == 1
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["state", "160", "--at", "30.06.2020"], "is not a point in time"),
        (["state", "160", "--at", "7"], "write a version as v7"),
        (["diff", "160", "--to", "v2"], "--from"),
        (["diff", "160", "--from", "v4", "--to", "v2"], "--from v4 comes after --to v2"),
        (["portfolio", "--at", "v3"], "at a moment, not a version"),
        (["calls", "--since", "2020-07-01", "--until", "2020-06-01"], "--since comes after"),
        (["history", " "], "the ID is empty"),
        (["check-head", "no-such-file.json"], "does not exist"),
    ],
)
def test_bad_command_lines_are_usage_errors_before_any_call(
    stack: Stack, capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = portfolio(capsys, *args)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert all(not a.requests for a in stack.audits.values())


def test_an_unreachable_service_is_one_line_naming_where_it_was_looked_for(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = portfolio(capsys, "history", "160", "--assessment", "127.0.0.1:1")
    assert code == 1
    assert err.startswith("error: assessment: FindStreams: cannot reach the service at 127.0.0.1:1")
    assert len(err.strip().splitlines()) == 1


# --- state, diff, portfolio -------------------------------------------------------------


def _sent_point(stack: Stack, method: str) -> Any:
    return stack.audits["assessment"].requests[-1][1]


def test_state_at_a_date_is_the_end_of_that_day_in_norwegian_time(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(capsys, "state", "160", "--at", "2020-06-30", "--format", "json")
    assert code == 0
    sent = _sent_point(stack, "StateAt")
    assert sent.at.moment == "2020-06-30T21:59:59.999999Z"
    assert sent.at.axis == common_pb2.TIME_AXIS_DOMAIN
    data = json.loads(out)
    # The move at 22:00 on 30 June counts; the report at 00:30 on 1 July does not.
    assert data["version"] == 4
    assert data["state"]["segment"] == "samstyre"
    assert data["at"] == {"moment": "2020-06-30T21:59:59.999999Z", "axis": "domain"}

    code, out, _ = portfolio(
        capsys, "state", "160", "--at", "2020-06-30", "--recorded", "--format", "json"
    )
    assert _sent_point(stack, "StateAt").at.axis == common_pb2.TIME_AXIS_RECORDED
    assert json.loads(out)["version"] == 3  # the move was recorded on 1 July
    assert json.loads(out)["state"]["segment"] == "koordinere"


def test_state_at_a_version_and_as_a_table(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(capsys, "state", "160", "--at", "v2")
    assert code == 0
    assert _sent_point(stack, "StateAt").at.version == 2
    lines = out.splitlines()
    assert lines[0] == "Measure 160 (assessment) per versjon 2"
    assert lines[1].startswith("Versjon 2 (gjaldt 2020-01-15 11:00")
    assert any(line.split() == ["segment", "koordinere"] for line in lines)
    code, out, _ = portfolio(capsys, "state", "160", "--at", "2020-06-30T14:00")
    assert _sent_point(stack, "StateAt").at.moment == "2020-06-30T12:00:00Z"
    assert out.startswith("Measure 160 (assessment) per 2020-06-30 14:00:00 norsk tid")


def test_state_now_shows_the_moment_it_sent(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(capsys, "state", "160", "--format", "json")
    assert code == 0
    sent = _sent_point(stack, "StateAt").at.moment
    assert json.loads(out)["at"] == {"moment": sent, "axis": "domain"}
    assert abs((datetime.now(UTC) - datetime.fromisoformat(sent)).total_seconds()) < 30
    assert json.loads(out)["version"] == 5


def test_diff_gives_the_field_changes_and_the_events_in_between(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(
        capsys, "diff", "160", "--from", "2020-03-31", "--to", "2020-06-30", "--format", "json"
    )
    assert code == 0
    sent = _sent_point(stack, "Diff")
    assert getattr(sent, "from").moment == "2020-03-31T21:59:59.999999Z"
    assert sent.to.moment == "2020-06-30T21:59:59.999999Z"
    data = json.loads(out)
    assert (data["from"]["version"], data["to"]["version"]) == (3, 4)
    assert data["changes"] == [
        {"op": "replace", "path": "/segment", "before": "koordinere", "after": "samstyre"}
    ]
    assert [e["type"] for e in data["events"]] == ["SegmentChanged"]
    assert data["asked"]["from"] == {"moment": "2020-03-31T21:59:59.999999Z", "axis": "domain"}

    code, out, _ = portfolio(capsys, "diff", "160", "--from", "v1", "--to", "v5")
    assert code == 0
    assert "Fra: Versjon 1" in out
    assert "Til: Versjon 5" in out
    assert any(line.split()[:4] == ["/segment", "lagt", "til", "-"] for line in out.splitlines())
    assert "Hendelser imellom (4):" in out


def test_the_portfolio_rebuilt_at_a_date(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = portfolio(capsys, "portfolio", "--at", "2020-06-30", "--progress")
    assert code == 0
    assert stack.audits["assessment"].requests[-1][1].moment == "2020-06-30T21:59:59.999999Z"
    assert err.splitlines()[-1] == "assessment: 2 measures"
    assert out.splitlines()[:2] == [
        "Porteføljen i assessment per 2020-06-30 (ved dagens slutt, norsk tid) (slik det gjaldt)",
        "2 tiltak",
    ]
    rows = {
        line.split()[0]: line.split() for line in out.splitlines() if line[:3] in ("101", "160")
    }
    assert rows["160"] == ["160", "Helseplattformen", "I", "porteføljen", "Samstyre", "2020-03",
                           "Gul", "Rød", "4"]  # fmt: skip
    assert rows["101"][-2:] == ["Observere", "-", "-", "-", "2"][-2:]

    code, out, _ = portfolio(capsys, "portfolio", "--service", "korona", "--format", "json")
    assert code == 0
    states = json.loads(out)
    assert [s["state"]["state"] for s in states] == ["prioritised"]
    assert stack.audits["korona"].requests[-1][1].moment == ""  # now


# --- the call log ------------------------------------------------------------------------


def test_calls_of_all_services_merged_by_time_and_filtered(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = portfolio(capsys, "calls", "--format", "json")
    assert code == 0
    calls = json.loads(out)
    assert [(c["service"], c["seq"]) for c in calls] == [
        ("intake", 1),
        ("assessment", 1),
        ("assessment", 2),
        ("korona", 1),
        ("assessment", 3),
        ("reporting", 1),
    ]
    assert calls[0]["actor"]["agency"] == "Helse Nord RHF"
    assert len(calls[0]["chain_hash"]) == 64

    before = {name: len(audit.requests) for name, audit in stack.audits.items()}
    code, out, _ = portfolio(
        capsys, "calls", "--service", "assessment", "--method", "MoveMeasure", "--since", "2020-06"
    )
    assert code == 0
    request = stack.audits["assessment"].requests[-1][1]
    assert (request.method, request.since) == ("MoveMeasure", "2020-05-31T22:00:00Z")
    after = {name: len(audit.requests) for name, audit in stack.audits.items()}
    assert {name for name in after if after[name] > before[name]} == {"assessment"}
    assert "Service/MoveMeasure" in out
    assert "1 kall" in out


# --- verify ------------------------------------------------------------------------------


def test_verify_an_intact_store_exits_0_with_a_line_per_service(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = portfolio(capsys, "verify")
    assert code == 0, err
    lines = out.splitlines()
    assert [line.split(":")[0] for line in lines] == list(SERVICE_NAMES)
    assessment = next(line for line in lines if line.startswith("assessment:"))
    assert assessment.startswith("assessment: 7 events in 2 aggregates, log of 7 entries (root ")
    assert assessment.endswith("3 calls: intact")
    assert "reporting: 0 events in 0 aggregates, log of 0 entries" in out
    assert err == ""


def test_verify_progress_counts_records_against_the_tree_head(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = portfolio(capsys, "verify", "--service", "assessment", "--progress")
    assert code == 0
    assert err.splitlines()[-1] == "assessment: 17 / 17 records"  # 7 entries, 7 events, 3 calls


Tamper = Callable[[Store], None]


def _alter(store: Store) -> None:
    store.alter(MEASURE_160, 4)


def _delete(store: Store) -> None:
    store.delete(MEASURE_160, 3)


def _cut_tail(store: Store) -> None:
    store.delete(MEASURE_160, 5)


def _swap(store: Store) -> None:
    a, b = store.row(MEASURE_160, 3), store.row(MEASURE_160, 5)
    a.state, b.state = b.state, a.state


def _unlogged(store: Store) -> None:
    store.rows.append(Row(99, MEASURE_160, 6, "assessment.domain:Measure.Withdrawn", b"{}", ""))


def _call_altered(store: Store) -> None:
    store.calls[1] = {**store.calls[1], "agency": "Noen andre"}


@pytest.mark.parametrize(
    ("tamper", "kind", "names"),
    [
        (_alter, "altered", "Measure 160 version 4: the stored event was altered"),
        (_delete, "deleted", "Measure 160 version 3: the stored event was deleted"),
        (_cut_tail, "tail_cut", "Measure 160 version 5 is missing: the stream's tail was cut"),
        (_swap, "reordered", "Measure 160 version 3: the stored event was reordered"),
        (_unlogged, "unlogged", "Measure 160 version 6: the stored event is not in the log"),
        (_call_altered, "calls", "call 2 was altered"),
    ],
)
def test_verify_a_tampered_store_exits_1_naming_service_aggregate_and_version(
    stack: Stack,
    capsys: pytest.CaptureFixture[str],
    tamper: Tamper,
    kind: str,
    names: str,
) -> None:
    tamper(stack.store("assessment"))
    code, out, err = portfolio(capsys, "verify")
    assert code == 1, out + err
    assert "intake: " in out and "korona: " in out  # the others are still checked
    assert "assessment: " in out and ": BROKEN (" in out
    assert f"  [{kind}] {names}" in out
    assert err.startswith(f"error: tampering found: assessment: {names}")
    assert len(err.strip().splitlines()) == 1

    code, out, _ = portfolio(capsys, "verify", "--service", "assessment", "--format", "json")
    assert code == 1
    data = json.loads(out)
    assert data["ok"] is False
    finding = data["services"][0]["findings"][0]
    assert finding["kind"] == kind
    if kind != "calls":
        assert (finding["aggregate_id"], finding["label"]) == (MEASURE_160, "Measure 160")


def test_verify_exits_2_when_a_service_cannot_be_checked(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = portfolio(capsys, "verify", "--korona", "127.0.0.1:1")
    assert code == 2
    assert "assessment: " in out and ": intact" in out
    assert "korona: NOT CHECKED: TreeHead: cannot reach the service at 127.0.0.1:1" in out
    assert err == "error: not verified: korona could not be checked\n"

    stack.store("assessment").alter(MEASURE_160, 4)
    code, _, err = portfolio(capsys, "verify", "--korona", "127.0.0.1:1")
    assert code == 1  # tampering outweighs a service that could not be checked
    assert "tampering found: assessment: Measure 160 version 4" in err


# --- heads -----------------------------------------------------------------------------


def test_export_head_then_check_head_round_trip(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = portfolio(capsys, "export-head")
    assert code == 0, err
    written = list(tmp_path.glob("audit-heads-*.json"))
    assert len(written) == 1
    assert err == f"wrote {written[0].name} (4 heads)\n"
    heads = read_head_file(written[0])
    assert [h.head.service for h in heads] == list(SERVICE_NAMES)
    assert all(h.verify() for h in heads)
    assert "assessment: 7 entries, 3 calls, root " in out

    # The services go on: a new event and a new call.
    assessment = stack.store("assessment")
    assessment.events.append(
        Canned("Measure", MEASURE_101, "101", 3, "Paused", "2020-08-01T10:00:00Z",
               "2020-08-01T10:00:00Z", OFFICE, "Venter på finansiering", {"period": "2020-08"},
               {"lifecycle": "paused"})
    )  # fmt: skip
    assessment.calls.append(
        call_fields(4, "assessment", "2020-08-01T10:00:00Z", "PauseMeasure", OFFICE[0])
    )
    assessment.__post_init__()

    code, out, err = portfolio(capsys, "check-head", str(written[0]), "--progress")
    assert code == 0, out + err
    assert "assessment: consistent: 7 → 8 entries, 3 → 4 calls" in out
    assert "reporting: consistent: 0 → 0 entries, 1 → 1 calls" in out
    assert err.splitlines()[-1] == "check-head: 4 / 4 heads"
    sent = stack.audits["assessment"].requests[-1][1]
    assert (sent.first, sent.second, sent.calls_first) == (7, 0, 3)

    code, out, _ = portfolio(capsys, "verify", "--head", str(written[0]))
    assert code == 0
    assert "against 1 held head: intact" in out


def test_export_head_refuses_to_overwrite_and_names_the_file(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    target = tmp_path / "heads.json"
    code, _, err = portfolio(capsys, "export-head", "--output", str(target), "--service", "korona")
    assert code == 0
    assert err == f"wrote {target} (1 heads)\n"
    code, _, err = portfolio(capsys, "export-head", "--output", str(target))
    assert code == 2
    assert "exists already" in err


def _exported(stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Path:
    target = tmp_path / "heads.json"
    code, _, err = portfolio(capsys, "export-head", "--output", str(target))
    assert code == 0, err
    return target


def test_check_head_fails_when_the_log_was_rewritten_consistently(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    heads = _exported(stack, capsys, tmp_path)
    store = stack.store("assessment")
    store.alter(MEASURE_160, 4)
    store.relog()  # the operator rewrote the log too: the store verifies on its own

    code, out, _ = portfolio(capsys, "verify", "--service", "assessment")
    assert code == 0  # without a held head, a consistent rewrite cannot be seen
    code, out, err = portfolio(capsys, "check-head", str(heads))
    assert code == 1
    assert "assessment: NOT CONSISTENT" in out
    assert "the consistency proof fails" in out
    assert "korona: consistent: 2 → 2 entries" in out
    assert err.startswith("error: not consistent: assessment: the log of 7 entries does not")

    code, out, err = portfolio(capsys, "verify", "--service", "assessment", "--head", str(heads))
    assert code == 1
    assert "[head] the log no longer matches the head exported at" in out


def test_check_head_fails_on_a_forged_proof_and_a_shrunk_log(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    heads = _exported(stack, capsys, tmp_path)
    store = stack.store("assessment")
    store.events.append(
        Canned("Measure", MEASURE_101, "101", 3, "Paused", "2020-08-01T10:00:00Z",
               "2020-08-01T10:00:00Z", OFFICE, "", {}, {})
    )  # fmt: skip
    store.__post_init__()
    store.proof_override = [bytes(32)]
    code, out, _ = portfolio(capsys, "check-head", str(heads), "--service", "assessment")
    assert code == 1
    assert "does not extend the held one of 7" in out

    store.proof_override = None
    del store.events[-3:]
    store.__post_init__()
    code, out, _ = portfolio(capsys, "check-head", str(heads), "--service", "assessment")
    assert code == 1
    assert (
        "cannot prove its log extends the held head (first: the log holds 5 entries; a head "
        "of 7 cannot be part of it)"
    ) in out


def test_check_head_says_when_the_signing_key_changed(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    heads = _exported(stack, capsys, tmp_path)
    held_key = read_head_file(heads)[2].key_id
    stack.store("korona").signer = HeadSigner.generate()
    code, out, err = portfolio(capsys, "check-head", str(heads), "--format", "json")
    assert code == 1
    data = json.loads(out)
    korona = next(h for h in data["heads"] if h["service"] == "korona")
    assert korona["consistent"] is False
    assert korona["problems"] == [
        f"the service's signing key changed: the held head was signed by key {held_key}, "
        f"the current head by key {korona['current']['key_id']}"
    ]
    assert "error: not consistent: korona: the service's signing key changed" in err


def test_check_head_catches_an_altered_head_file_and_a_rewritten_call_log(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _exported(stack, capsys, tmp_path)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["heads"][0]["tree_size"] = 0  # intake's head, edited in the file
    path.write_text(json.dumps(document), encoding="utf-8")
    store = stack.store("reporting")
    store.calls[0] = {**store.calls[0], "outcome": "PERMISSION_DENIED"}
    store.rehash_calls()

    code, out, _ = portfolio(capsys, "check-head", str(path))
    assert code == 1
    assert "intake: NOT CONSISTENT" in out
    assert "the held head's signature does not verify" in out
    assert "reporting: NOT CONSISTENT" in out
    assert "call 1's hash is not the held head's" in out


def test_check_head_exits_2_for_an_unreachable_service_and_a_bad_file(
    stack: Stack, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    heads = _exported(stack, capsys, tmp_path)
    code, out, err = portfolio(capsys, "check-head", str(heads), "--intake", "127.0.0.1:1")
    assert code == 2
    assert "intake: NOT CHECKED (head of " in out
    assert "): ConsistencyProof: cannot reach the service at 127.0.0.1:1" in out
    assert "assessment: consistent" in out
    assert err == "error: not checked: intake\n"

    bad = tmp_path / "bad.json"
    bad.write_text("{}", encoding="utf-8")
    code, _, err = portfolio(capsys, "check-head", str(bad))
    assert code == 2
    assert err == f"error: The head file {bad} is not in the eportfolio-audit-heads/1 format.\n"


def test_a_held_head_is_judged_here_not_by_the_service(tmp_path: Path) -> None:
    """A service cannot make a held head look consistent by signing whatever it likes."""
    from portfolio_cli.audit_verify import judge_proof

    store = Store("korona", proposal(), [])
    message = store.head()
    held = SignedTreeHead(
        TreeHead(
            message.service,
            message.tree_size,
            bytes(message.root_hash),
            message.calls_size,
            bytes(message.calls_head),
            message.timestamp,
        ),
        bytes(message.public_key),
        bytes(message.signature),
    )
    answer = audit_pb2.ConsistencyProofResponse(head=message)
    assert judge_proof(held, answer).problems == []
    forged = audit_pb2.SignedTreeHead()
    forged.CopyFrom(message)
    forged.root_hash = bytes(32)
    check = judge_proof(held, audit_pb2.ConsistencyProofResponse(head=forged))
    assert "the signature of the service's current head does not verify" in check.problems
    assert any("consistency proof fails" in p for p in check.problems)
