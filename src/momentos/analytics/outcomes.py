"""Moment outcomes: of the processes that entered a moment, how many moved on, are still here, or dropped.

Each process that entered a moment gets one outcome, read from its last entry into it:

- *moved on*: it later entered a moment further along the model. From the model's last moment (loyalty, renewal)
  every move starts a new cycle (processes/moves.py), so there any later entry counts as moved on: it *renewed*.
- *still here*: it still stands in the moment and has been there no longer than the moment's usual time.
- *dropped*: it still stands in the moment beyond the usual time, or it left the moment without moving on (went
  back). Processes have no closed state of their own: one that stopped moving stays where it stood and counts as
  dropped once its usual time is over.

Usual time of a moment (``usual_time``): the 90th percentile of the durations of the stays in it that were left
(in the view being read: a service's own model, or the 8 contact moments), when at least ``USUAL_MIN_STAYS`` stays
were left; with fewer, the percentile says little and ``USUAL_FALLBACK_S`` (30 days) is used instead. Both paths
(indicators.funnel from the log, answers.funnel from the aggregates) use these functions, so they agree.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from momentos.analytics.schemas import FunnelStep, TimeInMoment, UsualFrom
from momentos.kit.clock import ensure_utc

USUAL_MIN_STAYS = 5
"""Left stays needed before their 90th percentile is taken as the moment's usual time."""
USUAL_FALLBACK_S = 30 * 86_400.0
"""The usual time of a moment with fewer left stays: 30 days."""
ENTERED_METRIC = "e"
"""Metric of analytics_durations holding, per moment, the entry times (epoch µs) of the stays still open."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)


def usual_time(times: TimeInMoment) -> tuple[float, UsualFrom]:
    """The moment's usual time in seconds and where it comes from."""
    if times.closed >= USUAL_MIN_STAYS and times.p90_s is not None:
        return times.p90_s, "p90"
    return USUAL_FALLBACK_S, "fallback"


def since_us(now: datetime, usual_s: float) -> int:
    """Processes that entered their current stay at or after this instant (epoch µs) are within the usual time."""
    return (ensure_utc(now) - _EPOCH) // _MICRO - math.floor(usual_s * 1_000_000)


def step(moment: str, *, reached: int, customers: int, entries: int, progressed: int, current: int, moved_on: int,
         still_here: int, times: TimeInMoment, renewal: bool) -> FunnelStep:
    """A funnel step from the counters (``still_here`` counted against ``usual_time(times)``)."""
    usual_s, usual_from = usual_time(times)
    dropped = reached - moved_on - still_here
    return FunnelStep(moment=moment, reached=reached, customers=customers, entries=entries, progressed=progressed,
                      conversion=_ratio(progressed, reached), drop_off=dropped,
                      drop_off_rate=_ratio(dropped, reached), current=current, moved_on=moved_on,
                      still_here=still_here, dropped=dropped, usual_s=usual_s, usual_from=usual_from,
                      renewal=renewal)


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None

