"""The corona-portfolio view: proposals per category and state, the net list, the funding
envelope and the feedback figures, as of any moment on either time axis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from report_views.report_json import korona_json
from reporting.adapters.messages import korona_message
from reporting.queries import (
    PROPOSAL_STATES,
    AsOf,
    FundingTotals,
    NetListEntry,
    korona_report,
)
from reporting.store import TABLE_NAMES, ReadModelStore

APR_1 = datetime(2020, 4, 1, 8, 0, tzinfo=UTC)
APR_20 = datetime(2020, 4, 20, 8, 0, tzinfo=UTC)
APR_21 = datetime(2020, 4, 21, 8, 0, tzinfo=UTC)
APR_23 = datetime(2020, 4, 23, 8, 0, tzinfo=UTC)
MAY_1 = datetime(2020, 5, 1, 8, 0, tzinfo=UTC)
MAY_3 = datetime(2020, 5, 3, 8, 0, tzinfo=UTC)
MAY_4 = datetime(2020, 5, 4, 8, 0, tzinfo=UTC)
# The table "Antall innmeldte forslag til Korona-tiltak 05/5 09:00" (Norwegian summer time).
MAY_5_0900 = datetime(2020, 5, 5, 7, 0, tzinfo=UTC)
MAY_6 = datetime(2020, 5, 6, 8, 0, tzinfo=UTC)
MAY_10 = datetime(2020, 5, 10, 8, 0, tzinfo=UTC)
MNOK = 1_000_000


def categories(report: Any) -> list[tuple[str, str, int]]:
    return [(c.code, c.name, c.proposals) for c in report.by_category]


def states(report: Any) -> dict[str, int]:
    return dict(report.by_state)


def register(
    feed: Any,
    korona: Any,
    pid: str,
    code: str,
    name: str,
    received: datetime,
    rec: datetime | None = None,
    **changes: Any,
) -> None:
    feed(
        korona.registered(pid, code, received, category_name=name, **changes),
        at=received,
        rec=rec or received,
    )


# --- proposals per category, as of a moment on either axis ---------------------------------


def test_proposals_count_from_when_they_were_received_or_recorded(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_20, rec=APR_21)
    register(feed, korona, "p-2", "12", "Infeksjonsovervåking", MAY_4, rec=MAY_6)
    register(feed, korona, "p-3", "03", "Video", MAY_6)

    domain = korona_report(memory_store, AsOf(MAY_5_0900))
    assert domain.total == 2
    assert categories(domain) == [("03", "Video", 1), ("12", "Infeksjonsovervåking", 1)]
    recorded = korona_report(memory_store, AsOf(MAY_5_0900, recorded=True))
    assert (recorded.total, categories(recorded)) == (1, [("03", "Video", 1)])
    assert korona_report(memory_store, AsOf(APR_20, recorded=True)).total == 0
    now = korona_report(memory_store)
    assert (now.total, categories(now)) == (
        3,
        [("03", "Video", 2), ("12", "Infeksjonsovervåking", 1)],
    )


def test_a_proposal_received_after_the_moment_never_counts(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    # Recorded before it says it was received (a proposer's clock, an import): it still
    # counts only from its receipt, on either axis.
    register(feed, korona, "p-1", "03", "Video", MAY_10, rec=MAY_4)
    assert korona_report(memory_store, AsOf(MAY_6, recorded=True)).total == 0
    assert korona_report(memory_store, AsOf(MAY_6)).total == 0
    assert korona_report(memory_store, AsOf(MAY_10, recorded=True)).total == 1


def test_a_recategorised_proposal_moves_from_then_on_and_its_history_is_kept(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "99A", "Annet", APR_20)
    register(feed, korona, "p-2", "99A", "Annet", APR_20)
    feed(korona.categorised("p-1", "03", "Video", previous_code="99A"), at=MAY_1, rec=MAY_3)

    before = korona_report(memory_store, AsOf(APR_23))
    assert categories(before) == [("99A", "Annet", 2)]
    after = korona_report(memory_store, AsOf(MAY_4))
    assert categories(after) == [("03", "Video", 1), ("99A", "Annet", 1)]
    # The office recorded it two days after it held: not yet so on the recorded axis.
    assert categories(korona_report(memory_store, AsOf(MAY_1, recorded=True))) == [
        ("99A", "Annet", 2)
    ]
    assert categories(korona_report(memory_store, AsOf(MAY_3, recorded=True)))[0][0] == "03"
    rows = memory_store.query(
        "SELECT category_code FROM {s}rpt_proposal_history WHERE proposal_id = 'p-1' ORDER BY seq"
    )
    assert rows == [("99A",), ("03",)]


def test_a_category_is_named_by_its_latest_naming(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_20)
    register(feed, korona, "p-2", "12", "", APR_20)  # registered without a name
    feed(korona.categorised("p-2", "03", "Video og videostøtte"), at=MAY_1)
    assert categories(korona_report(memory_store, AsOf(APR_23))) == [
        ("03", "Video", 1),
        ("12", "", 1),
    ]
    assert categories(korona_report(memory_store)) == [("03", "Video og videostøtte", 2)]


def test_a_proposal_registered_again_is_counted_once_where_it_was_first(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_20)
    register(feed, korona, "p-1", "12", "Infeksjonsovervåking", APR_21)
    report = korona_report(memory_store)
    assert categories(report) == [("03", "Video", 1)]
    assert memory_store.query("SELECT COUNT(*) FROM {s}rpt_proposal_history") == [(1,)]


# --- states -----------------------------------------------------------------------------


def test_every_state_is_counted_in_order_zeros_included(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    assert korona_report(memory_store).by_state == [(s, 0) for s in PROPOSAL_STATES]
    for pid in ("p-1", "p-2", "p-3", "p-4", "p-5", "p-6"):
        register(feed, korona, pid, "03", "Video", APR_1)
    feed(korona.routed("p-2"), korona.routed("p-3"), korona.routed("p-4"), at=APR_20)
    feed(korona.routed("p-5"), korona.routed("p-6"), at=APR_20)
    feed(korona.assessed("p-3"), korona.assessed("p-4"), korona.assessed("p-5"), at=APR_21)
    feed(korona.assessed("p-6", "defer"), at=APR_21)
    feed(korona.decided("p-4"), korona.decided("p-5", "not_prioritised"), at=APR_23)
    feed(korona.decided("p-6", "deferred"), at=APR_23)
    feed(korona.reopened("p-5"), at=MAY_1)

    report = korona_report(memory_store)
    assert [s for s, _ in report.by_state] == list(PROPOSAL_STATES)
    assert states(report) == {
        "registered": 1,
        "in_assessment": 2,
        "assessed": 1,
        "prioritised": 1,
        "not_prioritised": 0,
        "deferred": 1,
    }
    before_reopening = states(korona_report(memory_store, AsOf(APR_23)))
    assert (before_reopening["not_prioritised"], before_reopening["in_assessment"]) == (1, 1)
    assert states(korona_report(memory_store, AsOf(APR_20))) == {
        "registered": 1,
        "in_assessment": 5,
        "assessed": 0,
        "prioritised": 0,
        "not_prioritised": 0,
        "deferred": 0,
    }
    assert sum(n for _, n in report.by_state) == report.total == 6


def test_a_decision_holds_from_when_the_board_took_it(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_1)
    feed(korona.routed("p-1"), korona.assessed("p-1"), at=APR_20)
    # Decided on 1 May, recorded on 3 May.
    feed(korona.decided("p-1"), at=MAY_1, rec=MAY_3)
    assert states(korona_report(memory_store, AsOf(MAY_1)))["prioritised"] == 1
    on_record = states(korona_report(memory_store, AsOf(MAY_1, recorded=True)))
    assert (on_record["prioritised"], on_record["assessed"]) == (0, 1)


# --- the net list -------------------------------------------------------------------------


def test_the_net_list_is_the_prioritised_proposals_with_their_status_by_title(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_1, title="Videokonsultasjon")
    register(feed, korona, "p-2", "13", "Smittesporing", APR_1, title="Smittestopp")
    register(feed, korona, "p-3", "03", "Video", APR_1, title="Avvist video")
    # A measure of the historical net list, registered prioritised.
    register(
        feed,
        korona,
        "n-1",
        "05",
        "Generell informasjon til innbyggere",
        APR_1,
        title="Chatbot til innbyggere",
        state="prioritised",
        source="netlist",
    )
    feed(korona.status("n-1", "in_operation", "Helsedirektoratet"), at=APR_1)
    for pid in ("p-1", "p-2", "p-3"):
        feed(korona.routed(pid), korona.assessed(pid), at=APR_20)
    feed(korona.decided("p-1"), korona.decided("p-2"), at=APR_23)
    feed(korona.decided("p-3", "not_prioritised"), at=APR_23)
    feed(korona.status("p-1", "being_introduced", "NHN"), at=MAY_1)
    feed(korona.status("p-1", "in_operation", "NHN"), at=MAY_10)

    report = korona_report(memory_store, AsOf(MAY_4))
    assert [(e.title, e.implementation_status, e.responsible_agency) for e in report.net_list] == [
        ("Chatbot til innbyggere", "in_operation", "Helsedirektoratet"),
        ("Smittestopp", "planned", ""),
        ("Videokonsultasjon", "being_introduced", "NHN"),
    ]
    assert report.net_list[2] == NetListEntry(
        "p-1", "Videokonsultasjon", "NHN", "being_introduced", "03"
    )
    assert korona_report(memory_store).net_list[2].implementation_status == "in_operation"
    assert [e.proposal_id for e in korona_report(memory_store, AsOf(APR_21)).net_list] == ["n-1"]


# --- the funding envelope ---------------------------------------------------------------


def test_the_envelope_is_its_latest_figures_as_of_the_moment(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    assert korona_report(memory_store).funding == FundingTotals(0, 0, 0, 0)
    register(feed, korona, "p-1", "03", "Video", APR_1, title="Video")
    register(feed, korona, "p-2", "13", "Smittesporing", APR_1, title="Smittestopp")
    feed(korona.routed("p-1"), korona.assessed("p-1"), korona.decided("p-1"), at=APR_20)
    feed(korona.routed("p-2"), korona.assessed("p-2"), korona.decided("p-2"), at=APR_20)
    feed(korona.opened(80 * MNOK), at=APR_1)
    feed(korona.funding("allocate", "p-1", 10 * MNOK), at=APR_21)
    feed(korona.funding("allocate", "p-2", 20 * MNOK), at=APR_21)
    feed(korona.funding("commit", "p-1", 4 * MNOK), at=MAY_1)
    feed(korona.funding("release", "p-2", 5 * MNOK), at=MAY_6, rec=MAY_10)
    feed(korona.funding("pay", "p-1", 1_500_000), at=MAY_10)

    may_5 = korona_report(memory_store, AsOf(MAY_5_0900))
    assert may_5.funding == FundingTotals(80 * MNOK, 30 * MNOK, 4 * MNOK, 0)
    assert may_5.funding.left_nok == 50 * MNOK
    now = korona_report(memory_store)
    assert now.funding == FundingTotals(80 * MNOK, 25 * MNOK, 4 * MNOK, 1_500_000)
    assert now.funding.left_nok == 55 * MNOK
    assert [(e.title, e.allocated_nok, e.committed_nok, e.paid_nok) for e in now.net_list] == [
        ("Smittestopp", 15 * MNOK, 0, 0),
        ("Video", 10 * MNOK, 4 * MNOK, 1_500_000),
    ]
    # The release held on 6 May but was recorded on 10 May.
    assert korona_report(memory_store, AsOf(MAY_6)).funding.allocated_nok == 25 * MNOK
    recorded = korona_report(memory_store, AsOf(MAY_6, recorded=True))
    assert recorded.funding.allocated_nok == 30 * MNOK
    assert korona_report(memory_store, AsOf(APR_20)).funding == FundingTotals(80 * MNOK)


# --- feedback -----------------------------------------------------------------------------


def test_feedback_figures_count_first_answers_beyond_the_acknowledgement(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_20)
    register(feed, korona, "p-2", "03", "Video", APR_21)
    register(feed, korona, "p-3", "03", "Video", MAY_1)
    register(feed, korona, "n-1", "05", "Informasjon", APR_1, state="prioritised", source="netlist")
    # Acknowledgements of receipt are not answers.
    feed(korona.feedback("p-1", "received", first=False), at=APR_20)
    feed(korona.feedback("p-2", "received", first=False), at=APR_21)
    feed(korona.feedback("p-1", "covered"), at=APR_23)  # 3 days after receipt
    feed(korona.feedback("p-2", "prioritised"), at=datetime(2020, 4, 22, 20, 0, tzinfo=UTC))
    feed(korona.feedback("p-2", "message", first=False), at=MAY_1)

    report = korona_report(memory_store)
    assert report.awaiting_feedback == 1  # p-3; the net-list measure has no proposer
    assert report.median_days_to_feedback == pytest.approx((3 + 1.5) / 2)
    early = korona_report(memory_store, AsOf(APR_21))
    assert (early.awaiting_feedback, early.median_days_to_feedback) == (2, None)
    assert korona_report(memory_store, AsOf(APR_23)).median_days_to_feedback == pytest.approx(2.25)


def test_feedback_recorded_later_counts_from_its_record_on_the_recorded_axis(
    feed: Any, korona: Any, memory_store: ReadModelStore
) -> None:
    register(feed, korona, "p-1", "03", "Video", APR_20)
    feed(korona.feedback("p-1"), at=APR_21, rec=MAY_1)
    assert korona_report(memory_store, AsOf(APR_23)).awaiting_feedback == 0
    on_record = korona_report(memory_store, AsOf(APR_23, recorded=True))
    assert (on_record.awaiting_feedback, on_record.median_days_to_feedback) == (1, None)
    assert korona_report(memory_store, AsOf(MAY_1, recorded=True)).median_days_to_feedback == 1


# --- idempotency and rebuild --------------------------------------------------------------


@pytest.fixture
def everything(feed: Any, korona: Any) -> None:
    """A bit of every korona event."""
    register(feed, korona, "p-1", "99A", "Annet", APR_20, title="Video")
    register(feed, korona, "p-2", "12", "Infeksjonsovervåking", APR_21, title="Labsvar")
    feed(korona.categorised("p-1", "03", "Video"), at=APR_21)
    feed(korona.routed("p-1"), korona.assessed("p-1"), korona.decided("p-1"), at=APR_23)
    feed(korona.routed("p-2"), korona.assessed("p-2", "defer"), at=APR_23)
    feed(korona.decided("p-2", "deferred"), korona.reopened("p-2"), at=MAY_1)
    feed(korona.feedback("p-1"), korona.status("p-1", "introduced", "NHN"), at=MAY_1)
    feed(korona.opened(), korona.funding("allocate", "p-1", 5 * MNOK), at=MAY_1)


def _rows(store: ReadModelStore) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(store.query(f"SELECT * FROM {{s}}{t}")) for t in TABLE_NAMES}  # noqa: S608


@pytest.mark.usefixtures("everything")
def test_the_same_deliveries_again_change_nothing(feed: Any, memory_store: ReadModelStore) -> None:
    report, rows = korona_report(memory_store), _rows(memory_store)
    assert rows["rpt_proposal_history"] and rows["rpt_funding"] and rows["rpt_feedback"]
    # As the consumer sees a redelivery: its position is recorded, nothing is written.
    with pytest.raises(IntegrityError):
        feed.apply(feed.applied[-2:])
    # Were the rows applied again all the same (another tracking record): nothing changes.
    feed.apply(feed.applied, name="reporting.portfolio:again:0")
    assert _rows(memory_store) == rows
    assert korona_report(memory_store) == report


@pytest.mark.usefixtures("everything")
def test_a_reset_empties_the_corona_tables_and_a_replay_restores_them(
    feed: Any, memory_store: ReadModelStore
) -> None:
    report, rows = korona_report(memory_store), _rows(memory_store)
    memory_store.reset("reporting.portfolio")
    assert all(not r for r in _rows(memory_store).values())
    assert korona_report(memory_store).total == 0
    feed.apply(feed.applied)
    assert _rows(memory_store) == rows
    assert korona_report(memory_store) == report


# --- the message and its JSON -------------------------------------------------------------


@pytest.mark.usefixtures("everything")
def test_the_report_message_says_it_all_in_json(memory_store: ReadModelStore) -> None:
    data = korona_json(korona_message(memory_store, AsOf()))
    assert data["total"] == 2
    assert data["as_of"] is None
    assert data["by_category"] == [
        {"code": "03", "category": "Video", "proposals": 1},
        {"code": "12", "category": "Infeksjonsovervåking", "proposals": 1},
    ]
    assert [line["state"] for line in data["by_state"]] == list(PROPOSAL_STATES)
    assert {line["state"]: line["proposals"] for line in data["by_state"]}["prioritised"] == 1
    assert data["net_list"] == [
        {
            "proposal_id": "p-1",
            "title": "Video",
            "responsible_agency": "NHN",
            "implementation_status": "introduced",
            "category_code": "03",
            "allocated_mnok": 5,
            "committed_mnok": 0,
            "paid_mnok": 0,
            "allocated_nok": 5 * MNOK,
            "committed_nok": 0,
            "paid_nok": 0,
        }
    ]
    assert data["funding"] == {
        "total_mnok": 80,
        "allocated_mnok": 5,
        "committed_mnok": 0,
        "paid_mnok": 0,
        "left_mnok": 75,
        "total_nok": 80 * MNOK,
        "allocated_nok": 5 * MNOK,
        "committed_nok": 0,
        "paid_nok": 0,
        "left_nok": 75 * MNOK,
    }
    assert data["awaiting_feedback"] == 1
    assert data["median_days_to_feedback"] == pytest.approx(11.0)
    past = korona_json(korona_message(memory_store, AsOf(APR_20)))
    assert past["as_of"] == "2020-04-20T08:00:00+00:00"
    assert (past["total"], past["median_days_to_feedback"], past["net_list"]) == (1, None, [])
    assert past["by_category"] == [{"code": "99A", "category": "Annet", "proposals": 1}]


def test_an_empty_portfolio_reports_zeros(memory_store: ReadModelStore) -> None:
    report = korona_report(memory_store)
    assert (report.total, report.by_category, report.net_list) == (0, [], [])
    assert report.by_state == [(s, 0) for s in PROPOSAL_STATES]
    assert (report.awaiting_feedback, report.median_days_to_feedback) == (0, None)
    assert report.funding.left_nok == 0
