"""Every command RPC of assessment is idempotent by its key, on memory, SQLite, PostgreSQL.

The servicer is called directly (as the gRPC server does, inside the caller's metadata):
a retry with the same key answers an equal measure and stores nothing; the same key with
another request is refused (FAILED_PRECONDITION, as intake does); a commit that landed but
was reported as failed (the store raises after committing, as PostgreSQL's ambiguous
commits do, STACK_NOTES "Connection drops") answers the original result, with one effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError, OperationalError, PersistenceError

from assessment.adapters import audit
from assessment.adapters.grpc_api import AssessmentServicer
from assessment.adapters.intake_events import handle
from assessment.adapters.published import translate
from assessment.application import AssessmentApplication
from assessment.domain import Measure
from backbone.audit.trail import AuditTrail, held_at_by
from backbone.domain import EventMeta, acting_as
from backbone.errors import ConflictError, ValidationError
from backbone.idempotency import REUSED_KEY, CommandReceipt
from backbone.sinks import EventSourcedSink
from eportfolio.assessment.v1 import assessment_pb2 as pb
from eportfolio.common.v1 import common_pb2

pytestmark = pytest.mark.integration

OFFICE = EventMeta(agency="Direktoratet for e-helse", user="kari", role="office")
NEW, ACTIVE = 7, 8
"""A submitted measure (to assess, include, reject) and one in the portfolio since 2024-01."""
CRITERIA = ("digitalisation", "several_actors", "reuse_or_national")


def _assessed(app: AssessmentApplication) -> None:
    app.assess(NEW, "2020", [{"criterion": c, "met": True, "reason": "ja"} for c in CRITERIA])


# method -> (the request, what has to happen first on the application)
COMMANDS: dict[str, tuple[Callable[[], Any], Callable[[AssessmentApplication], None]]] = {
    "AssessMeasure": (
        lambda: pb.AssessMeasureRequest(
            measure_id=NEW,
            criteria_version="2020",
            results=[pb.CriterionResult(criterion=c, met=True, reason="ja") for c in CRITERIA],
        ),
        lambda app: None,
    ),
    "IncludeMeasure": (
        lambda: pb.IncludeMeasureRequest(
            measure_id=NEW, segment=common_pb2.SEGMENT_SAMSTYRE, period="2024-03", decision="s1"
        ),
        _assessed,
    ),
    "RejectMeasure": (
        lambda: pb.RejectMeasureRequest(measure_id=NEW, reason="overlapper"),
        lambda app: None,
    ),
    "MoveMeasure": (
        lambda: pb.MoveMeasureRequest(
            measure_id=ACTIVE, to=common_pb2.SEGMENT_INSPIRERE, reason="mindre", period="2024-06"
        ),
        lambda app: None,
    ),
    "CompleteMeasure": (
        lambda: pb.CompleteMeasureRequest(
            measure_id=ACTIVE, period="2024-06", way_forward="Forvaltning"
        ),
        lambda app: None,
    ),
    "PauseMeasure": (
        lambda: pb.PauseMeasureRequest(measure_id=ACTIVE, period="2024-06", reason="venter"),
        lambda app: None,
    ),
    "WithdrawMeasure": (
        lambda: pb.WithdrawMeasureRequest(measure_id=ACTIVE, period="2024-06", reason="trukket"),
        lambda app: None,
    ),
    "RemindMeasure": (
        lambda: pb.RemindMeasureRequest(measure_id=ACTIVE, period="2024-03", deadline="2024-04-15"),
        lambda app: None,
    ),
}


@pytest.fixture
def app(assessment_app: AssessmentApplication, deliver: Any, submitted: Any) -> Any:
    batch = [deliver(submitted(NEW, in_portfolio_since=None)), deliver(submitted(ACTIVE))]
    EventSourcedSink(assessment_app, handle).apply("intake:measures:0", 2, batch)
    return assessment_app


def stored(app: AssessmentApplication) -> int:
    return len(app.recorder.select_notifications(start=1, limit=10_000))


def events_of(app: AssessmentApplication, measure_id: int) -> int:
    return len(app.recorder.select_events(Measure.create_id(measure_id)))


async def send(app: AssessmentApplication, method: str, request: Any) -> pb.Measure:
    with acting_as(OFFICE):
        answer: pb.Measure = await getattr(AssessmentServicer(app), method)(request, None)
        return answer


@contextmanager
def commit_then_fail(app: AssessmentApplication, error: type[PersistenceError]) -> Iterator[None]:
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


def keyed(method: str, key: str, **changes: Any) -> Any:
    request = COMMANDS[method][0]()
    request.idempotency_key = key
    for name, value in changes.items():
        setattr(request, name, value)
    return request


@pytest.mark.parametrize("method", list(COMMANDS))
async def test_a_retry_with_the_same_key_answers_the_first_result_once(
    app: AssessmentApplication, method: str
) -> None:
    with acting_as(OFFICE):
        COMMANDS[method][1](app)
    first = await send(app, method, keyed(method, "k-1"))
    subject = first.measure_id
    after_first = (stored(app), events_of(app, subject))

    retry = await send(app, method, keyed(method, "k-1"))
    assert retry == first
    assert (stored(app), events_of(app, subject)) == after_first  # nothing stored again
    with pytest.raises(ConflictError, match=REUSED_KEY):  # the key, for another request
        await send(app, method, keyed(method, "k-1", measure_id=999))
    assert stored(app) == after_first[0]


@pytest.mark.parametrize("method", list(COMMANDS))
@pytest.mark.parametrize("error", [IntegrityError, OperationalError])
async def test_a_commit_reported_as_failed_answers_the_original_result_once(
    app: AssessmentApplication, method: str, error: type[PersistenceError]
) -> None:
    """IntegrityError: the library re-inserted what it had committed; the call itself
    answers from the receipt. OperationalError: the call fails (UNAVAILABLE) and the
    client's retry with the same key answers the original result."""
    with acting_as(OFFICE):
        COMMANDS[method][1](app)
    request = keyed(method, "k-1")
    before = (stored(app), events_of(app, request.measure_id))
    with commit_then_fail(app, error):
        if error is IntegrityError:
            answer = await send(app, method, request)
        else:
            with pytest.raises(OperationalError):
                await send(app, method, request)
            answer = await send(app, method, keyed(method, "k-1"))
    assert (stored(app), events_of(app, request.measure_id)) == (before[0] + 2, before[1] + 1)
    assert answer.version == before[1] + 1, "one effect: the measure's event and a receipt"
    assert answer == await send(app, method, keyed(method, "k-1"))
    assert stored(app) == before[0] + 2


