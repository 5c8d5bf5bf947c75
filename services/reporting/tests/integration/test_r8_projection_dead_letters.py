"""RELIABILITY.md R8 on reporting's read model (memory, SQLite, PostgreSQL): the sequenced
dead-letter queue kept in ``rpt_dead_letters`` in the transaction of the projection's rows
and position, replayed in order after a fix, and emptied with the rest by a rebuild."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from backbone.deadletters import raw_letter
from reporting.projections import ProjectionSink
from reporting.queries import portfolio_report
from reporting.store import ReadModelStore

try:
    from tests.faults.results import record
except ModuleNotFoundError:  # run from this directory: the repository's tests/ is not on the path
    sys.path.insert(0, str(Path(__file__).resolve().parents[4]))
    from tests.faults.results import record

pytestmark = [pytest.mark.integration, pytest.mark.faults]

GROUP = "reporting.portfolio"
NAME = f"{GROUP}:assessment.measure.v1:0"


def test_r8_a_failed_report_parks_its_measure_until_replayed(
    reporting_store: ReadModelStore, deliver: Any, registered: Any, recorded: Any
) -> None:
    sink = ProjectionSink(reporting_store)
    m1 = [
        deliver(registered(1, "helsedir", "2023-01")),
        deliver(recorded(1, "2024-02", "green", "green", {2024: 10})),
        deliver(recorded(1, "2024-03", "red", "red", {2024: 20})),
    ]
    m2 = deliver(registered(2, "nhn", "2023-01"))
    junk = raw_letter(
        topic="assessment.measure.v1", partition=0, offset=99, key=b"x", value=b"\x00", reason="?"
    )
    # The consumer gave up on measure 1's first report: it and the one after it park.
    routed = sink.apply(NAME, 4, [*m1, m2, junk], failed={1: "ValueError('bug')"})
    assert routed.applied == 2 and len(routed.parked) == 3 and routed.behind == 1
    assert sink.position(NAME) == 4, "the position passes the parked messages"
    report = portfolio_report(reporting_store, "2024-03")
    assert [(m.measure_id, m.status) for m in report.measures] == [(1, None), (2, None)]

    letters = sink.dead_letters(GROUP)
    sequence = str(m1[0].envelope.aggregate_id)
    assert [x.position for x in letters.parked[sequence]] == [2, 3]
    assert letters.parked[sequence][1].behind == letters.parked[sequence][0].letter_id
    # Letters are kept once: the same raw bytes again (a redelivery) add nothing.
    assert sink.apply(NAME, None, [junk]).parked == []

    sink.replay(GROUP, sequence, m1[1:])  # after the fix
    report = portfolio_report(reporting_store, "2024-03")
    assert [(m.measure_id, m.status) for m in report.measures] == [(1, "red"), (2, None)]
    assert sequence not in sink.dead_letters(GROUP).parked
    discarded = sink.change_letters(GROUP, lambda ls: ls.discard(junk.letter_id))
    assert discarded == junk
    assert not sink.dead_letters(GROUP).parked
    assert sink.apply(NAME, None, [junk]).parked == [], "a discarded letter stays discarded"

    reporting_store.reset(GROUP)  # a rebuild empties the queue with the projections
    assert reporting_store.query("SELECT COUNT(*) FROM {s}rpt_dead_letters") == [(0,)]
    record(
        "R8",
        f"test_r8_a_failed_report_parks_its_measure_until_replayed[{type(reporting_store).__name__}]",
        parked=3,
        parked_behind=1,
        replayed=2,
        discarded=1,
    )
