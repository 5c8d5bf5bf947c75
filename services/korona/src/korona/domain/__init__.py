"""Korona's aggregates: the proposals of the corona portfolio."""

from korona.domain.proposal import Proposal

__all__ = ["Proposal"]
