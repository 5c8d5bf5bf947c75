"""An auditor with the CLI alone, against `make run`'s stack on SQLite and on PostgreSQL.

Measure 160 is moved twice and reports a red status; the auditor follows it with who,
when and why, rebuilds the portfolio at past moments and finds it equal to the reports,
keeps a signed tree head, and then finds every kind of tampering done to the rows of the
assessment store directly: an edited, a deleted and a reordered event, a cut tail, and a
rewrite so careful that only the kept head reveals it.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from assessment.domain import Measure
from audit_log import chain
from backbone.persistence import postgres_params
from tests.stack import Stack, fresh_database

pytestmark = pytest.mark.e2e

MEASURE = 160
OFFICE = "Direktoratet for e-helse"


class Store:
    """The assessment event store's rows, reached around the service (as an operator could)."""

    def __init__(self, stack: Stack) -> None:
        self.url = stack.extra_env.get("PORTFOLIO_DATABASE_URL", "")
        self.path = stack.var_dir / "assessment.db"
        self.aggregate = Measure.create_id(MEASURE)

    @contextlib.contextmanager
    def _sql(self) -> Iterator[Callable[..., list[tuple[Any, ...]]]]:
        if self.url:
            with psycopg.connect(**postgres_params(self.url)) as conn:  # type: ignore[arg-type]

                def run_pg(query: str, *params: Any) -> list[tuple[Any, ...]]:
                    text = query.format(
                        events=sql.Identifier("assessment", "assessment_events").as_string(conn),
                        log=sql.Identifier("assessment", "assessment_audit_log").as_string(conn),
                        nid="notification_id",
                    ).replace("?", "%s")
                    cur = conn.execute(text, params)  # type: ignore[call-overload]
                    return list(cur.fetchall()) if cur.description else []

                yield run_pg
                conn.commit()
        else:
            db = sqlite3.connect(self.path, timeout=10)
            try:

                def run_sqlite(query: str, *params: Any) -> list[tuple[Any, ...]]:
                    text = query.format(events="stored_events", log="audit_log", nid="rowid")
                    return db.execute(text, params).fetchall()

                yield run_sqlite
                db.commit()
            finally:
                db.close()

    @property
    def key(self) -> Any:
        return self.aggregate if self.url else self.aggregate.hex

    def rows(self) -> list[tuple[int, int, str, bytes]]:
        """Measure 160's stored events: (notification id, version, topic, state)."""
        with self._sql() as run:
            rows = run(
                "SELECT {nid}, originator_version, topic, state FROM {events} "
                "WHERE originator_id = ? ORDER BY originator_version",
                self.key,
            )
        return [(int(n), int(v), str(t), bytes(s)) for n, v, t, s in rows]

    def execute(self, query: str, *params: Any) -> None:
        with self._sql() as run:
            run(query, *params)

    def put_back(self, row: tuple[int, int, str, bytes]) -> None:
        nid, version, topic, state = row
        self.execute(
            "INSERT INTO {events} ({nid}, originator_id, originator_version, topic, state) "
            "VALUES (?, ?, ?, ?, ?)",
            nid,
            self.key,
            version,
            topic,
            state,
        )

    def set_state(self, version: int, state: bytes) -> None:
        self.execute(
            "UPDATE {events} SET state = ? WHERE originator_id = ? AND originator_version = ?",
            state,
            self.key,
            version,
        )

    def set_version(self, old: int, new: int) -> None:
        self.execute(
            "UPDATE {events} SET originator_version = ? "
            "WHERE originator_id = ? AND originator_version = ?",
            new,
            self.key,
            old,
        )

    def rehash(self, version: int, topic: str, state: bytes) -> None:
        """Recompute version's log entry as if the edited event had been stored so."""
        with self._sql() as run:
            ((previous,),) = run(
                "SELECT chain_hash FROM {log} WHERE originator_id = ? AND originator_version = ?",
                self.key,
                version - 1,
            )
            entry = chain.entry_hash(self.aggregate, version, topic, state)
            run(
                "UPDATE {log} SET entry_hash = ?, chain_hash = ? "
                "WHERE originator_id = ? AND originator_version = ?",
                entry,
                chain.chain_hash(bytes(previous), entry),
                self.key,
                version,
            )


