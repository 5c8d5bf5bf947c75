"""Assessment's aggregates: the measures of the national portfolio."""

from assessment.domain.measure import Measure

__all__ = ["Measure"]
