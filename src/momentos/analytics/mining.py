"""Process-mining views over sorted steps (see views.py): DFG, performance DFG, start/end activities, variants.

Definitions follow pm4py's on a DataFrame: a directly-follows pair is two consecutive steps of one case; its
performance is the time between them in seconds (mean and median over all occurrences); a variant is the sequence of
a case's steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from momentos.analytics.log import CASE_KEY, TIMESTAMP
from momentos.analytics.views import STEP


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    frequency: int
    mean_s: float | None = None
    median_s: float | None = None


def pairs(steps: pl.DataFrame) -> pl.DataFrame:
    """One row per directly-follows occurrence: source, target and the seconds between them."""
    return (steps.lazy()
            .select(pl.col(STEP).alias("source"), pl.col(STEP).shift(-1).alias("target"),
                    (pl.col(CASE_KEY).shift(-1) == pl.col(CASE_KEY)).alias("same_case"),
                    ((pl.col(TIMESTAMP).shift(-1) - pl.col(TIMESTAMP)).dt.total_microseconds() / 1_000_000)
                    .alias("seconds"))
            .filter(pl.col("same_case"))
            .drop("same_case")
            .collect())


def dfg(steps: pl.DataFrame, *, performance: bool = False) -> list[Edge]:
    """The directly-follows graph, most frequent pair first (ties by source, target)."""
    aggs = [pl.len().alias("frequency")]
    if performance:
        aggs += [pl.col("seconds").mean().alias("mean_s"), pl.col("seconds").median().alias("median_s")]
    table = (pairs(steps).group_by("source", "target").agg(aggs)
             .sort(["frequency", "source", "target"], descending=[True, False, False]))
    return [Edge(**row) for row in table.iter_rows(named=True)]


def _ends(steps: pl.DataFrame, first: bool) -> dict[str, int]:
    pick = pl.col(STEP).first() if first else pl.col(STEP).last()
    table = (steps.group_by(CASE_KEY).agg(pick).group_by(STEP).len()
             .sort(["len", STEP], descending=[True, False]))
    return {str(k): int(n) for k, n in table.iter_rows()}


def start_activities(steps: pl.DataFrame) -> dict[str, int]:
    return _ends(steps, first=True)


def end_activities(steps: pl.DataFrame) -> dict[str, int]:
    return _ends(steps, first=False)


@dataclass(frozen=True)
class Variant:
    variant: list[str]
    count: int
    share: float


def variants(steps: pl.DataFrame, limit: int | None = None) -> list[Variant]:
    """Path variants with their number of cases and share of all cases, most frequent first."""
    per_case = steps.group_by(CASE_KEY, maintain_order=True).agg(pl.col(STEP))
    total = per_case.height
    table = (per_case.group_by(STEP).len()
             .with_columns(pl.col(STEP).list.join("\x1f").alias("_order"))
             .sort(["len", "_order"], descending=[True, False]))
    if limit is not None:
        table = table.head(limit)
    return [Variant(list(v), int(n), n / total) for v, n, _ in table.iter_rows()]
