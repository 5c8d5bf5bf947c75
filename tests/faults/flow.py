"""What the process-level fault tests (RELIABILITY.md R1-R5) share: a stack, load, checks.

- :class:`FlowStack`: one ``portfolio stack run`` shared by the tests of a session (module
  fixtures call :func:`acquire`; the last module that needs it stops it), with the
  :class:`Ledger` of every command intake acknowledged on it.
- :class:`Load`: a steady stream of intake commands until told to stop; what intake
  acknowledged goes into the ledger. Calls that meet a stopped service are retried with
  the same idempotency key, so a receipt is never given twice.
- :class:`MetricsWatch`: samples every service's ``/metrics`` per process id, so counters
  of processes that were killed or stopped are still counted.
- :func:`settle` / :func:`check_ledger` / :func:`check_links`: counting checks read from
  the stores themselves. :func:`check_links` follows every aggregate across every link
  (intake -> assessment, intake -> korona, assessment -> korona, assessment -> reporting,
  korona -> reporting) and fails if a version was skipped, applied twice or out of order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sqlite3
import threading
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import pytest

from eportfolio.common.v1 import common_pb2
from eportfolio.intake.v1 import intake_pb2, intake_pb2_grpc
from tests.stack import Stack

SERVICES = ("intake", "assessment", "korona", "reporting")
CONSUMERS = ("assessment", "korona", "reporting")
PRODUCERS = ("intake", "assessment", "korona")
OUTCOMES = ("applied", "duplicate", "stale_epoch", "ignored", "held", "parked", "dead_lettered")
"""What ``<service>_consumer_messages_total{outcome=...}`` counts (backbone.consumer)."""

AGENCY = (("x-agency", "Folkehelseinstituttet"), ("x-user", "flow-test"), ("x-role", "agency"))
OFFICE = (
    ("x-agency", "Direktoratet%20for%20e-helse"),
    ("x-user", "flow-test"),
    ("x-role", "office"),
)
RETRYABLE = (
    grpc.StatusCode.UNAVAILABLE,  # the service is restarting
    grpc.StatusCode.DEADLINE_EXCEEDED,
    grpc.StatusCode.ABORTED,  # a concurrent write to the same aggregate
    grpc.StatusCode.RESOURCE_EXHAUSTED,  # over the agency's quota: a client backs off
    # A stopping server (SIGTERM) answered a few calls CANCELLED instead of finishing them or
    # refusing them UNAVAILABLE; the client did not cancel, so it retries with the same key.
    grpc.StatusCode.CANCELLED,
)
RECONNECT_FAST = [
    ("grpc.initial_reconnect_backoff_ms", 100),
    ("grpc.min_reconnect_backoff_ms", 100),
    ("grpc.max_reconnect_backoff_ms", 500),
]
"""A restarted service is reached again within half a second (gRPC's default backoff
grows to two minutes, and calls fail at once meanwhile)."""
PERIODS = [f"{y}-{m:02d}" for y in range(2021, 2041) for m in range(1, 13)]

FAST_GROUPS = {
    f"{name.upper()}_{key}": value
    for name in CONSUMERS
    for key, value in (("KAFKA_SESSION_TIMEOUT_MS", "3000"), ("KAFKA_HEARTBEAT_INTERVAL_MS", "500"))
}
"""Consumer groups that notice a dead member within 3 s (Tansu waits half of it per join)."""

ONE_PARTITION = {
    **{f"{name.upper()}_KAFKA_PARTITIONS": "1" for name in SERVICES},
    # Intake's relay publishes a backlog in several batches, so R3 can kill it in between.
    "INTAKE_RELAY_BATCH_SIZE": "100",
}


# --- the ledger and the load ---------------------------------------------------------------


@dataclass
class Ledger:
    """Every command intake acknowledged on one stack, with the receipt it gave."""

    measures: dict[int, str] = field(default_factory=dict)
    reports: dict[tuple[int, str], str] = field(default_factory=dict)
    proposals: dict[str, str] = field(default_factory=dict)
    """idempotency key -> proposal id"""
    next_measure: int = 1000
    loads: int = 0
    retried: int = 0
    """Calls that met a service away (UNAVAILABLE, deadline, aborted) and were sent again
    with the same idempotency key."""
    retried_codes: Counter[str] = field(default_factory=Counter)
    """The status codes those calls got."""

    @property
    def events(self) -> int:
        return len(self.measures) + len(self.reports) + len(self.proposals)


@dataclass
class LoadFigures:
    acknowledged: int = 0
    retries: int = 0
    """Calls that met a service away (UNAVAILABLE, deadline) and were sent again."""
    codes: Counter[str] = field(default_factory=Counter)


class Load:
    """Intake commands at about ``rate`` per second until :meth:`run`'s ``stop`` is set.

    First registers ``measures`` new measures (the office's job), then sends status
    reports round-robin over them (period after period) and proposals, mixed. At most
    ``concurrency`` calls are in flight (two calls on one measure rarely overlap), and no
    new ones are made while ``4 * concurrency`` wait, as while intake restarts.
    """

    def __init__(
        self,
        address: str,
        ledger: Ledger,
        *,
        rate: float,
        measures: int,
        proposal_share: float = 0.1,
        concurrency: int = 16,
        give_up_s: float = 120.0,
    ) -> None:
        self.address = address
        self.ledger = ledger
        self.rate = rate
        self.proposal_share = proposal_share
        self.give_up_s = give_up_s
        ledger.loads += 1
        self.tag = f"l{ledger.loads}"
        self.measure_ids = list(range(ledger.next_measure, ledger.next_measure + measures))
        ledger.next_measure += measures
        self.figures = LoadFigures()
        self._limit = asyncio.Semaphore(concurrency)
        self.backlog = 4 * concurrency
        self._sent = 0
        self._failures: list[BaseException] = []
        self._in_flight = 0
        self._go = asyncio.Event()
        self._go.set()
        self.started = asyncio.Event()
        """Set once the measures are registered and the steady flow begins."""

    def start(self, stop: asyncio.Event) -> asyncio.Task[LoadFigures]:
        """Run in the background until ``stop`` is set; await the task for the figures."""
        return asyncio.create_task(self.run(stop))

    async def flowing(self, calls: int = 20, timeout: float = 60) -> None:
        """Wait until intake has acknowledged ``calls`` more calls (e.g. after a restart)."""
        target = self.figures.acknowledged + calls
        deadline = time.monotonic() + timeout
        while self.figures.acknowledged < target:
            if time.monotonic() > deadline:
                raise AssertionError(f"intake acknowledged nothing for {timeout:.0f} s")
            await asyncio.sleep(0.05)

    async def begun(self, task: asyncio.Task[LoadFigures], timeout: float = 120) -> None:
        """Wait until the steady flow begins; raises what made the load fail before it."""
        waiter = asyncio.create_task(self.started.wait())
        await asyncio.wait({task, waiter}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        if task.done():
            task.result()  # raises the load's failure
        if not self.started.is_set():
            raise AssertionError(f"the load did not begin within {timeout:.0f} s")

    async def hold(self, timeout: float = 30) -> None:
        """Send no new calls and wait until none is in flight (a quiet moment for a fault)."""
        self._go.clear()
        deadline = time.monotonic() + timeout
        while self._in_flight:
            if time.monotonic() > deadline:
                raise AssertionError(f"{self._in_flight} calls still in flight after {timeout} s")
            await asyncio.sleep(0.01)

    def resume(self) -> None:
        self._go.set()

    def _done(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._failures.append(task.exception())  # type: ignore[arg-type]

    async def run(self, stop: asyncio.Event) -> LoadFigures:
        async with grpc.aio.insecure_channel(self.address, options=RECONNECT_FAST) as channel:
            stub = intake_pb2_grpc.IntakeServiceStub(channel)
            await asyncio.gather(*(self._measure(stub, m) for m in self.measure_ids))
            self.started.set()
            pending: set[asyncio.Task[None]] = set()
            per_tick = self.rate / 10
            owed = 0.0
            reports = 0
            props = 0
            while not stop.is_set():
                owed += per_tick
                if len(pending) >= self.backlog or not self._go.is_set():
                    owed = 0.0  # intake is away: a client holds back rather than pile up calls
                while owed >= 1:
                    owed -= 1
                    self._sent += 1
                    if props < self.proposal_share * self._sent:
                        job = self._proposal(stub, props)
                        props += 1
                    else:
                        n = len(self.measure_ids)
                        job = self._report(stub, self.measure_ids[reports % n], reports // n)
                        reports += 1
                    task = asyncio.create_task(job)
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                    task.add_done_callback(self._done)
                if self._failures:
                    break  # a call was refused for good: stop and say why
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.1)
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if self._failures:
            raise self._failures[0]
        return self.figures

    async def _call(self, stub: Any, method: str, request: Any) -> common_pb2.Receipt:
        who = OFFICE if method == "SubmitMeasure" else AGENCY
        self._in_flight += 1
        try:
            async with self._limit:
                deadline = time.monotonic() + self.give_up_s
                while True:
                    try:
                        receipt: common_pb2.Receipt = await getattr(stub, method)(
                            request, metadata=who, timeout=10
                        )
                        self.figures.acknowledged += 1
                        return receipt
                    except grpc.aio.AioRpcError as exc:
                        self.figures.codes[exc.code().name] += 1
                        if exc.code() not in RETRYABLE or time.monotonic() > deadline:
                            raise
                        self.figures.retries += 1
                        self.ledger.retried += 1
                        self.ledger.retried_codes[exc.code().name] += 1
                        await asyncio.sleep(0.2)
        finally:
            self._in_flight -= 1

    async def _measure(self, stub: Any, measure_id: int) -> None:
        r = await self._call(
            stub,
            "SubmitMeasure",
            intake_pb2.SubmitMeasureRequest(
                idempotency_key=f"{self.tag}-m{measure_id}",
                measure_id=measure_id,
                name=f"Tiltak {measure_id}",
                responsible_agency="Folkehelseinstituttet",
                in_portfolio_since=PERIODS[0],
            ),
        )
        self.ledger.measures[measure_id] = r.receipt_id

    async def _report(self, stub: Any, measure_id: int, round_: int) -> None:
        period = PERIODS[round_ % len(PERIODS)]
        if round_ >= len(PERIODS):
            return  # a long full-scale run: every period of this load's measures is reported
        r = await self._call(
            stub,
            "SubmitStatusReport",
            intake_pb2.SubmitStatusReportRequest(
                idempotency_key=f"{self.tag}-r{measure_id}-{period}",
                measure_id=measure_id,
                period=period,
                status=common_pb2.COLOUR_GREEN,
                risk=common_pb2.COLOUR_YELLOW,
                budget=[common_pb2.BudgetLine(year=2021, amount_nok=1_000_000 + measure_id)],
            ),
        )
        self.ledger.reports[(measure_id, period)] = r.receipt_id

    async def _proposal(self, stub: Any, j: int) -> None:
        key = f"{self.tag}-p{j}"
        r = await self._call(
            stub,
            "SubmitProposal",
            intake_pb2.SubmitProposalRequest(
                idempotency_key=key,
                title=f"Forslag {self.tag} {j}",
                category_code=f"{j % 18 + 1:02d}",
            ),
        )
        self.ledger.proposals[key] = r.subject_id


# --- metrics -------------------------------------------------------------------------------


def scrape(url: str, timeout: float = 1.0) -> dict[str, float] | None:
    """``{'name{labels}': value}`` of a /metrics page, or None if it does not answer."""
    try:
        text = urllib.request.urlopen(url, timeout=timeout).read().decode()
    except OSError:
        return None
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            with contextlib.suppress(ValueError):
                out[name] = float(value)
    return out


def consumer_outcome(
    sample: dict[str, float], service: str, outcome: str, topic: str | None = None
) -> float:
    """``<service>_consumer_messages_total`` of ``outcome`` (on ``topic``, or all topics)."""
    prefix = f"{service}_consumer_messages_total{{"
    return sum(
        v
        for k, v in sample.items()
        if k.startswith(prefix)
        and f'outcome="{outcome}"' in k
        and (topic is None or f'topic="{topic}"' in k)
    )


def outbox_lag(sample: dict[str, float], service: str) -> float:
    return sample.get(f"{service}_outbox_lag_events", 0.0)


class MetricsWatch:
    """Samples every service's /metrics a few times a second, per process id.

    A counter starts at 0 in each process, so a figure over a time window is the sum,
    over the processes that ran in it, of (last sample - first sample of the window).
    """

    def __init__(self, stack: Stack, every_s: float = 0.2) -> None:
        self.stack = stack
        self.every_s = every_s
        self.latest: dict[tuple[str, int], dict[str, float]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def __enter__(self) -> MetricsWatch:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _loop(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def sample(self) -> None:
        with contextlib.suppress(OSError, ValueError, KeyError):
            for entry in self.stack.state()["services"]:
                pid = int(entry["pid"] or 0)
                if not pid:
                    continue
                values = scrape(entry["metrics"])
                if values is not None:
                    with self._lock:
                        self.latest[(entry["name"], pid)] = values

    def mark(self) -> dict[tuple[str, int], dict[str, float]]:
        """The latest samples now: the start of a window for :meth:`since`."""
        self.sample()
        with self._lock:
            return dict(self.latest)

    def since(
        self,
        start: dict[tuple[str, int], dict[str, float]],
        service: str,
        outcome: str,
        topic: str | None = None,
    ) -> float:
        """Consumer messages of ``outcome`` (on ``topic``) ``service`` counted since ``start``."""
        self.sample()
        total = 0.0
        with self._lock:
            for (name, pid), values in self.latest.items():
                if name != service:
                    continue
                before = start.get((name, pid))
                total += consumer_outcome(values, name, outcome, topic) - (
                    consumer_outcome(before, name, outcome, topic) if before else 0.0
                )
        return total

    def outcomes_since(
        self, start: dict[tuple[str, int], dict[str, float]], outcome: str
    ) -> dict[str, float]:
        return {name: self.since(start, name, outcome) for name in CONSUMERS}

    def totals(self, start: dict[tuple[str, int], dict[str, float]]) -> dict[str, float]:
        """Every consumer outcome since ``start``, summed over the consumers (for records)."""
        return {o: sum(self.outcomes_since(start, o).values()) for o in OUTCOMES}

    def lags(self) -> dict[str, float]:
        """The relays' lag now (services that do not answer are left out)."""
        out: dict[str, float] = {}
        for entry in self.stack.state()["services"]:
            if entry["name"] in PRODUCERS:
                values = scrape(entry["metrics"])
                if values is not None:
                    out[entry["name"]] = outbox_lag(values, entry["name"])
        return out


# --- the stores ----------------------------------------------------------------------------


def _db(var_dir: Path, service: str) -> sqlite3.Connection:
    db = sqlite3.connect(f"file:{var_dir / service}.db?mode=ro", uri=True, timeout=10)
    db.execute("PRAGMA busy_timeout = 10000")
    return db


def _short(topic: str) -> str:
    return topic.rsplit(":", 1)[-1]  # module:Aggregate.Event -> Aggregate.Event


@dataclass(frozen=True)
class Stored:
    """One stored event as the tests need it."""

    aggregate: str
    version: int
    kind: str
    """Aggregate.Event"""
    position: int
    """notification id (SQLite rowid)"""
    causation: str


def stored_events(var_dir: Path, service: str) -> list[Stored]:
    """Every event in a service's SQLite store, in the store's order."""
    with contextlib.closing(_db(var_dir, service)) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "ORDER BY rowid"
        ).fetchall()
    out = []
    for rowid, originator, version, topic, state in rows:
        meta = json.loads(state).get("meta") or {}
        out.append(
            Stored(
                str(uuid.UUID(originator)),
                int(version),
                _short(topic),
                int(rowid),
                str(meta.get("causation_id", "")),
            )
        )
    return out


