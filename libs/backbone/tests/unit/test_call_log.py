"""The call log on the in-memory and SQLite stores: a dense hash chain, filters, the
head, group commit, and a database that is away never reaching the caller."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import pytest

from audit_log import chain
from backbone.audit.calls import CallInfo, CallLog, CallRecordRow, utc_timestamp
from backbone.errors import ValidationError
from backbone.metrics import ServiceMetrics
from backbone.settings import ServiceSettings

METHOD = "eportfolio.assessment.v1.AssessmentService/{}"


def call(n: int, **changes: object) -> CallInfo:
    values: dict[str, object] = {
        "at": f"2024-03-05T12:00:{n % 60:02d}.{n:06d}Z",
        "method": METHOD.format("MoveMeasure" if n % 2 else "GetMeasure"),
        "agency": "helsedir" if n % 3 else "Helse Sør-Øst RHF",
        "user": f"user-{n}",
        "role": "office",
        "outcome": "OK" if n % 4 else "INVALID_ARGUMENT",
        "correlation_id": f"corr-{n}",
        "duration_ms": n + 0.123456,
        "peer": "ipv4:127.0.0.1:5000",
        **changes,
    }
    return CallInfo(**values)  # type: ignore[arg-type]


def verify(rows: list[CallRecordRow]) -> None:
    """What an auditor's tool does: recompute every hash from the fields alone."""
    previous = chain.GENESIS
    for i, r in enumerate(rows, start=1):
        assert r.seq == i
        fields = {
            "seq": r.seq,
            "at": r.at,
            "service": r.service,
            "method": r.method,
            "agency": r.agency,
            "user": r.user,
            "role": r.role,
            "outcome": r.outcome,
            "correlation_id": r.correlation_id,
            "duration_ms": r.duration_ms,
            "peer": r.peer,
        }
        assert tuple(fields) == chain.CALL_FIELDS
        assert r.hashed_fields() == fields
        previous = chain.call_hash(previous, fields)
        assert r.chain_hash == previous, f"record {i} breaks the chain"


