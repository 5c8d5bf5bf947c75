"""The envelope every integration event travels in."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who caused the event: the agency, the user, and the role they acted in."""

    model_config = ConfigDict(frozen=True)

    agency: str = ""
    user: str = ""
    role: str = ""


class Envelope(BaseModel):
    """Metadata common to every integration event, with the payload as a dict.

    ``position`` is the event's place in the producer's notification log and
    ``broker_epoch`` the identity of the broker it was published to; consumers use
    both to apply each event exactly once (see docs/architecture.md).
    """

    model_config = ConfigDict(frozen=True)

    event_id: UUID = Field(description="uuid5(aggregate_id, version): stable across republishing")
    event_type: str
    schema_version: int = Field(ge=1)
    source: str = Field(description="the producing service")
    aggregate_type: str
    aggregate_id: UUID
    aggregate_version: int = Field(ge=1)
    occurred_at: datetime = Field(description="when it held in the domain")
    recorded_at: datetime = Field(description="when the producer stored it")
    recorded_by: Actor
    correlation_id: str = ""
    causation_id: str = ""
    position: int = Field(ge=1, description="notification id in the producer's log")
    previous_position: int | None = Field(
        default=None,
        ge=0,
        description="position of the message the relay sent before this one to the same "
        "partition (0: none); consumers refuse to apply across a gap. None: unknown",
    )
    broker_epoch: str = ""
    payload: dict[str, Any]
