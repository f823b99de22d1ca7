"""Indicators per moment from the stays and events of a log: funnel, time in moment, channel mix, contacts.

``stays`` is the moment view of a log (views.moment_steps: one row per stay, sorted by case and stay number);
``moments`` is the ordered list of moment keys being shown. Stays in moments outside that list are ignored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import polars as pl

from momentos.analytics import outcomes
from momentos.analytics.log import CASE_KEY, TIMESTAMP
from momentos.analytics.schemas import ChannelMix, ChannelShare, ContactFigures, FunnelStep, TimeInMoment


def _ratio(part: int | float, whole: int | float) -> float | None:
    return part / whole if whole else None


def _in_model(stays: pl.DataFrame, moments: Sequence[str]) -> pl.DataFrame:
    positions = {m: i for i, m in enumerate(moments)}
    return (stays.filter(pl.col("moment").is_in(list(moments)))
            .with_columns(pl.col("moment").replace_strict(positions, return_dtype=pl.Int64).alias("pos")))


def funnel(stays: pl.DataFrame, moments: Sequence[str], now: datetime) -> list[FunnelStep]:
    """Reach and outcome per moment (outcomes.py): moved on, still here within the usual time at ``now``, dropped."""
    times = {t.moment: t for t in time_in_moment(stays, moments)}
    per_case = outcome_cases(stays, moments, now, times)
    per_moment = {row["moment"]: row for row in per_case.group_by("moment").agg(
        pl.len().alias("reached"), pl.col("progressed").sum(), pl.col("current").sum(), pl.col("entries").sum(),
        pl.col("moved_on").sum(), (pl.col("outcome") == "still_here").sum().alias("still_here"),
    ).iter_rows(named=True)}
    customers = _customers(_in_model(stays, moments))
    out = []
    for i, m in enumerate(moments):
        row = per_moment.get(m, {"reached": 0, "progressed": 0, "current": 0, "entries": 0, "moved_on": 0,
                                 "still_here": 0})
        out.append(outcomes.step(m, reached=int(row["reached"]), customers=customers.get(m, 0),
                                 entries=int(row["entries"]), progressed=int(row["progressed"]),
                                 current=int(row["current"]), moved_on=int(row["moved_on"]),
                                 still_here=int(row["still_here"]), times=times[m], renewal=i == len(moments) - 1))
    return out


def outcome_cases(stays: pl.DataFrame, moments: Sequence[str], now: datetime,
                  times: Mapping[str, TimeInMoment] | None = None) -> pl.DataFrame:
    """One row per (case, moment entered) with its ``outcome``: ``moved_on``, ``still_here`` or ``dropped``
    (outcomes.py), read from the case's last entry into the moment; also ``progressed``, ``current``, ``entries``."""
    if times is None:
        times = {t.moment: t for t in time_in_moment(stays, moments)}
    last = len(moments) - 1
    marked = _in_model(stays, moments).with_columns(
        pl.col("pos").cum_max(reverse=True).shift(-1).over(CASE_KEY).alias("later_max"),
        (pl.int_range(pl.len()).over(CASE_KEY) == pl.len().over(CASE_KEY) - 1).alias("is_last"))
    moved = pl.when(pl.col("pos") == last).then(~pl.col("is_last")).otherwise(
        (pl.col("later_max") > pl.col("pos")).fill_null(False))
    per_case = marked.group_by(CASE_KEY, "moment", maintain_order=True).agg(
        (pl.col("later_max") > pl.col("pos")).fill_null(False).any().alias("progressed"),
        pl.col("is_last").any().alias("current"), pl.len().alias("entries"), moved.last().alias("moved_on"),
        pl.col(TIMESTAMP).dt.epoch("us").last().alias("entered_us"))
    since = {m: outcomes.since_us(now, outcomes.usual_time(times[m])[0]) for m in moments}
    within = pl.col("entered_us") >= pl.col("moment").replace_strict(since, return_dtype=pl.Int64)
    return per_case.with_columns(
        pl.when(pl.col("moved_on")).then(pl.lit("moved_on"))
        .when(pl.col("current") & within).then(pl.lit("still_here"))
        .otherwise(pl.lit("dropped")).alias("outcome"))


def _customers(stays: pl.DataFrame) -> dict[str, int]:
    table = stays.group_by("moment").agg(pl.col("customer_id").n_unique())
    return {str(m): int(n) for m, n in table.iter_rows()}


