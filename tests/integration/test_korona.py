"""The corona portfolio through the gRPC APIs, with the real services on a real broker.

Proposals from anyone through intake -> registered (the backlog) with what they look like
-> categorised and routed in bulk -> assessed by a working group against the four criteria
-> decided by the board, with feedback each time -> the net list and its implementation
status -> the funding envelope (never over-allocated) -> promoted into the national
portfolio. Who may do what, and the whole path as one replayable stream.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import grpc
import pytest

from eportfolio.assessment.v1 import assessment_pb2
from eportfolio.intake.v1 import intake_pb2
from eportfolio.korona.v1 import korona_pb2 as pb
from tests.integration.conftest import OFFICE, System, caller, refused

pytestmark = [pytest.mark.integration, pytest.mark.asyncio(loop_scope="module")]

AS_OFFICE = caller(OFFICE, "office")
AS_GROUP = caller("Folkehelseinstituttet", "working_group")
AS_AUDITOR = caller("Riksrevisjonen", "auditor")
AS_NHN = caller("Norsk Helsenett", "agency")
AS_KARI = caller("Bergen kommune", "proposer", "kari")
AS_OLA = caller("Oslo kommune", "proposer", "ola")
ALL_MET = [
    pb.CriterionAnswer(criterion=c, met=True, reason="Oppfylt")
    for c in (
        pb.CRITERION_SUPPORTS_COVID_WORK,
        pb.CRITERION_BENEFIT_IN_2020,
        pb.CRITERION_FEASIBLE,
        pb.CRITERION_NO_OVERLAP,
    )
]
_keys = itertools.count()


async def propose(
    system: System, title: str, who: list[tuple[str, str]] = AS_KARI, **fields: Any
) -> str:
    """A proposal sent through intake; returns its id once korona has registered it."""
    receipt = await system.intake.SubmitProposal(
        intake_pb2.SubmitProposalRequest(
            idempotency_key=f"k-{uuid.uuid4().hex}",
            title=title,
            category_code=fields.pop("category_code", "03"),
            target_groups=fields.pop("target_groups", ["citizens"]),
            **fields,
        ),
        metadata=who,
    )
    await proposal(system, receipt.subject_id)
    return receipt.subject_id


async def proposal(system: System, pid: str, until: Any = lambda p: True) -> pb.Proposal:
    return await system.eventually(
        lambda: system.korona.GetProposal(
            pb.GetProposalRequest(proposal_id=pid), metadata=AS_OFFICE
        ),
        until,
    )


async def prioritised(system: System, title: str) -> str:
    pid = await propose(system, title)
    await system.korona.Route(pb.RouteRequest(proposal_ids=[pid]), metadata=AS_OFFICE)
    await system.korona.Assess(
        pb.AssessRequest(
            proposal_id=pid, criteria=ALL_MET, recommendation=pb.RECOMMENDATION_PRIORITISE
        ),
        metadata=AS_GROUP,
    )
    await system.korona.Decide(
        pb.DecideRequest(
            proposal_ids=[pid], decision=pb.DECISION_PRIORITISED, reason="Styret 28.04"
        ),
        metadata=AS_OFFICE,
    )
    return pid


async def test_a_proposal_gets_a_receipt_at_once_and_waits_in_the_backlog(system: System) -> None:
    pid = await propose(
        system,
        "Digital hjemmeoppfølging av covid-19-pasienter",
        description="Pasienter i karantene følges opp med målinger hjemme",
        need="Oppfølging uten oppmøte",
        proposer="Kari Nordmann",
        organisation="Bergen kommune",
        organisation_type=intake_pb2.ORGANISATION_TYPE_PUBLIC,
        contact="kari@bergen.kommune.no",
        category_code="02",
    )
    p = await proposal(system, pid)
    assert p.state == pb.PROPOSAL_STATE_REGISTERED
    assert (p.category_code, p.category_name) == ("02", "Avstandsoppfølging")
    assert p.feedback[0].kind == "received"
    assert "Takk for forslaget" in p.feedback[0].text
    backlog = await system.korona.ListProposals(
        pb.ListProposalsRequest(state=pb.PROPOSAL_STATE_REGISTERED, category_code="02"),
        metadata=AS_OFFICE,
    )
    assert pid in [s.proposal_id for s in backlog.proposals]
    # The proposer sees its own, and only its own.
    mine = await system.korona.GetProposal(pb.GetProposalRequest(proposal_id=pid), metadata=AS_KARI)
    assert mine.contact == "kari@bergen.kommune.no"
    code, _ = await refused(
        system.korona.GetProposal(pb.GetProposalRequest(proposal_id=pid), metadata=AS_OLA)
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    theirs = await system.korona.ListProposals(pb.ListProposalsRequest(), metadata=AS_OLA)
    assert pid not in [s.proposal_id for s in theirs.proposals]
    code, _ = await refused(
        system.korona.GetProposal(pb.GetProposalRequest(proposal_id="nope"), metadata=AS_OFFICE)
    )
    assert code == grpc.StatusCode.NOT_FOUND


async def test_a_proposal_hears_at_once_when_its_need_looks_covered(system: System) -> None:
    net = await system.korona.AddToNetList(
        pb.AddToNetListRequest(
            title="Videokonsultasjon direkte fra helsenorge",
            description="Innbyggere kan ha videokonsultasjon med fastlegen via helsenorge.no",
            responsible_agency="Norsk Helsenett",
            category_code="03",
            source="003 slide Nettolisten",
        ),
        metadata=AS_OFFICE,
    )
    assert net.state == pb.PROPOSAL_STATE_PRIORITISED
    again = await system.korona.AddToNetList(
        pb.AddToNetListRequest(title="Videokonsultasjon direkte fra helsenorge"), metadata=AS_OFFICE
    )
    assert again.proposal_id == net.proposal_id, "the net list is recorded once by title"
    pid = await propose(
        system,
        "Videokonsultasjoner med fastlegen for innbyggere",
        description="Tilby videokonsultasjon så pasienter slipper å møte opp",
        who=AS_OLA,
    )
    p = await proposal(system, pid)
    keys = [o.key for o in p.overlaps]
    assert f"netlist:{net.proposal_id}" in keys or f"proposal:{net.proposal_id}" in keys
    assert "allerede være dekket" in p.feedback[0].text
    assert "Videokonsultasjon direkte fra helsenorge" in p.feedback[0].text
    similar = await system.korona.FindSimilar(
        pb.FindSimilarRequest(text="video konsultasjon hos fastlege"), metadata=AS_OLA
    )
    assert similar.matches
    assert similar.matches[0].score >= similar.matches[-1].score
    code, fields = await refused(
        system.korona.FindSimilar(pb.FindSimilarRequest(text=" "), metadata=AS_OLA)
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["text"])


async def test_national_portfolio_measures_are_overlap_candidates(system: System) -> None:
    receipt = await system.intake.SubmitMeasure(
        intake_pb2.SubmitMeasureRequest(
            name="Smittesporingsapp for mobiltelefon",
            description="Frivillig app som varsler nærkontakter",
            responsible_agency="Folkehelseinstituttet",
        ),
        metadata=caller("Folkehelseinstituttet", "agency"),
    )
    key = f"measure:{receipt.subject_id}"

    async def find() -> pb.FindSimilarResponse:
        return await system.korona.FindSimilar(
            pb.FindSimilarRequest(text="app for smittesporing på mobilen"), metadata=AS_OFFICE
        )

    found = await system.eventually(find, lambda r: key in [m.key for m in r.matches])
    assert next(m for m in found.matches if m.key == key).kind == "measure"


async def test_triage_in_bulk_is_all_or_nothing_and_for_the_office(system: System) -> None:
    ids = [await propose(system, f"Forslag til triage {i}", category_code="99A") for i in range(3)]
    result = await system.korona.Categorise(
        pb.CategoriseRequest(proposal_ids=ids[:2], category_code="12", reason="Gjelder overvåking"),
        metadata=AS_OFFICE,
    )
    assert list(result.changed) == ids[:2]
    # One unknown id: nothing at all is changed.
    code, _ = await refused(
        system.korona.Categorise(
            pb.CategoriseRequest(proposal_ids=[ids[2], "ukjent"], category_code="12", reason="x"),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    assert (await proposal(system, ids[2])).category_code == "99A"
    code, fields = await refused(
        system.korona.Categorise(
            pb.CategoriseRequest(proposal_ids=ids, category_code="77", reason="x"),
            metadata=AS_OFFICE,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["category_code"])
    code, fields = await refused(
        system.korona.Categorise(pb.CategoriseRequest(category_code="12"), metadata=AS_OFFICE)
    )
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(fields) == {"proposal_ids", "reason"}
    code, _ = await refused(
        system.korona.Categorise(
            pb.CategoriseRequest(proposal_ids=ids, category_code="12", reason="x"),
            metadata=AS_KARI,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    # Routing follows the category unless a group is named.
    routed = await system.korona.Route(pb.RouteRequest(proposal_ids=ids), metadata=AS_OFFICE)
    assert list(routed.changed) == ids
    groups = {(await proposal(system, pid)).working_group for pid in ids}
    assert groups == {"Smittevern og overvåking", "Styring og kapasitet"}
    code, fields = await refused(
        system.korona.Route(
            pb.RouteRequest(proposal_ids=ids, working_group="Ukjent gruppe"), metadata=AS_OFFICE
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["working_group"])
    # Recategorising keeps the history: both categories are in the stream.
    history = system.korona_app.repository.get(system.korona_app.get_proposal(ids[0]).id)
    assert history.category_code == "12"
    assert history.version >= 4


async def test_a_working_group_assesses_against_the_four_criteria(system: System) -> None:
    pid = await propose(system, "Chatbot for helsepersonell om smittevern")
    code, fields = await refused(
        system.korona.Assess(
            pb.AssessRequest(
                proposal_id=pid, criteria=ALL_MET[:3], recommendation=pb.RECOMMENDATION_DEFER
            ),
            metadata=AS_GROUP,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["criteria"])
    not_feasible = [
        *ALL_MET[:2],
        pb.CriterionAnswer(criterion=pb.CRITERION_FEASIBLE, met=False, reason="Krever ny løsning"),
        ALL_MET[3],
    ]
    code, fields = await refused(
        system.korona.Assess(
            pb.AssessRequest(
                proposal_id=pid,
                criteria=not_feasible,
                recommendation=pb.RECOMMENDATION_PRIORITISE,
            ),
            metadata=AS_GROUP,
        )
    )
    assert (code, fields) == (grpc.StatusCode.INVALID_ARGUMENT, ["recommendation"])
    code, fields = await refused(
        system.korona.Assess(
            pb.AssessRequest(
                proposal_id=pid,
                criteria=[pb.CriterionAnswer(criterion=pb.CRITERION_FEASIBLE, met=True)],
            ),
            metadata=AS_GROUP,
        )
    )
    assert set(fields) == {"criteria[0].reason", "recommendation"}
    code, _ = await refused(
        system.korona.Assess(
            pb.AssessRequest(
                proposal_id=pid, criteria=ALL_MET, recommendation=pb.RECOMMENDATION_DEFER
            ),
            metadata=AS_KARI,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    assessed = await system.korona.Assess(
        pb.AssessRequest(
            proposal_id=pid,
            criteria=not_feasible,
            recommendation=pb.RECOMMENDATION_NOT_PRIORITISE,
            note="Dekkes av eksisterende chatbot",
        ),
        metadata=AS_GROUP,
    )
    assert assessed.state == pb.PROPOSAL_STATE_ASSESSED
    assert [c.met for c in assessed.assessment.criteria] == [True, True, False, True]
    assert assessed.assessment.recommendation == pb.RECOMMENDATION_NOT_PRIORITISE


async def test_the_board_decides_with_feedback_and_a_deferred_one_comes_back(
    system: System,
) -> None:
    pid = await propose(system, "Massevarsling på nasjonalt nivå")
    code, _ = await refused(
        system.korona.Decide(
            pb.DecideRequest(proposal_ids=[pid], decision=pb.DECISION_DEFERRED, reason="x"),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "the board decides on assessed ones"
    await system.korona.Assess(
        pb.AssessRequest(proposal_id=pid, criteria=ALL_MET, recommendation=pb.RECOMMENDATION_DEFER),
        metadata=AS_GROUP,
    )
    code, fields = await refused(
        system.korona.Decide(
            pb.DecideRequest(proposal_ids=[pid], reason="x", decided_at="i går"),
            metadata=AS_OFFICE,
        )
    )
    assert set(fields) == {"decision", "decided_at"}
    code, _ = await refused(
        system.korona.Decide(
            pb.DecideRequest(proposal_ids=[pid], decision=pb.DECISION_DEFERRED, reason="x"),
            metadata=AS_GROUP,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED, "the board's decisions go through the office"
    decided = await system.korona.Decide(
        pb.DecideRequest(
            proposal_ids=[pid],
            decision=pb.DECISION_DEFERRED,
            reason="Avventer nasjonal avklaring.",
            reference="Prioriteringsstyret 2020-04-28",
            decided_at="2020-04-28T14:00:00+02:00",
        ),
        metadata=AS_OFFICE,
    )
    assert list(decided.changed) == [pid]
    p = await proposal(system, pid)
    assert p.state == pb.PROPOSAL_STATE_DEFERRED
    assert p.decision.reference == "Prioriteringsstyret 2020-04-28"
    assert [f.kind for f in p.feedback] == ["received", "deferred"]
    assert "Avventer nasjonal avklaring." in p.feedback[1].text
    reopened = await system.korona.Reopen(
        pb.ReopenRequest(proposal_id=pid, reason="Ny avklaring fra HOD"), metadata=AS_OFFICE
    )
    assert reopened.state == pb.PROPOSAL_STATE_IN_ASSESSMENT
    assert reopened.feedback[-1].kind == "reopened"
    code, _ = await refused(
        system.korona.Reopen(pb.ReopenRequest(proposal_id=pid, reason="igjen"), metadata=AS_OFFICE)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    message = await system.korona.GiveFeedback(
        pb.GiveFeedbackRequest(proposal_id=pid, kind="message", text="Vi trenger mer informasjon."),
        metadata=AS_GROUP,
    )
    assert message.feedback[-1].text == "Vi trenger mer informasjon."
    code, fields = await refused(
        system.korona.GiveFeedback(
            pb.GiveFeedbackRequest(proposal_id=pid, kind="brev"), metadata=AS_GROUP
        )
    )
    assert fields == ["kind"]


async def test_the_net_list_and_its_implementation_status(system: System) -> None:
    pid = await prioritised(system, "Prøvesvar for innbygger på helsenorge")
    p = await proposal(system, pid)
    assert p.net_list.implementation_status == pb.IMPLEMENTATION_STATUS_PLANNED
    assert p.feedback[-1].kind == "prioritised"
    set_by_office = await system.korona.SetImplementationStatus(
        pb.SetImplementationStatusRequest(
            proposal_id=pid,
            status=pb.IMPLEMENTATION_STATUS_BEING_INTRODUCED,
            responsible_agency="Norsk Helsenett",
        ),
        metadata=AS_OFFICE,
    )
    assert set_by_office.net_list.responsible_agency == "Norsk Helsenett"
    by_agency = await system.korona.SetImplementationStatus(
        pb.SetImplementationStatusRequest(
            proposal_id=pid, status=pb.IMPLEMENTATION_STATUS_INTRODUCED
        ),
        metadata=AS_NHN,
    )
    assert by_agency.net_list.implementation_status == pb.IMPLEMENTATION_STATUS_INTRODUCED
    code, _ = await refused(
        system.korona.SetImplementationStatus(
            pb.SetImplementationStatusRequest(
                proposal_id=pid, status=pb.IMPLEMENTATION_STATUS_IN_OPERATION
            ),
            metadata=caller("Helse Vest RHF", "agency"),
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, fields = await refused(
        system.korona.SetImplementationStatus(
            pb.SetImplementationStatusRequest(proposal_id=pid), metadata=AS_OFFICE
        )
    )
    assert fields == ["status"]
    undecided = await propose(system, "Ikke prioritert ennå")
    code, _ = await refused(
        system.korona.SetImplementationStatus(
            pb.SetImplementationStatusRequest(
                proposal_id=undecided, status=pb.IMPLEMENTATION_STATUS_PLANNED
            ),
            metadata=AS_OFFICE,
        )
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    netlist = await system.korona.ListNetList(pb.ListNetListRequest(), metadata=AS_AUDITOR)
    line = next(m for m in netlist.measures if m.proposal_id == pid)
    assert line.implementation_status == pb.IMPLEMENTATION_STATUS_INTRODUCED


async def test_the_envelope_is_never_over_allocated_and_a_retry_changes_nothing(
    system: System,
) -> None:
    a = await prioritised(system, "Selvhjelpsverktøy psykisk helse")
    b = await prioritised(system, "Sykdomspuls til alle kommuner")
    before = await system.korona.GetEnvelope(pb.GetEnvelopeRequest(), metadata=AS_OFFICE)
    assert before.total_nok == 80_000_000

    def change(kind: int, pid: str, amount: int, key: str = "") -> Any:
        return system.korona.ChangeFunding(
            pb.ChangeFundingRequest(
                idempotency_key=key or f"f-{next(_keys)}-{uuid.uuid4().hex}",
                change=kind,
                proposal_id=pid,
                amount_nok=amount,
                reason="Tildeling fra styret",
            ),
            metadata=AS_OFFICE,
        )

    left = before.left_nok
    first = await change(pb.FUNDING_CHANGE_ALLOCATE, a, left - 10_000_000, key="alloc-a")
    retried = await change(pb.FUNDING_CHANGE_ALLOCATE, a, left - 10_000_000, key="alloc-a")
    assert retried.allocated_nok == first.allocated_nok, "a retry is not a second allocation"
    assert first.left_nok == 10_000_000
    code, _ = await refused(change(pb.FUNDING_CHANGE_ALLOCATE, b, 10_000_001))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    await change(pb.FUNDING_CHANGE_ALLOCATE, b, 10_000_000)
    code, _ = await refused(change(pb.FUNDING_CHANGE_ALLOCATE, b, 1))
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "the envelope is used up"
    code, _ = await refused(change(pb.FUNDING_CHANGE_COMMIT, b, 10_000_001))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    await change(pb.FUNDING_CHANGE_COMMIT, b, 6_000_000)
    code, _ = await refused(change(pb.FUNDING_CHANGE_PAY, b, 6_000_001))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    await change(pb.FUNDING_CHANGE_PAY, b, 2_500_000)
    code, _ = await refused(change(pb.FUNDING_CHANGE_RELEASE, b, 4_000_001))
    assert code == grpc.StatusCode.FAILED_PRECONDITION, "committed money is not released"
    released = await change(pb.FUNDING_CHANGE_RELEASE, b, 4_000_000)
    assert (released.allocated_nok, released.committed_nok, released.paid_nok) == (
        before.allocated_nok + left - 10_000_000 + 6_000_000,
        before.committed_nok + 6_000_000,
        before.paid_nok + 2_500_000,
    )
    assert released.left_nok == 4_000_000
    line = next(x for x in released.lines if x.proposal_id == b)
    assert (line.title, line.funding.allocated_nok) == ("Sykdomspuls til alle kommuner", 6_000_000)
    unprioritised = await propose(system, "Ikke prioritert: ingen penger")
    code, _ = await refused(change(pb.FUNDING_CHANGE_ALLOCATE, unprioritised, 1))
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    code, fields = await refused(
        system.korona.ChangeFunding(
            pb.ChangeFundingRequest(proposal_id=b, amount_nok=-5), metadata=AS_OFFICE
        )
    )
    assert set(fields) == {"change", "amount_nok", "reason"}
    code, _ = await refused(
        system.korona.ChangeFunding(
            pb.ChangeFundingRequest(
                change=pb.FUNDING_CHANGE_PAY, proposal_id=b, amount_nok=1, reason="x"
            ),
            metadata=AS_GROUP,
        )
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED
    code, _ = await refused(system.korona.GetEnvelope(pb.GetEnvelopeRequest(), metadata=AS_KARI))
    assert code == grpc.StatusCode.PERMISSION_DENIED


async def test_a_prioritised_measure_is_promoted_and_its_path_is_one_stream(
    system: System,
) -> None:
    pid = await propose(system, "Elektronisk innmelding til MSIS labdatabase")
    await system.korona.Categorise(
        pb.CategoriseRequest(proposal_ids=[pid], category_code="17", reason="Prøvesvar"),
        metadata=AS_OFFICE,
    )
    await system.korona.Route(pb.RouteRequest(proposal_ids=[pid]), metadata=AS_OFFICE)
    await system.korona.Assess(
        pb.AssessRequest(
            proposal_id=pid, criteria=ALL_MET, recommendation=pb.RECOMMENDATION_PRIORITISE
        ),
        metadata=AS_GROUP,
    )
    await system.korona.Decide(
        pb.DecideRequest(proposal_ids=[pid], decision=pb.DECISION_PRIORITISED, reason="Ja"),
        metadata=AS_OFFICE,
    )
    await system.korona.ChangeFunding(
        pb.ChangeFundingRequest(
            idempotency_key=f"msis-{uuid.uuid4().hex}",
            change=pb.FUNDING_CHANGE_ALLOCATE,
            proposal_id=pid,
            amount_nok=1,
            reason="Tildelt av styret",
        ),
        metadata=AS_OFFICE,
    )
    code, fields = await refused(
        system.korona.Promote(pb.PromoteRequest(proposal_id=pid), metadata=AS_OFFICE)
    )
    assert fields == ["responsible_agency"], "the measure needs an owner first"
    await system.korona.SetImplementationStatus(
        pb.SetImplementationStatusRequest(
            proposal_id=pid,
            status=pb.IMPLEMENTATION_STATUS_IN_OPERATION,
            responsible_agency="Folkehelseinstituttet",
        ),
        metadata=AS_OFFICE,
    )
    promoted = await system.korona.Promote(
        pb.PromoteRequest(proposal_id=pid, note="Varig nasjonalt tiltak"), metadata=AS_OFFICE
    )
    assert promoted.promoted
    code, _ = await refused(
        system.korona.Promote(pb.PromoteRequest(proposal_id=pid), metadata=AS_OFFICE)
    )
    assert code == grpc.StatusCode.FAILED_PRECONDITION

    async def registered() -> list[assessment_pb2.Measure]:
        found = []
        for measure_id in range(9000, 9010):
            try:
                found.append(
                    await system.assessment.GetMeasure(
                        assessment_pb2.GetMeasureRequest(measure_id=measure_id), metadata=AS_OFFICE
                    )
                )
            except grpc.aio.AioRpcError:
                break
        return found

    measures = await system.eventually(
        registered, lambda ms: any(m.name == promoted.title for m in ms)
    )
    measure = next(m for m in measures if m.name == promoted.title)
    assert measure.responsible_agency == "Folkehelseinstituttet"
    assert "Varig nasjonalt tiltak" in measure.description

    # The whole path, replayed from korona's store: who did what, in order.
    app = system.korona_app
    events = list(app.events.get(app.get_proposal(pid).id))
    kinds = [type(e).__name__ for e in events]
    assert kinds[0] == "Registered"
    path = ("Categorised", "Routed", "Assessed", "Decided", "FundingRecorded")
    assert [k for k in kinds if k in path] == list(path)
    assert kinds.index("FundingRecorded") < kinds.index("ImplementationStatusSet")
    assert kinds[-1] == "Promoted"
    funded = next(e for e in events if type(e).__name__ == "FundingRecorded")
    assert (funded.change, funded.amount_nok, funded.reason) == ("allocate", 1, "Tildelt av styret")
    roles = {type(e).__name__: e.meta["role"] for e in events}
    assert (roles["Registered"], roles["Assessed"], roles["Decided"]) == (
        "proposer",
        "working_group",
        "office",
    )
    assert [e.originator_version for e in events] == list(range(1, len(events) + 1))
