"""Every command RPC of korona is idempotent by its key, on memory, SQLite, PostgreSQL.

The servicer is called directly (as the gRPC server does, inside the caller's metadata):
a retry with the same key answers an equal response and stores nothing; the same key with
another request is refused (FAILED_PRECONDITION, as intake does); a commit that landed but
was reported as failed (the store raises after committing, as PostgreSQL's ambiguous
commits do, STACK_NOTES "Connection drops") answers the original result, with one effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from backbone.domain import EventMeta, acting_as
from backbone.errors import ConflictError
from backbone.idempotency import REUSED_KEY
from backbone.sinks import EventSourcedSink
from eportfolio.korona.v1 import korona_pb2 as pb
from korona.adapters.grpc_api import KoronaServicer
from korona.adapters.intake_events import ProposalArrivals
from korona.application import KoronaApplication
from korona.domain import FundingEnvelope, Proposal
from korona.domain.envelope import KORONA_2020
from korona.domain.proposal import Decision, ImplementationStatus, Recommendation

pytestmark = pytest.mark.integration

OFFICE = EventMeta(agency="Direktoratet for e-helse", user="kari", role="office")
PID = "p-1"
CRITERIA = ("supports_covid_work", "benefit_in_2020", "feasible", "no_overlap")
ALL_MET = [
    pb.CriterionAnswer(criterion=c, met=True, reason="Oppfylt")
    for c in (
        pb.CRITERION_SUPPORTS_COVID_WORK,
        pb.CRITERION_BENEFIT_IN_2020,
        pb.CRITERION_FEASIBLE,
        pb.CRITERION_NO_OVERLAP,
    )
]


def _routed(app: KoronaApplication) -> None:
    app.route([PID], "", "")


def _assessed(app: KoronaApplication, recommendation: Recommendation) -> None:
    _routed(app)
    answers = [{"criterion": c, "met": True, "reason": "ja"} for c in CRITERIA]
    app.assess(PID, answers, recommendation, "")


def _decided(app: KoronaApplication, decision: Decision) -> None:
    recommendation = {
        Decision.PRIORITISED: Recommendation.PRIORITISE,
        Decision.DEFERRED: Recommendation.DEFER,
    }[decision]
    _assessed(app, recommendation)
    app.decide([PID], decision, "styret", "PS 1", None)


def _prioritised(app: KoronaApplication) -> None:
    _decided(app, Decision.PRIORITISED)


def _on_the_net_list(app: KoronaApplication) -> None:
    _prioritised(app)
    app.set_implementation_status(PID, ImplementationStatus.PLANNED, "Norsk Helsenett", "")


@dataclass(frozen=True)
class Command:
    request: Callable[[], Any]
    prepare: Callable[[KoronaApplication], None]
    other: dict[str, Any]
    """A change that makes it another request."""
    effect: int
    """Events the command stores (beside its receipt)."""


COMMANDS: dict[str, Command] = {
    "Categorise": Command(
        lambda: pb.CategoriseRequest(proposal_ids=[PID], category_code="02", reason="feil"),
        lambda app: None,
        {"category_code": "17"},
        1,
    ),
    "Route": Command(
        lambda: pb.RouteRequest(proposal_ids=[PID]), lambda app: None, {"reason": "x"}, 1
    ),
    "Assess": Command(
        lambda: pb.AssessRequest(
            proposal_id=PID, criteria=ALL_MET, recommendation=pb.RECOMMENDATION_PRIORITISE
        ),
        _routed,
        {"note": "annen"},
        1,
    ),
    "Decide": Command(
        lambda: pb.DecideRequest(
            proposal_ids=[PID], decision=pb.DECISION_PRIORITISED, reason="Styret 28.04"
        ),
        lambda app: _assessed(app, Recommendation.PRIORITISE),
        {"reference": "PS 2"},
        2,  # the decision and the feedback to the proposer
    ),
    "Reopen": Command(
        lambda: pb.ReopenRequest(proposal_id=PID, reason="nye opplysninger"),
        lambda app: _decided(app, Decision.DEFERRED),
        {"reason": "noe annet"},
        2,  # reopened, and the feedback
    ),
    "GiveFeedback": Command(
        lambda: pb.GiveFeedbackRequest(proposal_id=PID, kind="message", text="Takk"),
        lambda app: None,
        {"text": "Takk igjen"},
        1,
    ),
    "SetImplementationStatus": Command(
        lambda: pb.SetImplementationStatusRequest(
            proposal_id=PID,
            status=pb.IMPLEMENTATION_STATUS_BEING_INTRODUCED,
            responsible_agency="Norsk Helsenett",
        ),
        _prioritised,
        {"note": "x"},
        1,
    ),
    "AddToNetList": Command(
        lambda: pb.AddToNetListRequest(title="Smittestopp", source="002 §5.2.2"),
        lambda app: None,
        {"title": "Noe annet"},
        4,  # registered, routed, assessed, decided (no overlaps found)
    ),
    "Promote": Command(
        lambda: pb.PromoteRequest(proposal_id=PID, note="inn i porteføljen"),
        _on_the_net_list,
        {"note": "x"},
        1,
    ),
    "ChangeFunding": Command(
        lambda: pb.ChangeFundingRequest(
            change=pb.FUNDING_CHANGE_ALLOCATE, proposal_id=PID, amount_nok=1_000, reason="tildelt"
        ),
        _prioritised,
        {"amount_nok": 2_000},
        2,  # the envelope's change and the proposal's funding
    ),
}


@pytest.fixture
def app(korona_app: KoronaApplication, deliver: Any, proposed: Any) -> Any:
    sink = EventSourcedSink(korona_app, ProposalArrivals(korona_app).handle)
    sink.apply("intake:proposals:0", 1, [deliver(proposed(PID, category_code="03"))])
    return korona_app


def keyed(method: str, key: str, **changes: Any) -> Any:
    request = COMMANDS[method].request()
    request.idempotency_key = key
    for name, value in changes.items():
        setattr(request, name, value)
    return request


async def send(app: KoronaApplication, method: str, request: Any) -> Any:
    with acting_as(OFFICE):
        return await getattr(KoronaServicer(app), method)(request, None)


def stored(app: KoronaApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=10_000))


def subjects(answer: Any) -> list[UUID]:
    """The aggregates a command's answer is about."""
    if isinstance(answer, pb.Envelope):
        return [FundingEnvelope.create_id(KORONA_2020), Proposal.create_id(PID)]
    if isinstance(answer, pb.BulkResult):
        return [Proposal.create_id(p) for p in [*answer.changed, *answer.unchanged]]
    return [Proposal.create_id(answer.proposal_id)]