def event_id(aggregate: str, version: int) -> str:
    """The published ``event_id`` of an aggregate's version (``uuid5(aggregate, version)``)."""
    return str(uuid.uuid5(uuid.UUID(aggregate), str(version)))


def counts(var_dir: Path) -> dict[str, int]:
    """What the consumers' stores hold of the flow (for :func:`settle`)."""
    out: dict[str, int] = {}
    for service in ("assessment", "korona"):
        with contextlib.closing(_db(var_dir, service)) as db:
            for topic, n in db.execute("SELECT topic, COUNT(*) FROM stored_events GROUP BY topic"):
                out[f"{service}:{_short(topic)}"] = n
    with contextlib.closing(_db(var_dir, "reporting")) as db:
        for table in ("rpt_measures", "rpt_status_reports", "rpt_proposals", "rpt_feedback"):
            query = f"SELECT COUNT(*) FROM {table}"  # noqa: S608 - our own table names
            out[f"reporting:{table}"] = db.execute(query).fetchone()[0]
    return out


def expected_counts(ledger: Ledger) -> dict[str, int]:
    m, r, p = len(ledger.measures), len(ledger.reports), len(ledger.proposals)
    return {
        "assessment:Measure.Registered": m,
        "assessment:Measure.StatusReportRecorded": r,
        "korona:Proposal.Registered": p,
        "korona:Proposal.FeedbackGiven": p,
        "korona:KnownMeasure.Noted": m,
        "reporting:rpt_measures": m,
        "reporting:rpt_status_reports": r,
        "reporting:rpt_proposals": p,
        "reporting:rpt_feedback": p,
    }


