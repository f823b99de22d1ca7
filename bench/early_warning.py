"""Early warning on a new organization's stream: the rolling-hour detector (``listening.warning.rolling``) beside the
detector as it ran before (hourly, after the hour closed, its 5-week baseline padded with zeros before the first
mention — ``OldWatch`` below keeps a copy of that logic over the unchanged ``detector.detect``).

The stream is synthetic and airline-sized: ``--per-day`` mentions a day on average (300), in 15-minute steps, with a
day/night cycle (quiet nights, a busy afternoon), quieter weekends, a day-to-day level drift (Gamma, ±20 %) and a
negative share that drifts by day (Beta around 0.30) — Poisson noise on top. The organization has no history: the
stream starts at its first mention and lasts ``--weeks`` weeks (3). Into each replay (``--seeds`` seeds) we inject
``--surges`` surges (12) from the second day on, at least 12 hours apart, each 1 to 4 hours long, of extra mentions
at 0.75 to 3 times the stream's mean hourly rate (recall is also given for the smaller and the larger half), 80 %
negative; and 6 campaigns (extra mentions
at twice the usual rate, at the usual share: they must not alarm).

* **Recall within 1 h**: surges with an alarm (an episode open) within 60 minutes of their onset. The old detector
  alarms when the hour closes; the new one at the 15-minute check that first sees the surge.
* **False alarms / week**: episodes (one alert each) whose first alarm is not during a surge (or the hour after
  it), campaigns included, per week of stream — over the whole replay and over the first week alone.
* **Quiet first days**: alarms in the first 3 days of the replay without any surge injected there.

Writes bench/results/early_warning.json.

    .venv/bin/python bench/early_warning.py [--seeds 10] [--weeks 3] [--per-day 300]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from momentos.listening.warning.detector import detect
from momentos.listening.warning.rolling import scan

RESULTS = Path(__file__).parent / "results"
STEP_MIN = 15
STEPS_HOUR, DAY, WEEK = 4, 96, 672
SIZES = {"0.75-1.5x": (0.75, 1.5), "1.5-3x": (1.5, 3.01)}


@dataclass(frozen=True)
class Surge:
    onset: int
    steps: int
    campaign: bool
    size: float = 2.0
    """Extra mentions per hour, in multiples of the stream's mean hourly rate."""


