"""Response shapes of the analytics views (the API returns them; the CLI prints the same JSON)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

By = Literal["activity", "moment"]
MomentView = Literal["model", "canonical"]
UsualFrom = Literal["p90", "fallback"]
"""Where a moment's usual time comes from: the 90th percentile of its left stays, or the fallback."""


class AnalyticsQuery(BaseModel):
    """What to analyse: which events (service, channel, period [start, end), customers of a segment) and how to
    read them.

    ``by``: steps are activities (every event) or moments (every stay). ``view``: moments as keys of the service's
    journey model, or mapped onto the 8 contact moments (always the case when no service is given).
    """

    model_config = ConfigDict(extra="forbid")

    service: str | None = None
    channel: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    segment: str | None = None
    """Only the events of the customers who belong to this segment now (its key)."""
    by: By = "activity"
    view: MomentView = "model"


class DfgEdge(BaseModel):
    source: str
    target: str
    frequency: int


class PerformanceEdge(DfgEdge):
    mean_s: float
    median_s: float


class EndActivities(BaseModel):
    start: dict[str, int]
    end: dict[str, int]


class VariantRead(BaseModel):
    variant: list[str]
    count: int
    share: float


class FunnelStep(BaseModel):
    """One moment of the funnel. Counts are processes unless named otherwise.

    ``reached``: processes that entered the moment. Each of them has exactly one outcome, read from its last entry
    into the moment, so ``moved_on + still_here + dropped == reached``:

    - ``moved_on``: went on to a moment further along the model after it. In the model's last moment (``renewal``
      true) moving on is renewing: any later entry (a new cycle), not a drop-off.
    - ``still_here``: still stands in the moment and has been in it no longer than the moment's usual time
      (``usual_s``, see analytics/outcomes.py): in progress, not lost.
    - ``dropped``: still stands in the moment beyond its usual time, or left it without moving on (went back).

    ``progressed``: processes that at some point entered a moment further along after it (the old conversion basis,
    0 in the last moment); ``conversion`` = progressed / reached. ``drop_off`` = ``dropped`` and ``drop_off_rate``
    = dropped / reached (before the split they counted every process not moved on, in-progress ones included).
    ``current``: processes standing in the moment now (still here or dropped); ``customers``: distinct customers
    that entered it; ``entries``: stays (a process may enter a moment more than once).
    """

    moment: str
    reached: int
    customers: int
    entries: int
    progressed: int
    conversion: float | None
    drop_off: int
    drop_off_rate: float | None
    current: int
    moved_on: int = 0
    still_here: int = 0
    dropped: int = 0
    usual_s: float | None = None
    usual_from: UsualFrom = "fallback"
    renewal: bool = False


class TimeInMoment(BaseModel):
    """Durations of the stays that were left (a stay is left when the next one is entered), in seconds.

    Percentiles interpolate linearly between the closest ranks (numpy's default).
    """

    moment: str
    stays: int
    closed: int
    open: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None


class ChannelShare(BaseModel):
    channel: str
    events: int
    share: float


class ChannelMix(BaseModel):
    """Events per channel while processes stood in the moment (each event counts in the stay in effect)."""

    moment: str
    events: int
    channels: list[ChannelShare]


class ContactFigures(BaseModel):
    """Contacts per customer in the moment: inbound (customer-started) and outbound (company-started).

    ``budget``: planned outbound contacts per customer for the moment (service's contact level and the moment's
    intensity); only for a single service's own model. ``over_budget``: customers with more outbound contacts in
    the moment than the budget.
    """

    moment: str
    customers: int
    inbound: int
    outbound: int
    inbound_per_customer: float | None
    outbound_per_customer: float | None
    budget: int | None
    over_budget: int | None


class MomentIndicators(BaseModel):
    service: str | None
    model: str
    moments: list[str]
    funnel: list[FunnelStep]
    time_in_moment: list[TimeInMoment]
    channel_mix: list[ChannelMix]
    contacts: list[ContactFigures]


class MomentConformance(BaseModel):
    """Of the processes a moment concerns (they entered it, or deviated there), how many had no deviation there."""

    moment: str
    processes: int
    conforming: int
    rate: float | None
    deviations: int


class DeviationCount(BaseModel):
    """Processes with a deviation kind (at one moment, or ``*``: any; in one channel, or ``*``: any) and how many
    deviations they had; ``share``: of the processes the moment concerns."""

    kind: str
    moment: str
    channel: str
    processes: int
    deviations: int
    share: float | None


class ConformanceRead(BaseModel):
    """Conformance of one service's processes to its designed journey (analytics/conformance.py)."""

    service: str
    model: str
    processes: int
    conforming: int
    rate: float | None
    moments: list[MomentConformance]
    deviations: list[DeviationCount]
    """Every kind (moment and channel ``*``) first, most processes first; then per moment and per channel."""


class Deviation(BaseModel):
    """One deviation of one process: kind, moment, channel (unplanned and missed contacts) and the steps behind it
    (activity or moment key, time)."""

    kind: str
    moment: str
    channel: str
    steps: list[tuple[str, datetime]]
