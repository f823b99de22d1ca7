"""Per-key token buckets for ingestion (per process; 429 with Retry-After when empty)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from starlette.requests import Request

from momentos.config import Settings
from momentos.errors import Throttled
from momentos.orgs.service import Principal


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._buckets: dict[int, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, org_id: int, now: float | None = None) -> float:
        """Take one token; returns 0 when allowed, else the seconds until one is available."""
        now = time.monotonic() if now is None else now
        with self._lock:
            b = self._buckets.setdefault(org_id, _Bucket(float(self.burst), now))
            b.tokens = min(float(self.burst), b.tokens + (now - b.updated) * self.rate)
            b.updated = now
            if b.tokens >= 1:
                b.tokens -= 1
                return 0.0
            return (1 - b.tokens) / self.rate


def check_rate(request: Request, principal: Principal) -> None:
    state = request.app.state
    limiter: RateLimiter | None = getattr(state, "rate_limiter", None)
    if limiter is None:
        settings: Settings = state.settings
        limiter = state.rate_limiter = RateLimiter(settings.ingest.rate_per_second, settings.ingest.burst)
    wait = limiter.take(principal.org_id)
    if wait > 0:
        raise Throttled(retry_after=max(1, math.ceil(wait)), detail={"retry_after_s": math.ceil(wait)})
