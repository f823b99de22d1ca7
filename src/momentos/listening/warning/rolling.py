"""The early-warning detector on a rolling hour, evaluated every 15 minutes: an alarm when the negative mentions of
the last 60 minutes jump against the scope's *own* history and their share jumps too. Pure functions, no database.

The series are 15-minute steps (``counts`` and ``negatives`` per step); an evaluation at step ``t`` looks at the
window of the ``window`` steps before ``t`` (steps ``t - window`` … ``t - 1``), i.e. the hour that ends at ``t``.

* **Baseline from the scope's own history only.** Steps before the scope's first mention are not zeros: they do not
  exist, and no past window that reaches before it is used (the old detector padded them with zeros, so a new
  organization looked like a stream that had just woken up, and alarmed every busy hour).
* **Full mode** (at least ``full_after`` steps of history, two weeks): the expected negatives of the window are the
  mean of the same window one to ``weeks`` weeks earlier (± ``spread`` steps), its dispersion estimated from them.
* **Warming up** (at least ``warm_after`` steps, one day, but less than two weeks): the same time of day on the
  previous days (up to ``days``, ± ``spread``), with a stricter level, a larger minimum and more dispersion — the
  day-to-day baseline does not know the week's cycle. Before one day of history the detector is silent.
* Count test: negative-binomial upper tail of the window's negatives against the median of its baseline windows
  (variance from their spread, at least mean + mean² / ``dispersion``: the day-to-day drift of a real stream);
  share test: binomial upper tail of the window's negatives given its mentions and the share of the trailing
  ``share_steps`` (a day: the share drifts from day to day). The two are combined (Fisher's method, level
  ``alpha``), the share test must also pass ``share_guard`` on its own, and the window must hold at least
  ``min_negatives``: a campaign lifts the count, not the share; a few angry messages in a quiet hour lift the
  share, not the count; a tiny stream never alarms.
* **Episodes.** The first alarm opens an episode; it stays open while the windows stay elevated (count test at
  ``elevated_alpha``) and closes after ``close_after`` evaluations that are not — one episode, one alert, however
  long it lasts. Steps inside an episode are left out of later baselines, so a crisis does not teach the detector
  that crises are normal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from momentos.listening.warning.detector import _binom_sf, _nbinom_sf, _validate

SILENT, WARMING, FULL = "silent", "warming", "full"
"""The detector's modes: less than a day of history, less than two weeks, two weeks or more."""


@dataclass(frozen=True)
class Rules:
    """The detector's settings, in 15-minute steps."""

    window: int = 4
    day: int = 96
    week: int = 672
    weeks: int = 4
    days: int = 7
    spread: int = 2
    warm_after: int = 96
    full_after: int = 2 * 672
    share_steps: int = 96
    alpha: float = 1e-4
    """Level of the two tests combined (Fisher's method) in full mode."""
    warm_alpha: float = 3e-5
    share_guard: float = 0.02
    """The share test alone must also pass this level (a campaign's share is the usual one)."""
    min_negatives: int = 5
    warm_min_negatives: int = 8
    dispersion: float = 6.0
    """Largest negative-binomial size in full mode: the variance is at least mean + mean² / dispersion."""
    warm_dispersion: float = 3.0
    """The same while warming up (the day-to-day baseline does not know the weekly cycle nor the day's level)."""
    elevated_alpha: float = 0.05
    close_after: int = 4


@dataclass(frozen=True)
class Check:
    """One evaluation: the window ending at ``index`` (a step), its figures against its baseline."""

    index: int
    mode: str
    count: int
    negatives: int
    expected_negatives: float
    expected_share: float
    p_count: float
    p_share: float


@dataclass
class Episode:
    """Consecutive elevated windows opened by an alarm: ``first`` is the alarming check, ``last`` the index of the
    last elevated window, ``peak`` the check with the most negatives."""

    first: Check
    last: int
    peak: Check
    onset: int
    """The step where the surge began, as far as the first alarming window tells: the start of its shortest tail
    that already holds more negatives than the whole window's expectation."""
    checks: int = 1
    closed: bool = field(default=False)


def mode_of(history: int, rules: Rules = Rules()) -> str:
    """The mode for a scope with ``history`` steps of its own before the window."""
    if history >= rules.full_after:
        return FULL
    return WARMING if history >= rules.warm_after else SILENT


