"""Portfolio segments (seed 004 §4) and the lifecycle states of a measure."""

from __future__ import annotations

from enum import StrEnum


class Segment(StrEnum):
    """Porteføljesegment: chosen at inclusion, each with its reporting cadence and focus."""

    SAMSTYRE = "samstyre"
    KOORDINERE = "koordinere"
    OBSERVERE = "observere"
    INSPIRERE = "inspirere"

    @property
    def label(self) -> str:
        """The name as the directorate writes it (Samstyre, Koordinere, ...)."""
        return self.value.capitalize()

    @property
    def reports_per_year(self) -> int:
        return {"samstyre": 4, "koordinere": 2, "observere": 2, "inspirere": 1}[self.value]

    @property
    def report_months(self) -> tuple[int, ...]:
        """The months whose reporting period a measure in this segment reports for."""
        return {4: (3, 6, 9, 12), 2: (6, 12), 1: (12,)}[self.reports_per_year]

    @property
    def focus(self) -> str:
        return {
            "samstyre": "status og risiko",
            "koordinere": "avhengigheter",
            "observere": "fremdrift, erfaringer og hindringer",
            "inspirere": "formål og hvor langt det har kommet",
        }[self.value]

    @property
    def focus_fields(self) -> tuple[str, ...]:
        """The parts of a status report the focus asks for, beyond status, risk and budget."""
        return {
            "samstyre": (),
            "koordinere": ("dependency_notes",),
            "observere": ("progress", "experiences", "obstacles"),
            "inspirere": ("progress",),
        }[self.value]

    @classmethod
    def parse(cls, text: str) -> Segment:
        """A segment from its name in any case, or its letter (S, K, O, I)."""
        key = text.strip().lower()
        for segment in cls:
            if key in (segment.value, segment.value[0]):
                return segment
        raise ValueError(
            f"unknown segment {text!r}; use Samstyre, Koordinere, Observere or Inspirere"
        )


class Lifecycle(StrEnum):
    """Where a measure stands."""

    SUBMITTED = "submitted"
    """Submitted by an agency, not yet decided on."""
    CANDIDATE = "candidate"
    """Announced for next year's portfolio; not counted among its measures."""
    ACTIVE = "active"
    NOT_INCLUDED = "not_included"
    COMPLETED = "completed"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"
