"""Answers read from the aggregate tables (see incremental.py), shaped exactly like the full path's.

A read sees the stored rows plus, when events arrived since the last refresh, the change they make, folded in
memory by ``incremental.pending`` (``Aggregates.pending``): both are summed per row here, so the answer is the one a
refresh would give, without writing.

Orders and ties follow mining.py and indicators.py. Medians and percentiles are exact: the bucket table says which
bucket holds each wanted rank, then only that bucket's distinct durations are read (they are stored in
microseconds, so values at those ranks are the very values the full path would pick).
"""

from __future__ import annotations

import bisect
import functools
import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from pydantic import TypeAdapter

from momentos.analytics import aggregates, indicators, outcomes
from momentos.analytics.aggregates import VARIANT_SEP, Delta
from momentos.analytics.schemas import (
    ChannelMix,
    ContactFigures,
    DfgEdge,
    EndActivities,
    FunnelStep,
    PerformanceEdge,
    TimeInMoment,
    VariantRead,
)
from momentos.dialect import BulkWriter

Group = tuple[str, str]
_VARIANTS = TypeAdapter(list[VariantRead])
_DELTA_FIELDS = {"analytics_pairs": "pairs", "analytics_durations": "durations", "analytics_buckets": "buckets",
                 "analytics_variants": "variants", "analytics_ends": "ends", "analytics_moments": "moments",
                 "analytics_channels": "channels", "analytics_contact_spread": "spread"}


@dataclass(frozen=True)
class Lens:
    """Where to read: a scope (service id, or 0 for the organization) and a lens (``a``, ``m`` or ``c``)."""

    scope: int
    lens: str


@dataclass(frozen=True)
class Aggregates:
    """The aggregate tables of one organization as a read sees them: the stored rows, plus ``pending`` (the change
    the events above the watermark make, folded in memory by incremental.pending; None when there is none)."""

    bulk: BulkWriter
    org_id: int
    pending: Delta | None = None

    def rows(self, at: Lens, table: str, keys: tuple[str, ...], counters: tuple[str, ...],
             where: Mapping[str, object] | None = None, order: str = "") -> list[tuple[Any, ...]]:
        """``(*keys, *counters)`` of the table's rows at ``at`` (and ``where``'s columns equal to its values):
        stored plus pending, rows whose first counter sums to zero left out (as a refresh deletes them)."""
        where = where or {}
        sql = _select(table, keys + counters, tuple(where), order, self.bulk.postgres)
        stored = self.bulk.query(sql, [self.org_id, at.scope, at.lens, *where.values()])
        if self.pending is None:
            return stored
        frame: pl.DataFrame = getattr(self.pending, _DELTA_FIELDS[table])
        conditions = {"scope": at.scope, "lens": at.lens, **where}
        frame = frame.filter(*(pl.col(c) == v for c, v in conditions.items()))
        if frame.is_empty():
            return stored
        width = len(keys)
        sums: dict[tuple[Any, ...], list[Any]] = {tuple(r[:width]): list(r[width:]) for r in stored}
        for row in frame.select(*keys, *counters).iter_rows():
            now = sums.setdefault(tuple(row[:width]), [0] * len(counters))
            for i, value in enumerate(row[width:]):
                now[i] += value
        merged = [(*k, *v) for k, v in sums.items() if v[0] != 0]
        if order:
            merged.sort(key=lambda r: r[:width])
        return merged


@functools.cache
def _select(table: str, columns: tuple[str, ...], where: tuple[str, ...], order: str, postgres: bool) -> str:
    sql = (f"SELECT {', '.join(columns)} FROM {table} "  # noqa: S608 - constant names
           f"WHERE {' AND '.join(f'{c} = ?' for c in ('org_id', 'scope', 'lens', *where))}{order}")
    return sql.replace("?", "%s") if postgres else sql


def dfg(agg: Aggregates, at: Lens) -> list[DfgEdge]:
    rows = agg.rows(at, "analytics_pairs", ("source", "target"), ("n",))
    rows.sort(key=lambda r: (-int(r[2]), str(r[0]), str(r[1])))
    return [DfgEdge(source=str(s), target=str(t), frequency=int(n)) for s, t, n in rows]


def performance_dfg(agg: Aggregates, at: Lens) -> list[PerformanceEdge]:
    rows = [(str(s), str(t), int(n), int(total))
            for s, t, n, total in agg.rows(at, "analytics_pairs", ("source", "target"), ("n", "total_us"))]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    (medians,) = _quantiles(agg, at, "p", {(s, t): n for s, t, n, _ in rows}, 0.5)
    return [PerformanceEdge(source=s, target=t, frequency=n, mean_s=total / n / 1_000_000,
                            median_s=medians[(s, t)]) for s, t, n, total in rows]