def settle(fs: FlowStack, timeout: float) -> float:
    """Wait until the consumers hold exactly the ledger and every relay's lag is 0.

    Returns the seconds it took. Fails at once if a store holds more than the ledger
    (something applied twice), and after ``timeout`` with what is missing.
    """
    start = time.monotonic()
    want = expected_counts(fs.ledger)
    have: dict[str, int] = {}
    lags: dict[str, float] = {}
    watch = MetricsWatch(fs.stack)
    while time.monotonic() - start < timeout:
        with contextlib.suppress(sqlite3.OperationalError):
            have = counts(fs.var_dir)
            over = {k: (have.get(k, 0), n) for k, n in want.items() if have.get(k, 0) > n}
            assert not over, f"more applied than submitted (have, want): {over}"
            if all(have.get(k, 0) == n for k, n in want.items()):
                lags = watch.lags()
                if len(lags) == len(PRODUCERS) and not any(lags.values()):
                    return time.monotonic() - start
        time.sleep(0.25)
    missing = {k: (have.get(k, 0), n) for k, n in want.items() if have.get(k, 0) != n}
    raise AssertionError(
        f"not settled after {timeout:.0f} s: (have, want) {missing}, relay lags {lags}\n"
        + fs.stack.console()
    )


def check_ledger(fs: FlowStack) -> None:
    """The read model shows exactly the receipts intake gave: nothing lost, nothing extra."""
    with contextlib.closing(_db(fs.var_dir, "reporting")) as db:
        shown = {
            (m, p): r
            for m, p, r in db.execute(
                "SELECT measure_id, period, receipt_id FROM rpt_status_reports"
            )
        }
        proposals = {p for (p,) in db.execute("SELECT proposal_id FROM rpt_proposals")}
        measures = {m for (m,) in db.execute("SELECT measure_id FROM rpt_measures")}
    assert shown == fs.ledger.reports, "the read model's reports differ from the receipts"
    assert proposals == set(fs.ledger.proposals.values())
    assert measures == set(fs.ledger.measures)


