"""Intake's aggregates: what was handed in, and the receipts given for it."""

from intake.domain.model import MeasureIntake, MeasureNumbers, ProposalIntake, Receipt

__all__ = ["MeasureIntake", "MeasureNumbers", "ProposalIntake", "Receipt"]
