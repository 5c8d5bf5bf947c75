"""Intake's aggregates: what was handed in, and the receipts given for it."""

from intake.domain.model import MeasureIntake, ProposalIntake, Receipt

__all__ = ["MeasureIntake", "ProposalIntake", "Receipt"]
