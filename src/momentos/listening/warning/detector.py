"""Early warning of crises on an hourly series of mentions: alarm when both the count and the share of negatives
jump against their own seasonal baseline.

* Count: negative-binomial upper tail of this hour's count against the same hour of the week in the previous
  ``weeks`` seasons (± ``spread`` neighbouring hours), its dispersion estimated by moments from those values.
* Share: binomial upper tail of this hour's negatives given its count and the negative share of the trailing
  ``season`` hours.

A campaign lifts the count but not the share; a quiet hour with a few angry messages lifts the share but not the
count: neither alarms alone. Hours that alarmed are replaced by their expectation in later baselines, so a crisis
does not teach the detector that crises are normal. Pure functions, no database."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Alarm:
    index: int
    count: int
    negatives: int
    expected_count: float
    expected_share: float
    p_count: float
    p_share: float


def detect(counts: Sequence[int], negatives: Sequence[int], *, season: int = 168, weeks: int = 4, spread: int = 1,
           windows: Sequence[int] = (1, 3), alpha_count: float = 0.05, alpha_share: float = 0.05,
           min_negatives: int = 3, min_history: int = 2, count_negatives: bool = False) -> list[Alarm]:
    """Alarms for every hour (index into the series) whose count and negative share both jump.

    Each hour is tested over the last ``w`` hours for each ``w`` in ``windows`` (a crisis that builds over a few
    hours accumulates evidence); the levels are split between the windows (Bonferroni). ``season`` hours make one
    cycle (168: hour of the week); the first ``min_history`` seasons only build the baseline. ``min_negatives``
    ignores windows with too few negatives to matter. ``count_negatives`` runs the count test on the negative
    mentions instead of all mentions (then ``expected_count`` is the expected number of negatives): measured on the
    replayed stream of bench/listening.py it finds about as many crises with more false alarms, as both tests then
    react to the same negatives."""
    n, neg = _validate(counts, negatives)
    tested = neg if count_negatives else n
    baseline = tested.astype(float).copy()
    a_count, a_share = alpha_count / len(windows), alpha_share / len(windows)
    alarms: list[Alarm] = []
    for t in range(min_history * season, len(n)):
        for w in windows:
            alarm = _test(n, neg, tested, baseline, t, w, season=season, weeks=weeks, spread=spread)
            if alarm.negatives >= min_negatives and alarm.p_count < a_count and alarm.p_share < a_share:
                alarms.append(alarm)
                baseline[t] = _seasonal_moments(baseline, t, season, weeks, spread)[0]
                break
    return alarms


def _test(n: np.ndarray, neg: np.ndarray, tested: np.ndarray, baseline: np.ndarray, t: int, w: int, *, season: int,
          weeks: int, spread: int) -> Alarm:
    """Both tests on the window of ``w`` hours ending at ``t``."""
    first = max(0, t - w + 1)
    count, negatives = int(n[first:t + 1].sum()), int(neg[first:t + 1].sum())
    observed = int(tested[first:t + 1].sum())
    mean = var = 0.0
    for h in range(first, t + 1):  # hours of the window: independent given their seasonal moments
        m, v = _seasonal_moments(baseline, h, season, weeks, spread)
        mean, var = mean + m, var + v
    lo = max(0, first - season)
    share = _share(int(n[lo:first].sum()), int(neg[lo:first].sum()))
    return Alarm(index=t, count=count, negatives=negatives, expected_count=mean, expected_share=share,
                 p_count=_nbinom_sf(observed, mean, var), p_share=_binom_sf(negatives, count, share))


def detect_count_only(counts: Sequence[int], *, season: int = 168, weeks: int = 4, spread: int = 1,
                      alpha: float = 0.01, min_history: int = 2) -> list[int]:
    """The count test alone (the baseline a share test is compared with): indices of alarming hours."""
    n, _ = _validate(counts, [0] * len(counts))
    baseline = n.astype(float).copy()
    out = []
    for t in range(min_history * season, len(n)):
        mean, var = _seasonal_moments(baseline, t, season, weeks, spread)
        if _nbinom_sf(int(n[t]), mean, var) < alpha:
            out.append(t)
            baseline[t] = mean
    return out


def _validate(counts: Sequence[int], negatives: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    n = np.asarray(counts, dtype=np.int64)
    neg = np.asarray(negatives, dtype=np.int64)
    if n.ndim != 1 or n.shape != neg.shape:
        raise ValueError("counts and negatives must be two series of the same length")
    if (n < 0).any() or (neg < 0).any() or (neg > n).any():
        raise ValueError("counts must be ≥ negatives ≥ 0")
    return n, neg


def _seasonal_moments(series: np.ndarray, t: int, season: int, weeks: int, spread: int) -> tuple[float, float]:
    """Mean and variance of the same phase in previous seasons (with ± spread neighbours)."""
    idx = [t - w * season + d for w in range(1, weeks + 1) for d in range(-spread, spread + 1)]
    values = series[[i for i in idx if 0 <= i < t]]
    mean = float(values.mean()) if len(values) else 0.0
    var = float(values.var(ddof=1)) if len(values) > 1 else mean
    return max(mean, 0.5), var


def _share(total: int, negatives: int) -> float:
    """Trailing negative share, smoothed with one pseudo-observation of each kind (never 0 or 1)."""
    return float((negatives + 1) / (total + 2))


def _nbinom_sf(x: int, mean: float, var: float) -> float:
    """P(X ≥ x) for a negative binomial with this mean and variance (Poisson when not over-dispersed)."""
    from scipy import stats

    if x <= 0:
        return 1.0
    if var <= mean * 1.05:
        return float(stats.poisson.sf(x - 1, mean))
    r = mean * mean / (var - mean)
    return float(stats.nbinom.sf(x - 1, r, r / (r + mean)))


def _binom_sf(k: int, n: int, p: float) -> float:
    from scipy import stats

    if k <= 0:
        return 1.0
    return float(stats.binom.sf(k - 1, n, p))
