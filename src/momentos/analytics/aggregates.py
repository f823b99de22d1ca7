"""Case digests and what each case adds to the aggregate tables (models/analytics.py), computed with Polars.

A *digest* is one case's steps in order: its activities (ordered by time, then event id, each with its channel and
initiator) and its stays (ordered by their number), each with a time in epoch microseconds. The contribution of a
set of digests, each with a weight ``w`` (+1 for a new digest, −1 for the digest it replaces), is a set of signed
counter deltas per table row; summing the contributions of every current digest gives exactly what the full path
(views.py, mining.py, indicators.py) computes from the log. The definitions mirror those modules line by line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from momentos.analytics import conformance
from momentos.analytics.conformance import Design
from momentos.analytics.log import ACTIVITY, CASE_KEY, EVENT_ID, TIMESTAMP
from momentos.analytics.outcomes import ENTERED_METRIC

DIGEST_SCHEMA: dict[str, Any] = {
    CASE_KEY: pl.Int64, "service_id": pl.Int64, "customer_id": pl.Int64,
    "acts": pl.List(pl.String), "ats": pl.List(pl.Int64), "chs": pl.List(pl.String), "ins": pl.List(pl.String),
    "moms": pl.List(pl.String), "mts": pl.List(pl.Int64)}
SPREAD_SCHEMA: dict[str, Any] = {"scope": pl.Int64, "lens": pl.String, "moment": pl.String, "outbound": pl.Int64,
                                 "customers": pl.Int64, "inbound": pl.Int64}
_JSON_FIELDS = ("acts", "ats", "chs", "ins", "moms", "mts")
BUCKETS_PER_DOUBLING = 16
VARIANT_SEP = "\x1f"


@dataclass(frozen=True)
class Models:
    """The moment models the tables are built with: per service, its moment positions and canonical mapping."""

    positions: Mapping[int, Mapping[str, int]]
    """service id → moment key of its model → position in that model."""
    canonical: Mapping[int, Mapping[str, str | None]]
    """service id → moment key of its model → one of the 8 contact moments (or None)."""
    canonical_order: Sequence[str]
    designs: Mapping[int, Design] = field(default_factory=dict)
    """service id → its designed journey (conformance.py): a change of design refolds every digest."""

    def fingerprint(self) -> str:
        text = repr((sorted((s, sorted(p.items())) for s, p in self.positions.items()),
                     sorted((s, sorted(m.items(), key=str)) for s, m in self.canonical.items()),
                     list(self.canonical_order), sorted(self.designs.items())))
        return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Delta:
    """Signed changes per aggregate table (rows with a zero change are left out)."""

    pairs: pl.DataFrame
    durations: pl.DataFrame
    buckets: pl.DataFrame
    variants: pl.DataFrame
    ends: pl.DataFrame
    moments: pl.DataFrame
    customers: pl.DataFrame
    channels: pl.DataFrame
    contacts: pl.DataFrame
    spread: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=SPREAD_SCHEMA))
    """Customers per outbound count (filled in by incremental.py, which knows each customer's stored counts)."""
    conformance: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=conformance.SCHEMA))


# ---------------------------------------------------------------- digests

def digests_from_log(log: pl.DataFrame) -> pl.DataFrame:
    """One digest per case of a log loaded by log.load_log (every event of each case it holds)."""
    acts = (log.sort([CASE_KEY, TIMESTAMP, EVENT_ID])
            .group_by(CASE_KEY, maintain_order=True)
            .agg(pl.col("service_id").first(), pl.col("customer_id").first(), pl.col(ACTIVITY).alias("acts"),
                 _micros(pl.col(TIMESTAMP)).alias("ats"), pl.col("channel").alias("chs"),
                 pl.col("initiator").alias("ins")))
    stays = (log.filter(pl.col("stay_seq").is_not_null() & pl.col("moment").is_not_null())
             .sort([CASE_KEY, "stay_seq"])
             .group_by(CASE_KEY, maintain_order=True)
             .agg(pl.col("moment").alias("moms"), _micros(pl.col(TIMESTAMP)).alias("mts")))
    out = acts.join(stays, on=CASE_KEY, how="left").with_columns(
        pl.col("moms").fill_null(pl.lit([], dtype=pl.List(pl.String))),
        pl.col("mts").fill_null(pl.lit([], dtype=pl.List(pl.Int64))))
    return out.select(list(DIGEST_SCHEMA)).cast(DIGEST_SCHEMA)  # type: ignore[arg-type]


