"""What the doors take from the app's wiring (``app.state.wiring``, built by ``momentos.bootstrap`` in
``create_app``): the reactions every ingestion hands its stored events to, and the settings' plausibility window
for event times."""

from __future__ import annotations

from datetime import datetime

from fastapi import Request

from momentos.config import Settings
from momentos.events.reactions import Reaction
from momentos.kit.event_time import TimeWindow


def reactions(request: Request) -> tuple[Reaction, ...]:
    found: tuple[Reaction, ...] = request.app.state.wiring.reactions
    return found


def time_window(request: Request, now: datetime) -> TimeWindow:
    """The plausible event times for a request read at ``now`` (``MOMENTOS_INGEST__EARLIEST``,
    ``MOMENTOS_INGEST__MAX_FUTURE_DAYS``)."""
    settings: Settings = request.app.state.settings
    return TimeWindow.around(now, earliest=settings.ingest.earliest, max_future_days=settings.ingest.max_future_days)