async def test_without_a_key_an_ambiguous_commit_still_has_one_effect(
    app: AssessmentApplication,
) -> None:
    """No key: a fresh one (like intake), so the server still finds its own receipt."""
    with commit_then_fail(app, IntegrityError):
        answer = await send(app, "PauseMeasure", keyed("PauseMeasure", ""))
    assert (answer.lifecycle, answer.version, events_of(app, ACTIVE)) == ("paused", 2, 2)
    receipts = [
        n
        for n in app.recorder.select_notifications(start=1, limit=100)
        if "CommandReceipt" in n.topic
    ]
    assert len(receipts) == 1
    receipt: CommandReceipt = app.repository.get(receipts[0].originator_id)
    assert len(receipt.idempotency_key) == 32
    assert receipt.produced == {str(Measure.create_id(ACTIVE)): [1, 2]}


async def test_a_retry_after_later_changes_answers_the_measure_as_the_command_left_it(
    app: AssessmentApplication,
) -> None:
    moved = await send(app, "MoveMeasure", keyed("MoveMeasure", "move"))
    paused = await send(app, "PauseMeasure", keyed("PauseMeasure", "pause"))
    assert (moved.lifecycle, paused.lifecycle) == ("active", "paused")
    retry = await send(app, "MoveMeasure", keyed("MoveMeasure", "move"))
    assert retry == moved
    assert app.get_measure(ACTIVE).version == paused.version == 3


async def test_a_refused_command_stores_nothing_and_is_refused_the_same_on_retry(
    app: AssessmentApplication,
) -> None:
    """A domain error stores no receipt: the retry runs again, on the same state."""
    before = stored(app)
    request = keyed("RejectMeasure", "reject", measure_id=ACTIVE)
    errors = []
    for _ in range(2):
        with pytest.raises(ConflictError) as caught:
            await send(app, "RejectMeasure", request)
        errors.append(caught.value.message)
    assert (
        errors[0]
        == errors[1]
        == ("measure 8 is active; only a submitted measure or a candidate can be rejected")
    )
    assert stored(app) == before


async def test_the_same_key_from_another_agency_is_another_command(
    app: AssessmentApplication,
) -> None:
    await send(app, "AssessMeasure", keyed("AssessMeasure", "k"))
    with acting_as(EventMeta(agency="Helsedirektoratet", user="ola", role="office")):
        other = await AssessmentServicer(app).AssessMeasure(keyed("AssessMeasure", "k"), None)
    assert other.version == 3, "assessed again: keys are per caller"


async def test_a_key_longer_than_200_characters_is_a_bad_field(
    app: AssessmentApplication,
) -> None:
    with pytest.raises(ValidationError) as caught:
        await send(app, "PauseMeasure", keyed("PauseMeasure", "k" * 201))
    assert [v.field for v in caught.value.violations] == ["idempotency_key"]


async def test_receipts_are_never_published_and_auditors_read_them(
    memory_app: AssessmentApplication, deliver: Any, submitted: Any
) -> None:
    EventSourcedSink(memory_app, handle).apply("intake:measures:0", 1, [deliver(submitted(ACTIVE))])
    await send(memory_app, "PauseMeasure", keyed("PauseMeasure", "pause-8"))
    stored_events = memory_app.recorder.select_notifications(start=1, limit=10)
    receipt_events = [n for n in stored_events if "CommandReceipt" in n.topic]
    assert len(receipt_events) == 1
    assert translate(memory_app.mapper.to_domain_event(receipt_events[0])) is None

    trail = AuditTrail("assessment", memory_app, audit.STREAMS, held_at_by(translate))
    stream = trail.stream("receipt:Direktoratet for e-helse:pause-8")
    (issued,) = list(trail.history(stream))
    assert (stream.kind.name, issued.type) == ("CommandReceipt", "Issued")
    assert issued.meta["user"] == "kari" and issued.data["command"] == "PauseMeasure"
    assert issued.data["produced"] == {str(Measure.create_id(ACTIVE)): [1, 2]}
    assert [s.kind.name for s in trail.find("8")] == ["Measure"]


async def test_two_concurrent_calls_with_one_key_have_one_effect_and_one_answer(
    app: AssessmentApplication,
) -> None:
    """Both may run before either stored: the loser's save collides (the receipt's id is
    the key's), and it answers from the winner's receipt."""
    answers = await asyncio.gather(
        *(send(app, "PauseMeasure", keyed("PauseMeasure", "same")) for _ in range(4))
    )
    assert all(a == answers[0] for a in answers)
    assert (answers[0].lifecycle, events_of(app, ACTIVE)) == ("paused", 2)
