"""Keep the aggregate tables (models/analytics.py) equal to a full recomputation of the log, incrementally.

Design: each case (a process, or a customer's events without a process) has a stored *digest* (its steps in
order). A refresh finds the cases touched since the organization's watermark (events with a higher id), rebuilds
their digests from the log and applies ``contribution(new) − contribution(old)`` to the aggregate tables with
additive upserts. Because every counter is a sum over digests, out-of-order events (which renumber a process's
stays) and duplicates (dropped before storage) cannot make the two paths differ: a touched case is always
recomputed whole from what is stored. Many touched cases, a first build, or a change of journey models (mappings)
rebuild every table from the log instead.

Who writes. Only the refresh job (``analytics.refresh``, analytics/tasks.py, which the import entry points also run
for their organization once their import is committed) calls ``refresh``/``catch_up``; erasure subtracts a
customer's digests (``forget_customer``). Reads never write: ``pending`` computes the very same change
(``_case_delta``: the touched cases' new digests minus their stored digests, through ``aggregates.contributions``)
in memory and hands it to the answers, which add it to the stored rows, so answers stay exact between refreshes
without taking a write lock. When the change would be large (no aggregates yet, other journey models, or most
cases touched) ``pending`` says so and the read takes the full path (log.py) instead.

Watermark safety. SQLite has one writer at a time, so ids become visible in order. PostgreSQL hands out ids before
commit: ingestion holds a shared advisory lock per organization for its whole transaction (``note_ingest``), and a
refresh may move the watermark to the largest visible id only if it can take the exclusive lock at that moment
(then no transaction holding ids is in flight). If it cannot, it still folds in every visible event (so answers
stay exact for what is committed) and leaves the watermark where it was; those cases are simply recomputed again
next time (idempotent: a case already folded has a stored digest equal to its new one, so reads fold it to zero).
Refreshes of one organization are serialized by a row lock on its state row.

Erasure: ``forget_customer`` subtracts the customer's digests before their events are deleted. Alias merges (which
move events between customers) are detected through new alias rows and digests whose customer no longer exists.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from momentos.analytics import aggregates, design
from momentos.analytics.aggregates import Delta, Models
from momentos.analytics.log import ACTIVITY, CASE_KEY, EVENT_ID, TIMESTAMP, load_log
from momentos.catalog import service as catalog
from momentos.catalog.presets import CANONICAL_KEYS
from momentos.dialect import BulkWriter
from momentos.kit.clock import utcnow

_LOCK_NAME = "momentos.analytics.watermark:"
_LOCK_SPACE = "hashtext(%s || current_schema())"
"""The advisory lock space of the analytics watermark, per schema: advisory locks are per database, and two
Momentos schemas in one database (or the test suite's per-worker schemas) have organizations with the same ids,
whose ingestion must not keep each other's watermark from moving."""
_FULL_MIN = 20_000
"""A refresh touching more cases than this (and more than a quarter of the known ones) rebuilds everything."""
_FOLD_MIN = 1_000
_FOLD_SHARE = 8
"""A read folds the cases above the watermark in memory unless there are more than ``_FOLD_MIN`` of them and more
than one in ``_FOLD_SHARE`` of the known cases: the full path then reaches the same answer sooner."""
_TABLES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    # table: (key columns after org_id, added counters, columns replaced by the new value)
    "analytics_pairs": (("scope", "lens", "source", "target"), ("n", "total_us"), ()),
    "analytics_durations": (("scope", "lens", "metric", "source", "target", "bucket", "duration_us"), ("n",), ()),
    "analytics_buckets": (("scope", "lens", "metric", "source", "target", "bucket"), ("n",), ()),
    "analytics_variants": (("scope", "lens", "digest"), ("n",), ("steps",)),
    "analytics_ends": (("scope", "lens", "side", "step"), ("n",), ()),
    "analytics_moments": (("scope", "lens", "moment"),
                          ("reached", "entries", "progressed", "current", "closed", "total_us", "customers",
                           "moved_on"), ()),
    "analytics_moment_customers": (("scope", "lens", "moment", "customer_id"), ("n",), ()),
    "analytics_channels": (("scope", "lens", "moment", "channel"), ("n",), ()),
    "analytics_moment_contacts": (("scope", "lens", "moment", "customer_id"), ("events", "inbound", "outbound"), ()),
    "analytics_contact_spread": (("scope", "lens", "moment", "outbound"), ("customers", "inbound"), ()),
    "analytics_conformance": (("scope", "moment", "kind", "channel"), ("cases", "deviations"), ()),
}
_DELTA_FIELDS = {"analytics_pairs": "pairs", "analytics_durations": "durations", "analytics_buckets": "buckets",
                 "analytics_variants": "variants", "analytics_ends": "ends", "analytics_moments": "moments",
                 "analytics_moment_customers": "customers", "analytics_channels": "channels",
                 "analytics_moment_contacts": "contacts", "analytics_contact_spread": "spread",
                 "analytics_conformance": "conformance"}


