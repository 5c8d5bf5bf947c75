"""Domain errors every service raises, with the meaning callers should see.

Pure Python (no gRPC import): the gRPC adapter maps each class to a status code,
so domain code can say *what* went wrong without knowing *how* it is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_MESSAGE = 300
"""Characters of an error message a caller gets. The message and the field violations
travel in gRPC trailing metadata (percent-encoded, base64), which a client refuses beyond
8 KiB: an answer echoing a 1 MiB value reached the caller as RESOURCE_EXHAUSTED instead
of the error (RELIABILITY.md I4)."""
MAX_VIOLATIONS = 16
MAX_DESCRIPTION = 160


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class DomainError(Exception):
    """Base of errors a caller caused and can correct; never retried by a consumer."""

    def __init__(self, message: str) -> None:
        message = _cut(message, MAX_MESSAGE)
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldViolation:
    """One bad field of a request: its path (e.g. ``budget[0].year``) and why."""

    field: str
    description: str


class ValidationError(DomainError):
    """A request has bad fields. Maps to INVALID_ARGUMENT with BadRequest details."""

    def __init__(self, violations: list[FieldViolation] | FieldViolation) -> None:
        if isinstance(violations, FieldViolation):
            violations = [violations]
        every = list(violations)
        # The first few name what to correct; the rest would not reach the caller (above).
        self.violations = [
            FieldViolation(_cut(v.field, 100), _cut(v.description, MAX_DESCRIPTION))
            for v in every[:MAX_VIOLATIONS]
        ]
        more = f" (and {len(every) - MAX_VIOLATIONS} more)" if len(every) > MAX_VIOLATIONS else ""
        message = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(_cut(message, MAX_MESSAGE - len(more)) + more)


class NotFoundError(DomainError):
    """The thing a request names does not exist. Maps to NOT_FOUND."""


class AlreadyExistsError(DomainError):
    """The thing a request would create exists already. Maps to ALREADY_EXISTS."""


class ConflictError(DomainError):
    """The request contradicts the current state. Maps to FAILED_PRECONDITION."""


class PermissionDeniedError(DomainError):
    """The caller may not do this. Maps to PERMISSION_DENIED."""


@dataclass
class Violations:
    """Collects field violations so validation reports every bad field at once."""

    items: list[FieldViolation] = field(default_factory=list)

    def add(self, field_path: str, description: str) -> None:
        self.items.append(FieldViolation(field_path, description))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationError(self.items)