def _micros(expr: pl.Expr) -> pl.Expr:
    return expr.dt.epoch("us")


def encode(digests: pl.DataFrame) -> pl.DataFrame:
    """Digests as rows to store: case key, service, customer and the steps as JSON text."""
    return digests.select(CASE_KEY, "service_id", "customer_id",
                          pl.struct(*_JSON_FIELDS).struct.json_encode().alias("digest"))


def decode(rows: Sequence[tuple[Any, ...]]) -> pl.DataFrame:
    """Stored (case key, service, customer, JSON) rows back into digests."""
    frame = pl.DataFrame(rows, schema={CASE_KEY: pl.Int64, "service_id": pl.Int64, "customer_id": pl.Int64,
                                       "digest": pl.String}, orient="row")
    fields = pl.Struct({f: DIGEST_SCHEMA[f] for f in _JSON_FIELDS})
    return (frame.with_columns(pl.col("digest").str.json_decode(fields))
            .unnest("digest").select(list(DIGEST_SCHEMA)).cast(DIGEST_SCHEMA))  # type: ignore[arg-type]


# ---------------------------------------------------------------- contributions

def bucket(expr: pl.Expr) -> pl.Expr:
    """Ordered buckets of durations: BUCKETS_PER_DOUBLING per power of two of the magnitude (negatives below 0)."""
    magnitude = ((expr.abs() + 1).cast(pl.Float64).log(2) * BUCKETS_PER_DOUBLING).floor().cast(pl.Int32)
    return pl.when(expr >= 0).then(magnitude).otherwise(-magnitude - 1)


def contributions(weighted: pl.DataFrame, models: Models) -> Delta:
    """What the weighted digests add to every table. ``weighted``: digests with a ``w`` column (+1 or −1)."""
    frame = weighted.with_row_index("gid").with_columns(
        pl.when(pl.col("service_id").is_null()).then(pl.lit([0], dtype=pl.List(pl.Int64)))
        .otherwise(pl.concat_list(pl.col("service_id"), pl.lit(0, dtype=pl.Int64))).alias("scopes"))
    acts = _explode(frame, "acts", "ats").with_columns(pl.lit("a").alias("lens"))
    stays = _explode(frame.filter(pl.col("service_id").is_not_null()), "moms", "mts")
    model = _positioned(stays, models.positions).with_columns(
        pl.concat_list(pl.col("service_id")).alias("scopes"), pl.lit("m").alias("lens"))
    canonical = _positioned(_mapped(stays, models.canonical),
                            {-1: {m: i for i, m in enumerate(models.canonical_order)}}, shared=True)
    canonical = canonical.with_columns(pl.lit("c").alias("lens"))
    steps = pl.concat([acts.with_columns(pl.lit(None, dtype=pl.Int64).alias("pos")), model, canonical],
                      how="diagonal_relaxed")
    lens_code = pl.col("lens").replace_strict({"a": 0, "m": 1, "c": 2}, return_dtype=pl.Int64)
    steps = steps.with_columns((pl.col("gid").cast(pl.Int64) * 4 + lens_code).alias("cid"))
    walked = steps.sort(["cid", "i"])
    pairs, durations, buckets = _pair_tables(walked)
    moments, customers, stay_durations, stay_buckets = _moment_tables(walked.filter(pl.col("lens") != "a"))
    channels, contacts = _contact_tables(frame, walked.filter(pl.col("lens") != "a"))
    return Delta(pairs=pairs, durations=pl.concat([durations, stay_durations]),
                 buckets=pl.concat([buckets, stay_buckets]), variants=_variants(walked), ends=_ends(walked),
                 moments=moments, customers=customers, channels=channels, contacts=contacts,
                 conformance=conformance.contributions(weighted, models.designs))


def _explode(frame: pl.DataFrame, names: str, times: str) -> pl.DataFrame:
    return (frame.select("gid", "w", "service_id", "customer_id", "scopes", pl.col(names).alias("step"),
                         pl.col(times).alias("ts"))
            .explode("step", "ts").filter(pl.col("step").is_not_null())
            .with_columns(pl.int_range(pl.len()).over("gid").alias("i")))