@dataclass
class LinkFigures:
    """What :func:`check_links` followed."""

    aggregates: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


def _follow(
    figures: LinkFigures,
    link: str,
    source: dict[str, list[Stored]],
    applied: dict[str, list[tuple[str, int]]],
) -> None:
    """Each source aggregate's versions must be applied exactly as 1, 2, ..., n.

    ``source``: aggregate -> its published events; ``applied``: aggregate -> (source
    aggregate, source version) of what the consumer applied, in the order it applied them.
    """
    for aggregate, events in source.items():
        want = [e.version for e in sorted(events, key=lambda e: e.version)]
        got = [v for a, v in applied.get(aggregate, []) if a == aggregate]
        figures.aggregates += 1
        figures.events += len(got)
        if got != want:
            figures.problem(f"{link}: {aggregate} applied versions {got}, published {want}")
    for aggregate in applied.keys() - source.keys():
        figures.problem(f"{link}: applied events of {aggregate}, which was never published")


def check_links(var_dir: Path) -> LinkFigures:
    """Follow every aggregate over every link; versions applied strictly increasing, gap-free.

    - intake -> assessment: a ``Measure``'s events, in version order, name as their cause
      (``meta.causation_id`` = the message's ``event_id``) versions 1..n of the
      ``MeasureIntake`` it comes from; intake -> korona: a ``Proposal`` names version 1 of
      its ``ProposalIntake``; assessment -> korona: a ``KnownMeasure`` names version 1 of
      its ``Measure``.
    - assessment -> reporting: the read model's status report rows of a measure, in the
      order they were inserted (rowid), carry the positions (``seq``) of the measure's
      ``StatusReportRecorded`` events in version order; korona -> reporting likewise for a
      proposal's history and feedback rows.

    A skipped version leaves a gap, a version applied twice repeats (the domain refuses
    it, so it would be dead-lettered and then missing), one applied out of order breaks
    the order, and a lost one shortens the list.
    """
    figures = LinkFigures()
    intake = stored_events(var_dir, "intake")
    assessment = stored_events(var_dir, "assessment")
    korona = stored_events(var_dir, "korona")
    causes: dict[str, tuple[str, int]] = {}
    for e in [*intake, *assessment]:
        causes[event_id(e.aggregate, e.version)] = (e.aggregate, e.version)

    def grouped(events: list[Stored], kinds: tuple[str, ...]) -> dict[str, list[Stored]]:
        out: dict[str, list[Stored]] = defaultdict(list)
        for e in events:
            if e.kind in kinds:
                out[e.aggregate].append(e)
        return out

    def applied_by_cause(
        events: list[Stored], kinds: tuple[str, ...]
    ) -> dict[str, list[tuple[str, int]]]:
        """source aggregate -> (source aggregate, version) of each event it caused here."""
        out: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for e in sorted(events, key=lambda e: (e.aggregate, e.version)):
            if e.kind in kinds:
                cause = causes.get(e.causation)
                if cause is None:
                    figures.problem(f"{e.kind} {e.aggregate} v{e.version}: unknown cause")
                    continue
                out[cause[0]].append(cause)
        return out

    measure_intake = grouped(
        intake, ("MeasureIntake.MeasureSubmitted", "MeasureIntake.StatusReportSubmitted")
    )
    _follow(
        figures,
        "intake->assessment",
        measure_intake,
        applied_by_cause(
            assessment,
            ("Measure.Registered", "Measure.StatusReportRecorded", "Measure.StatusReportRefused"),
        ),
    )
    _follow(
        figures,
        "intake->korona",
        grouped(intake, ("ProposalIntake.ProposalSubmitted",)),
        applied_by_cause(korona, ("Proposal.Registered",)),
    )
    registered = {
        a: [e] for a, es in grouped(assessment, ("Measure.Registered",)).items() for e in es
    }
    _follow(
        figures,
        "assessment->korona",
        registered,
        applied_by_cause(korona, ("KnownMeasure.Noted",)),
    )

    # The read model: positions in insertion order against the producer's version order.
    by_position = {e.position: e for e in assessment}
    k_by_position = {e.position: e for e in korona}
    with contextlib.closing(_db(var_dir, "reporting")) as db:
        reports = db.execute("SELECT seq FROM rpt_status_reports ORDER BY rowid").fetchall()
        history = db.execute("SELECT seq FROM rpt_proposal_history ORDER BY rowid").fetchall()
        feedback = db.execute("SELECT seq FROM rpt_feedback ORDER BY rowid").fetchall()

    def applied_by_position(
        rows: list[tuple[int]], producer: dict[int, Stored]
    ) -> dict[str, list[tuple[str, int]]]:
        out: dict[str, list[tuple[str, int]]] = defaultdict(list)
        for (seq,) in rows:
            e = producer.get(seq)
            if e is None:
                figures.problem(f"read model row at position {seq}: no such event")
                continue
            out[e.aggregate].append((e.aggregate, e.version))
        return out

    for link, rows, producer, kinds in (
        ("assessment->reporting", reports, by_position, ("Measure.StatusReportRecorded",)),
        ("korona->reporting history", history, k_by_position, ("Proposal.Registered",)),
        ("korona->reporting feedback", feedback, k_by_position, ("Proposal.FeedbackGiven",)),
    ):
        source = grouped(assessment if producer is by_position else korona, kinds)
        _follow(figures, link, source, applied_by_position(rows, producer))
    return figures