@pytest.fixture(params=["sqlite", "postgres"])
def stack(request: pytest.FixtureRequest, tmp_path: Path, shared_dir: Path) -> Iterator[Stack]:
    with contextlib.ExitStack() as cleanup:
        env = {}
        if request.param == "postgres":
            server = request.getfixturevalue("postgres")
            env["PORTFOLIO_DATABASE_URL"] = cleanup.enter_context(fresh_database(server))
        s = Stack(var_dir=tmp_path / "var", shared_dir=shared_dir, extra_env=env)
        s.start()
        s.wait_healthy()
        s.wait_for_file(s.var_dir / "seeded-2020-03")
        yield s
        s.stop()


def as_json(stack: Stack, *args: str) -> Any:
    return json.loads(stack.cli(*args, "--format", "json").stdout)


def history(stack: Stack) -> list[dict[str, Any]]:
    return as_json(stack, "audit", "history", str(MEASURE))  # type: ignore[no-any-return]


def verify(stack: Stack, *args: str) -> tuple[int, str]:
    result = stack.cli("audit", "verify", *args, check=False)
    return result.returncode, result.stdout + result.stderr


def test_an_auditor_follows_rebuilds_and_catches_tampering(stack: Stack, tmp_path: Path) -> None:
    shown = as_json(stack, "measure", "show", str(MEASURE))
    first = "Observere" if shown["segment"] in ("samstyre", "Samstyre", None) else "Samstyre"
    stack.cli(
        "measure", "move", str(MEASURE), "--to", first, "--reason", "Mindre behov for samordning",
        "--decision", "NUIT sak 15/20", "--period", "2020-06",
    )  # fmt: skip
    between = datetime.now(UTC)
    time.sleep(0.05)
    stack.cli(
        "measure", "move", str(MEASURE), "--to", "Koordinere", "--reason", "Mange avhengigheter",
        "--decision", "NUIT sak 22/20", "--period", "2020-06",
    )  # fmt: skip
    stack.cli(
        "measure", "report", str(MEASURE), "--period", "2020-06", "--status", "Rød",
        "--risk", "Gul", "--explanation", "Leverandøren er forsinket", "--budget", "70",
    )  # fmt: skip

    # --- follow measure 160: who, when, why -------------------------------------------
    deadline = time.monotonic() + 60
    while True:
        events = history(stack)
        if any(
            e["type"] == "StatusReportRecorded" and e["data"]["period"] == "2020-06" for e in events
        ):
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.5)
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["type"] == "Registered"
    moves = [e for e in events if e["type"] == "SegmentChanged"]
    assert [m["data"]["to_segment"] for m in moves[-2:]] == [first.lower(), "koordinere"]
    for move in moves[-2:]:
        assert move["actor"]["agency"] == OFFICE
        assert move["actor"]["role"] == "office"
        assert move["correlation_id"]
        assert move["recorded_at"]
    assert [m["reason"] for m in moves[-2:]] == [
        "Mindre behov for samordning",
        "Mange avhengigheter",
    ]
    assert moves[-1]["data"]["decision"] == "NUIT sak 22/20"
    red = next(
        e
        for e in events
        if e["type"] == "StatusReportRecorded" and e["data"]["period"] == "2020-06"
    )
    assert red["actor"]["agency"] == shown["responsible_agency"]
    assert red["reason"] == "Leverandøren er forsinket"
    table = stack.cli("audit", "history", str(MEASURE)).stdout
    assert "avhengigheter" in table and "22/20" in table  # cells wrap to the terminal's width

    # every call was recorded: who, what, when, outcome, correlation id
    calls = as_json(stack, "audit", "calls", "--service", "assessment", "--method", "MoveMeasure")
    assert len(calls) >= 2
    assert {c["actor"]["agency"] for c in calls} == {OFFICE}
    assert {c["actor"]["role"] for c in calls} == {"office"}
    assert {c["outcome"] for c in calls} == {"OK"}
    assert {m["correlation_id"] for m in moves[-2:]} <= {c["correlation_id"] for c in calls}
    assert all(c["at"] for c in calls)

    # the state between the two moves, and what the second changed
    state = as_json(
        stack, "audit", "state", str(MEASURE), "--at", between.isoformat(), "--recorded"
    )
    assert state["state"]["segment"] == first.lower()
    diff = as_json(
        stack, "audit", "diff", str(MEASURE), "--from", between.isoformat(), "--to", "now",
        "--recorded",
    )  # fmt: skip
    changed = {c["path"]: c for c in diff["changes"]}
    assert (changed["/segment"]["before"], changed["/segment"]["after"]) == (
        first.lower(),
        "koordinere",
    )

    # --- the portfolio at past moments equals the reports --------------------------------
    for period, at in (("2020-03", "2020-03-31T21:59:59Z"), ("2020-06", "")):
        rebuilt = in_portfolio(as_json(stack, "audit", "portfolio", "--at", at or "now"), period)
        as_of = ("--as-of", at) if at else ()
        report = as_json(stack, "report", "portfolio", "--period", period, *as_of)
        reported = {m["measure_id"]: m for m in report["measures"]}
        assert set(rebuilt) == set(reported), period
        for mid, state in rebuilt.items():
            statuses = state["status_reports"].get(period) or {}
            assert (statuses.get("status") or None) == (reported[mid]["status"] or None), mid
        assert len(rebuilt) == report["measure_count"]
    assert in_portfolio(as_json(stack, "audit", "portfolio", "--at", "2019-12-31"), "2019-12") == {}

    # --- intact: verified, and a head kept ---------------------------------------------
    code, out = verify(stack)
    assert code == 0, out
    for service in ("intake", "assessment", "korona", "reporting"):
        assert service in out
    heads = tmp_path / "heads.json"
    stack.cli("audit", "export-head", "--output", str(heads))
    assert stack.cli("audit", "check-head", str(heads), check=False).returncode == 0

    # --- every kind of tampering, each undone before the next ----------------------------
    store = Store(stack)
    rows = store.rows()
    last = rows[-1][1]
    label = f"Measure {MEASURE} version"

    store.set_state(2, rows[1][3].replace(b"}", b', "x": 1}', 1))
    code, out = verify(stack, "--service", "assessment")
    assert code == 1 and f"{label} 2" in out and "altered" in out, out
    store.set_state(2, rows[1][3])

    store.execute(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = 2", store.key
    )
    code, out = verify(stack, "--service", "assessment")
    assert code == 1 and f"{label} 2" in out and "deleted" in out, out
    store.put_back(rows[1])

    store.set_version(2, 1000)
    store.set_version(3, 2)
    store.set_version(1000, 3)
    code, out = verify(stack, "--service", "assessment")
    assert code == 1 and f"{label} 2" in out and "reordered" in out, out
    store.set_version(3, 1000)
    store.set_version(2, 3)
    store.set_version(1000, 2)

    store.execute(
        "DELETE FROM {events} WHERE originator_id = ? AND originator_version = ?", store.key, last
    )
    code, out = verify(stack, "--service", "assessment")
    assert code == 1 and f"Measure {MEASURE}" in out and "tail was cut" in out, out
    store.put_back(rows[-1])

    code, out = verify(stack)
    assert code == 0, out

    # a careful rewrite: the last event edited and its log entry recomputed to match
    _, _, topic, state_bytes = rows[-1]
    forged = state_bytes.replace(b"Leverand", b"Leverand\xc3\xb8r-", 1)
    assert forged != state_bytes
    store.set_state(last, forged)
    store.rehash(last, topic, forged)
    code, out = verify(stack, "--service", "assessment")
    assert code == 0, out  # self-consistent: the rows alone cannot tell
    code, out = verify(stack, "--service", "assessment", "--head", str(heads))
    assert code == 1 and "assessment" in out, out
    result = stack.cli("audit", "check-head", str(heads), check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "assessment" in result.stdout + result.stderr


def in_portfolio(states: list[dict[str, Any]], period: str) -> dict[int, dict[str, Any]]:
    """The rebuilt measures the portfolio counts in ``period`` (entered by then, not left
    before it), by portfolio id."""
    counted = {}
    for s in states:
        m = s["state"]
        since, left = m.get("in_portfolio_since"), m.get("left_after")
        if since and since <= period and (left is None or left >= period):
            counted[int(m["measure_id"])] = m
    return counted