def scan(counts: Sequence[int], negatives: Sequence[int], *, first: int = 0, start: int = 0,
         rules: Rules = Rules()) -> list[Episode]:
    """The episodes of the evaluations at steps ``start`` … ``len(counts)`` (inclusive: the last one is the window
    that ends with the series); ``first`` is the step of the scope's first mention (negative: before the series).
    An episode still open at the end of the series has ``closed`` False."""
    n, neg = _validate(counts, negatives)
    excluded = np.zeros(len(n), dtype=bool)
    episodes: list[Episode] = []
    current: Episode | None = None
    quiet = 0
    for t in range(max(start, rules.window), len(n) + 1):
        check = evaluate(n, neg, excluded, t, first=first, rules=rules)
        if check is None:
            alarm = elevated = False
        else:
            alarm = _alarms(check, rules)
            elevated = alarm or (current is not None and check.p_count < rules.elevated_alpha)
        if current is not None and not elevated:
            quiet += 1
            if quiet >= rules.close_after:
                current.closed, current = True, None
            continue
        if check is None or not elevated:
            continue
        quiet = 0
        excluded[t - rules.window:t] = True
        if current is None:
            current = Episode(first=check, last=t, peak=check, onset=_onset(neg, check, rules))
            episodes.append(current)
        else:
            current.last, current.checks = t, current.checks + 1
            if check.negatives > current.peak.negatives:
                current.peak = check
    return episodes


def _onset(neg: np.ndarray, check: Check, rules: Rules) -> int:
    for s in range(check.index - 1, check.index - rules.window - 1, -1):
        if neg[s:check.index].sum() > check.expected_negatives:
            return s
    return check.index - rules.window


def _alarms(check: Check, rules: Rules) -> bool:
    warm = check.mode == WARMING
    if check.negatives < (rules.warm_min_negatives if warm else rules.min_negatives):
        return False
    return check.p_share < rules.share_guard and combined(check.p_count, check.p_share) < (
        rules.warm_alpha if warm else rules.alpha)


def combined(p_count: float, p_share: float) -> float:
    """Fisher's combination of the two tests: P(χ²₄ ≥ −2 ln(p_count · p_share))."""
    x = -(math.log(max(p_count, 1e-300)) + math.log(max(p_share, 1e-300)))
    return math.exp(-x) * (1 + x)


def evaluate(n: np.ndarray, neg: np.ndarray, excluded: np.ndarray, t: int, *, first: int,
             rules: Rules = Rules()) -> Check | None:
    """The window ending at step ``t`` against the scope's own history before it (None: silent, too little)."""
    lo = t - rules.window
    mode = mode_of(lo - first, rules)
    if mode == SILENT:
        return None
    count, negatives = int(n[lo:t].sum()), int(neg[lo:t].sum())
    period, back = (rules.week, rules.weeks) if mode == FULL else (rules.day, rules.days)
    mean, var = _baseline(neg, excluded, t, first=max(first, 0), period=period, back=back, rules=rules)
    if mean is None:
        return None
    share_lo = max(first, 0, lo - rules.share_steps)
    keep = ~excluded[share_lo:lo]
    share = float((neg[share_lo:lo][keep].sum() + 1) / (n[share_lo:lo][keep].sum() + 2))
    if negatives <= mean:  # nothing to test: spare the tails
        return Check(t, mode, count, negatives, mean, share, 1.0, 1.0)
    var = max(var, mean + mean * mean / (rules.dispersion if mode == FULL else rules.warm_dispersion))
    return Check(t, mode, count, negatives, mean, share, _nbinom_sf(negatives, mean, var),
                 _binom_sf(negatives, count, share))


def _baseline(neg: np.ndarray, excluded: np.ndarray, t: int, *, first: int, period: int, back: int,
              rules: Rules) -> tuple[float | None, float]:
    """Mean and variance of the window's negatives at the same time ``1 … back`` periods earlier (± spread),
    leaving out windows that reach before the first mention or into an episode."""
    ends = np.array([t - k * period + d for k in range(1, back + 1) for d in range(-rules.spread, rules.spread + 1)])
    ends = ends[ends - rules.window >= first]
    if len(ends) == 0:
        return None, 0.0
    steps = ends[:, None] - rules.window + np.arange(rules.window)[None, :]
    clean = ~excluded[steps].any(axis=1)
    if not clean.any():
        return None, 0.0
    values = neg[steps[clean]].sum(axis=1).astype(float)
    low, mid, high = np.percentile(values, [25, 50, 75])
    return max(float(mid), 0.5), float((high - low) / 1.349) ** 2