@dataclass(frozen=True)
class Refreshed:
    cases: int
    full: bool
    watermark: int
    advanced: bool
    """Whether the watermark moved (False: an ingestion was in flight; the cases will be folded again)."""


@dataclass(frozen=True)
class Pending:
    """What the stored aggregates lack for a read: the change the cases above the watermark make to them."""

    delta: Delta | None
    """None: nothing to add (the stored aggregates are caught up)."""
    cases: int


def note_ingest(session: Session, org_id: int) -> None:
    """Called at the start of every ingestion: on PostgreSQL, hold the organization's shared watermark lock."""
    bulk = BulkWriter(session)
    if bulk.postgres:
        bulk.query(f"SELECT pg_advisory_xact_lock_shared({_LOCK_SPACE}, %s)", [_LOCK_NAME, _lock_key(org_id)])


def _lock_key(org_id: int) -> int:
    return org_id % 2_147_483_647


def current_models(session: Session, org_id: int) -> Models:
    positions: dict[int, dict[str, int]] = {}
    canonical: dict[int, dict[str, str | None]] = {}
    for s in catalog.list_services(session, org_id):
        model = catalog.get_journey_model(session, org_id, s.journey_model_key)
        positions[s.id] = dict(model.positions)
        canonical[s.id] = {k: model.to_canonical(k) for k in model.keys}
    return Models(positions, canonical, CANONICAL_KEYS, design.designs(session, org_id))


def is_behind(session: Session, org_id: int) -> bool:
    """Whether some committed event, alias or model change is not yet in the aggregates."""
    bulk = BulkWriter(session)
    state = _state(bulk, org_id, lock=False)
    if state is None:
        return _max_id(bulk, "events", org_id) > 0
    return _behind(bulk, org_id, state, current_models(session, org_id))


def catch_up(session: Session, org_id: int) -> Refreshed | None:
    """Bring the organization's aggregates up to every committed event (cheap when nothing is new). Writes: only
    the refresh job calls it (tests too, to play the worker)."""
    bulk = BulkWriter(session)
    models = current_models(session, org_id)
    state = _state(bulk, org_id, lock=False)
    if state is not None and not _behind(bulk, org_id, state, models):
        return None
    return refresh(session, org_id, models=models)