def _positioned(stays: pl.DataFrame, positions: Mapping[int, Mapping[str, int]], shared: bool = False) -> pl.DataFrame:
    """Each stay with its moment's position in the model (null when the model does not have it) and the model's
    last position."""
    table = pl.DataFrame([(s, m, p, max(moments.values())) for s, moments in positions.items()
                          for m, p in moments.items()],
                         schema={"pos_service": pl.Int64, "step": pl.String, "pos": pl.Int64, "last_pos": pl.Int64},
                         orient="row")
    key = pl.lit(-1, dtype=pl.Int64) if shared else pl.col("service_id")
    return (stays.with_columns(key.alias("pos_service"))
            .join(table, on=["pos_service", "step"], how="left", maintain_order="left").drop("pos_service"))


def _mapped(stays: pl.DataFrame, canonical: Mapping[int, Mapping[str, str | None]]) -> pl.DataFrame:
    """Stays renamed onto the 8 contact moments; unmapped stays dropped, the others renumbered."""
    table = pl.DataFrame([(s, m, c) for s, moments in canonical.items() for m, c in moments.items()],
                         schema={"service_id": pl.Int64, "step": pl.String, "mapped": pl.String}, orient="row")
    return (stays.join(table, on=["service_id", "step"], how="left", maintain_order="left")
            .filter(pl.col("mapped").is_not_null())
            .with_columns(pl.col("mapped").alias("step")).drop("mapped")
            .with_columns(pl.int_range(pl.len()).over("gid").alias("i")))


def _by_scope(frame: pl.DataFrame, keys: Sequence[str], sums: Mapping[str, pl.Expr]) -> pl.DataFrame:
    """Explode each row over its case's scopes, sum per (scope, lens, *keys), keep the non-zero rows."""
    out = (frame.explode("scopes").rename({"scopes": "scope"})
           .group_by("scope", "lens", *keys).agg(**sums))
    return out.filter(pl.any_horizontal(pl.col(c) != 0 for c in sums))