# --- the broker ----------------------------------------------------------------------------


async def topic_positions(bootstrap: str, topic: str) -> list[tuple[int, str]]:
    """``(envelope.position, broker_epoch)`` of every message on ``topic``, in offset order."""
    from aiokafka import AIOKafkaConsumer, TopicPartition

    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        await consumer.topics()  # fetches the metadata partitions_for_topic reads
        parts = sorted(consumer.partitions_for_topic(topic) or set())
        tps = [TopicPartition(topic, p) for p in parts]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        out: list[tuple[int, str]] = []
        for tp in tps:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000, max_records=5000)
                for record in batch.get(tp, []):
                    env = json.loads(record.value)
                    out.append((int(env["position"]), str(env["broker_epoch"])))
        return out
    finally:
        await consumer.stop()


def tracking(var_dir: Path, service: str) -> dict[str, int]:
    """A service's tracking records (relay and consumer positions)."""
    with contextlib.closing(_db(var_dir, service)) as db:
        return dict(db.execute("SELECT application_name, notification_id FROM tracking"))


# --- processes -----------------------------------------------------------------------------


def signal_service(stack: Stack, name: str, sig: signal.Signals) -> int:
    """Send ``sig`` to a service's process; returns its pid (0: it was not running)."""
    pid = stack.pid(name)
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
    return pid