def pending(session: Session, org_id: int) -> Pending | None:
    """What a read must add to the stored aggregates to answer for every committed event, folded in memory with
    the refresh's own contribution function; never writes and takes no lock.

    None when the stored aggregates cannot answer: never built, built with other journey models, or so many cases
    touched since the last refresh that the full path (log.py) is the faster way to the same answer.
    """
    bulk = BulkWriter(session)
    state = _state(bulk, org_id, lock=False)
    if state is None:
        return None
    models = current_models(session, org_id)
    if state[2] != models.fingerprint():
        return None
    if not _behind(bulk, org_id, state, models):
        return Pending(None, 0)
    watermark, alias_mark, _ = state
    touched = _touched(bulk, org_id, watermark, alias_mark, _max_id(bulk, "customer_aliases", org_id))
    if len(touched) > _FOLD_MIN and len(touched) * _FOLD_SHARE > _count(bulk, org_id):
        return None
    if not touched:
        return Pending(None, 0)
    delta, _, _ = _case_delta(bulk, org_id, sorted(touched), models)
    return Pending(delta, len(touched))


def refresh(session: Session, org_id: int, *, models: Models | None = None,
            skip_locked: bool = False) -> Refreshed | None:
    """Fold every event above the watermark into the aggregates. ``skip_locked``: None if another refresh runs."""
    bulk = BulkWriter(session)
    models = models or current_models(session, org_id)
    bulk.executemany(_insert_ignore("analytics_state", ("org_id", "event_watermark", "alias_watermark", "mapping")),
                     [(org_id, 0, 0, "")])
    state = _state(bulk, org_id, lock=True, skip_locked=skip_locked)
    if state is None:
        return None
    watermark, alias_mark, fingerprint = state
    visible = _max_id(bulk, "events", org_id)
    safe = _safe_high(bulk, org_id, visible)
    aliases = _max_id(bulk, "customer_aliases", org_id)
    touched: set[int] = set()
    full = fingerprint != models.fingerprint() or watermark == 0
    if not full:
        touched = _touched(bulk, org_id, watermark, alias_mark, aliases)
        known = _count(bulk, org_id)
        full = len(touched) > _FULL_MIN and len(touched) * 4 > known
    if full:
        cases = _rebuild_all(session, bulk, org_id, models)
    else:
        cases = len(touched)
        _refresh_cases(bulk, org_id, sorted(touched), models)
    new_mark = max(watermark, safe) if safe is not None else watermark
    bulk.executemany("UPDATE analytics_state SET event_watermark = ?, alias_watermark = ?, mapping = ?, "
                     "refreshed_at = ? WHERE org_id = ?",
                     [(new_mark, max(alias_mark, aliases), models.fingerprint(), utcnow(), org_id)], datetimes=(3,))
    return Refreshed(cases, full, new_mark, new_mark > watermark or full)


def forget_customer(session: Session, org_id: int, customer_id: int) -> None:
    """Subtract an erased customer's cases from the aggregates (call before their events are deleted)."""
    bulk = BulkWriter(session)
    if _state(bulk, org_id, lock=True) is None:
        return
    rows = bulk.query(_sql(bulk, "SELECT case_key, service_id, customer_id, digest FROM analytics_cases "
                                 "WHERE org_id = ? AND customer_id = ?"), [org_id, customer_id])
    if rows:
        old = aggregates.decode(rows).with_columns(pl.lit(-1, dtype=pl.Int64).alias("w"))
        _apply(bulk, org_id, _with_counts(
            bulk, org_id, aggregates.contributions(old, current_models(session, org_id))))
        _delete_cases(bulk, org_id, [r[0] for r in rows])
    # SQLite hands out max(id) + 1: once the customer's events are gone, new events may reuse their ids.
    left = bulk.query(_sql(bulk, "SELECT max(id) FROM events WHERE org_id = ? AND customer_id <> ?"),
                      [org_id, customer_id])[0][0] or 0
    bulk.executemany("UPDATE analytics_state SET event_watermark = ? WHERE org_id = ? AND event_watermark > ?",
                     [(left, org_id, left)])


# ---------------------------------------------------------------- state and watermark

def _sql(bulk: BulkWriter, sql: str) -> str:
    return sql.replace("?", "%s") if bulk.postgres else sql