def _pair_tables(walked: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    pairs = (walked.with_columns(pl.col("step").shift(-1).alias("target"),
                                 (pl.col("ts").shift(-1) - pl.col("ts")).alias("duration_us"),
                                 (pl.col("cid").shift(-1) == pl.col("cid")).alias("same"))
             .filter(pl.col("same")).rename({"step": "source"})
             .with_columns(bucket(pl.col("duration_us")).alias("bucket"), pl.lit("p").alias("metric")))
    table = _by_scope(pairs, ["source", "target"],
                      {"n": pl.col("w").sum(), "total_us": (pl.col("w") * pl.col("duration_us")).sum()})
    return (table, *_duration_tables(pairs))


def _duration_tables(timed: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    durations = _by_scope(timed, ["metric", "source", "target", "duration_us", "bucket"], {"n": pl.col("w").sum()})
    buckets = durations.group_by("scope", "lens", "metric", "source", "target", "bucket").agg(pl.col("n").sum())
    return durations, buckets.filter(pl.col("n") != 0)


def _variants(walked: pl.DataFrame) -> pl.DataFrame:
    per_case = walked.group_by("cid", maintain_order=True).agg(
        pl.col("lens").first(), pl.col("w").first(), pl.col("scopes").first(),
        pl.col("step").str.join(VARIANT_SEP).alias("steps"))
    table = _by_scope(per_case, ["steps"], {"n": pl.col("w").sum()})
    digests = [hashlib.sha256(s.encode()).hexdigest() for s in table["steps"].to_list()]
    return table.with_columns(pl.Series("digest", digests, dtype=pl.String))


def _ends(walked: pl.DataFrame) -> pl.DataFrame:
    per_case = walked.group_by("cid").agg(pl.col("lens").first(), pl.col("w").first(), pl.col("scopes").first(),
                                         pl.col("step").first().alias("s"), pl.col("step").last().alias("e"))
    sides = per_case.unpivot(index=["cid", "lens", "w", "scopes"], on=["s", "e"], variable_name="side",
                             value_name="step")
    return _by_scope(sides, ["side", "step"], {"n": pl.col("w").sum()})


def _moment_tables(stays: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Funnel and time-in-moment counters (indicators.funnel, indicators.time_in_moment) per stay, summed.

    The outcome split (outcomes.py) keeps ``moved_on`` as a counter and, for the processes standing in a moment,
    their entry times (metric ``e`` of the durations tables): whether they are still within the usual time depends
    on the time of the read, so answers.funnel counts them then."""
    timed = (stays.with_columns((pl.col("ts").shift(-1).over("cid") - pl.col("ts")).alias("duration_us"))
             .filter(pl.col("pos").is_not_null()))
    marked = timed.with_columns(
        pl.col("pos").cum_max(reverse=True).shift(-1).over("cid").alias("later_max"),
        (pl.int_range(pl.len()).over("cid") == pl.len().over("cid") - 1).alias("is_last"))
    moved = pl.when(pl.col("pos") == pl.col("last_pos")).then(~pl.col("is_last")).otherwise(
        (pl.col("later_max") > pl.col("pos")).fill_null(False))
    per_case = marked.group_by("cid", "step").agg(
        pl.col("lens").first(), pl.col("w").first(), pl.col("scopes").first(), pl.col("customer_id").first(),
        (pl.col("later_max") > pl.col("pos")).fill_null(False).any().alias("progressed"),
        pl.col("is_last").any().alias("current"), pl.len().alias("entries"),
        pl.col("duration_us").count().alias("closed"), pl.col("duration_us").sum().alias("total_us"),
        moved.last().alias("moved_on"), pl.col("ts").last().alias("entered_us"))
    w = pl.col("w")
    moments = _by_scope(per_case.rename({"step": "moment"}), ["moment"], {
        "reached": w.sum(), "progressed": (w * pl.col("progressed").cast(pl.Int64)).sum(),
        "current": (w * pl.col("current").cast(pl.Int64)).sum(), "entries": (w * pl.col("entries")).sum(),
        "closed": (w * pl.col("closed")).sum(), "total_us": (w * pl.col("total_us")).sum(),
        "moved_on": (w * pl.col("moved_on").cast(pl.Int64)).sum()})
    customers = _by_scope(per_case.rename({"step": "moment"}), ["moment", "customer_id"], {"n": w.sum()})
    closed = (timed.filter(pl.col("duration_us").is_not_null())
              .select("w", "scopes", "lens", pl.lit("t").alias("metric"), pl.col("step").alias("source"),
                      pl.lit("").alias("target"), "duration_us", bucket(pl.col("duration_us")).alias("bucket")))
    entered = (per_case.filter(pl.col("current"))
               .select("w", "scopes", "lens", pl.lit(ENTERED_METRIC).alias("metric"), pl.col("step").alias("source"),
                       pl.lit("").alias("target"), pl.col("entered_us").alias("duration_us"),
                       bucket(pl.col("entered_us")).alias("bucket")))
    return (moments, customers, *_duration_tables(pl.concat([closed, entered])))


def _contact_tables(frame: pl.DataFrame, stays: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Channel mix and contacts per moment (indicators.events_in_moments, channel_mix, contacts), per event, summed.

    Each event of a case counts in the stay of that case in effect at its time: among the case's stays in the model
    (``pos`` known) entered at or before the event, the last by (time, stay order); events before any such stay
    do not count. Stays sort before events at an equal time, so the forward fill finds exactly that stay.
    """
    entered = stays.filter(pl.col("pos").is_not_null()).select(
        "gid", "lens", "scopes", "ts", "i", pl.col("step").alias("moment"), pl.lit(0, dtype=pl.Int8).alias("kind"))
    cases = entered.group_by("gid", "lens").agg(pl.col("scopes").first())
    happened = (frame.select("gid", "w", "customer_id", pl.col("ats").alias("ts"), pl.col("chs").alias("channel"),
                             pl.col("ins").alias("initiator"))
                .explode("ts", "channel", "initiator").filter(pl.col("ts").is_not_null())
                .join(cases, on="gid", how="inner")
                .with_columns(pl.lit(1, dtype=pl.Int8).alias("kind")))
    walked = (pl.concat([entered, happened], how="diagonal_relaxed")
              .sort(["gid", "lens", "ts", "kind", "i"])
              .with_columns(pl.col("moment").forward_fill().over("gid", "lens"))
              .filter((pl.col("kind") == 1) & pl.col("moment").is_not_null()))
    w = pl.col("w")
    channels = _by_scope(walked, ["moment", "channel"], {"n": w.sum()})
    contacts = _by_scope(walked, ["moment", "customer_id"], {
        "events": w.sum(), "inbound": (w * (pl.col("initiator") == "customer").cast(pl.Int64)).sum(),
        "outbound": (w * (pl.col("initiator") == "company").cast(pl.Int64)).sum()})
    return channels, contacts
