"""Business calendars against an independent brute force: every UTC minute of each local working window, placed
with pandas (``tz_localize``, first occurrence in autumn, shifted forward over the spring gap), holidays and
pauses removed, counted. Around the daylight-saving changes of Europe/Madrid (2021 and 2026) and of
America/Mexico_City (2021, its last year with DST)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from hypothesis import example, given, settings
from hypothesis import strategies as st

from momentos.promises import calendar as cal
from momentos.promises.rules import WEEKDAYS, CalendarIn

ZONES = ["Europe/Madrid", "America/Mexico_City", "UTC"]
BASES = [datetime(2021, 3, 25, tzinfo=UTC), datetime(2021, 3, 31, tzinfo=UTC), datetime(2021, 10, 26, tzinfo=UTC),
         datetime(2026, 3, 25, tzinfo=UTC), datetime(2026, 10, 21, tzinfo=UTC)]
MINUTE = timedelta(minutes=1)


@st.composite
def windows(draw: st.DrawFn) -> list[tuple[str, str]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        a = draw(st.one_of(st.integers(0, 47), st.sampled_from([2, 3, 4, 5])))  # often near 02:00 (the changes)
        b = draw(st.one_of(st.integers(a + 1, 48), st.sampled_from([max(a + 1, x) for x in (4, 5, 6, 7)])))
        out.append((f"{a // 2:02d}:{a % 2 * 30:02d}", "00:00" if b == 48 else f"{b // 2:02d}:{b % 2 * 30:02d}"))
    return out


@st.composite
def calendars(draw: st.DrawFn) -> CalendarIn:
    hours = {day: draw(windows()) for day in WEEKDAYS}
    if not any(hours.values()):
        hours["wed"] = [("09:00", "17:00")]
    base = draw(st.sampled_from(BASES)).date()
    holidays = draw(st.lists(st.integers(-2, 20).map(lambda d: base + timedelta(days=d)), max_size=4))
    return CalendarIn(timezone=draw(st.sampled_from(ZONES)), hours=hours, holidays=holidays)


def brute_minutes(c: CalendarIn, start: datetime, end: datetime) -> set[datetime]:
    """The working minutes (UTC starts) in [start, end)."""
    out: set[datetime] = set()
    day = start.astimezone(cal._zone(c.timezone)).date() - timedelta(days=2)
    last = end.astimezone(cal._zone(c.timezone)).date() + timedelta(days=1)
    while day <= last:
        if day not in set(c.holidays):
            for a, b in c.hours.get(WEEKDAYS[day.weekday()]) or []:
                lo = _localize(day, a, c.timezone)
                hi = _localize(day + timedelta(days=1) if b == "00:00" else day, b, c.timezone)
                m = max(lo, start)
                while m < min(hi, end):
                    out.add(m)
                    m += MINUTE
        day += timedelta(days=1)
    return out


def _localize(day: date, hhmm: str, tz: str) -> datetime:
    naive = pd.Timestamp(datetime.combine(day, time.fromisoformat(hhmm)))
    stamp = naive.tz_localize(tz, ambiguous=True, nonexistent="shift_forward").tz_convert("UTC")
    return datetime.fromtimestamp(stamp.timestamp(), UTC)


spans = st.tuples(st.integers(0, 9 * 24 * 60), st.integers(0, 6 * 24 * 60))


SPRING_GAP = CalendarIn(timezone="Europe/Madrid", hours={"sun": [("01:00", "02:30")]})
AUTUMN_FOLD = CalendarIn(timezone="America/Mexico_City", hours={"sun": [("01:30", "04:00")]})


@settings(max_examples=150, deadline=None)
@example(c=SPRING_GAP, span=(0, 8 * 24 * 60), base=BASES[3], pause=None)
@example(c=AUTUMN_FOLD, span=(0, 8 * 24 * 60), base=BASES[2], pause=None)
@given(c=calendars(), span=spans, base=st.sampled_from(BASES),
       pause=st.one_of(st.none(), st.tuples(st.integers(0, 5 * 24 * 60), st.integers(1, 3 * 24 * 60))))
def test_working_time_equals_the_brute_force_count_of_working_minutes(
        c: CalendarIn, span: tuple[int, int], base: datetime, pause: tuple[int, int] | None) -> None:
    start = base + timedelta(minutes=span[0])
    end = start + timedelta(minutes=span[1])
    pauses = [] if pause is None else [(start + timedelta(minutes=pause[0]),
                                        start + timedelta(minutes=pause[0] + pause[1]))]
    minutes = brute_minutes(c, start, end)
    for a, b in pauses:
        minutes = {m for m in minutes if not a <= m < b}
    assert cal.elapsed(c.compile(), start, end, pauses) == len(minutes) * 60


@settings(max_examples=150, deadline=None)
@example(c=SPRING_GAP, offset=0, base=BASES[3], work=60)
@given(c=calendars(), offset=st.integers(0, 9 * 24 * 60), base=st.sampled_from(BASES),
       work=st.integers(0, 30 * 60))
def test_adding_working_time_lands_on_the_first_instant_that_much_work_is_done(
        c: CalendarIn, offset: int, base: datetime, work: int) -> None:
    start = base + timedelta(minutes=offset)
    compiled = c.compile()
    due = cal.add(compiled, start, work * 60)
    assert cal.elapsed(compiled, start, due) == work * 60
    if work > 0:  # the minute before the due time was worked: nothing earlier would do
        assert due - MINUTE in brute_minutes(c, due - MINUTE, due)