def _state(bulk: BulkWriter, org_id: int, *, lock: bool, skip_locked: bool = False) -> tuple[int, int, str] | None:
    suffix = ""
    if lock and bulk.postgres:
        suffix = " FOR UPDATE SKIP LOCKED" if skip_locked else " FOR UPDATE"
    rows = bulk.query(_sql(bulk, "SELECT event_watermark, alias_watermark, mapping FROM analytics_state "
                                 "WHERE org_id = ?") + suffix, [org_id])
    return (int(rows[0][0]), int(rows[0][1]), str(rows[0][2])) if rows else None


def _max_id(bulk: BulkWriter, table: str, org_id: int) -> int:
    rows = bulk.query(_sql(bulk, f"SELECT max(id) FROM {table} WHERE org_id = ?"), [org_id])  # noqa: S608
    return int(rows[0][0] or 0)


def _behind(bulk: BulkWriter, org_id: int, state: tuple[int, int, str], models: Models) -> bool:
    watermark, alias_mark, fingerprint = state
    return (fingerprint != models.fingerprint() or _max_id(bulk, "events", org_id) > watermark
            or _max_id(bulk, "customer_aliases", org_id) > alias_mark)


def _safe_high(bulk: BulkWriter, org_id: int, visible: int) -> int | None:
    """The largest id below which every id is committed or aborted, if that can be known now."""
    if not bulk.postgres:
        return visible
    key = [_LOCK_NAME, _lock_key(org_id)]
    if not bulk.query(f"SELECT pg_try_advisory_lock({_LOCK_SPACE}, %s)", key)[0][0]:
        return None
    try:  # holding the exclusive lock: no ingestion is in flight, so every id handed out so far is settled
        return _max_id(bulk, "events", org_id)
    finally:
        bulk.query(f"SELECT pg_advisory_unlock({_LOCK_SPACE}, %s)", key)


def _count(bulk: BulkWriter, org_id: int) -> int:
    return int(bulk.query(_sql(bulk, "SELECT count(*) FROM analytics_cases WHERE org_id = ?"), [org_id])[0][0])


def _touched(bulk: BulkWriter, org_id: int, watermark: int, alias_mark: int, aliases: int) -> set[int]:
    rows = bulk.query(_sql(bulk, "SELECT DISTINCT process_id, customer_id FROM events WHERE org_id = ? AND id > ?"),
                      [org_id, watermark])
    touched = {pid if pid is not None else -cid for pid, cid in rows}
    if aliases > alias_mark:
        touched |= _merged_cases(bulk, org_id, alias_mark)
    return touched


def _merged_cases(bulk: BulkWriter, org_id: int, alias_mark: int) -> set[int]:
    """Cases an alias merge may have moved: every case of the customers that got aliases, and stale digests."""
    targets = [cid for (cid,) in bulk.query(_sql(bulk, "SELECT DISTINCT customer_id FROM customer_aliases "
                                                       "WHERE org_id = ? AND id > ?"), [org_id, alias_mark])]
    cases = {-cid for cid in targets}
    cases |= {pid for (pid,) in bulk.lookup("processes", ("id",), org_id, "customer_id", targets, org_in_key=False)}
    cases |= {k for (k,) in bulk.lookup("analytics_cases", ("case_key",), org_id, "customer_id", targets)}
    stale = bulk.query(_sql(bulk, "SELECT c.case_key FROM analytics_cases c WHERE c.org_id = ? AND NOT EXISTS "
                                  "(SELECT 1 FROM customers u WHERE u.id = c.customer_id)"), [org_id])
    return cases | {k for (k,) in stale}


# ---------------------------------------------------------------- rebuilding

