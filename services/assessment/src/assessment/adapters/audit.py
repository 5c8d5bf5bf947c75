"""The streams auditors ask assessment for: a measure, by its portfolio id."""

from __future__ import annotations

from assessment.domain import Measure
from assessment.domain.promoted import PromotedNumbers
from backbone.audit.trail import StreamKind

STREAMS = [
    StreamKind(
        Measure,
        lambda subject: Measure.create_id(int(subject)) if subject.isdigit() else None,
        "measure_id",
        portfolio=True,
    ),
    StreamKind(
        PromotedNumbers,
        lambda subject: PromotedNumbers.create_id() if subject == "promoted-numbers" else None,
        "",
    ),
]