def with_durations(stays: pl.DataFrame) -> pl.DataFrame:
    """Each stay with the seconds until the next stay of its case was entered (null while still open)."""
    left = pl.col(TIMESTAMP).shift(-1).over(CASE_KEY)
    return stays.with_columns(((left - pl.col(TIMESTAMP)).dt.total_microseconds() / 1_000_000).alias("seconds"))


def time_in_moment(stays: pl.DataFrame, moments: Sequence[str]) -> list[TimeInMoment]:
    timed = _in_model(with_durations(stays), moments)
    table = timed.group_by("moment").agg(
        pl.len().alias("stays"), pl.col("seconds").count().alias("closed"), pl.col("seconds").mean().alias("mean_s"),
        pl.col("seconds").median().alias("median_s"),
        pl.col("seconds").quantile(0.9, interpolation="linear").alias("p90_s"))
    rows = {r["moment"]: r for r in table.iter_rows(named=True)}
    out = []
    for m in moments:
        r = rows.get(m)
        if r is None:
            out.append(TimeInMoment(moment=m, stays=0, closed=0, open=0, mean_s=None, median_s=None, p90_s=None))
            continue
        out.append(TimeInMoment(moment=m, stays=r["stays"], closed=r["closed"], open=r["stays"] - r["closed"],
                                mean_s=r["mean_s"], median_s=r["median_s"], p90_s=r["p90_s"]))
    return out


def events_in_moments(log: pl.DataFrame, stays: pl.DataFrame, moments: Sequence[str]) -> pl.DataFrame:
    """Every event of the log with ``in_moment``: the moment of its case's stay in effect at its time (or null).

    The stay in effect is the case's last stay in the model entered at or before the event; of stays entered at the
    same time, the last in stay order (``stays`` is sorted by case and stay number; the sort keeps that order).
    """
    entered = (_in_model(stays, moments).select(CASE_KEY, TIMESTAMP, pl.col("moment").alias("in_moment"))
               .sort(TIMESTAMP, maintain_order=True))
    return (log.select(CASE_KEY, TIMESTAMP, "channel", "initiator", "customer_id").sort(TIMESTAMP)
            .join_asof(entered, on=TIMESTAMP, by=CASE_KEY, strategy="backward")
            .filter(pl.col("in_moment").is_not_null()))


def channel_mix(events: pl.DataFrame, moments: Sequence[str]) -> list[ChannelMix]:
    table = events.group_by("in_moment", "channel").len().sort(["in_moment", "len", "channel"],
                                                              descending=[False, True, False])
    by_moment: dict[str, list[tuple[str, int]]] = {}
    for m, channel, n in table.iter_rows():
        by_moment.setdefault(m, []).append((channel, n))
    return channel_mix_of(by_moment, moments)


def channel_mix_of(by_moment: Mapping[str, list[tuple[str, int]]], moments: Sequence[str]) -> list[ChannelMix]:
    """Shares per moment from (channel, events) counts already in order (most events first, then channel)."""
    out = []
    for m in moments:
        counts = by_moment.get(m, [])
        total = sum(n for _, n in counts)
        out.append(ChannelMix(moment=m, events=total,
                              channels=[ChannelShare(channel=c, events=n, share=n / total) for c, n in counts]))
    return out


def contacts(events: pl.DataFrame, stays: pl.DataFrame, moments: Sequence[str],
             budgets: Mapping[str, int] | None) -> list[ContactFigures]:
    """Inbound and outbound contacts per moment, per customer reached, against the moment's budget (if known)."""
    reached = _customers(_in_model(stays, moments))
    per_customer = events.group_by("in_moment", "customer_id").agg(
        (pl.col("initiator") == "customer").sum().alias("inbound"),
        (pl.col("initiator") == "company").sum().alias("outbound"))
    rows = {r["in_moment"]: r for r in per_customer.group_by("in_moment").agg(
        pl.col("inbound").sum(), pl.col("outbound").sum()).iter_rows(named=True)}
    out = []
    for m in moments:
        r = rows.get(m, {"inbound": 0, "outbound": 0})
        n = reached.get(m, 0)
        budget = None if budgets is None else budgets.get(m)
        over = None
        if budget is not None:
            over = per_customer.filter((pl.col("in_moment") == m) & (pl.col("outbound") > budget)).height
        out.append(ContactFigures(moment=m, customers=n, inbound=int(r["inbound"]), outbound=int(r["outbound"]),
                                  inbound_per_customer=_ratio(int(r["inbound"]), n),
                                  outbound_per_customer=_ratio(int(r["outbound"]), n), budget=budget,
                                  over_budget=over))
    return out
