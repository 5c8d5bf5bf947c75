"""Registry of payload models by (event type, schema version); encode and decode."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from contracts.envelope import Envelope

_MODELS: dict[tuple[str, int], type[BaseModel]] = {}

M = TypeVar("M", bound=type[BaseModel])


class ContractError(ValueError):
    """A message does not match its contract (bad bytes, bad envelope, bad payload)."""


class UnknownContractError(ContractError):
    """A message names an event type or schema version this build does not know."""


def register(event_type: str, schema_version: int) -> Callable[[M], M]:
    """Class decorator: make ``model`` the payload of ``event_type`` at ``schema_version``."""

    def decorate(model: M) -> M:
        key = (event_type, schema_version)
        if key in _MODELS and _MODELS[key] is not model:
            raise ValueError(f"contract {key} registered twice")
        _MODELS[key] = model
        return model

    return decorate


def payload_model(event_type: str, schema_version: int) -> type[BaseModel]:
    try:
        return _MODELS[(event_type, schema_version)]
    except KeyError:
        raise UnknownContractError(
            f"no contract for event type {event_type!r} version {schema_version}"
        ) from None


def known_types() -> set[str]:
    return {t for t, _ in _MODELS}


def encode(envelope: Envelope) -> bytes:
    """Serialise an envelope after checking its payload against the contract."""
    model = payload_model(envelope.event_type, envelope.schema_version)
    model.model_validate(envelope.payload)
    return envelope.model_dump_json().encode()


def decode(raw: bytes | None) -> tuple[Envelope, BaseModel]:
    """Parse bytes into an envelope and its validated payload; ContractError if they are bad."""
    if raw is None:
        raise ContractError("empty message")
    try:
        envelope = Envelope.model_validate_json(raw)
    except ValidationError as exc:
        raise ContractError(f"bad envelope: {exc.errors(include_url=False)}") from exc
    model = payload_model(envelope.event_type, envelope.schema_version)
    try:
        payload = model.model_validate(envelope.payload)
    except ValidationError as exc:
        raise ContractError(
            f"bad payload for {envelope.event_type} v{envelope.schema_version}: "
            f"{exc.errors(include_url=False)}"
        ) from exc
    return envelope, payload