def start_end(agg: Aggregates, at: Lens) -> EndActivities:
    rows = agg.rows(at, "analytics_ends", ("side", "step"), ("n",))
    rows.sort(key=lambda r: (-int(r[2]), str(r[1])))
    return EndActivities(start={str(k): int(n) for side, k, n in rows if side == "s"},
                         end={str(k): int(n) for side, k, n in rows if side == "e"})


def variants(agg: Aggregates, at: Lens, limit: int | None = None) -> list[VariantRead]:
    with _no_gc():
        rows = agg.rows(at, "analytics_variants", ("steps",), ("n",))
        table = pl.DataFrame(rows, schema={"steps": pl.String, "n": pl.Int64}, orient="row")
        total = int(table["n"].sum())
        table = table.sort(["n", "steps"], descending=[True, False])
        if limit is not None:
            table = table.head(limit)
        steps, counts = table["steps"].str.split(VARIANT_SEP).to_list(), table["n"].to_list()
        return _VARIANTS.validate_python([{"variant": v, "count": n, "share": n / total}
                                          for v, n in zip(steps, counts, strict=True)])


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cycle collector while building many small acyclic objects (its passes would cost more than the
    building itself on a large answer)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@dataclass(frozen=True)
class _MomentRow:
    reached: int
    entries: int
    progressed: int
    current: int
    closed: int
    total_us: int
    customers: int
    moved_on: int


_NO_ROW = _MomentRow(0, 0, 0, 0, 0, 0, 0, 0)


def _moment_rows(agg: Aggregates, at: Lens) -> dict[str, _MomentRow]:
    rows = agg.rows(at, "analytics_moments", ("moment",),
                    ("reached", "entries", "progressed", "current", "closed", "total_us", "customers", "moved_on"))
    return {str(r[0]): _MomentRow(*(int(v) for v in r[1:])) for r in rows}


def funnel(agg: Aggregates, at: Lens, moments: Sequence[str], now: datetime) -> list[FunnelStep]:
    """Like indicators.funnel: the stored counters, and the processes still within the usual time counted now."""
    rows = _moment_rows(agg, at)
    times = {t.moment: t for t in time_in_moment(agg, at, moments)}
    out = []
    for i, m in enumerate(moments):
        r = rows.get(m, _NO_ROW)
        still = 0
        if r.current:
            still = _entered_since(agg, at, m, outcomes.since_us(now, outcomes.usual_time(times[m])[0]))
        out.append(outcomes.step(m, reached=r.reached, customers=r.customers, entries=r.entries,
                                 progressed=r.progressed, current=r.current, moved_on=r.moved_on, still_here=still,
                                 times=times[m], renewal=i == len(moments) - 1))
    return out


def _entered_since(agg: Aggregates, at: Lens, moment: str, since: int) -> int:
    """Processes standing in the moment that entered it at or after ``since`` (epoch µs), pending fold included."""
    (lowest,) = pl.select(aggregates.bucket(pl.lit(since, dtype=pl.Int64))).row(0)
    sql = _sql(agg, "SELECT coalesce(sum(n), 0) FROM analytics_durations WHERE org_id = ? AND scope = ? AND lens = ? "
                    "AND metric = ? AND source = ? AND target = '' AND bucket >= ? AND duration_us >= ?")
    (stored,) = agg.bulk.query(sql, [agg.org_id, at.scope, at.lens, outcomes.ENTERED_METRIC, moment, lowest, since])[0]
    count = int(stored)
    if agg.pending is not None:
        frame = agg.pending.durations.filter(
            pl.col("scope") == at.scope, pl.col("lens") == at.lens, pl.col("metric") == outcomes.ENTERED_METRIC,
            pl.col("source") == moment, pl.col("duration_us") >= since)
        count += int(frame["n"].sum())
    return count


def _sql(agg: Aggregates, sql: str) -> str:
    return sql.replace("?", "%s") if agg.bulk.postgres else sql


def time_in_moment(agg: Aggregates, at: Lens, moments: Sequence[str]) -> list[TimeInMoment]:
    rows = _moment_rows(agg, at)
    closed = {(m, ""): r.closed for m, r in rows.items() if m in moments and r.closed}
    medians, p90s = _quantiles(agg, at, "t", closed, 0.5, 0.9)
    out = []
    for m in moments:
        r = rows.get(m, _NO_ROW)
        timed = r.closed > 0
        out.append(TimeInMoment(moment=m, stays=r.entries, closed=r.closed, open=r.entries - r.closed,
                                mean_s=r.total_us / 1_000_000 / r.closed if timed else None,
                                median_s=medians.get((m, "")), p90_s=p90s.get((m, ""))))
    return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def channel_mix(agg: Aggregates, at: Lens, moments: Sequence[str]) -> list[ChannelMix]:
    rows = agg.rows(at, "analytics_channels", ("moment", "channel"), ("n",))
    by_moment: dict[str, list[tuple[str, int]]] = {}
    for m, channel, n in sorted(rows, key=lambda r: (str(r[0]), -int(r[2]), str(r[1]))):
        by_moment.setdefault(str(m), []).append((str(channel), int(n)))
    return indicators.channel_mix_of(by_moment, moments)


