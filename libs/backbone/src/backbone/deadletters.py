"""The sequenced dead-letter queue: a message that cannot be applied holds back its aggregate.

A consumer that gives up on a message (bytes it cannot decode, a contract it does not
know, a handler that keeps failing) must not apply the same aggregate's later messages
either: they would be applied to a state that misses the failed one. So, like Axon's
sequenced dead-letter queue, the failed message *parks* its sequence (the aggregate id;
for bytes without an envelope the Kafka key) and every later message of that sequence is
parked behind it, in order, while other aggregates keep flowing.

Parked letters are kept in the consumer's own database, written in the same transaction
as the tracking position that passes them (an event-sourced service: events of a
:class:`DeadLetterBook` aggregate per consumer group; reporting: rows of
``rpt_dead_letters``), so a crash can neither lose a letter nor apply a parked message.
Each letter also goes to ``<service>.deadletter.v1`` (original bytes, the reason in a
header) for people and tools watching Kafka; the database copy is the one replayed,
because the embedded broker forgets its topics when it stops.

After a fix (the handler no longer fails, an upcaster was added), an operator replays a
sequence: its letters are decoded again from their original bytes and applied in order
in one transaction that also removes them; a letter that fails again stops the replay of
its sequence there (the letters before it stay applied). A letter that can never be
applied (corrupt bytes) can be discarded, which releases the letters behind it.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id


@dataclass(frozen=True)
class DeadLetter:
    """One message a consumer did not apply: where it came from, its bytes and why."""

    letter_id: str
    """The message's event id, or ``raw-<digest>`` for bytes without an envelope."""
    sequence: str
    """What it holds back: the aggregate id (or the Kafka key, or the letter id)."""
    topic: str
    partition: int
    offset: int
    value: bytes
    key: bytes | None
    reason: str
    behind: str = ""
    """The letter id of the failed message this one is parked behind ("": it failed)."""
    event_type: str = ""
    schema_version: int = 0
    aggregate_version: int = 0
    position: int = 0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = base64.b64encode(self.value).decode()
        data["key"] = None if self.key is None else base64.b64encode(self.key).decode()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DeadLetter:
        values = dict(data)
        values["value"] = base64.b64decode(values["value"])
        key = values.get("key")
        values["key"] = None if key is None else base64.b64decode(key)
        return cls(**values)


def raw_letter(
    *, topic: str, partition: int, offset: int, key: bytes | None, value: bytes | None, reason: str
) -> DeadLetter:
    """A letter for bytes without a usable envelope: its sequence is the Kafka key if that
    is an aggregate id (the relay keys by aggregate), else the letter alone."""
    body = value or b""
    digest = hashlib.sha256(f"{topic}|{partition}|".encode() + body).hexdigest()[:32]
    letter_id = f"raw-{digest}"
    sequence = letter_id
    if key:
        with contextlib.suppress(ValueError, UnicodeDecodeError):
            sequence = str(uuid.UUID(key.decode()))
    return DeadLetter(letter_id, sequence, topic, partition, offset, body, key, reason)


class Letters:
    """The parked letters of one consumer group, by sequence, and the changes made to them.

    Sinks load it, let :func:`route` and the replay change it, and store :attr:`changes`
    in the transaction that applies the messages.
    """

    def __init__(
        self, parked: Mapping[str, Sequence[DeadLetter]], discarded: set[str] | None = None
    ) -> None:
        self.parked: dict[str, list[DeadLetter]] = {s: list(ls) for s, ls in parked.items() if ls}
        self.discarded = set(discarded or ())
        self.changes: list[tuple[str, Any]] = []
        """("park", letter) | ("release", (sequence, count)) | ("fail", (sequence, reason))
        | ("discard", (sequence, letter_id))"""

    def head(self, sequence: str) -> DeadLetter | None:
        letters = self.parked.get(sequence)
        return letters[0] if letters else None

    def park(self, letter: DeadLetter) -> bool:
        """Park ``letter``; False for a raw letter parked or discarded already."""
        known = {x.letter_id for x in self.parked.get(letter.sequence, ())}
        if letter.letter_id in known or letter.letter_id in self.discarded:
            return False
        self.parked.setdefault(letter.sequence, []).append(letter)
        self.changes.append(("park", letter))
        return True

    def release(self, sequence: str, count: int) -> None:
        """The first ``count`` letters of ``sequence`` were applied."""
        if count <= 0:
            return
        rest = self.parked.get(sequence, [])[count:]
        if rest:
            self.parked[sequence] = rest
        else:
            self.parked.pop(sequence, None)
        self.changes.append(("release", (sequence, count)))

    def fail(self, sequence: str, reason: str) -> None:
        """The sequence's first letter failed again on a replay, for ``reason``."""
        letters = self.parked.get(sequence)
        if letters:
            letters[0] = replace(letters[0], reason=reason, behind="")
            self.changes.append(("fail", (sequence, reason)))

    def discard(self, letter_id: str) -> DeadLetter | None:
        """Drop one letter without applying it (it can never be applied)."""
        for sequence, letters in self.parked.items():
            for i, letter in enumerate(letters):
                if letter.letter_id == letter_id:
                    del letters[i]
                    if not letters:
                        del self.parked[sequence]
                    self.discarded.add(letter_id)
                    self.changes.append(("discard", (sequence, letter_id)))
                    return letter
        return None

    def count(self) -> int:
        return sum(len(ls) for ls in self.parked.values())


