"""A proposal's path: triage, assessment, the board, feedback, the net list, promotion."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from backbone.domain import EventMeta, acting_as
from backbone.errors import ConflictError, ValidationError
from korona.domain import Proposal
from korona.domain.feedback import feedback_text, overlap_note
from korona.domain.proposal import Decision, ImplementationStatus, Recommendation, State

AT = datetime(2020, 4, 28, 12, 0, tzinfo=UTC)
CRITERIA = ("supports_covid_work", "benefit_in_2020", "feasible", "no_overlap")


def a_proposal() -> Proposal:
    return Proposal(
        proposal_id="p-1",
        title="Prøvesvar til innbyggere",
        description="",
        proposer="Kari",
        organisation="FHI",
        organisation_type="public",
        contact="",
        need="",
        target_groups=["citizens"],
        category_code="17",
        received_at=datetime(2020, 4, 1, tzinfo=UTC),
        receipt_id="r-1",
    )


def answers(met: bool = True, **reasons: str) -> list[dict[str, Any]]:
    return [{"criterion": c, "met": met, "reason": reasons.get(c, "begrunnet")} for c in CRITERIA]


def assessed(recommendation: Recommendation = Recommendation.PRIORITISE) -> Proposal:
    p = a_proposal()
    p.route("Samhandling og helsepersonell", "")
    p.assess(answers(), recommendation, "", "", AT)
    return p


def test_routing_takes_it_out_of_the_backlog_and_recategorising_keeps_both() -> None:
    p = a_proposal()
    assert p.state is State.REGISTERED
    assert p.categorise("09", "Samhandling mellom helseaktører", "feil kategori")
    assert not p.categorise("09", "Samhandling mellom helseaktører", "igjen")
    assert p.route("Samhandling og helsepersonell", "")
    assert p.state is State.IN_ASSESSMENT
    kinds = [type(e).__name__ for e in p.collect_events()]
    assert kinds == ["Registered", "Categorised", "Routed"]


def test_an_assessment_answers_every_criterion_with_a_reason() -> None:
    p = a_proposal()
    with pytest.raises(ValidationError) as missing:
        p.assess(answers()[:3], Recommendation.DEFER, "", "", AT)
    assert "no_overlap" in missing.value.message
    with pytest.raises(ValidationError) as no_reason:
        p.assess(answers(feasible=" "), Recommendation.DEFER, "", "", AT)
    assert [v.field for v in no_reason.value.violations] == ["criteria[2].reason"]
    with pytest.raises(ValidationError):
        p.assess(answers(met=False), Recommendation.PRIORITISE, "", "", AT)
    p.assess(answers(met=False), Recommendation.NOT_PRIORITISE, "", "", AT)
    assert p.state is State.ASSESSED


def test_the_board_decides_on_assessed_proposals_only_and_a_decision_can_be_revisited() -> None:
    p = a_proposal()
    with pytest.raises(ConflictError):
        p.decide(Decision.PRIORITISED, "ja", "", AT)
    p = assessed(Recommendation.DEFER)
    assert p.decide(Decision.DEFERRED, "venter", "PS 28.04", AT)
    assert p.state is State.DEFERRED
    with pytest.raises(ConflictError):
        p.assess(answers(), Recommendation.PRIORITISE, "", "", AT)
    p.reopen("tas opp igjen")
    assert p.state is State.IN_ASSESSMENT
    assert p.decision is None
    p.assess(answers(), Recommendation.PRIORITISE, "", "", AT)
    assert p.decide(Decision.PRIORITISED, "ja", "PS 05.05", AT)
    assert not p.decide(Decision.PRIORITISED, "ja", "PS 05.05", AT)
    with pytest.raises(ConflictError):
        p.reopen("nei")


def test_a_prioritised_measure_is_on_the_net_list_and_promoted_once() -> None:
    p = assessed()
    with pytest.raises(ConflictError):
        p.set_implementation_status(ImplementationStatus.INTRODUCED, "NHN", "", AT)
    p.decide(Decision.PRIORITISED, "ja", "", AT)
    assert p.implementation_status is ImplementationStatus.PLANNED
    with pytest.raises(ValidationError):
        p.promote("")
    assert p.set_implementation_status(ImplementationStatus.INTRODUCED, "NHN", "", AT)
    assert not p.set_implementation_status(ImplementationStatus.INTRODUCED, "", "", AT)
    p.promote("varig")
    with pytest.raises(ConflictError):
        p.promote("igjen")


def test_feedback_counts_the_first_real_answer_and_keeps_who() -> None:
    office = EventMeta(agency="Direktoratet for e-helse", user="anne", role="office")
    p = a_proposal()
    assert not p.give_feedback("received", "takk", AT)
    with acting_as(office):
        assert p.give_feedback("message", "mer info", AT)
        assert not p.give_feedback("message", "enda mer", AT)
    events = p.collect_events()
    assert events[-1].meta["user"] == "anne"
    assert [e.first for e in events[1:]] == [False, True, False]


def test_feedback_templates_speak_bokmal_and_name_what_covers_a_need() -> None:
    text = feedback_text("not_prioritised", "Chatbot", reason="Dekket av helsenorge.")
    assert text.startswith("Forslaget «Chatbot» er vurdert, men ikke prioritert nå.")
    assert "Dekket av helsenorge." in text
    with pytest.raises(ValidationError):
        feedback_text("message", "x")
    with pytest.raises(ValidationError):
        feedback_text("brev", "x")
    note = overlap_note(
        [
            {"kind": "proposal", "title": "Et annet forslag"},
            {"kind": "netlist", "title": "Videokonsultasjon"},
        ]
    )
    assert note == " Behovet kan allerede være dekket av tiltak som er i gang: «Videokonsultasjon»."
    assert overlap_note([{"kind": "proposal", "title": "x"}]) == ""