def usual_rate(steps: int, per_day: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Expected mentions per step and the negative share per step."""
    t = np.arange(steps)
    hour = (t % DAY) / STEPS_HOUR
    diurnal = 0.15 + np.clip(np.sin(np.pi * (hour - 6) / 16), 0, None) ** 1.5 * (hour >= 6) * (hour <= 22)
    weekday = np.where((t // DAY) % 7 >= 5, 0.75, 1.05)
    days = steps // DAY + 1
    level = rng.gamma(25, 1 / 25, days)[t // DAY]
    share = rng.beta(0.30 * 60, 0.70 * 60, days)[t // DAY]
    shape = diurnal * weekday
    return per_day * shape / shape[:DAY * 7].sum() * 7 * level, share


def stream(seed: int, weeks: int, per_day: float, surges: int) -> tuple[np.ndarray, np.ndarray, list[Surge]]:
    rng = np.random.default_rng(seed)
    steps = weeks * WEEK
    rate, share = usual_rate(steps, per_day, rng)
    counts = rng.poisson(rate)
    negatives = rng.binomial(counts, share)
    events: list[Surge] = []
    taken: list[int] = []
    while len(events) < surges + 6:
        onset = int(rng.integers(DAY, steps - 6 * STEPS_HOUR))
        if any(abs(onset - o) < 12 * STEPS_HOUR for o in taken):
            continue
        taken.append(onset)
        events.append(Surge(onset, int(rng.integers(1, 5)) * STEPS_HOUR, campaign=len(events) >= surges,
                            size=float(rng.uniform(0.75, 3.0))))
    for e in events:
        span = slice(e.onset, e.onset + e.steps)
        extra = rng.poisson(2.0 * rate[span] if e.campaign else np.full(e.steps, e.size * per_day / DAY))
        counts[span] += extra
        negatives[span] += rng.binomial(extra, share[span] if e.campaign else 0.8)
    return counts, negatives, events


def old_alarms(counts: np.ndarray, negatives: np.ndarray) -> list[tuple[int, int]]:
    """The old watch (a copy of its logic): hourly series, 5 weeks of zeros before the first mention, every hour
    checked when it closes; consecutive alarm hours are one episode. Returns (first, last) alarm times in steps
    (an alarm hour ``h`` is raised at its end, step ``4 (h + 1)``)."""
    hours = len(counts) // STEPS_HOUR
    hourly_n = counts[:hours * STEPS_HOUR].reshape(hours, STEPS_HOUR).sum(axis=1)
    hourly_neg = negatives[:hours * STEPS_HOUR].reshape(hours, STEPS_HOUR).sum(axis=1)
    pad = 5 * 168
    found = [a.index - pad for a in detect(np.concatenate([np.zeros(pad, np.int64), hourly_n]),
                                           np.concatenate([np.zeros(pad, np.int64), hourly_neg]), season=168)]
    episodes: list[tuple[int, int]] = []
    for h in found:
        at = (h + 1) * STEPS_HOUR
        if episodes and episodes[-1][1] == at - STEPS_HOUR:
            episodes[-1] = (episodes[-1][0], at)
        else:
            episodes.append((at, at))
    return episodes


def new_alarms(counts: np.ndarray, negatives: np.ndarray) -> list[tuple[int, int]]:
    return [(e.first.index, e.last) for e in scan(counts, negatives)]


def score(episodes: list[tuple[int, int]], events: list[Surge], steps: int) -> dict[str, float]:
    surges = [e for e in events if not e.campaign]
    found = [any(first <= e.onset + STEPS_HOUR and last > e.onset for first, last in episodes) for e in surges]
    hit = sum(found)
    by_size = {band: [int(f) for f, e in zip(found, surges, strict=True) if lo <= e.size < hi]
               for band, (lo, hi) in SIZES.items()}
    false = [first for first, _ in episodes
             if not any(e.onset < first <= e.onset + e.steps + STEPS_HOUR for e in surges)]
    quiet_days = 3 * DAY
    quiet_false = [f for f in false if f <= quiet_days and not any(e.onset < quiet_days for e in surges)]
    return {"by_size": by_size, "surges": len(surges), "found_within_1h": hit, "false": len(false),
            "false_first_week": sum(f <= WEEK for f in false), "weeks": steps / WEEK,
            "quiet_first_days_false": len(quiet_false),
            "latency_min": [min(((first - e.onset) * STEP_MIN for first, last in episodes
                                 if first <= e.onset + STEPS_HOUR and last > e.onset), default=-1)
                            for e in surges]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--weeks", type=int, default=3)
    parser.add_argument("--per-day", type=float, default=300.0)
    parser.add_argument("--surges", type=int, default=12)
    args = parser.parse_args()
    totals: dict[str, dict[str, Any]] = {}
    for name, run in (("old", old_alarms), ("new", new_alarms)):
        agg = {"surges": 0, "found_within_1h": 0, "false": 0, "false_first_week": 0, "weeks": 0.0,
               "quiet_first_days_false": 0, "latencies": [], "seconds": 0.0,
               "by_size": {band: [] for band in SIZES}}
        for seed in range(args.seeds):
            counts, negatives, events = stream(seed, args.weeks, args.per_day, args.surges)
            started = time.perf_counter()
            found = run(counts, negatives)
            agg["seconds"] += time.perf_counter() - started
            s = score(found, events, len(counts))
            for key in ("surges", "found_within_1h", "false", "false_first_week", "weeks", "quiet_first_days_false"):
                agg[key] += s[key]
            agg["latencies"] += [v for v in s["latency_min"] if v >= 0]
            for band in SIZES:
                agg["by_size"][band] += s["by_size"][band]
        lat = agg.pop("latencies")
        agg["recall_by_size"] = {band: sum(v) / len(v) for band, v in agg.pop("by_size").items() if v}
        totals[name] = {**agg, "recall_within_1h": agg["found_within_1h"] / agg["surges"],
                        "false_per_week": agg["false"] / agg["weeks"],
                        "false_per_first_week": agg["false_first_week"] / args.seeds,
                        "median_latency_min": float(np.median(lat)) if lat else None}
    print(f"early warning, new organization, {args.seeds} seeds × {args.weeks} weeks, ~{args.per_day:.0f} "
          f"mentions/day, {args.surges} surges + 6 campaigns each")
    print(f"{'detector':<10}{'recall ≤1h':>12}{'false/week':>12}{'false wk 1':>12}{'quiet days':>12}"
          f"{'latency':>10}{'s':>8}")
    for name, t in totals.items():
        print(f"{name:<10}{t['recall_within_1h']:>12.2f}{t['false_per_week']:>12.2f}{t['false_per_first_week']:>12.2f}"
              f"{t['quiet_first_days_false']:>12}{t['median_latency_min'] or 0:>9.0f}m{t['seconds']:>8.1f}  "
              + "  ".join(f"recall {band}: {v:.2f}" for band, v in t["recall_by_size"].items()))
    RESULTS.mkdir(exist_ok=True)
    out = {"seeds": args.seeds, "weeks": args.weeks, "per_day": args.per_day, "surges": args.surges,
           "targets": {"recall_within_1h": 0.8, "false_per_week": 0.5}, **totals}
    (RESULTS / "early_warning.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
