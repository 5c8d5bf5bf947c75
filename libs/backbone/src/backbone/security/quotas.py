"""Per-agency rate limits (OWASP API4): one agency's burst cannot starve the others.

A moving window per agency (the ``limits`` library, in memory): at most ``burst`` calls in
any ``burst / rate`` seconds (rounded to whole seconds, at least one), so the long-run
rate is ``rate`` per second and a quiet agency may spend ``burst`` at once. The window
is per process: replicas each allow the quota.
"""

from __future__ import annotations

import math

from limits import RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class AgencyQuota:
    """``hit(agency)`` is False once the agency has used its quota."""

    def __init__(self, per_second: float, burst: int) -> None:
        if per_second <= 0 or burst < 1:
            raise ValueError("a quota needs a positive rate and burst")
        self.window_s = max(1, math.ceil(burst / per_second))
        self.burst = burst
        self.item = RateLimitItemPerSecond(burst, self.window_s)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, agency: str) -> bool:
        return self.limiter.hit(self.item, "agency", agency or "(anonymous)")

    def describe(self) -> str:
        return f"{self.burst} calls per {self.window_s} s"
