"""The streams auditors ask korona for: a proposal (by proposal id), a funding envelope
(by its name, e.g. the one `GetEnvelope` names) and korona's copy of a national measure
(by portfolio id); the receipt of a command, by ``receipt:<caller>:<idempotency key>``
(who asked for what, and what it changed)."""

from __future__ import annotations

from backbone.audit.trail import StreamKind
from backbone.idempotency import CommandReceipt, receipt_subject
from korona.domain.envelope import FundingEnvelope
from korona.domain.known_measure import KnownMeasure
from korona.domain.proposal import Proposal

STREAMS = [
    StreamKind(
        Proposal,
        lambda subject: None if subject.isdigit() else Proposal.create_id(subject),
        "proposal_id",
        portfolio=True,
    ),
    StreamKind(
        FundingEnvelope,
        lambda subject: None if subject.isdigit() else FundingEnvelope.create_id(subject),
        "envelope",
    ),
    StreamKind(
        KnownMeasure,
        lambda subject: KnownMeasure.create_id(int(subject)) if subject.isdigit() else None,
        "measure_id",
    ),
    StreamKind(
        CommandReceipt,
        lambda subject: receipt_subject(subject, "korona"),
        "idempotency_key",
    ),
]
