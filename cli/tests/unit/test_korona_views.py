"""KoronaService's answers as JSON (English keys, enum names, null for empty, MNOK beside
NOK) and as bokmål tables, from canned protobuf messages; how imports are summed up."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from eportfolio.korona.v1 import korona_pb2
from portfolio_cli.korona_import import (
    NetListImportOutcome,
    OnNetList,
    ProposalImportOutcome,
    TakenProposal,
)
from portfolio_cli.korona_json import (
    bulk_json,
    categories_json,
    envelope_json,
    netlist_import_json,
    netlist_json,
    proposal_import_json,
    proposal_json,
    proposals_json,
    similar_list_json,
)
from portfolio_cli.korona_rows import NetListRow, ProposalRow
from portfolio_cli.korona_text import (
    bulk_text,
    categories_text,
    envelope_text,
    netlist_import_text,
    netlist_text,
    proposal_import_text,
    proposal_text,
    proposals_text,
    similar_text,
    when,
)
from portfolio_cli.tsv import RowError

PID = "581f399e-acbf-5843-a6c0-1abb427ba364"


def a_proposal(**changes: object) -> korona_pb2.Proposal:
    fields: dict[str, object] = {
        "proposal_id": PID,
        "title": "Videokonsultasjon for fastleger",
        "description": "Video mellom fastlege og pasient",
        "proposer": "Kari Nordmann",
        "organisation": "Legesenteret AS",
        "organisation_type": "private",
        "contact": "kari@example.no",
        "need": "Færre fysiske konsultasjoner",
        "category_code": "03",
        "category_name": "Video",
        "target_groups": ["citizens", "health_personnel"],
        "received_at": "2020-04-02T08:15:00+00:00",
        "state": korona_pb2.PROPOSAL_STATE_PRIORITISED,
        "version": 7,
        "working_group": "Velferdsteknologi og avstandsoppfølging",
        "overlaps": [
            korona_pb2.Similar(
                key="netlist:abc", kind="netlist", title="Videokonsultasjon", score=0.8123
            )
        ],
        "assessment": korona_pb2.Assessment(
            criteria=[
                korona_pb2.CriterionAnswer(
                    criterion=korona_pb2.CRITERION_SUPPORTS_COVID_WORK, met=True, reason="Ja"
                ),
                korona_pb2.CriterionAnswer(
                    criterion=korona_pb2.CRITERION_NO_OVERLAP, met=False, reason="NHN har video"
                ),
            ],
            recommendation=korona_pb2.RECOMMENDATION_PRIORITISE,
            working_group="Velferdsteknologi og avstandsoppfølging",
            assessed_at="2020-04-20T10:00:00+00:00",
            assessed_by="ola",
        ),
        "decision": korona_pb2.BoardDecision(
            decision=korona_pb2.DECISION_PRIORITISED,
            reason="Stor nytte",
            reference="PS 5/20",
            decided_at="2020-05-06T08:00:00+00:00",
        ),
        "feedback": [
            korona_pb2.Feedback(kind="received", text="Takk", sent_at="2020-04-02T08:15:00Z"),
            korona_pb2.Feedback(kind="prioritised", sent_at="2020-05-06T09:00:00Z"),
        ],
        "net_list": korona_pb2.NetListEntry(
            responsible_agency="Norsk helsenett SF",
            implementation_status=korona_pb2.IMPLEMENTATION_STATUS_BEING_INTRODUCED,
            status_since="2020-05-10T10:00:00+02:00",
        ),
        "funding": korona_pb2.Funding(allocated_nok=2_500_000, committed_nok=1_000_000),
    }
    fields.update(changes)
    return korona_pb2.Proposal(**fields)  # type: ignore[arg-type]


def test_a_proposal_as_json() -> None:
    data = proposal_json(a_proposal())
    assert data["state"] == "prioritised"
    assert data["target_groups"] == ["citizens", "health_personnel"]
    assert data["overlaps"] == [
        {"key": "netlist:abc", "kind": "netlist", "title": "Videokonsultasjon", "score": 0.812}
    ]
    assert data["assessment"]["criteria"] == [
        {"criterion": "supports_covid_work", "met": True, "reason": "Ja"},
        {"criterion": "no_overlap", "met": False, "reason": "NHN har video"},
    ]
    assert data["assessment"]["recommendation"] == "prioritise"
    assert data["assessment"]["note"] is None
    assert data["decision"] == {
        "decision": "prioritised",
        "reason": "Stor nytte",
        "reference": "PS 5/20",
        "decided_at": "2020-05-06T08:00:00+00:00",
    }
    assert data["feedback"][1] == {
        "kind": "prioritised",
        "text": None,
        "sent_at": "2020-05-06T09:00:00Z",
    }
    assert data["net_list"]["implementation_status"] == "being_introduced"
    assert data["funding"] == {
        "allocated_mnok": 2.5,
        "allocated_nok": 2_500_000,
        "committed_mnok": 1,
        "committed_nok": 1_000_000,
        "paid_mnok": 0,
        "paid_nok": 0,
    }
    assert data["promoted"] is False
    assert data["version"] == 7
    json.dumps(data)


def test_a_new_proposal_has_nulls_where_nothing_happened_yet() -> None:
    data = proposal_json(
        korona_pb2.Proposal(
            proposal_id="p", title="T", state=korona_pb2.PROPOSAL_STATE_REGISTERED, version=1
        )
    )
    assert data["state"] == "registered"
    for key in ("assessment", "decision", "net_list", "funding", "category_code", "contact"):
        assert data[key] is None, key
    assert data["feedback"] == []
    assert proposal_json(korona_pb2.Proposal(state=42))["state"] == "unknown_42"


def test_a_proposal_as_text_in_bokmal_and_norwegian_time() -> None:
    text = proposal_text(a_proposal())
    assert text.splitlines()[0] == f"Forslag {PID}: Videokonsultasjon for fastleger"
    flat = [" ".join(line.split()) for line in text.splitlines()]
    for line in (
        "Virksomhet Legesenteret AS (privat)",
        "Mottatt 2020-04-02 10:15",
        "Kategori 03 Video",
        "Målgrupper innbyggere, helsepersonell",
        "Tilstand Prioritert",
        "Overlapper ikke med tiltak i gang eller i drift Nei NHN har video",
    ):
        assert line in flat, line
    assert "Anbefaling: Prioriter" in text
    assert "Beslutning: Prioritert (PS 5/20, 2020-05-06 10:00)" in text
    assert "Nettolisten: Under innføring siden 2020-05-10 10:00, Norsk helsenett SF" in text
    assert "Midler (MNOK): tildelt 2,5, forpliktet 1, utbetalt 0" in text
    assert "0.81  nettoliste  netlist:abc" in text
    fresh = proposal_text(korona_pb2.Proposal(proposal_id="p", title="T", version=1))
    assert "Vurdering: ikke vurdert" in fresh
    assert "Tilbakemeldinger: ingen" in fresh
    assert "Midler" not in fresh


def test_times_for_people_are_norwegian() -> None:
    assert when("2020-01-15T11:00:00Z") == "2020-01-15 12:00"
    assert when("2020-07-15T11:00:00+00:00") == "2020-07-15 13:00"
    assert when("i går") == "i går"


def summaries() -> list[korona_pb2.ProposalSummary]:
    return [
        korona_pb2.ProposalSummary(
            proposal_id="a",
            title="Smittesporing i kommunene",
            organisation="Bergen kommune",
            category_code="13",
            category_name="Smittesporing",
            state=korona_pb2.PROPOSAL_STATE_REGISTERED,
            received_at="2020-03-20T09:00:00+01:00",
            overlaps=2,
        ),
        korona_pb2.ProposalSummary(
            proposal_id="b", title="Annet", state=korona_pb2.PROPOSAL_STATE_DEFERRED
        ),
    ]


def test_a_proposal_list_as_json_and_as_a_table() -> None:
    data = proposals_json(summaries(), 2)
    assert data["total"] == 2
    assert data["proposals"][0] == {
        "proposal_id": "a",
        "title": "Smittesporing i kommunene",
        "organisation": "Bergen kommune",
        "category_code": "13",
        "category_name": "Smittesporing",
        "state": "registered",
        "working_group": None,
        "received_at": "2020-03-20T09:00:00+01:00",
        "overlaps": 2,
    }
    text = proposals_text(summaries(), 2, "Ikke behandlet")
    lines = text.splitlines()
    assert lines[0] == "Ikke behandlet: 2"
    assert lines[2].split() == [
        "Id",
        "Mottatt",
        "Kategori",
        "Tilstand",
        "Arbeidsgruppe",
        "Virksomhet",
        "Tittel",
        "Likner",
    ]
    assert "2020-03-20 09:00  13        Registrert" in lines[4]
    assert lines[5].startswith("b ") and "Utsatt" in lines[5]


def test_categories_similar_and_bulk_results() -> None:
    answer = korona_pb2.ListCategoriesResponse(
        categories=[
            korona_pb2.Category(code="03", name="Video", working_group="Velferdsteknologi"),
            korona_pb2.Category(code="99B", name="Behov"),
        ]
    )
    assert categories_json(answer)["categories"][1] == {
        "code": "99B",
        "name": "Behov",
        "working_group": None,
    }
    assert "03    Video     Velferdsteknologi" in categories_text(answer)
    matches = korona_pb2.FindSimilarResponse(
        matches=[korona_pb2.Similar(key="measure:160", kind="measure", title="E-resept", score=1)]
    )
    assert similar_list_json("resept", matches)["matches"][0]["score"] == 1.0
    assert "1.00  tiltak  measure:160  E-resept" in similar_text("resept", matches)
    assert similar_text("x", korona_pb2.FindSimilarResponse()) == "Ingenting likner «x»"
    result = korona_pb2.BulkResult(changed=["a", "b"], unchanged=["c"])
    assert bulk_json(result) == {"changed": ["a", "b"], "unchanged": ["c"]}
    assert bulk_text(result, "Besluttet").splitlines() == [
        "Besluttet: 2",
        "  a",
        "  b",
        "Var det allerede (uendret): 1",
        "  c",
    ]


def test_the_net_list_and_the_envelope() -> None:
    net_list = korona_pb2.NetList(
        measures=[
            korona_pb2.NetListLine(
                proposal_id="n1",
                title="Smittestopp",
                responsible_agency="Folkehelseinstituttet",
                implementation_status=korona_pb2.IMPLEMENTATION_STATUS_IN_OPERATION,
                funding=korona_pb2.Funding(allocated_nok=12_000_000, paid_nok=1_500_000),
                promoted=True,
            ),
            korona_pb2.NetListLine(
                proposal_id="n2",
                title="Sykdomspuls",
                implementation_status=korona_pb2.IMPLEMENTATION_STATUS_PLANNED,
            ),
        ]
    )
    data = netlist_json(net_list)
    assert data["measures"][0]["implementation_status"] == "in_operation"
    assert data["measures"][0]["funding"]["paid_mnok"] == 1.5
    assert data["measures"][1]["responsible_agency"] is None
    text = netlist_text(net_list)
    assert text.splitlines()[0] == "Nettolisten: 2 tiltak (i drift 1, planlagt 1)"
    assert "I drift" in text and "1,5" in text and "Ja" in text
    envelope = korona_pb2.Envelope(
        name="Koronamidler 2020",
        total_nok=80_000_000,
        allocated_nok=12_000_000,
        paid_nok=1_500_000,
        left_nok=68_000_000,
        lines=[
            korona_pb2.FundingLine(
                proposal_id="n1",
                title="Smittestopp",
                funding=korona_pb2.Funding(allocated_nok=12_000_000),
            )
        ],
        version=3,
    )
    data = envelope_json(envelope, "my-key")
    assert (data["total_mnok"], data["left_mnok"], data["allocated_nok"]) == (80, 68, 12_000_000)
    assert data["lines"][0]["allocated_mnok"] == 12
    assert data["idempotency_key"] == "my-key"
    assert "idempotency_key" not in envelope_json(envelope)
    text = envelope_text(envelope, "my-key")
    assert text.splitlines()[:2] == [
        "Koronamidler 2020: 80 MNOK",
        "Tildelt 12, forpliktet 0, utbetalt 1,5, igjen 68 (MNOK)",
    ]
    assert "--key my-key" in text
    assert "--key" not in envelope_text(envelope)


def a_row(line: int, title: str) -> ProposalRow:
    return ProposalRow(
        line=line,
        received_at=datetime.fromisoformat("2020-04-02T10:15:00+02:00"),
        title=title,
        category_code="03",
    )


def test_how_a_proposals_import_went() -> None:
    outcome = ProposalImportOutcome(
        Path("forslag.tsv"),
        row_count=4,
        errors=[RowError(3, "received_at", "is required"), RowError(5, None, "dup")],
        taken=[
            TakenProposal(a_row(2, "A"), "p-a", "r-a", replayed=False),
            TakenProposal(a_row(4, "B"), "p-b", "r-b", replayed=True),
        ],
        categories_from="korona at x:1",
        waited=True,
    )
    assert outcome.summary() == "4 rows: 2 proposals taken (1 sent before), 2 refused"
    assert not outcome.ok
    data = proposal_import_json(outcome)
    assert {k: data[k] for k in ("rows", "taken", "new", "replayed", "refused")} == {
        "rows": 4,
        "taken": 2,
        "new": 1,
        "replayed": 1,
        "refused": 2,
    }
    assert data["proposals"][0] == {
        "line": 2,
        "proposal_id": "p-a",
        "receipt_id": "r-a",
        "replayed": False,
        "title": "A",
        "category_code": "03",
        "received_at": "2020-04-02T10:15:00+02:00",
    }
    assert data["errors"][0] == {"line": 3, "column": "received_at", "reason": "is required"}
    text = proposal_import_text(outcome)
    assert "Tatt inn: 2 (nye 1, sendt før 1)" in text
    assert "Avvist: 2" in text
    assert "Korona har dem alle, og rapporten teller dem." in text


def test_how_a_net_list_import_went() -> None:
    row = NetListRow(2, "Smittestopp", "000", "App")
    outcome = NetListImportOutcome(
        Path("nettoliste.tsv"),
        row_count=3,
        added=[OnNetList(row, "n1", True), OnNetList(NetListRow(3, "Sykdomspuls"), "n2", False)],
        errors=[RowError(4, "name", "is required")],
    )
    assert outcome.summary() == "3 rows: 2 measures on the net list (1 new), 1 refused"
    data = netlist_import_json(outcome)
    assert (data["on_net_list"], data["new"], data["refused"]) == (2, 1, 1)
    assert data["measures"][0] == {
        "line": 2,
        "proposal_id": "n1",
        "title": "Smittestopp",
        "status": "planned",
        "new": True,
    }
    text = netlist_import_text(outcome)
    assert "Smittestopp  Planlagt       ny" in text
    unknown = NetListImportOutcome(Path("x"), row_count=1, added=[OnNetList(row, "", None)])
    assert unknown.summary() == "1 rows: 1 measures on the net list (new ones not known), 0 refused"
    assert unknown.ok