def events_of(app: KoronaApplication, ids: list[UUID]) -> int:
    return sum(len(app.recorder.select_events(i)) for i in ids)


@contextmanager
def commit_then_fail(app: KoronaApplication, error: type[PersistenceError]) -> Iterator[None]:
    """The next insert commits, then the store reports ``error`` (an ambiguous commit)."""
    recorder: Any = app.recorder
    insert = recorder.insert_events
    calls: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        result = insert(*args, **kwargs)
        if not calls:
            calls.append(1)
            raise error("the connection dropped after the commit")
        return result

    recorder.insert_events = flaky
    try:
        yield
    finally:
        recorder.insert_events = insert
    assert calls, "the command stored something"


@pytest.mark.parametrize("method", list(COMMANDS))
async def test_a_retry_with_the_same_key_answers_the_first_result_once(
    app: KoronaApplication, method: str
) -> None:
    with acting_as(OFFICE):
        COMMANDS[method].prepare(app)
    before = stored(app)
    first = await send(app, method, keyed(method, "k-1"))
    assert stored(app) == before + COMMANDS[method].effect + 1  # and its receipt
    after_first = (stored(app), events_of(app, subjects(first)))

    retry = await send(app, method, keyed(method, "k-1"))
    assert retry == first
    assert (stored(app), events_of(app, subjects(first))) == after_first  # nothing again
    with pytest.raises(ConflictError, match=REUSED_KEY):  # the key, for another request
        await send(app, method, keyed(method, "k-1", **COMMANDS[method].other))
    assert stored(app) == after_first[0]