def letter_for(delivery: Any, reason: str, behind: str = "") -> DeadLetter:
    """The letter of a decoded delivery (a ``backbone.consumer.Delivery``), with its
    original bytes."""
    env = delivery.envelope
    return DeadLetter(
        letter_id=str(env.event_id),
        sequence=str(env.aggregate_id),
        topic=delivery.topic,
        partition=delivery.partition,
        offset=delivery.offset,
        value=delivery.raw or env.model_dump_json().encode(),
        key=delivery.key,
        reason=reason,
        behind=behind,
        event_type=env.event_type,
        schema_version=env.schema_version,
        aggregate_version=env.aggregate_version,
        position=env.position,
    )


@dataclass
class Routed:
    """What :func:`route` did with one partition batch."""

    applied: int = 0
    parked: list[DeadLetter] = field(default_factory=list)
    """Letters parked by this batch (to publish on the dead-letter topic after commit)."""
    behind: int = 0
    """How many of them were parked behind an earlier failure (not failed themselves)."""


def route(
    items: Sequence[Any],
    failed: Mapping[int, str],
    letters: Letters,
    apply: Callable[[int, Any], None],
    letter_of: Callable[[Any, str, str], DeadLetter] = letter_for,
) -> Routed:
    """Apply or park each item of a partition batch, in order.

    ``items`` are deliveries or letters (messages without a usable contract); ``failed``
    names the deliveries a handler gave up on (index -> reason). A letter or a failed
    delivery parks its sequence; a delivery whose sequence is parked is parked behind it;
    anything else is applied with ``apply(index, delivery)``. ``letter_of(delivery, reason,
    behind)`` makes a delivery's letter.
    """
    routed = Routed()
    for index, item in enumerate(items):
        if isinstance(item, DeadLetter):
            if letters.park(item):
                routed.parked.append(item)
            continue
        sequence = str(item.envelope.aggregate_id)
        if index in failed:
            letter = letter_of(item, failed[index], "")
        elif (head := letters.head(sequence)) is not None:
            letter = letter_of(item, f"parked behind {head.letter_id}", head.letter_id)
            routed.behind += 1
        else:
            apply(index, item)
            routed.applied += 1
            continue
        if letters.park(letter):
            routed.parked.append(letter)
    return routed


def group_of(tracking_name: str) -> str:
    """The consumer group of a tracking name ``<group>:<topic>:<partition>``."""
    return tracking_name.rsplit(":", 2)[0]


def book_id(group: str) -> uuid.UUID:
    return stable_id("dead-letters", group)


class DeadLetterBook(TracedAggregate):
    """An event-sourced consumer group's parked letters: every park, release, failure and
    discard is an event, stored with the consumer's other writes and its position."""

    @staticmethod
    def create_id(group: str) -> uuid.UUID:
        return book_id(group)

    @event("Opened")
    def __init__(self, group: str) -> None:
        self.group = group
        self.parked: dict[str, list[dict[str, Any]]] = {}
        self.discarded: list[str] = []

    @event("Parked")
    def park(self, letter: dict[str, Any]) -> None:
        self.parked.setdefault(letter["sequence"], []).append(letter)

    @event("Released")
    def release(self, sequence: str, count: int) -> None:
        rest = self.parked.get(sequence, [])[count:]
        if rest:
            self.parked[sequence] = rest
        else:
            self.parked.pop(sequence, None)

    @event("Failed")
    def fail(self, sequence: str, reason: str) -> None:
        letters = self.parked.get(sequence)
        if letters:
            letters[0] = {**letters[0], "reason": reason, "behind": ""}

    @event("Discarded")
    def discard(self, sequence: str, letter_id: str) -> None:
        letters = [x for x in self.parked.get(sequence, []) if x["letter_id"] != letter_id]
        if letters:
            self.parked[sequence] = letters
        else:
            self.parked.pop(sequence, None)
        self.discarded.append(letter_id)

    def letters(self) -> Letters:
        return Letters(
            {s: [DeadLetter.from_dict(x) for x in ls] for s, ls in self.parked.items()},
            set(self.discarded),
        )

    def record(self, changes: Sequence[tuple[str, Any]]) -> None:
        """Turn the changes made to :meth:`letters` into this book's events."""
        for kind, data in changes:
            if kind == "park":
                self.park(data.to_dict())
            elif kind == "release":
                self.release(*data)
            elif kind == "fail":
                self.fail(*data)
            elif kind == "discard":
                self.discard(*data)
