"""Korona's aggregates: the proposals of the corona portfolio, the funding envelope, and
its copy of the national portfolio's measures (for overlap)."""

from korona.domain.envelope import FundingEnvelope
from korona.domain.known_measure import KnownMeasure
from korona.domain.proposal import Proposal

__all__ = ["FundingEnvelope", "KnownMeasure", "Proposal"]
