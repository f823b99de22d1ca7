"""The early-warning detector: fires when count and negative share both jump, not on a campaign."""

from __future__ import annotations

import numpy as np
import pytest

from momentos.listening.warning.detector import detect, detect_count_only

WEEK = 168


def stream(weeks: int = 5, seed: int = 3, share: float = 0.25) -> tuple[np.ndarray, np.ndarray]:
    """Hourly mentions with a day/night cycle and over-dispersion; a fixed share of them negative."""
    rng = np.random.default_rng(seed)
    hours = np.arange(weeks * WEEK)
    rate = 6 + 5 * np.sin(2 * np.pi * (hours % 24 - 6) / 24).clip(0) + 2 * ((hours // 24) % 7 < 5)
    counts = rng.negative_binomial(8, 8 / (8 + rate))
    negatives = rng.binomial(counts, share)
    return counts, negatives


def test_a_crisis_hour_alarms_with_its_figures() -> None:
    counts, negatives = stream()
    t = 4 * WEEK + 30
    counts[t] += 30
    negatives[t] += 27
    alarms = detect(counts, negatives)
    assert t in [a.index for a in alarms]
    alarm = next(a for a in alarms if a.index == t)
    assert alarm.count == counts[t] and alarm.negatives == negatives[t]
    assert alarm.p_count < 0.01 and alarm.p_share < 0.01
    assert 0.1 < alarm.expected_share < 0.4 and alarm.expected_count < counts[t] / 2


def test_a_campaign_lifts_the_count_but_not_the_share_and_does_not_alarm() -> None:
    counts, negatives = stream()
    t = 4 * WEEK + 30
    rng = np.random.default_rng(9)
    extra = 40
    counts[t] += extra
    negatives[t] += rng.binomial(extra, 0.25)
    assert t in detect_count_only(counts)
    assert t not in [a.index for a in detect(counts, negatives)]


def test_a_quiet_stream_gives_at_most_half_a_false_alarm_per_week() -> None:
    counts, negatives = stream(weeks=10, seed=11)
    hours = [a.index for a in detect(counts, negatives)]
    episodes = sum(1 for i, t in enumerate(hours) if i == 0 or t != hours[i - 1] + 1)
    assert episodes <= 0.5 * (10 - 2)


def test_history_shorter_than_two_seasons_gives_no_alarm() -> None:
    counts, negatives = stream(weeks=1)
    counts[100] += 50
    negatives[100] += 50
    assert detect(counts, negatives) == []


@pytest.mark.parametrize(("counts", "negatives"), [([1, 2], [1]), ([1, 2], [2, 0]), ([-1], [0])])
def test_inconsistent_series_are_refused(counts: list[int], negatives: list[int]) -> None:
    with pytest.raises(ValueError, match="counts"):
        detect(counts, negatives)