@pytest.fixture(params=["memory", "sqlite"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return "memory:" if request.param == "memory" else f"sqlite:///{tmp_path}/store.db"


@pytest.fixture
async def log(url: str) -> AsyncIterator[CallLog]:
    call_log = CallLog("assessment", ServiceSettings(database_url=url), ServiceMetrics("t"))
    await call_log.start()
    yield call_log
    await call_log.stop()


async def test_an_empty_log_has_the_genesis_head(log: CallLog) -> None:
    assert log.head() == (0, chain.GENESIS)
    assert list(log.records()) == []
    assert log.chain_hash_at(1) is None


async def test_records_form_a_dense_chain_an_auditor_can_recompute(log: CallLog) -> None:
    for n in range(1, 8):
        await log.record(call(n))
    rows = list(log.records())
    assert [r.seq for r in rows] == list(range(1, 8))
    verify(rows)
    first = rows[0]
    assert first.service == "assessment"
    assert first.method == METHOD.format("MoveMeasure")
    assert (first.agency, first.user, first.role) == ("helsedir", "user-1", "office")
    assert first.duration_ms == 1.123  # rounded to 3 decimals, as hashed
    assert rows[2].agency == "Helse Sør-Øst RHF"
    assert log.head() == (7, rows[-1].chain_hash)
    assert log.chain_hash_at(3) == rows[2].chain_hash
    assert log.chain_hash_at(0) is None
    assert log.chain_hash_at(8) is None
    assert log.metrics is not None
    assert log.metrics.audit_calls_recorded._value.get() == 7


async def test_filters(log: CallLog) -> None:
    for n in range(1, 13):
        await log.record(call(n))

    def seqs(rows: Iterator[CallRecordRow]) -> list[int]:
        return [r.seq for r in rows]

    assert seqs(log.records(method="MoveMeasure")) == [1, 3, 5, 7, 9, 11]
    assert seqs(log.records(method=METHOD.format("GetMeasure"))) == [2, 4, 6, 8, 10, 12]
    assert seqs(log.records(method="/" + METHOD.format("GetMeasure"))) == [2, 4, 6, 8, 10, 12]
    assert seqs(log.records(method="Move")) == []
    assert seqs(log.records(agency="Helse Sør-Øst RHF")) == [3, 6, 9, 12]
    assert seqs(log.records(correlation_id="corr-5")) == [5]
    assert seqs(log.records(from_seq=10)) == [10, 11, 12]
    assert seqs(log.records(to_seq=2)) == [1, 2]
    assert seqs(log.records(from_seq=4, to_seq=6)) == [4, 5, 6]
    assert seqs(log.records(limit=3)) == [1, 2, 3]
    assert seqs(log.records(method="MoveMeasure", limit=2, from_seq=4)) == [5, 7]
    # Times: inclusive bounds, any RFC 3339 form, compared in UTC.
    assert seqs(log.records(since="2024-03-05T12:00:10.000010Z")) == [10, 11, 12]
    assert seqs(log.records(until="2024-03-05T12:00:02.000002Z")) == [1, 2]
    assert seqs(log.records(since="2024-03-05T13:00:04+01:00", until="2024-03-05T12:00:05Z")) == [4]
    assert seqs(log.records(since="2024-03-06")) == []
    assert seqs(log.records(until="2024-03-05")) == []
    with pytest.raises(ValidationError) as raised:
        log.records(since="yesterday")
    assert raised.value.violations[0].field == "since"


async def test_many_records_page_in_order(log: CallLog) -> None:
    await asyncio.gather(*(log.record(call(n)) for n in range(2500)))
    rows = list(log.records())
    assert len(rows) == 2500
    verify(rows)
    assert [r.correlation_id for r in rows] == [f"corr-{n}" for n in range(2500)]
    assert [r.seq for r in log.records(from_seq=999, limit=1003)] == list(range(999, 2002))


class CountingLog(CallLog):
    """Counts the transactions the writer runs."""

    batches: list[int]

    def count_batches(self) -> None:
        self.batches = []
        append = self._store.append

        def counted(service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
            self.batches.append(len(calls))
            time.sleep(0.01)  # a commit takes a while: more calls arrive meanwhile
            return append(service, calls)

        self._store.append = counted  # type: ignore[method-assign]


async def test_concurrent_records_are_group_committed(url: str) -> None:
    log = CountingLog("assessment", ServiceSettings(database_url=url), max_batch=100)
    log.count_batches()
    await log.start()
    try:
        await asyncio.gather(*(log.record(call(n)) for n in range(300)))
        # Every record returned after its batch was committed: all are there now.
        assert log.head()[0] == 300
    finally:
        await log.stop()
    assert sum(log.batches) == 300
    assert max(log.batches) == 100  # batches are bounded
    assert len(log.batches) <= 10, log.batches  # far fewer transactions than calls
    verify(list(log.records()))


async def test_stop_writes_what_is_queued(url: str) -> None:
    log = CallLog("assessment", ServiceSettings(database_url=url))
    await log.start()
    for n in range(50):
        log.submit(call(n))
    await log.stop()
    assert log.pending == 0
    assert log.head()[0] == 50


async def test_a_second_log_on_the_same_file_continues_the_chain(tmp_path: Path) -> None:
    settings = ServiceSettings(database_url=f"sqlite:///{tmp_path}/store.db")
    first = CallLog("assessment", settings)
    await first.start()
    await asyncio.gather(*(first.record(call(n)) for n in range(5)))
    await first.stop()
    second = CallLog("assessment", settings)
    await second.start()
    await asyncio.gather(*(second.record(call(n)) for n in range(5, 9)))
    await second.stop()
    rows = list(second.records())
    assert [r.correlation_id for r in rows] == [f"corr-{n}" for n in range(9)]
    verify(rows)


class FailingLog(CallLog):
    """A log whose database is away until ``heal()``."""

    def break_database(self) -> None:
        self.attempts = 0
        self.broken = True
        append = self._store.append

        def failing(service: str, calls: Sequence[CallInfo]) -> list[CallRecordRow]:
            self.attempts += 1
            if self.broken:
                raise sqlite3.OperationalError("database is locked")
            return append(service, calls)

        self._store.append = failing  # type: ignore[method-assign]


async def test_a_failing_database_never_reaches_the_caller(url: str) -> None:
    metrics = ServiceMetrics("t")
    log = FailingLog(
        "assessment",
        ServiceSettings(database_url=url),
        metrics,
        retry_max_s=0.05,
        max_pending=20,
        wait_s=2.0,
    )
    log.break_database()
    await log.start()
    try:
        started = time.perf_counter()
        await log.record(call(1))  # waits for the first attempt, which fails: returns
        for n in range(2, 31):  # the database stays away: returns at once, queues up to 20
            await log.record(call(n))
        assert time.perf_counter() - started < 1.5
        assert metrics.audit_call_write_failures._value.get() >= 1
        assert log.pending == 20
        assert metrics.audit_calls_dropped._value.get() == 10
        assert metrics.audit_calls_pending._value.get() == 20
        await asyncio.sleep(0.2)
        assert log.attempts > 2  # retried in the background
        log.broken = False
        for _ in range(100):
            if log.pending == 0:
                break
            await asyncio.sleep(0.02)
        assert log.pending == 0
        await log.record(call(99))  # healthy again: waits for its commit
        rows = list(log.records())
        assert [r.correlation_id for r in rows] == [
            *(f"corr-{n}" for n in range(1, 21)),
            "corr-99",
        ]
        verify(rows)
        assert metrics.audit_calls_recorded._value.get() == 21
    finally:
        await log.stop()


async def test_a_database_that_stays_away_does_not_hold_up_stop(tmp_path: Path) -> None:
    log = FailingLog(
        "assessment",
        ServiceSettings(database_url=f"sqlite:///{tmp_path}/store.db"),
        ServiceMetrics("t"),
        flush_timeout_s=0.3,
    )
    log.break_database()
    await log.start()
    await log.record(call(1))
    await log.record(call(2))
    started = time.perf_counter()
    await log.stop()
    assert time.perf_counter() - started < 1.0
    assert log.metrics is not None
    assert log.metrics.audit_calls_dropped._value.get() == 2
    await log.record(call(3))  # after stop: dropped, not raised
    assert log.metrics.audit_calls_dropped._value.get() == 3


async def test_an_unreachable_sqlite_file_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    log = CallLog(
        "assessment",
        ServiceSettings(database_url=f"sqlite:///{blocker}/store.db"),
        ServiceMetrics("t"),
        flush_timeout_s=0.2,
    )
    await log.start()  # warns, does not raise
    started = time.perf_counter()
    await log.record(call(1))
    assert time.perf_counter() - started < 2.5
    assert log.metrics is not None
    for _ in range(50):
        if log.metrics.audit_call_write_failures._value.get():
            break
        await asyncio.sleep(0.01)
    assert log.metrics.audit_call_write_failures._value.get() >= 1
    await log.stop()


def test_utc_timestamp_is_rfc3339_utc_with_microseconds() -> None:
    stamp = utc_timestamp()
    assert stamp.endswith("Z")
    assert len(stamp) == len("2024-03-05T12:00:00.000000Z")
