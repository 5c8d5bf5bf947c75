"""The streams auditors ask intake for: what was submitted about a measure (by portfolio
id) or a proposal (by proposal id), and the portfolio id allocator."""

from __future__ import annotations

from backbone.audit.trail import StreamKind
from intake.domain.model import MeasureIntake, MeasureNumbers, ProposalIntake

STREAMS = [
    StreamKind(
        MeasureIntake,
        lambda subject: MeasureIntake.create_id(int(subject)) if subject.isdigit() else None,
        "measure_id",
    ),
    StreamKind(
        ProposalIntake,
        lambda subject: None if subject.isdigit() else ProposalIntake.create_id(subject),
        "proposal_id",
    ),
    StreamKind(
        MeasureNumbers,
        lambda subject: MeasureNumbers.create_id() if subject == "measure-numbers" else None,
        "",
    ),
]
