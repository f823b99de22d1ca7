"""Answers read from the aggregate tables (see incremental.py), shaped exactly like the full path's.

Orders and ties follow mining.py and indicators.py. Medians and percentiles are exact: the bucket table says which
bucket holds each wanted rank, then only that bucket's distinct durations are read (they are stored in
microseconds, so values at those ranks are the very values the full path would pick).
"""

from __future__ import annotations

import bisect
import gc
import math
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from momentos.analytics import indicators
from momentos.analytics.aggregates import VARIANT_SEP
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


@dataclass(frozen=True)
class Lens:
    """Where to read: a scope (service id, or 0 for the organization) and a lens (``a``, ``m`` or ``c``)."""

    scope: int
    lens: str


def _query(bulk: BulkWriter, sql: str, params: Sequence[object]) -> list[tuple[Any, ...]]:
    return bulk.query(sql.replace("?", "%s") if bulk.postgres else sql, params)


def _where(org_id: int, at: Lens) -> tuple[None, list[object]]:
    """The parameters of the ``org_id = ? AND scope = ? AND lens = ?`` condition every query starts with."""
    return None, [org_id, at.scope, at.lens]


def dfg(session: Session, org_id: int, at: Lens) -> list[DfgEdge]:
    _, params = _where(org_id, at)
    rows = _query(BulkWriter(session), "SELECT source, target, n FROM analytics_pairs "
                  "WHERE org_id = ? AND scope = ? AND lens = ?", params)
    rows.sort(key=lambda r: (-int(r[2]), str(r[0]), str(r[1])))
    return [DfgEdge(source=str(s), target=str(t), frequency=int(n)) for s, t, n in rows]


def performance_dfg(session: Session, org_id: int, at: Lens) -> list[PerformanceEdge]:
    bulk = BulkWriter(session)
    _, params = _where(org_id, at)
    rows = [(str(s), str(t), int(n), int(total))
            for s, t, n, total in _query(bulk, "SELECT source, target, n, total_us FROM analytics_pairs "
                                               "WHERE org_id = ? AND scope = ? AND lens = ?", params)]
    rows.sort(key=lambda r: (-r[2], r[0], r[1]))
    (medians,) = _quantiles(bulk, org_id, at, "p", {(s, t): n for s, t, n, _ in rows}, 0.5)
    return [PerformanceEdge(source=s, target=t, frequency=n, mean_s=total / n / 1_000_000,
                            median_s=medians[(s, t)]) for s, t, n, total in rows]


def start_end(session: Session, org_id: int, at: Lens) -> EndActivities:
    _, params = _where(org_id, at)
    rows = _query(BulkWriter(session), "SELECT side, step, n FROM analytics_ends "
                  "WHERE org_id = ? AND scope = ? AND lens = ?", params)
    rows.sort(key=lambda r: (-int(r[2]), str(r[1])))
    return EndActivities(start={str(k): int(n) for side, k, n in rows if side == "s"},
                         end={str(k): int(n) for side, k, n in rows if side == "e"})


def variants(session: Session, org_id: int, at: Lens, limit: int | None = None) -> list[VariantRead]:
    _, params = _where(org_id, at)
    with _no_gc():
        rows = _query(BulkWriter(session), "SELECT steps, n FROM analytics_variants "
                                           "WHERE org_id = ? AND scope = ? AND lens = ?", params)
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


def _moment_rows(bulk: BulkWriter, org_id: int, at: Lens) -> dict[str, _MomentRow]:
    _, params = _where(org_id, at)
    rows = _query(bulk, "SELECT moment, reached, entries, progressed, current, closed, total_us, customers "
                        "FROM analytics_moments WHERE org_id = ? AND scope = ? AND lens = ?", params)
    return {str(r[0]): _MomentRow(*(int(v) for v in r[1:])) for r in rows}


def funnel(session: Session, org_id: int, at: Lens, moments: Sequence[str]) -> list[FunnelStep]:
    bulk = BulkWriter(session)
    rows = _moment_rows(bulk, org_id, at)
    out = []
    for m in moments:
        r = rows.get(m, _MomentRow(0, 0, 0, 0, 0, 0, 0))
        out.append(FunnelStep(moment=m, reached=r.reached, customers=r.customers, entries=r.entries,
                              progressed=r.progressed, conversion=_ratio(r.progressed, r.reached),
                              drop_off=r.reached - r.progressed,
                              drop_off_rate=_ratio(r.reached - r.progressed, r.reached), current=r.current))
    return out


