"""Per-key and per-client rate limits: a token bucket per caller, in this process.

Each replica limits on its own, so N replicas allow up to N times the configured rate; a
shared limiter (in PostgreSQL or a proxy) is the step up when that matters.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

MAX_TRACKED = 100_000
"""Callers remembered; the least recently seen is forgotten first (it starts full again)."""


class RateLimiter:
    """Token buckets: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, caller: str, now: float | None = None) -> float:
        """0 if `caller` may go on; otherwise the seconds to wait before retrying."""
        at = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(caller, (self.burst, at))
            tokens = min(self.burst, tokens + (at - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[caller] = (tokens, at)
            if len(self._buckets) > MAX_TRACKED:
                self._buckets.popitem(last=False)
        return wait


def retry_after(wait: float) -> str:
    """A Retry-After header value (whole seconds, at least 1)."""
    return str(max(1, math.ceil(wait)))