async def wait_restarted(stack: Stack, name: str, old_pid: int, timeout: float = 30) -> float:
    """Wait until the supervisor runs ``name`` again (a new pid); the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        pid = stack.pid(name)
        if pid not in (0, old_pid):
            return time.monotonic() - start
        await asyncio.sleep(0.05)
    raise AssertionError(f"{name} was not restarted within {timeout:.0f} s\n{stack.console()}")


async def wait_serving(stack: Stack, name: str, timeout: float = 60) -> float:
    """Wait until ``name``'s gRPC health check says SERVING; the seconds it took."""
    from grpc_health.v1 import health_pb2, health_pb2_grpc

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        with contextlib.suppress(grpc.aio.AioRpcError, KeyError, OSError, ValueError):
            async with grpc.aio.insecure_channel(stack.grpc(name)) as channel:
                r = await health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(), timeout=1
                )
                if r.status == health_pb2.HealthCheckResponse.SERVING:
                    return time.monotonic() - start
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not serve within {timeout:.0f} s")


# --- one stack per session -----------------------------------------------------------------


@dataclass
class FlowStack:
    """A running stack and what intake acknowledged on it."""

    stack: Stack
    ledger: Ledger

    @property
    def var_dir(self) -> Path:
        return self.stack.var_dir

    @property
    def bootstrap(self) -> str:
        return str(self.stack.state()["broker"])


