"""Business calendars: working hours per weekday, holidays and a time zone (``zoneinfo``).

Working time is a stream of UTC intervals built from local wall-clock hours, so nights, weekends, holidays and
daylight-saving changes fall out of the time zone database. A window runs from the instant of its start to the
instant of its end (``instant``): an hour skipped in spring is not worked, an hour repeated in autumn is worked
twice when the whole window spans it. A calendar of ``None`` is the plain clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

FOREVER = datetime(9999, 1, 1, tzinfo=UTC)
MAX_DAYS = 3660
"""A calendar with no working day in ten years is refused (it would never reach a due time)."""

Interval = tuple[datetime, datetime]


class CalendarError(ValueError):
    pass


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "UTC"
    hours: tuple[tuple[tuple[time, time], ...], ...] = field(default_factory=lambda: ((),) * 7)
    """Per weekday (Monday = 0): local (start, end) windows; ``end`` of ``00:00`` means midnight."""
    holidays: frozenset[date] = frozenset()

    def day_windows(self, day: date) -> list[Interval]:
        if day in self.holidays:
            return []
        tz = _zone(self.timezone)
        out: list[Interval] = []
        for start, end in self.hours[day.weekday()]:
            end_day = day + timedelta(days=1) if end == time(0) else day
            a = instant(datetime.combine(day, start), tz)
            b = instant(datetime.combine(end_day, end), tz)
            if b > a:
                out.append((a, b))
        return sorted(out)

    def intervals(self, since: datetime) -> Iterator[Interval]:
        """Working intervals (UTC, ascending, disjoint) from ``since`` on, the first one clipped to it."""
        tz = _zone(self.timezone)
        day = since.astimezone(tz).date() - timedelta(days=1)
        last: datetime = since
        idle = 0
        while True:
            windows = self.day_windows(day)
            idle = 0 if windows else idle + 1
            if idle > MAX_DAYS:
                raise CalendarError("the calendar has no working time")
            for a, b in windows:
                a = max(a, last)
                if b > a:
                    yield a, b
                    last = b
            day += timedelta(days=1)


def instant(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall time: its first occurrence when the clock is set back, and the moment
    the clock jumps when it falls in the hour skipped in spring (the first valid time at or after it)."""
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == local:
        return first
    lo = int(local.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())  # its wall time is before ``local``
    hi = int(first.timestamp())  # its wall time is after ``local``
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) >= local:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def plain(since: datetime) -> Iterator[Interval]:
    yield since, FOREVER


def working(calendar: BusinessCalendar | None, since: datetime, pauses: Iterable[Interval] = ()) -> Iterator[Interval]:
    """Working intervals from ``since`` with the (sorted, disjoint) pause intervals cut out."""
    base = plain(since) if calendar is None else calendar.intervals(since)
    cuts = sorted(pauses)
    open_from = next((pa for pa, pb in cuts if pb >= FOREVER), None)
    for a, b in base:
        if open_from is not None and a >= open_from:
            return  # paused until further notice: no more working time
        for pa, pb in cuts:
            if pb <= a or pa >= b:
                continue
            if pa > a:
                yield a, pa
            a = max(a, pb)
            if a >= b:
                break
        if a < b:
            yield a, b


def elapsed(calendar: BusinessCalendar | None, start: datetime, end: datetime,
            pauses: Iterable[Interval] = ()) -> float:
    """Working seconds between ``start`` and ``end``."""
    total = 0.0
    if end <= start:
        return total
    for a, b in working(calendar, start, pauses):
        if a >= end:
            break
        total += (min(b, end) - a).total_seconds()
    return total


def add(calendar: BusinessCalendar | None, start: datetime, seconds: float,
        pauses: Iterable[Interval] = ()) -> datetime:
    """The instant at which ``seconds`` of working time have passed since ``start``."""
    left = timedelta(seconds=seconds)
    for a, b in working(calendar, start, pauses):
        if b - a >= left:
            return a + left
        left -= b - a
    return FOREVER  # pragma: no cover - the interval streams never end
