"""The system as a newcomer meets it: `make run`'s supervisor, then the CLI.

Starts the real processes (embedded broker, four services on SQLite), lets the first
start import the 2020 portfolio through intake's gRPC API, and checks the report
against figures computed independently from the file. Then it restarts the broker
alone, and the whole stack, and checks that nothing was lost or doubled.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.stack import Stack, event_counts, expected_report, fresh_database, report_figures

pytestmark = pytest.mark.e2e

PERIOD = "2020-03"


@pytest.fixture(params=["sqlite", "postgres"])
def stack(request: pytest.FixtureRequest, tmp_path: Path, shared_dir: Path) -> Iterator[Stack]:
    """`make run`'s stack on its embedded default (SQLite) and on PostgreSQL."""
    with contextlib.ExitStack() as cleanup:
        env = {}
        if request.param == "postgres":
            server = request.getfixturevalue("postgres")
            env["PORTFOLIO_DATABASE_URL"] = cleanup.enter_context(fresh_database(server))
        s = Stack(var_dir=tmp_path / "var", shared_dir=shared_dir, extra_env=env)
        yield s
        s.stop()


def report(stack: Stack, period: str) -> dict:  # type: ignore[type-arg]
    out = stack.cli("report", "portfolio", "--period", period, "--format", "json")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def a_later_period_file(source: Path, target: Path) -> dict[int, str]:
    """The March file as a June report: three measures change status, one budget grows."""
    with source.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    changed = {
        int(rows[0]["measure_id"]): "Rød",
        int(rows[1]["measure_id"]): "Grønn",
        int(rows[2]["measure_id"]): "Rød",
    }
    for row in rows:
        mid = int(row["measure_id"])
        if mid in changed:
            row["status"] = changed[mid]
    rows[3]["budget_2020_mnok"] = str(int(rows[3]["budget_2020_mnok"]) + 10)
    with target.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return changed


def test_make_run_loads_the_2020_portfolio_and_survives_restarts(
    stack: Stack, shared_dir: Path, tmp_path: Path
) -> None:
    tsv = shared_dir / "data" / f"portfolio-{PERIOD}.tsv"
    expected = expected_report(tsv)

    stack.start()
    stack.wait_healthy()
    stack.wait_for_file(stack.var_dir / f"seeded-{PERIOD}")

    march = report(stack, PERIOD)
    assert report_figures(march) == expected
    assert march["measure_count"] == 52
    assert march["budget_total_mnok"] == 1571

    # As of a past moment: the table was reported for March 2020 (dated the period's end);
    # the trial segment placement was recorded now, so in April 2020 nothing was placed.
    def as_of(moment: str) -> dict:  # type: ignore[type-arg]
        out = stack.cli(
            "report", "portfolio", "--period", PERIOD, "--as-of", moment, "--format", "json"
        )
        return json.loads(out.stdout)  # type: ignore[no-any-return]

    assert as_of("2020-03-15T00:00:00+01:00")["measure_count"] == 0
    april = as_of("2020-04-01T00:00:00+02:00")
    assert report_figures(april) == expected
    assert [s["segment"] for s in april["by_segment"]] == [None]

    # The embedded broker dies: the supervisor starts an empty one; the relays publish
    # everything again and the consumers skip what they applied.
    os.kill(int(stack.state()["broker_pid"]), signal.SIGKILL)
    june_file = tmp_path / "portfolio-2020-06.tsv"
    changed = a_later_period_file(tsv, june_file)
    stack.cli(
        "import", "measures", str(june_file), "--period", "2020-06", "--wait", "--timeout", "120"
    )
    june = report(stack, "2020-06")
    assert june["measure_count"] == 52
    assert june["budget_total_nok"] == expected["budget_total_nok"] + 10_000_000
    statuses = {m["measure_id"]: m["status"] for m in june["measures"]}
    assert {mid: statuses[mid] for mid in changed} == {
        mid: {"Rød": "red", "Grønn": "green"}[c] for mid, c in changed.items()
    }
    assert report_figures(report(stack, PERIOD)) == expected, "March must not change"

    # The whole stack stops and starts again: SQLite keeps the events, the broker is
    # new and empty, nothing is seeded twice.
    assert stack.stop() == 0
    stack.start()
    stack.wait_healthy()
    time.sleep(3)  # let relays republish and consumers skip what they had
    assert report_figures(report(stack, PERIOD)) == expected
    assert report(stack, "2020-06")["budget_total_nok"] == june["budget_total_nok"]
    console = stack.console()
    assert console.count("seeding done") == 1, console
    # Nothing applied twice: each measure registered once (the 52 of the table, the 3 that
    # left since January, the 5 candidates for 2021), each report and each move once.
    counts = event_counts(stack, "assessment")
    placed = [m for m in report(stack, PERIOD)["measures"] if m["segment"]]
    # One command receipt per office decision the seeding sent (each placement, the
    # completion and the two pauses), though restarts made the CLI resend some.
    assert counts.pop("Issued") == len(placed) + 1 + 2
    assert counts == {
        "Registered": 52 + 3 + 5,
        "StatusReportRecorded": 104,
        "SegmentChanged": len(placed),
        "Completed": 1,
        "Paused": 2,
    }
    assert len(placed) >= 45, "most of the trial placement matches the portfolio's names"

    # Drop and rebuild every projection from the events: the views come back the same.
    before = [report(stack, p) for p in (PERIOD, "2020-06")]
    rebuilt = json.loads(stack.cli("report", "rebuild", "--format", "json").stdout)
    assert rebuilt["done"]
    assert rebuilt["read"] == rebuilt["total"] > 0
    assert [report(stack, p) for p in (PERIOD, "2020-06")] == before
