"""The streams auditors ask assessment for: a measure, by its portfolio id; the receipt of a
command, by ``receipt:<caller>:<idempotency key>`` (who asked for what, and what it changed)."""

from __future__ import annotations

from assessment.domain import Measure
from assessment.domain.promoted import PromotedNumbers
from backbone.audit.trail import StreamKind
from backbone.idempotency import CommandReceipt, receipt_subject

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
    StreamKind(
        CommandReceipt,
        lambda subject: receipt_subject(subject, "assessment"),
        "idempotency_key",
    ),
]
