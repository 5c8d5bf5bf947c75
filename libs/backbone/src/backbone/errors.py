"""Domain errors every service raises, with the meaning callers should see.

Pure Python (no gRPC import): the gRPC adapter maps each class to a status code,
so domain code can say *what* went wrong without knowing *how* it is reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """Base of errors a caller caused and can correct; never retried by a consumer."""

    def __init__(self, message: str) -> None:
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
        self.violations = list(violations)
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in self.violations))


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
