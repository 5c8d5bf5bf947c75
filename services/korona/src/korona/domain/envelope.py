"""The funding envelope of the corona portfolio: NOK 80 million set aside by the ministry.

Money is allocated to prioritised measures, committed out of an allocation and paid out of
a commitment. The envelope is one aggregate, so its rules hold under concurrent changes
(a second writer on the same version is refused and retries on the new state):

- the allocations never add up to more than the envelope;
- for each measure, paid <= committed <= allocated, and a release gives back only what
  is not committed.

Every change is an event with who (its ``meta``) and why (``reason``). A change carries the
caller's idempotency key; a retried change with a key seen before changes nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.domain import event

from backbone.domain import TracedAggregate, stable_id
from backbone.errors import ConflictError, FieldViolation, ValidationError

KORONA_2020 = "korona-2020"
KORONA_2020_TOTAL_NOK = 80_000_000
KORONA_2020_NAME = "Koronaporteføljen 2020"


class Change(StrEnum):
    ALLOCATE = "allocate"
    RELEASE = "release"
    COMMIT = "commit"
    PAY = "pay"


def _nok(amount: int) -> str:
    return f"{amount:,} kr".replace(",", " ")


class FundingEnvelope(TracedAggregate):
    """The envelope and, per measure, what is allocated, committed and paid."""

    Opened: ClassVar[type[Any]]
    Changed: ClassVar[type[Any]]

    @staticmethod
    def create_id(envelope: str) -> UUID:
        return stable_id("funding-envelope", envelope)

    @event("Opened")
    def __init__(self, envelope: str, name: str, total_nok: int) -> None:
        if total_nok <= 0:
            raise ValidationError(FieldViolation("total_nok", "must be more than zero"))
        self.envelope = envelope
        self.name = name
        self.total_nok = total_nok
        self.lines: dict[str, dict[str, int]] = {}
        self.keys: dict[str, str] = {}
        """Idempotency key -> what it changed (a key names one change, never two)."""

    @property
    def allocated_nok(self) -> int:
        return sum(line["allocated"] for line in self.lines.values())

    @property
    def committed_nok(self) -> int:
        return sum(line["committed"] for line in self.lines.values())

    @property
    def paid_nok(self) -> int:
        return sum(line["paid"] for line in self.lines.values())

    @property
    def left_nok(self) -> int:
        return self.total_nok - self.allocated_nok

    def line(self, proposal_id: str) -> dict[str, int]:
        return self.lines.get(proposal_id, {"allocated": 0, "committed": 0, "paid": 0})

    def change(
        self, change: Change, proposal_id: str, amount_nok: int, reason: str, key: str
    ) -> bool:
        """Apply one change; False when ``key`` was applied before (a retry).

        A key seen before with another change is refused: the caller reused a key.
        """
        if key and key in self.keys:
            if self.keys[key] != _fingerprint(change.value, proposal_id, amount_nok):
                raise ConflictError(
                    "this idempotency key was used for another change; use a new key"
                )
            return False
        problems = []
        if amount_nok <= 0:
            problems.append(FieldViolation("amount_nok", "must be more than zero"))
        if not reason.strip():
            problems.append(FieldViolation("reason", "is required: why the money moves"))
        if problems:
            raise ValidationError(problems)
        line = self.line(proposal_id)
        if change is Change.ALLOCATE and amount_nok > self.left_nok:
            raise ConflictError(
                f"{_nok(amount_nok)} is more than is left of the envelope "
                f"({_nok(self.left_nok)} of {_nok(self.total_nok)})"
            )
        if change is Change.RELEASE and amount_nok > line["allocated"] - line["committed"]:
            raise ConflictError(
                f"only {_nok(line['allocated'] - line['committed'])} of proposal "
                f"{proposal_id}'s allocation is not committed"
            )
        if change is Change.COMMIT and amount_nok > line["allocated"] - line["committed"]:
            raise ConflictError(
                f"proposal {proposal_id} has {_nok(line['allocated'] - line['committed'])} "
                "allocated and not yet committed"
            )
        if change is Change.PAY and amount_nok > line["committed"] - line["paid"]:
            raise ConflictError(
                f"proposal {proposal_id} has {_nok(line['committed'] - line['paid'])} "
                "committed and not yet paid"
            )
        after = _apply(line, change, amount_nok)
        others = [v for k, v in self.lines.items() if k != proposal_id]
        self._changed(
            change=change.value,
            proposal_id=proposal_id,
            amount_nok=amount_nok,
            reason=reason,
            key=key,
            line=after,
            totals={
                kind: after[kind] + sum(o[kind] for o in others)
                for kind in ("allocated", "committed", "paid")
            },
        )
        return True

    @event("Changed")
    def _changed(
        self,
        change: str,
        proposal_id: str,
        amount_nok: int,
        reason: str,
        key: str,
        line: dict[str, int],
        totals: dict[str, int],
    ) -> None:
        self.lines[proposal_id] = dict(line)
        if key:
            self.keys[key] = _fingerprint(change, proposal_id, amount_nok)


def _fingerprint(change: str, proposal_id: str, amount_nok: int) -> str:
    return f"{change}:{proposal_id}:{amount_nok}"


def _apply(line: dict[str, int], change: Change, amount_nok: int) -> dict[str, int]:
    """The measure's figures after ``change``."""
    after = dict(line)
    if change is Change.ALLOCATE:
        after["allocated"] += amount_nok
    elif change is Change.RELEASE:
        after["allocated"] -= amount_nok
    elif change is Change.COMMIT:
        after["committed"] += amount_nok
    else:
        after["paid"] += amount_nok
    return after
