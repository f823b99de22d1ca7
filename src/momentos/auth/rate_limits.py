"""Rate limits of the API per caller: a token bucket per admin key for everything but ingestion (whose own,
per organization, is ``doors.ratelimit``). An empty bucket is a 429 ``throttled`` with ``Retry-After``."""

from __future__ import annotations

import math
from collections.abc import Hashable

from starlette.requests import Request

from momentos.config import Settings
from momentos.errors import Throttled
from momentos.kit.token_bucket import RateLimiter, limiter_of


def take_or_throttle(limiter: RateLimiter, key: Hashable) -> None:
    """One token from ``key``'s bucket, or Throttled with the seconds to wait."""
    wait = limiter.take(key)
    if wait > 0:
        raise Throttled(retry_after=max(1, math.ceil(wait)), detail={"retry_after_s": math.ceil(wait)})


def check_api_rate(request: Request, key_digest: str) -> None:
    """The API beside ingestion (reads, configuration): ``MOMENTOS_API__RATE_PER_SECOND`` and ``__BURST`` per
    admin key (known by its digest, so two keys of one organization have a bucket each)."""
    settings: Settings = request.app.state.settings
    take_or_throttle(limiter_of(request.app.state, "api_rate_limiter", settings.api.rate_per_second,
                                settings.api.burst), key_digest)
