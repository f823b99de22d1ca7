"""The plausibility window for event times: not before a fixed earliest date (default 1900-01-01) and not more
than a few days (default 7) ahead of the server clock. An event stamped year 0001 or 9999 is a client's bug, not an
interaction; the doors refuse it (400 naming the event), file imports report its file and line. Imports no domain
package."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

DEFAULT_EARLIEST = date(1900, 1, 1)
DEFAULT_MAX_FUTURE_DAYS = 7


@dataclass(frozen=True)
class TimeWindow:
    earliest: datetime
    latest: datetime

    @classmethod
    def around(cls, now: datetime, *, earliest: date = DEFAULT_EARLIEST,
               max_future_days: int = DEFAULT_MAX_FUTURE_DAYS) -> TimeWindow:
        """The window for events received at ``now``."""
        return cls(datetime.combine(earliest, time(), tzinfo=UTC), now + timedelta(days=max_future_days))

    def problem(self, when: datetime) -> str | None:
        """Why ``when`` (aware) is implausible, or None when it is inside the window."""
        if when < self.earliest:
            return f"is before {self.earliest.date().isoformat()}"
        if when > self.latest:
            return f"is after {self.latest.isoformat(timespec='seconds')}, too far ahead of the server clock"
        return None

    def detail(self) -> dict[str, str]:
        return {"earliest": self.earliest.isoformat(), "latest": self.latest.isoformat()}


QUERY_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
QUERY_LATEST = datetime(2200, 1, 1, tzinfo=UTC)
"""Dates a read may filter on (``from``, ``to``, ``since``, ``before``): wide, but far from the ends of
``datetime``, so that adding a day or a time zone offset can never overflow."""


def query_time_problem(value: datetime) -> str | None:
    """Why a date-time given to filter a read is not plausible, or None."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if not QUERY_EARLIEST <= aware < QUERY_LATEST:
        return (f"must be between {QUERY_EARLIEST.date().isoformat()} and "
                f"{QUERY_LATEST.date().isoformat()}")
    return None