def _rebuild_all(session: Session, bulk: BulkWriter, org_id: int, models: Models) -> int:
    for table in (*_TABLES, "analytics_cases"):
        bulk.executemany(f"DELETE FROM {table} WHERE org_id = ?", [(org_id,)])  # noqa: S608 - constant names
    digests = aggregates.digests_from_log(load_log(session, org_id))
    delta = _with_counts(bulk, org_id, aggregates.contributions(
        digests.with_columns(pl.lit(1, dtype=pl.Int64).alias("w")), models), fresh=True)
    for table, field in _DELTA_FIELDS.items():
        keys, counters, replaced = _TABLES[table]
        _insert(bulk, table, org_id, getattr(delta, field).select(*keys, *counters, *replaced))
    _insert(bulk, "analytics_cases", org_id, aggregates.encode(digests))
    return digests.height


def _refresh_cases(bulk: BulkWriter, org_id: int, keys: Sequence[int], models: Models) -> None:
    if not keys:
        return
    delta, old_keys, new = _case_delta(bulk, org_id, keys, models)
    _apply(bulk, org_id, delta)
    _delete_cases(bulk, org_id, old_keys)
    _insert(bulk, "analytics_cases", org_id, aggregates.encode(new))


def _case_delta(bulk: BulkWriter, org_id: int, keys: Sequence[int],
                models: Models) -> tuple[Delta, list[int], pl.DataFrame]:
    """What refolding the given cases changes in the tables (their digests rebuilt from the log minus their stored
    digests), the keys of the stored digests it replaces and the new digests. Reads only: a refresh applies the
    change, a read (``pending``) adds it to what it reads."""
    old_rows = bulk.lookup("analytics_cases", ("case_key", "service_id", "customer_id", "digest"), org_id,
                           "case_key", list(keys))
    new = aggregates.digests_from_log(_case_events(bulk, org_id, keys))
    old = aggregates.decode(old_rows)
    weighted = pl.concat([new.with_columns(pl.lit(1, dtype=pl.Int64).alias("w")),
                          old.with_columns(pl.lit(-1, dtype=pl.Int64).alias("w"))])
    delta = _with_counts(bulk, org_id, aggregates.contributions(weighted, models))
    return delta, [int(r[0]) for r in old_rows], new


_EVENT_COLUMNS = ("id", "process_id", "customer_id", "service_id", "activity", "timestamp", "moment", "stay_seq",
                  "channel", "initiator")


def _case_events(bulk: BulkWriter, org_id: int, keys: Sequence[int]) -> pl.DataFrame:
    """Every stored event of the given cases, shaped like log.load_log's frame (the columns digests need)."""
    pids = [k for k in keys if k > 0]
    cids = [-k for k in keys if k < 0]
    rows = bulk.lookup("events", _EVENT_COLUMNS, org_id, "process_id", pids, org_in_key=False)
    rows += [r for r in bulk.lookup("events", _EVENT_COLUMNS, org_id, "customer_id", cids, org_in_key=False)
             if r[1] is None]
    schema = {EVENT_ID: pl.Int64, "process_id": pl.Int64, "customer_id": pl.Int64, "service_id": pl.Int64,
              ACTIVITY: pl.String, "ts": pl.Object, "moment": pl.String, "stay_seq": pl.Int64, "channel": pl.String,
              "initiator": pl.String}
    stamps = [bulk.to_datetime(r[5]) for r in rows]
    frame = pl.DataFrame([r[:5] + r[6:] for r in rows],
                         schema={k: v for k, v in schema.items() if k != "ts"}, orient="row")
    frame = frame.with_columns(pl.Series(TIMESTAMP, stamps, dtype=pl.Datetime("us", "UTC")))
    return frame.with_columns(pl.coalesce(pl.col("process_id"), -pl.col("customer_id")).alias(CASE_KEY))


def case_events(session: Session, org_id: int, keys: Sequence[int]) -> pl.DataFrame:
    """Every stored event of the given cases (process ids, or minus a customer id), shaped like load_log's frame."""
    return _case_events(BulkWriter(session), org_id, keys)


def _delete_cases(bulk: BulkWriter, org_id: int, keys: Iterable[int]) -> None:
    bulk.executemany("DELETE FROM analytics_cases WHERE org_id = ? AND case_key = ?", [(org_id, k) for k in keys])


