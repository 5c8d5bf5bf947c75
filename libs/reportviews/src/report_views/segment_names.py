"""Portfolio segments as people write them (Samstyre or S, any case) and on the wire."""

from __future__ import annotations

from enum import StrEnum

from eportfolio.common.v1 import common_pb2  # type: ignore[import-untyped, unused-ignore]

NOT_PLACED_NB = "Ikke plassert"


class Segment(StrEnum):
    """Porteføljesegment; the value is the lowercase name used in JSON."""

    SAMSTYRE = "samstyre"
    KOORDINERE = "koordinere"
    OBSERVERE = "observere"
    INSPIRERE = "inspirere"

    @property
    def label(self) -> str:
        """The name as the directorate writes it: Samstyre, Koordinere, ..."""
        return self.value.capitalize()

    @property
    def wire(self) -> common_pb2.Segment.ValueType:
        """The ``common.v1.Segment`` value."""
        return _WIRE[self]


_WIRE: dict[Segment, common_pb2.Segment.ValueType] = {
    Segment.SAMSTYRE: common_pb2.SEGMENT_SAMSTYRE,
    Segment.KOORDINERE: common_pb2.SEGMENT_KOORDINERE,
    Segment.OBSERVERE: common_pb2.SEGMENT_OBSERVERE,
    Segment.INSPIRERE: common_pb2.SEGMENT_INSPIRERE,
}
_BY_WIRE: dict[int, Segment] = {int(value): segment for segment, value in _WIRE.items()}


def parse_segment(text: str) -> Segment:
    """Samstyre, Koordinere, Observere, Inspirere or S, K, O, I in any case; else ValueError."""
    key = text.strip().casefold()
    for segment in Segment:
        if key in (segment.value, segment.value[0]):
            return segment
    raise ValueError(
        f"unknown segment {text.strip()!r}; use Samstyre, Koordinere, Observere or Inspirere"
        " (or S, K, O, I)"
    )


def segment_of(value: int) -> Segment | None:
    """The segment of a ``common.v1.Segment`` value; None for unspecified (not placed)."""
    return _BY_WIRE.get(int(value))


def segment_json(value: int) -> str | None:
    """The lowercase name for JSON; null when not placed."""
    segment = segment_of(value)
    return segment.value if segment else None


def segment_label(value: int) -> str:
    """The bokmål name for tables; "Ikke plassert" when not placed."""
    segment = segment_of(value)
    return segment.label if segment else NOT_PLACED_NB
