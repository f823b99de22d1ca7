"""The pure evaluation: time, window and score rules, pauses, duplicates and arrival order; message dates."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from momentos.kit import i18n
from momentos.promises.evaluate import Fact, evaluate
from momentos.promises.notices import format_when
from momentos.promises.rules import RuleIn

T = datetime(2026, 3, 23, 8, 0, tzinfo=UTC)  # a Monday, 09:00 in Madrid


def rule(**kwargs: Any) -> Any:
    return RuleIn.model_validate({"start_activity": "start", "stop_activity": "stop", "target_hours": 10,
                                  **kwargs}).compile()


def f(activity: str, hours: float, mid: str | None = None, **props: Any) -> Fact:
    return Fact(T + timedelta(hours=hours), mid or f"{activity}@{hours}", activity, props)


def test_nothing_before_the_start_activity() -> None:
    assert evaluate(rule(), [f("stop", 1)], T + timedelta(days=9)) is None


def test_time_rule_states_along_the_clock() -> None:
    r = rule(at_risk_fraction=0.5)
    events = [f("start", 0)]
    assert [evaluate(r, events, T + timedelta(hours=h)).state for h in (1, 6, 11)] == [  # type: ignore[union-attr]
        "pending", "at_risk", "broken"]
    kept = evaluate(r, [*events, f("stop", 9)], T + timedelta(hours=30))
    assert kept is not None and (kept.state, kept.closed_at, kept.elapsed_seconds) == ("kept", T + timedelta(hours=9),
                                                                                      9 * 3600)


def test_business_calendar_and_pause_move_the_due_time() -> None:
    week = {d: [["09:00", "14:00"], ["15:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
    r = rule(calendar={"timezone": "Europe/Madrid", "hours": week, "holidays": ["2026-03-24"]},
             pause_activities=["waiting"], resume_activities=["answered"])
    ev = evaluate(r, [f("start", 0)], T)
    # Monday 09:00–14:00 and 15:00–18:00 = 8 h; Tuesday is a holiday; Wednesday 09:00 + 2 h = 11:00 Madrid
    assert ev is not None and ev.due_at == datetime(2026, 3, 25, 10, 0, tzinfo=UTC)
    paused = evaluate(r, [f("start", 0), f("waiting", 1), f("answered", 3)], T)  # 2 working hours paused
    assert paused is not None and paused.due_at == datetime(2026, 3, 25, 12, 0, tzinfo=UTC)  # 13:00 Madrid
    open_pause = evaluate(r, [f("start", 0), f("waiting", 1)], T + timedelta(days=30))
    assert open_pause is not None and (open_pause.state, open_pause.due_at, open_pause.paused,
                                       open_pause.next_check_at) == ("pending", None, True, None)


def test_due_from_a_property_of_the_start_event() -> None:
    r = rule(target_hours=None, due_property="case:deadline", at_risk_fraction=0.5)
    ev = evaluate(r, [f("start", 0, **{"case:deadline": "2026-03-24T09:00:00+01:00"})], T)
    assert ev is not None and ev.due_at == T + timedelta(hours=24) and ev.at_risk_at == T + timedelta(hours=12)


def test_window_rule_kept_when_it_closes_quietly_broken_by_a_breach_inside() -> None:
    r = rule(type="window", stop_activity=None, target_hours=None, window_hours=30 * 24,
             breach_activities=["return_refused"])
    assert evaluate(r, [f("start", 0)], T + timedelta(days=31)).state == "kept"  # type: ignore[union-attr]
    broken = evaluate(r, [f("start", 0), f("return_refused", 48)], T + timedelta(days=3))
    assert broken is not None and (broken.state, broken.closed_at) == ("broken", T + timedelta(hours=48))
    late = evaluate(r, [f("start", 0), f("return_refused", 40 * 24)], T + timedelta(days=41))
    assert late is not None and late.state == "kept"


def test_score_rule_threshold_and_failures() -> None:
    r = rule(type="score", stop_activity=None, target_hours=None, score_activity="survey_answered",
             score_property="csat", min_score=4, failure_activities=["product_failed"])
    assert evaluate(r, [f("start", 0), f("survey_answered", 5, csat=5)], T).state == "kept"  # type: ignore[union-attr]
    assert evaluate(r, [f("start", 0), f("survey_answered", 5, csat="2")], T).state == "broken"  # type: ignore[union-attr]
    assert evaluate(r, [f("start", 0), f("product_failed", 1)], T).state == "broken"  # type: ignore[union-attr]
    assert evaluate(r, [f("start", 0), f("survey_answered", 5, csat="n/a")], T).state == "pending"  # type: ignore[union-attr]


def test_order_and_duplicates_do_not_matter() -> None:
    r = rule(pause_activities=["waiting"], resume_activities=["answered"])
    events = [f("start", 0), f("waiting", 2), f("answered", 5), f("waiting", 6), f("answered", 6.5), f("stop", 14)]
    expected = evaluate(r, events, T + timedelta(days=2))
    rng = random.Random(3)
    for _ in range(20):
        shuffled = events + rng.sample(events, 3)
        rng.shuffle(shuffled)
        assert evaluate(r, shuffled, T + timedelta(days=2)) == expected


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("tz", ["Europe/Madrid", "America/Mexico_City", "UTC"])
def test_message_dates_read_like_the_pages(lang: str, tz: str) -> None:
    for hours in range(0, 24 * 400, 97):
        at = T + timedelta(hours=hours, minutes=hours % 60)
        assert format_when(at, lang, tz) == i18n.format_datetime(at, lang, tz)
