"""Drive the real system as a user would: `portfolio stack run` and the CLI, as processes."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PORTFOLIO = str(Path(sys.executable).parent / "portfolio")


def free_block(size: int) -> int:
    """The first of ``size`` consecutive free ports, below the kernel's ephemeral range.

    Ports from the ephemeral range (what binding port 0 gives) can be taken by any
    outgoing connection while a stopped stack is being restarted on them.
    """
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20_000, 32_000 - size)
        ok = True
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports")


@dataclass
class Stack:
    """One `portfolio stack run` process on free ports with its own var directory."""

    var_dir: Path
    shared_dir: Path
    extra_env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    def __post_init__(self) -> None:
        base = free_block(10)  # one block: gRPC 4, metrics 4, Kafka, report pages
        self.grpc_base = base
        self.metrics_base = base + 4
        self.kafka_port = base + 8
        self.web_port = base + 9

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PORTFOLIO_VAR_DIR": str(self.var_dir),
            "PORTFOLIO_SHARED_DIR": str(self.shared_dir),
            "PORTFOLIO_PORT_BASE": str(self.grpc_base),
            "PORTFOLIO_METRICS_PORT_BASE": str(self.metrics_base),
            "PORTFOLIO_KAFKA_PORT": str(self.kafka_port),
            "PORTFOLIO_WEB_PORT": str(self.web_port),
            **self.extra_env,
        }

    def start(self, *args: str) -> None:
        self.var_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.var_dir / "stack-console.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [PORTFOLIO, "stack", "run", "--var-dir", str(self.var_dir), *args],
            env=self.env,
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def wait_healthy(self, timeout: float = 90) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            assert self.process and self.process.poll() is None, self.console()
            result = self.cli("status", "--format", "json", check=False)
            if result.returncode == 0:
                status = json.loads(result.stdout)
                if all(s["healthy"] for s in status["services"]):
                    return status  # type: ignore[no-any-return]
                last = status
            time.sleep(0.5)
        raise TimeoutError(f"stack not healthy: {last}\n{self.console()}")

    def wait_for_file(self, path: Path, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if path.exists():
                return
            assert self.process and self.process.poll() is None, self.console()
            time.sleep(0.5)
        raise TimeoutError(f"{path} did not appear\n{self.console()}")

    def state(self) -> dict[str, Any]:
        return json.loads((self.var_dir / "run" / "stack.json").read_text())  # type: ignore[no-any-return]

    def pid(self, name: str) -> int:
        """The service's process id; 0 while it is being restarted."""
        return next(int(s["pid"] or 0) for s in self.state()["services"] if s["name"] == name)

    def grpc(self, name: str) -> str:
        return next(str(s["grpc"]) for s in self.state()["services"] if s["name"] == name)

    def cli(
        self, *args: str, check: bool = True, timeout: float = 180
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [PORTFOLIO, *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"portfolio {' '.join(args)} failed: {result.stderr}\n{result.stdout}"
            )
        return result

    def stop(self) -> int:
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
            self.process = None

    def console(self) -> str:
        path = self.var_dir / "stack-console.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""


COLOURS = {"grønn": "green", "gul": "yellow", "rød": "red"}


def expected_report(tsv: Path) -> dict[str, Any]:
    """The report's figures, computed from the file alone (not with the CLI's parser)."""
    with tsv.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    budget_col = next(c for c in rows[0] if c.startswith("budget_"))

    def nok(value: str) -> int:
        return int(Decimal(value.replace(",", ".") or "0") * 1_000_000)

    def counts(col: str) -> dict[str, int]:
        out = {"green": 0, "yellow": 0, "red": 0, "unreported": 0}
        for r in rows:
            out[COLOURS.get(r[col].strip().lower(), "unreported")] += 1
        return out

    agencies: dict[str, list[int]] = {}
    for r in rows:
        agencies.setdefault(r["responsible_agency"], []).append(nok(r[budget_col]))
    return {
        "measure_count": len(rows),
        "budget_total_nok": sum(nok(r[budget_col]) for r in rows),
        "status": counts("status"),
        "risk": counts("risk"),
        "by_agency": {a: (len(b), sum(b)) for a, b in agencies.items()},
    }


def report_figures(report: dict[str, Any]) -> dict[str, Any]:
    return {
        "measure_count": report["measure_count"],
        "budget_total_nok": report["budget_total_nok"],
        "status": report["status"],
        "risk": report["risk"],
        "by_agency": {a["agency"]: (a["measures"], a["budget_nok"]) for a in report["by_agency"]},
    }


def event_counts(stack: Stack, service: str) -> dict[str, int]:
    """Stored events per type in a service's event store (SQLite or PostgreSQL), read directly."""
    url = stack.extra_env.get("PORTFOLIO_DATABASE_URL")
    if url:
        import psycopg
        from psycopg import sql

        from backbone.persistence import postgres_params

        query = sql.SQL("SELECT topic, COUNT(*) FROM {} GROUP BY topic").format(
            sql.Identifier(service, f"{service}_events")
        )
        with psycopg.connect(**postgres_params(url)) as conn:  # type: ignore[arg-type]
            rows = conn.execute(query).fetchall()
    else:
        import sqlite3

        with sqlite3.connect(stack.var_dir / f"{service}.db") as db:
            rows = db.execute("SELECT topic, COUNT(*) FROM stored_events GROUP BY topic").fetchall()
    return {topic.rsplit(".", 1)[-1]: n for topic, n in rows}


@contextlib.contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty PostgreSQL database on the server of ``server_url``; dropped afterwards."""
    import uuid

    import psycopg
    from psycopg import sql

    from backbone.persistence import postgres_params

    params = postgres_params(server_url)
    name = f"e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**params, autocommit=True) as conn:  # type: ignore[arg-type]
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    user = params["user"] + (f":{params['password']}" if params["password"] else "")
    try:
        yield f"postgresql://{user}@{params['host']}:{params['port']}/{name}"
    finally:
        with psycopg.connect(**params, autocommit=True) as conn:  # type: ignore[arg-type]
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
