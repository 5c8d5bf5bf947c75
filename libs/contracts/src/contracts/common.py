"""Value types shared by several contracts."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

Colour = Literal["green", "yellow", "red"]
Period = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class Payload(BaseModel):
    """Base of payload models: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BudgetLine(Payload):
    year: int = Field(ge=1900, le=2200)
    amount_nok: int = Field(ge=0)
