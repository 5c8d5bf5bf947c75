"""The corona portfolio of 5 May 2020 through the real processes, as the office would load it.

A proposals file made from the directorate's table (``tests/korona_data.py``: 337
proposals in the table's categories received by 5 May 2020 09:00, 25 after, 3 bad rows)
goes in with ``portfolio korona import-proposals --wait``. The corona report as of that
moment gives the table back, now it counts every proposal, the bad rows are named by line
and column, and importing the file again changes nothing. Then the net list of 2020 goes
in with ``korona import-netlist``, once however often it is imported.

The stack starts without the first-start seeding, so the corona portfolio holds only
what this test imports (the seeded net list would be counted too).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.korona_data import write_proposals
from tests.stack import Stack

pytestmark = pytest.mark.e2e

MOMENT = "2020-05-05T09:00:00+02:00"


@pytest.fixture
def stack(tmp_path: Path, shared_dir: Path) -> Iterator[Stack]:
    s = Stack(var_dir=tmp_path / "var", shared_dir=shared_dir, extra_env={})
    yield s
    s.stop()


def korona_report(stack: Stack, *args: str) -> dict[str, Any]:
    out = stack.cli("report", "korona", *args, "--format", "json")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def import_proposals(stack: Stack, file: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    result = stack.cli(
        "korona", "import-proposals", str(file), *args, "--format", "json", check=False
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout), result.stderr


def test_the_proposals_of_5_may_2020_come_back_as_of_that_moment(
    stack: Stack, shared_dir: Path, tmp_path: Path
) -> None:
    file = tmp_path / "forslag.tsv"
    made = write_proposals(file, shared_dir)
    assert (made.on_time, made.late, len(made.bad)) == (337, 25, 3)

    stack.start("--no-seed")
    stack.wait_healthy()

    code, outcome, stderr = import_proposals(stack, file, "--wait", "--timeout", "180")
    assert code == 1, "three rows are bad"
    assert outcome["problem"] is None, outcome["problem"]
    assert outcome["waited"]
    assert (outcome["rows"], outcome["taken"], outcome["new"], outcome["refused"]) == (
        365,
        362,
        362,
        3,
    )
    assert outcome["categories_from"].startswith("korona at ")
    refused = [line for line in stderr.splitlines() if line.startswith(f"{file}:")]
    assert len(refused) == 3, stderr
    for line, column in made.bad.items():
        assert any(r.startswith(f"{file}:{line}: column {column}: ") for r in refused), stderr
    assert {e["line"]: e["column"] for e in outcome["errors"]} == made.bad

    then = korona_report(stack, "--as-of", MOMENT)
    assert then["total"] == 337
    by_category = sorted(
        (c["code"], c.get("category"), c["proposals"]) for c in then["by_category"]
    )
    assert by_category == sorted(made.by_category())
    now = korona_report(stack)
    assert now["total"] == 362
    assert {c["code"]: c["proposals"] for c in now["by_category"]} == made.all_by_category()

    # korona holds them all, unassessed
    listed = json.loads(stack.cli("korona", "list", "--format", "json").stdout)
    assert listed["total"] == len(listed["proposals"]) == 362
    backlog = json.loads(stack.cli("korona", "backlog", "--format", "json").stdout)
    assert backlog["total"] == 362
    taken = {p["proposal_id"] for p in outcome["proposals"]}
    assert {p["proposal_id"] for p in listed["proposals"]} == taken

    # the same file again: every row was sent before, nothing new anywhere
    code, again, _ = import_proposals(stack, file, "--wait", "--timeout", "60")
    assert code == 1
    assert (again["taken"], again["new"], again["replayed"]) == (362, 0, 362)
    assert {p["proposal_id"] for p in again["proposals"]} == taken
    assert korona_report(stack)["total"] == 362
    assert korona_report(stack, "--as-of", MOMENT)["total"] == 337

    # the net list of 2020, once however often it is imported
    netlist_file = shared_dir / "data" / "korona-nettoliste-2020.tsv"
    with netlist_file.open(encoding="utf-8") as handle:
        names = {row["name"] for row in csv.DictReader(handle, delimiter="\t")}
    for new in (len(names), 0):
        result = stack.cli("korona", "import-netlist", str(netlist_file), "--format", "json")
        added = json.loads(result.stdout)
        assert (added["rows"], added["on_net_list"], added["new"], added["refused"]) == (
            len(names),
            len(names),
            new,
            0,
        )
    net_list = json.loads(stack.cli("korona", "netlist", "--format", "json").stdout)
    assert {m["title"] for m in net_list["measures"]} == names
    assert {m["implementation_status"] for m in net_list["measures"]} == {"planned"}
