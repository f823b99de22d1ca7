"""The rolling-hour detector (pure): silent on a new stream's quiet first days (no zero padding), an alarm at the
first 15-minute check after a surge begins, one episode however long it lasts, no alarm on a campaign or a tiny
stream."""

from __future__ import annotations

import numpy as np
import pytest

from momentos.listening.warning.rolling import FULL, SILENT, WARMING, Rules, mode_of, scan

DAY = 96


def quiet(days: int, per_day: float = 300, seed: int = 5, share: float = 0.3) -> tuple[np.ndarray, np.ndarray]:
    """A new organization's stream in 15-minute steps: busy afternoons, quiet nights, ~``per_day`` mentions a day."""
    rng = np.random.default_rng(seed)
    hour = (np.arange(days * DAY) % DAY) / 4
    shape = 0.15 + np.clip(np.sin(np.pi * (hour - 6) / 16), 0, None)
    rate = per_day * shape / shape[:DAY].sum()
    counts = rng.poisson(rate)
    return counts, rng.binomial(counts, share)


def surge(counts: np.ndarray, negatives: np.ndarray, at: int, steps: int, per_hour: int, share: float = 0.8,
          seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    extra = rng.poisson(per_hour / 4, steps)
    counts[at:at + steps] += extra
    negatives[at:at + steps] += rng.binomial(extra, share)


def test_a_new_organizations_quiet_first_days_raise_nothing() -> None:
    for seed in range(5):
        counts, negatives = quiet(days=4, seed=seed)
        assert scan(counts, negatives) == []


def test_the_first_day_is_silent_then_the_day_to_day_baseline_then_the_weekly_one() -> None:
    rules = Rules()
    assert mode_of(0) == SILENT and mode_of(rules.warm_after - 1) == SILENT
    assert mode_of(rules.warm_after) == WARMING and mode_of(rules.full_after - 1) == WARMING
    assert mode_of(rules.full_after) == FULL


@pytest.mark.parametrize("day", [2, 15])
def test_a_surge_alarms_at_the_first_check_after_it_begins(day: int) -> None:
    counts, negatives = quiet(days=day + 1)
    at = day * DAY + 14 * 4  # 14:00
    surge(counts, negatives, at, steps=8, per_hour=120)
    [episode] = scan(counts, negatives)
    assert episode.first.index == at + 1  # the check at 14:15 sees the quarter 14:00–14:15
    assert episode.onset == at
    assert episode.first.mode == (WARMING if day < 14 else FULL)
    assert episode.first.negatives > 3 * episode.first.expected_negatives


def test_a_long_surge_is_one_episode_closed_after_it_ends() -> None:
    counts, negatives = quiet(days=4)
    at = 3 * DAY + 10 * 4
    surge(counts, negatives, at, steps=16, per_hour=40)
    [episode] = scan(counts, negatives)
    assert episode.onset <= at + 1 and at + 16 <= episode.last <= at + 16 + Rules().window
    assert episode.closed and episode.checks >= 12
    assert episode.peak.negatives >= episode.first.negatives


def test_a_campaign_lifts_the_count_not_the_share_and_raises_nothing() -> None:
    counts, negatives = quiet(days=4)
    surge(counts, negatives, 3 * DAY + 14 * 4, steps=8, per_hour=60, share=0.3)
    assert scan(counts, negatives) == []


def test_a_tiny_stream_never_alarms_on_a_few_angry_messages() -> None:
    counts, negatives = quiet(days=20, per_day=6)
    surge(counts, negatives, 18 * DAY + 40, steps=2, per_hour=8, share=1.0)
    assert int(negatives[18 * DAY + 36:18 * DAY + 44].sum()) < Rules().min_negatives
    assert scan(counts, negatives) == []


def test_checks_only_from_the_start_asked_and_history_before_the_series_counts() -> None:
    counts, negatives = quiet(days=3)
    at = 2 * DAY + 50
    surge(counts, negatives, at, steps=4, per_hour=60)
    assert scan(counts, negatives, start=at + 8) == []
    [episode] = scan(counts[DAY:], negatives[DAY:], first=-DAY)  # the first day is history before the series
    assert episode.first.index == at - DAY + 1
