"""Assessment's aggregates: the measures of the national portfolio."""

from assessment.domain.measure import Measure
from assessment.domain.segments import Lifecycle, Segment

__all__ = ["Lifecycle", "Measure", "Segment"]