def contacts(agg: Aggregates, at: Lens, moments: Sequence[str],
             budgets: Mapping[str, int] | None) -> list[ContactFigures]:
    """Like indicators.contacts: customers reached from analytics_moments, the rest from analytics_contact_spread."""
    reached = _moment_rows(agg, at)
    rows = agg.rows(at, "analytics_contact_spread", ("moment", "outbound"), ("customers", "inbound"))
    inbound: dict[str, int] = {}
    outbound: dict[str, int] = {}
    spread: dict[str, list[tuple[int, int]]] = {}
    for m, out_n, customers, in_n in rows:
        key, out_n, customers = str(m), int(out_n), int(customers)
        inbound[key] = inbound.get(key, 0) + int(in_n)
        outbound[key] = outbound.get(key, 0) + out_n * customers
        spread.setdefault(key, []).append((out_n, customers))
    out = []
    for m in moments:
        row = reached.get(m)
        n = row.customers if row is not None else 0
        i, o = inbound.get(m, 0), outbound.get(m, 0)
        budget = None if budgets is None else budgets.get(m)
        over = None if budget is None else sum(c for v, c in spread.get(m, []) if v > budget)
        out.append(ContactFigures(moment=m, customers=n, inbound=i, outbound=o, inbound_per_customer=_ratio(i, n),
                                  outbound_per_customer=_ratio(o, n), budget=budget, over_budget=over))
    return out


def _quantiles(agg: Aggregates, at: Lens, metric: str, sizes: dict[Group, int],
               *qs: float) -> list[dict[Group, float]]:
    """Linear-interpolated quantiles of each group's durations, in seconds (Polars' and numpy's rule), all read in
    one pass: one dict per quantile asked."""
    wanted = [{group: _ranks(n, q) for group, n in sizes.items()} for q in qs]
    ranks: dict[Group, set[int]] = {}
    for per_q in wanted:
        for group, (lo, hi, _) in per_q.items():
            ranks.setdefault(group, set()).update((lo, hi))
    values = _values_at(agg, at, metric, ranks)
    out = []
    for per_q in wanted:
        found = {}
        for group, (lo, hi, frac) in per_q.items():
            a, b = values[(group, lo)] / 1_000_000, values[(group, hi)] / 1_000_000
            found[group] = a + (b - a) * frac
        out.append(found)
    return out


def _ranks(n: int, q: float) -> tuple[int, int, float]:
    h = (n - 1) * q
    lo = math.floor(h)
    return lo, min(lo + 1, n - 1), h - lo


def _bucket_values(agg: Aggregates, at: Lens, metric: str,
                   keys: list[tuple[Group, int]]) -> dict[tuple[Group, int], list[tuple[int, int]]]:
    """The (duration, count) rows of each (group, bucket), ascending: one primary-key range scan each."""
    return {(group, b): [(int(v), int(n)) for v, n in agg.rows(
        at, "analytics_durations", ("duration_us",), ("n",),
        {"metric": metric, "source": group[0], "target": group[1], "bucket": b}, order=" ORDER BY duration_us")]
        for group, b in keys}


def _values_at(agg: Aggregates, at: Lens, metric: str,
               ranks: dict[Group, set[int]]) -> dict[tuple[Group, int], int]:
    """The duration at each 0-based rank (ascending) of each group: bucket table first, then one bucket each."""
    if not ranks:
        return {}
    rows = agg.rows(at, "analytics_buckets", ("source", "target", "bucket"), ("n",), {"metric": metric})
    buckets: dict[Group, list[tuple[int, int]]] = {}
    for s, t, b, n in rows:
        if (str(s), str(t)) in ranks:
            buckets.setdefault((str(s), str(t)), []).append((int(b), int(n)))
    needed: dict[tuple[Group, int], list[tuple[int, int]]] = {}  # (group, bucket) → [(rank, rank in bucket)]
    for group, wanted in ranks.items():
        ordered = sorted(buckets[group])
        ends = [0]
        for _, n in ordered:
            ends.append(ends[-1] + n)
        for rank in wanted:
            i = bisect.bisect_right(ends, rank) - 1
            needed.setdefault((group, ordered[i][0]), []).append((rank, rank - ends[i]))
    slices = _bucket_values(agg, at, metric, list(needed))
    out: dict[tuple[Group, int], int] = {}
    for key, picks in needed.items():
        for rank, offset in picks:
            seen = 0
            for value, n in slices.get(key, []):
                seen += n
                if offset < seen:
                    out[(key[0], rank)] = value
                    break
    return out