@pytest.mark.parametrize("method", list(COMMANDS))
@pytest.mark.parametrize("error", [IntegrityError, OperationalError])
async def test_a_commit_reported_as_failed_answers_the_original_result_once(
    app: KoronaApplication, method: str, error: type[PersistenceError]
) -> None:
    """IntegrityError: the library re-inserted what it had committed; the call itself
    answers from the receipt. OperationalError: the call fails (UNAVAILABLE) and the
    client's retry with the same key answers the original result."""
    with acting_as(OFFICE):
        COMMANDS[method].prepare(app)
    before = stored(app)
    with commit_then_fail(app, error):
        if error is IntegrityError:
            answer = await send(app, method, keyed(method, "k-1"))
        else:
            with pytest.raises(OperationalError):
                await send(app, method, keyed(method, "k-1"))
            answer = await send(app, method, keyed(method, "k-1"))
    assert stored(app) == before + COMMANDS[method].effect + 1, "one effect and one receipt"
    assert answer == await send(app, method, keyed(method, "k-1"))
    assert stored(app) == before + COMMANDS[method].effect + 1


async def test_a_bulk_retry_after_later_changes_answers_what_the_first_call_did(
    app: KoronaApplication, deliver: Any, proposed: Any
) -> None:
    EventSourcedSink(app, ProposalArrivals(app).handle).apply(
        "intake:proposals:0", 2, [deliver(proposed("p-2", category_code="03"))]
    )
    with acting_as(OFFICE):
        app.route(["p-2"], "", "")
    request = pb.RouteRequest(proposal_ids=[PID, "p-2"], idempotency_key="route")
    first = await send(app, "Route", request)
    assert (list(first.changed), list(first.unchanged)) == ([PID], ["p-2"])
    await send(app, "Categorise", keyed("Categorise", "cat"))
    assert await send(app, "Route", request) == first


async def test_a_retried_decision_is_not_refused_as_decided_already(app: KoronaApplication) -> None:
    """Without keys a retry of a committed decision met "decided already" or a second
    feedback; with the key it answers the first result."""
    with acting_as(OFFICE):
        _assessed(app, Recommendation.PRIORITISE)
    with commit_then_fail(app, OperationalError), pytest.raises(OperationalError):
        await send(app, "Decide", keyed("Decide", "d"))
    retry = await send(app, "Decide", keyed("Decide", "d"))
    assert (list(retry.changed), list(retry.unchanged)) == ([PID], [])
    feedback = [f["kind"] for f in app.get_proposal(PID).feedback]
    assert feedback.count("prioritised") == 1


async def test_a_funding_retry_answers_the_envelope_as_it_was_after_the_change(
    app: KoronaApplication,
) -> None:
    with acting_as(OFFICE):
        _prioritised(app)
    first = await send(app, "ChangeFunding", keyed("ChangeFunding", "a"))
    later = await send(app, "ChangeFunding", keyed("ChangeFunding", "b", amount_nok=5))
    assert later.allocated_nok == first.allocated_nok + 5
    assert await send(app, "ChangeFunding", keyed("ChangeFunding", "a")) == first


async def test_concurrent_decisions_with_one_key_decide_once_and_answer_alike(
    app: KoronaApplication,
) -> None:
    """A loser that loads after the winner committed would meet "decided already" (or
    decide nothing): it answers from the winner's receipt instead."""
    with acting_as(OFFICE):
        _assessed(app, Recommendation.PRIORITISE)
    answers = await asyncio.gather(*(send(app, "Decide", keyed("Decide", "d")) for _ in range(4)))
    assert all(a == answers[0] for a in answers)
    assert (list(answers[0].changed), list(answers[0].unchanged)) == ([PID], [])
    assert [f["kind"] for f in app.get_proposal(PID).feedback].count("prioritised") == 1