# ---------------------------------------------------------------- writing deltas

def _insert_ignore(table: str, columns: Sequence[str]) -> str:
    marks = ", ".join("?" * len(columns))
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks}) ON CONFLICT DO NOTHING"  # noqa: S608


def _with_counts(bulk: BulkWriter, org_id: int, delta: Delta, fresh: bool = False) -> Delta:
    """The delta with the counters that depend on what is stored: distinct customers, customers per outbound count."""
    return _with_contact_spread(bulk, org_id, _with_customer_counts(bulk, org_id, delta, fresh), fresh)


def _with_contact_spread(bulk: BulkWriter, org_id: int, delta: Delta, fresh: bool) -> Delta:
    """Move each changed customer from its stored outbound count to its new one in analytics_contact_spread."""
    keys = ["scope", "lens", "moment", "customer_id"]
    change = delta.contacts
    stored = _current_rows(bulk, org_id, "analytics_moment_contacts", ("events", "inbound", "outbound"),
                           change.select(keys).rows()) if not fresh else []
    before = pl.DataFrame(stored, schema={"scope": pl.Int64, "lens": pl.String, "moment": pl.String,
                                          "customer_id": pl.Int64, "events0": pl.Int64, "inbound0": pl.Int64,
                                          "outbound0": pl.Int64}, orient="row")
    both = (change.join(before, on=keys, how="left")
            .with_columns(pl.col(c).fill_null(0) for c in ("events0", "inbound0", "outbound0")))
    old = (both.filter(pl.col("events0") > 0)
           .select("scope", "lens", "moment", pl.col("outbound0").alias("outbound"),
                   pl.lit(-1, dtype=pl.Int64).alias("customers"), (-pl.col("inbound0")).alias("inbound")))
    new = (both.filter(pl.col("events0") + pl.col("events") > 0)
           .select("scope", "lens", "moment", (pl.col("outbound0") + pl.col("outbound")).alias("outbound"),
                   pl.lit(1, dtype=pl.Int64).alias("customers"),
                   (pl.col("inbound0") + pl.col("inbound")).alias("inbound")))
    spread = (pl.concat([old, new]).group_by("scope", "lens", "moment", "outbound")
              .agg(pl.col("customers").sum(), pl.col("inbound").sum())
              .filter((pl.col("customers") != 0) | (pl.col("inbound") != 0)))
    return replace(delta, spread=spread.cast(aggregates.SPREAD_SCHEMA))  # type: ignore[arg-type]


def _with_customer_counts(bulk: BulkWriter, org_id: int, delta: Delta, fresh: bool = False) -> Delta:
    """Add to the moments delta how many customers start or stop counting (their case count leaves or reaches 0)."""
    keys = ["scope", "lens", "moment", "customer_id"]
    change = delta.customers
    stored = _current_rows(bulk, org_id, "analytics_moment_customers", ("n",),
                           change.select(keys).rows()) if not fresh else []
    before = pl.DataFrame(stored,
                          schema={"scope": pl.Int64, "lens": pl.String, "moment": pl.String, "customer_id": pl.Int64,
                                  "before": pl.Int64}, orient="row")
    counted = (change.join(before, on=keys, how="left")
               .with_columns(pl.col("before").fill_null(0))
               .with_columns(((pl.col("before") + pl.col("n") > 0).cast(pl.Int64)
                              - (pl.col("before") > 0).cast(pl.Int64)).alias("customers"))
               .group_by("scope", "lens", "moment").agg(pl.col("customers").sum()))
    counters = ["reached", "entries", "progressed", "current", "closed", "total_us", "moved_on"]
    moments = (delta.moments.join(counted, on=["scope", "lens", "moment"], how="full", coalesce=True)
               .with_columns(pl.col(c).fill_null(0) for c in [*counters, "customers"])
               .filter(pl.any_horizontal(pl.col(c) != 0 for c in [*counters, "customers"])))
    return replace(delta, moments=moments)


