"""The single source of truth of a promise's state: a pure function of its rule, the process's events and now.

``timeline(rule, events)`` reads the event history once (sorted, duplicates by message id dropped, so arrival
order does not matter) into the instants that matter: start, due, at risk, and an outcome the events settled
(a stop, a breach, a score). ``state_at(timeline, now)`` then places ``now`` among them. The stored instance is a
cache of both; the clock moves it forward with ``state_at`` alone, which equals a full recomputation because
without new events only ``now`` changes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from momentos.promises import calendar as cal
from momentos.promises.rules import Rule

STATES: tuple[str, ...] = ("pending", "at_risk", "kept", "broken")
OPEN_STATES: tuple[str, ...] = ("pending", "at_risk")


@dataclass(frozen=True)
class Fact:
    """One event, as far as promises care."""

    timestamp: datetime
    message_id: str
    activity: str
    properties: Mapping[str, Any]


@dataclass(frozen=True)
class Timeline:
    started_at: datetime
    due_at: datetime | None = None
    due_state: str = "broken"
    """What reaching ``due_at`` means: ``broken`` (a time promise) or ``kept`` (a window closing quietly)."""
    at_risk_at: datetime | None = None
    closed_state: str | None = None
    closed_at: datetime | None = None
    stopped_at: datetime | None = None
    paused: bool = False
    pauses: tuple[cal.Interval, ...] = ()


@dataclass(frozen=True)
class Evaluation:
    state: str
    started_at: datetime
    due_at: datetime | None
    at_risk_at: datetime | None
    closed_at: datetime | None
    stopped_at: datetime | None
    paused: bool
    next_check_at: datetime | None
    elapsed_seconds: float


def ordered(events: Iterable[Fact]) -> list[Fact]:
    """Sorted by (timestamp, message id), one fact per message id."""
    unique: dict[str, Fact] = {}
    for e in events:
        unique.setdefault(e.message_id, e)
    return sorted(unique.values(), key=lambda e: (e.timestamp, e.message_id))


def timeline(rule: Rule, events: Iterable[Fact]) -> Timeline | None:
    """None while the start condition has not happened."""
    facts = ordered(events)
    start = next((i for i, e in enumerate(facts) if e.activity == rule.start), None)
    if start is None:
        return None
    after = facts[start:]
    if rule.type == "time":
        return _time(rule, after)
    if rule.type == "window":
        return _window(rule, after)
    return _score(rule, after)


def _time(rule: Rule, facts: list[Fact]) -> Timeline:
    started = facts[0].timestamp
    pauses: list[cal.Interval] = []
    paused_since: datetime | None = None
    stopped: datetime | None = None
    for e in facts[1:]:
        if e.activity == rule.stop:
            stopped = e.timestamp
            break
        if e.activity in rule.pauses and paused_since is None:
            paused_since = e.timestamp
        elif e.activity in rule.resumes and paused_since is not None:
            pauses.append((paused_since, e.timestamp))
            paused_since = None
    if paused_since is not None:
        pauses.append((paused_since, stopped or cal.FOREVER))
    paused = paused_since is not None and stopped is None
    due, at_risk = _time_due(rule, facts[0], pauses)
    if stopped is not None:
        kept = due is None or stopped <= due
        return Timeline(started, due, "broken", at_risk, "kept" if kept else "broken", stopped if kept else due,
                        stopped, pauses=tuple(pauses))
    return Timeline(started, due, "broken", at_risk, paused=paused, pauses=tuple(pauses))


def _time_due(rule: Rule, start: Fact, pauses: list[cal.Interval]) -> tuple[datetime | None, datetime | None]:
    if rule.due_property is not None:
        due = parse_instant(start.properties.get(rule.due_property))
        if due is None:
            return None, None
        span = (due - start.timestamp).total_seconds()
        return due, _risk_point(rule, span, lambda s: start.timestamp + timedelta(seconds=s), due)
    assert rule.target_seconds is not None
    due = _known(cal.add(rule.calendar, start.timestamp, rule.target_seconds, pauses))
    at_risk = _risk_point(rule, rule.target_seconds,
                          lambda s: _known(cal.add(rule.calendar, start.timestamp, s, pauses)), due)
    return due, at_risk


def _risk_point(rule: Rule, span: float, at: Any, due: datetime | None) -> datetime | None:
    if rule.at_risk_seconds_left is not None:
        point = at(max(0.0, span - rule.at_risk_seconds_left))
    elif rule.at_risk_fraction is not None:
        point = at(span * rule.at_risk_fraction)
    else:
        return None
    if point is None or due is None or point >= due:
        return None
    return point  # type: ignore[no-any-return]


def _known(instant: datetime) -> datetime | None:
    return None if instant >= cal.FOREVER else instant


def _window(rule: Rule, facts: list[Fact]) -> Timeline:
    started = facts[0].timestamp
    assert rule.window_seconds is not None
    closes = started + timedelta(seconds=rule.window_seconds)
    for e in facts[1:]:
        if e.timestamp > closes:
            break
        if e.activity in rule.breaches:
            return Timeline(started, closes, "kept", None, "broken", e.timestamp)
    return Timeline(started, closes, "kept")


def _score(rule: Rule, facts: list[Fact]) -> Timeline:
    started = facts[0].timestamp
    closes = started + timedelta(seconds=rule.window_seconds) if rule.window_seconds is not None else None
    for e in facts[1:]:
        if closes is not None and e.timestamp > closes:
            break
        if e.activity in rule.failures:
            return Timeline(started, closes, "kept", None, "broken", e.timestamp)
        if e.activity == rule.score_activity and rule.score_property and rule.min_score is not None:
            score = _number(e.properties.get(rule.score_property))
            if score is not None:
                return Timeline(started, closes, "kept", None, "kept" if score >= rule.min_score else "broken",
                                e.timestamp)
    return Timeline(started, closes, "kept")


def state_at(tl: Timeline, now: datetime) -> tuple[str, datetime | None, datetime | None]:
    """(state, closed at, next check) at ``now``."""
    if tl.closed_state is not None:
        return tl.closed_state, tl.closed_at, None
    if tl.due_at is not None and now >= tl.due_at:
        return tl.due_state, tl.due_at, None
    if tl.at_risk_at is not None and now >= tl.at_risk_at:
        return "at_risk", None, tl.due_at
    return "pending", None, tl.at_risk_at or tl.due_at


def evaluate(rule: Rule, events: Iterable[Fact], now: datetime) -> Evaluation | None:
    """The state of an instance from its events and the clock (None: the promise has not started)."""
    tl = timeline(rule, events)
    if tl is None:
        return None
    state, closed_at, next_check = state_at(tl, now)
    end = min(now, tl.stopped_at or now)
    elapsed = cal.elapsed(rule.calendar, tl.started_at, end, tl.pauses) if rule.type == "time" else max(
        0.0, (end - tl.started_at).total_seconds())
    return Evaluation(state, tl.started_at, tl.due_at, tl.at_risk_at, closed_at, tl.stopped_at, tl.paused,
                      next_check, elapsed)


def parse_instant(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None
