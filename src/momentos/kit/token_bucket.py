"""Token buckets per key (one process's memory): a steady rate with a burst, for the API's rate limits.

Ingestion (``doors.ratelimit``) keeps one bucket per organization's write traffic; the rest of the API
(``auth.deps``) one per admin key. Several server processes each keep their own buckets.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[Hashable, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, key: Hashable, now: float | None = None) -> float:
        """Take one token from ``key``'s bucket; returns 0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            b = self._buckets.setdefault(key, _Bucket(float(self.burst), now))
            b.tokens = min(float(self.burst), b.tokens + (now - b.updated) * self.rate)
            b.updated = now
            if b.tokens >= 1:
                b.tokens -= 1
                return 0.0
            return (1 - b.tokens) / self.rate


_MAKING = threading.Lock()


def limiter_of(state: Any, name: str, rate: float, burst: int) -> RateLimiter:
    """The limiter kept on ``state`` (the app's) as ``name``, made at its first use."""
    with _MAKING:
        limiter = getattr(state, name, None)
        if not isinstance(limiter, RateLimiter):
            limiter = RateLimiter(rate, burst)
            setattr(state, name, limiter)
        return limiter
