"""Per-organization token buckets for ingestion (per process; 429 with Retry-After when empty)."""

from __future__ import annotations

from starlette.requests import Request

from momentos.auth.rate_limits import take_or_throttle
from momentos.config import Settings
from momentos.kit.token_bucket import RateLimiter, limiter_of
from momentos.orgs.service import Principal

__all__ = ["RateLimiter", "check_rate"]


def check_rate(request: Request, principal: Principal) -> None:
    settings: Settings = request.app.state.settings
    limiter = limiter_of(request.app.state, "rate_limiter", settings.ingest.rate_per_second, settings.ingest.burst)
    take_or_throttle(limiter, principal.org_id)
