"""Idempotent commands: a receipt per caller's key, stored with the command's events.

A command RPC carries ``idempotency_key``, chosen by the caller once per logical command
and sent again on every retry. The servicer runs the application call inside
:func:`idempotent`, which puts the method, the key and a fingerprint of the request in a
context variable (like :func:`backbone.domain.acting_as` does for the actor). The
application (:meth:`backbone.persistence.ServiceApplication.run_command`) then

- looks for the :class:`CommandReceipt` of (service, caller, key): found with the same
  fingerprint, the command happened already and the original answer is rebuilt from the
  aggregates at the versions the receipt names; found with another fingerprint, the key
  was used for a different request and the call is refused (FAILED_PRECONDITION, as
  intake does); absent, the command runs;
- saves the receipt in the same ``save()`` (one transaction) as the command's aggregates,
  so "changed" and "answered" cannot drift apart;
- on IntegrityError looks for its own receipt first: a commit that landed although the
  store reported a failure (a dropped connection the library retried, see STACK_NOTES
  "Connection drops") answers the original result; only then is the command tried again
  on the new state.

A command that fails with a domain error stores nothing; a retry runs it again and, the
state being the same, fails the same way. A request without a key gets a fresh random one
(like intake): it is stored and audited, but no retry can name it.

Receipts are never published (no translator maps their event) and auditors can read them
(each service's ``adapters/audit.py`` names the stream by :func:`receipt_subject`,
``receipt:<caller>:<key>``): who asked for what, with which key, and which versions of
which aggregates it produced.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import event
from google.protobuf.message import Message

from backbone.domain import EventMeta, TracedAggregate, current_meta, stable_id
from backbone.errors import ConflictError, FieldViolation, ValidationError

MAX_KEY = 200
"""The longest key accepted (as intake)."""
KEY_FIELD = "idempotency_key"
REUSED_KEY = "idempotency key was used before for a different request"
"""Intake's words for the same refusal (ConflictError: FAILED_PRECONDITION)."""


@dataclass(frozen=True)
class CommandKey:
    """The command being run: its method, the caller's key and the request's fingerprint."""

    method: str
    key: str
    fingerprint: str
    given: bool = True
    """False: the caller sent no key and this one is fresh (no earlier receipt can hold it)."""


_current: contextvars.ContextVar[CommandKey | None] = contextvars.ContextVar(
    "current_command", default=None
)


def fingerprint(method: str, request: Message) -> str:
    """SHA-256 over the method and the request's deterministic bytes without its key."""
    copy = type(request)()
    copy.CopyFrom(request)
    if KEY_FIELD in copy.DESCRIPTOR.fields_by_name:
        copy.ClearField(KEY_FIELD)
    body = copy.SerializeToString(deterministic=True)
    return hashlib.sha256(method.encode() + b"\x00" + body).hexdigest()


def command_key(method: str, request: Message) -> CommandKey:
    """The request's key (INVALID_ARGUMENT when too long), or a fresh one when it has none."""
    key = str(getattr(request, KEY_FIELD, ""))
    if len(key) > MAX_KEY:
        raise ValidationError(FieldViolation(KEY_FIELD, f"is longer than {MAX_KEY} characters"))
    given = bool(key)
    return CommandKey(
        method, key if given else uuid.uuid4().hex, fingerprint(method, request), given
    )


@contextlib.contextmanager
def idempotent(method: str, request: Message) -> Iterator[CommandKey]:
    """Run the block as the command ``method(request)``: what it saves carries a receipt."""
    command = command_key(method, request)
    token = _current.set(command)
    try:
        yield command
    finally:
        _current.reset(token)


def current_command() -> CommandKey | None:
    return _current.get()


def caller_of(meta: EventMeta) -> str:
    """Whose keys these are: the agency, else the user (as intake's receipts)."""
    return meta.agency or meta.user or "anonymous"


class CommandReceipt(TracedAggregate):
    """What one command produced, kept so a retry with the same key gets it again.

    ``produced`` maps each aggregate the command saved to its versions before and after
    (``[before, after]``; equal when the command left it as it was).
    """

    @staticmethod
    def create_id(service: str, caller: str, idempotency_key: str) -> UUID:
        """Deterministic: every retry of a command (same service, caller and key) names the
        same receipt, so two concurrent first attempts cannot both be stored."""
        return stable_id("command-receipt", f"{service}\x1f{caller}\x1f{idempotency_key}")

    @event("Issued")
    def __init__(
        self,
        service: str,
        caller: str,
        idempotency_key: str,
        command: str,
        fingerprint: str,
        produced: dict[str, list[int]],
    ) -> None:
        self.service = service
        self.caller = caller
        self.idempotency_key = idempotency_key
        self.command = command
        self.fingerprint = fingerprint
        self.produced = produced

    def _versions(self, aggregate_id: UUID) -> list[int]:
        versions = self.produced.get(str(aggregate_id))
        if versions is None:  # the fingerprint matched, so the request named it: never
            raise ConflictError(f"the command with key {self.idempotency_key} did not save it")
        return versions

    def version_of(self, aggregate_id: UUID) -> int:
        """The aggregate's version right after the command."""
        return self._versions(aggregate_id)[1]

    def changed(self, aggregate_id: UUID) -> bool:
        before, after = self._versions(aggregate_id)
        return after > before


def new_receipt(service: str, command: CommandKey, saved: list[Any]) -> CommandReceipt:
    """The receipt of ``command`` for the aggregates it is saving."""
    return CommandReceipt(
        service=service,
        caller=caller_of(current_meta()),
        idempotency_key=command.key,
        command=command.method,
        fingerprint=command.fingerprint,
        produced={str(a.id): [a.version - len(a.pending_events), a.version] for a in saved},
    )


def receipt_subject(subject: str, service: str) -> UUID | None:
    """A receipt's id from an auditor's subject ``receipt:<caller>:<key>``."""
    kind, _, rest = subject.partition(":")
    caller, sep, key = rest.partition(":")
    if kind != "receipt" or not sep or not caller or not key:
        return None
    return CommandReceipt.create_id(service, caller, key)