_STACKS: dict[str, FlowStack] = {}


def acquire(
    key: str, env: dict[str, str], tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> FlowStack:
    """The session's stack called ``key`` (started on first use, or again if it died)."""
    fs = _STACKS.get(key)
    if fs is not None and (fs.stack.process is None or fs.stack.process.poll() is not None):
        release(key)
        fs = None
    if fs is None:
        var_dir = tmp_path_factory.mktemp(f"stack-{key}") / "var"
        stack = Stack(var_dir=var_dir, shared_dir=shared_dir, extra_env={**FAST_GROUPS, **env})
        stack.start("--no-seed")
        try:
            stack.wait_healthy()
        except BaseException:
            stack.stop()
            raise
        fs = _STACKS[key] = FlowStack(stack, Ledger())
    else:
        fs.stack.wait_healthy()
    return fs


def release(key: str) -> None:
    fs = _STACKS.pop(key, None)
    if fs is not None:
        fs.stack.stop()


def release_unless_needed(request: pytest.FixtureRequest, key: str, fixture: str) -> None:
    """Stop the shared stack once no test still to run uses ``fixture``."""
    items = request.session.items
    module = request.node
    after = False
    for item in items:
        if item.parent is module or getattr(item, "module", None) is getattr(module, "obj", None):
            after = True
            continue
        if after and fixture in getattr(item, "fixturenames", ()):
            return
    release(key)


@pytest.fixture(scope="module")
def one_partition_stack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[FlowStack]:
    """The stack every service of which uses one partition per topic, shared by R2-R5."""
    request.config.add_cleanup(lambda: release("one-partition"))
    yield acquire("one-partition", ONE_PARTITION, tmp_path_factory, shared_dir)
    release_unless_needed(request, "one-partition", "one_partition_stack")