def _current_rows(bulk: BulkWriter, org_id: int, table: str, counters: Sequence[str],
                  keys: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Stored counters of a table's (scope, lens, moment, customer) keys: (scope, lens, moment, customer, *counters)."""
    if not keys:
        return []
    if bulk.postgres:
        # One primary-key probe per key (OFFSET 0 keeps the planner from turning it into a join, which scans the
        # organization's whole table when the table has no statistics yet, e.g. right after a first build)
        return bulk.query(
            f"SELECT c.scope, c.lens, c.moment, c.customer_id, {', '.join(f'c.{c}' for c in counters)} "  # noqa: S608
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::bigint[]) AS k(scope, lens, moment, customer_id) "
            f"CROSS JOIN LATERAL (SELECT * FROM {table} t WHERE t.org_id = %s AND t.scope = k.scope "
            "AND t.lens = k.lens AND t.moment = k.moment AND t.customer_id = k.customer_id OFFSET 0) c",
            [*(list(col) for col in zip(*keys, strict=True)), org_id])
    sql = (f"SELECT scope, lens, moment, customer_id, {', '.join(counters)} FROM {table} WHERE org_id = ? "  # noqa: S608
           "AND scope = ? AND lens = ? AND moment = ? AND customer_id = ?")
    return [row for key in keys for row in bulk.query(sql, [org_id, *key])]


def _apply(bulk: BulkWriter, org_id: int, delta: Delta) -> None:
    """Add the signed changes to the tables (additive upserts), then drop the rows whose counts reached zero."""
    for table, field in _DELTA_FIELDS.items():
        keys, counters, replaced = _TABLES[table]
        frame: pl.DataFrame = getattr(delta, field)
        if frame.is_empty():
            continue
        columns = ("org_id", *keys, *counters, *replaced)
        sets = [f"{c} = {table}.{c} + excluded.{c}" for c in counters] + [f"{c} = excluded.{c}" for c in replaced]
        sql = (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "  # noqa: S608
               f"ON CONFLICT (org_id, {', '.join(keys)}) DO UPDATE SET {', '.join(sets)}")
        rows = frame.select(pl.lit(org_id, dtype=pl.Int64).alias("org_id"), *keys, *counters, *replaced).rows()
        bulk.executemany(sql, rows)
        shrunk = frame.filter(pl.col(counters[0]) < 0).select(*keys).rows()
        where = " AND ".join(f"{k} = ?" for k in keys)
        bulk.executemany(f"DELETE FROM {table} WHERE org_id = ? AND {where} AND {counters[0]} = 0",  # noqa: S608
                         [(org_id, *k) for k in shrunk])


def _key_width(table: str) -> int:
    return 1 + len(_TABLES[table][0]) if table in _TABLES else 2


def _insert(bulk: BulkWriter, table: str, org_id: int, frame: pl.DataFrame) -> None:
    """Plain inserts of new rows: COPY on PostgreSQL, executemany on SQLite."""
    if frame.is_empty():
        return
    frame = frame.select(pl.lit(org_id, dtype=pl.Int64).alias("org_id"), pl.all())
    dbapi: Any = bulk.session.connection().connection.driver_connection
    if not bulk.postgres:
        frame = frame.sort(frame.columns[:_key_width(table)])  # in key order: appends to the b-tree
        marks = ", ".join("?" * frame.width)
        cursor = dbapi.cursor()
        try:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(frame.columns)}) VALUES ({marks})",  # noqa: S608
                               frame.iter_rows())
        finally:
            cursor.close()
        return
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False)
    with dbapi.cursor() as cursor, cursor.copy(
            f"COPY {table} ({', '.join(frame.columns)}) FROM STDIN (FORMAT CSV)") as copy:
        copy.write(buffer.getvalue())
