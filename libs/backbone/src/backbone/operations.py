"""``eportfolio.operations.v1.OperationsService``: operators list, replay and discard the
dead letters of a service's consumer groups (``portfolio deadletters ...``).

Every consuming service registers one (:func:`operations_parts`); the runtime hands it the
running consumers through ``Service.on_consuming``. Only the ``operations`` role (and the
office) may call it: the access policy says so and the handlers check again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import grpc

from backbone.access import OFFICE, OPERATIONS, require_role
from backbone.consumer import TrackedConsumer
from backbone.deadletters import DeadLetter
from backbone.errors import ConflictError, FieldViolation, NotFoundError, ValidationError
from backbone.grpc_server import Registration
from eportfolio.operations.v1 import operations_pb2 as pb
from eportfolio.operations.v1 import operations_pb2_grpc

SERVICE_NAME = pb.DESCRIPTOR.services_by_name["OperationsService"].full_name


def letter_message(group: str, letter: DeadLetter) -> pb.DeadLetter:
    return pb.DeadLetter(
        consumer_group=group,
        letter_id=letter.letter_id,
        sequence=letter.sequence,
        topic=letter.topic,
        partition=letter.partition,
        offset=letter.offset,
        position=letter.position,
        event_type=letter.event_type,
        schema_version=letter.schema_version,
        aggregate_version=letter.aggregate_version,
        reason=letter.reason,
        parked_behind=letter.behind,
        value=letter.value,
    )


class OperationsServicer(operations_pb2_grpc.OperationsServiceServicer):
    """Dead-letter operations on the consumers of this process."""

    def __init__(self) -> None:
        self.consumers: list[TrackedConsumer] = []

    def attach(self, consumers: list[TrackedConsumer]) -> None:
        """The runtime's hook: the consumers, once they run."""
        self.consumers = list(consumers)

    def _groups(self, group: str) -> list[TrackedConsumer]:
        if not self.consumers:
            raise ConflictError("the service is not consuming yet; try again shortly")
        if not group:
            return self.consumers
        chosen = [c for c in self.consumers if c.group_id == group]
        if not chosen:
            known = ", ".join(c.group_id for c in self.consumers)
            raise ValidationError(
                FieldViolation("consumer_group", f"no consumer group {group!r} here ({known})")
            )
        return chosen

    async def ListDeadLetters(  # noqa: N802
        self, request: pb.ListDeadLettersRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListDeadLettersResponse:
        require_role("ListDeadLetters", OPERATIONS, OFFICE)
        answer = pb.ListDeadLettersResponse()
        for consumer in self._groups(request.consumer_group):
            letters = await consumer.dead_letters()
            for parked in letters.parked.values():
                answer.letters.extend(letter_message(consumer.group_id, x) for x in parked)
        return answer

    async def ReplayDeadLetters(  # noqa: N802
        self, request: pb.ReplayDeadLettersRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ReplayDeadLettersResponse:
        require_role("ReplayDeadLetters", OPERATIONS, OFFICE)
        answer = pb.ReplayDeadLettersResponse()
        for consumer in self._groups(request.consumer_group):
            outcomes = await consumer.replay_dead_letters(request.sequence or None)
            answer.sequences.extend(
                pb.SequenceReplayed(
                    consumer_group=consumer.group_id,
                    sequence=o.sequence,
                    replayed=o.replayed,
                    remaining=o.remaining,
                    reason=o.reason,
                )
                for o in outcomes
            )
        return answer

    async def DiscardDeadLetter(  # noqa: N802
        self, request: pb.DiscardDeadLetterRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.DiscardDeadLetterResponse:
        require_role("DiscardDeadLetter", OPERATIONS, OFFICE)
        if not request.letter_id:
            raise ValidationError(FieldViolation("letter_id", "name the letter to discard"))
        for consumer in self._groups(request.consumer_group):
            letter = await consumer.discard_dead_letter(request.letter_id)
            if letter is not None:
                return pb.DiscardDeadLetterResponse(
                    letter=letter_message(consumer.group_id, letter)
                )
        raise NotFoundError(f"no parked letter {request.letter_id}")


@dataclass(frozen=True)
class OperationsParts:
    """What a consuming service adds to its :class:`~backbone.runtime.Service`."""

    servicer: OperationsServicer
    registration: Registration

    @property
    def on_consuming(self) -> Sequence[Any]:
        return [self.servicer.attach]


def operations_parts() -> OperationsParts:
    servicer = OperationsServicer()
    return OperationsParts(
        servicer,
        (operations_pb2_grpc.add_OperationsServiceServicer_to_server, servicer, SERVICE_NAME),
    )