def time_in_moment(session: Session, org_id: int, at: Lens, moments: Sequence[str]) -> list[TimeInMoment]:
    bulk = BulkWriter(session)
    rows = _moment_rows(bulk, org_id, at)
    closed = {(m, ""): r.closed for m, r in rows.items() if m in moments and r.closed}
    medians, p90s = _quantiles(bulk, org_id, at, "t", closed, 0.5, 0.9)
    out = []
    for m in moments:
        r = rows.get(m, _MomentRow(0, 0, 0, 0, 0, 0, 0))
        timed = r.closed > 0
        out.append(TimeInMoment(moment=m, stays=r.entries, closed=r.closed, open=r.entries - r.closed,
                                mean_s=r.total_us / 1_000_000 / r.closed if timed else None,
                                median_s=medians.get((m, "")), p90_s=p90s.get((m, ""))))
    return out


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def channel_mix(session: Session, org_id: int, at: Lens, moments: Sequence[str]) -> list[ChannelMix]:
    _, params = _where(org_id, at)
    rows = _query(BulkWriter(session), "SELECT moment, channel, n FROM analytics_channels "
                  "WHERE org_id = ? AND scope = ? AND lens = ?", params)
    by_moment: dict[str, list[tuple[str, int]]] = {}
    for m, channel, n in sorted(rows, key=lambda r: (str(r[0]), -int(r[2]), str(r[1]))):
        by_moment.setdefault(str(m), []).append((str(channel), int(n)))
    return indicators.channel_mix_of(by_moment, moments)


def contacts(session: Session, org_id: int, at: Lens, moments: Sequence[str],
             budgets: Mapping[str, int] | None) -> list[ContactFigures]:
    """Like indicators.contacts: customers reached from analytics_moments, the rest from analytics_contact_spread."""
    bulk = BulkWriter(session)
    reached = _moment_rows(bulk, org_id, at)
    _, params = _where(org_id, at)
    rows = _query(bulk, "SELECT moment, outbound, customers, inbound FROM analytics_contact_spread "
                        "WHERE org_id = ? AND scope = ? AND lens = ?", params)
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


def _quantiles(bulk: BulkWriter, org_id: int, at: Lens, metric: str, sizes: dict[Group, int],
               *qs: float) -> list[dict[Group, float]]:
    """Linear-interpolated quantiles of each group's durations, in seconds (Polars' and numpy's rule), all read in
    one pass: one dict per quantile asked."""
    wanted = [{group: _ranks(n, q) for group, n in sizes.items()} for q in qs]
    ranks: dict[Group, set[int]] = {}
    for per_q in wanted:
        for group, (lo, hi, _) in per_q.items():
            ranks.setdefault(group, set()).update((lo, hi))
    values = _values_at(bulk, org_id, at, metric, ranks)
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


def _bucket_values(bulk: BulkWriter, params: list[object], metric: str,
                   keys: list[tuple[Group, int]]) -> dict[tuple[Group, int], list[tuple[int, int]]]:
    """The (duration, count) rows of each (group, bucket), ascending: one primary-key range scan each."""
    sql = _sql(bulk, "SELECT duration_us, n FROM analytics_durations WHERE org_id = ? AND scope = ? AND lens = ? "
                     "AND metric = ? AND source = ? AND target = ? AND bucket = ? ORDER BY duration_us")
    return {(group, b): [(int(v), int(n)) for v, n in bulk.query(sql, [*params, metric, group[0], group[1], b])]
            for group, b in keys}


def _sql(bulk: BulkWriter, sql: str) -> str:
    return sql.replace("?", "%s") if bulk.postgres else sql


def _values_at(bulk: BulkWriter, org_id: int, at: Lens, metric: str,
               ranks: dict[Group, set[int]]) -> dict[tuple[Group, int], int]:
    """The duration at each 0-based rank (ascending) of each group: bucket table first, then one bucket each."""
    if not ranks:
        return {}
    _, params = _where(org_id, at)
    rows = _query(bulk, "SELECT source, target, bucket, n FROM analytics_buckets "
                        "WHERE org_id = ? AND scope = ? AND lens = ? AND metric = ?",
                  [*params, metric])
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
    slices = _bucket_values(bulk, params, metric, list(needed))
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
