"""First imports of a log, in bulk: brand-new cases written with one statement per table.

Importing a history (BPIC 2012: 262,200 events in 13,087 cases) through the general ingestion path costs a lookup
per message id, a savepoint-safe ``INSERT … RETURNING`` per chunk and a Python object per event. When none of that
can matter — every case is new to the organization, and none of the reactions to stored events
(:mod:`momentos.events.reactions`) reacts to them (they take no status notices, surveys or promises, carry no survey
scores) — the same rows can be computed column-wise and written at once: moment stays with the usual
:func:`~momentos.processes.service.plan_moves`; customers and processes with the usual bulk functions on SQLite, and
on PostgreSQL with one ``COPY`` each, their ids drawn from the sequences beforehand (a process is written once, with
its state after the moves); events with one ``executemany`` (SQLite) or ``COPY`` (PostgreSQL). The events'
message ids and properties are computed on a thread while the customers and processes are written, and the next
slice's CSV while the server takes in the current one.

The stored result is the general path's, row for row: the same message ids (so a re-import adds nothing), the same
customers, processes, stays, channels and properties (a test imports the same logs both ways and compares). When a
condition does not hold, :class:`BulkDeclined` is raised before anything is written, or from inside a savepoint
the caller rolls back (an event already stored makes the insert fail), and the caller takes the general path.
The reactions' ``before_store`` hooks run first, as on the general path (analytics' watermark lock). Never commits.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import polars as pl
from psycopg import errors as pg_errors
from sqlalchemy.orm import Session

from momentos.catalog import snapshot as catalog_snapshot
from momentos.catalog.snapshot import CatalogSnapshot
from momentos.customers import service as customers
from momentos.dialect import PG_TIMESTAMP, BulkWriter, frame_csv
from momentos.events import routing as routing_mod
from momentos.events.reactions import Incoming, Reaction
from momentos.events.schemas import EventIn, IngestResult
from momentos.imports.readers import CHANNEL_RE, ImportOptions, normalize_channel
from momentos.kit.background import in_background
from momentos.kit.clock import utcnow
from momentos.kit.event_time import TimeWindow
from momentos.processes import service as processes
from momentos.processes.moves import Move

CASE, ACTIVITY, TIME = "case:concept:name", "concept:name", "time:timestamp"
LIFECYCLE = "lifecycle:transition"
EVENT_COLUMNS = ("org_id", "message_id", "customer_id", "service_id", "process_id", "type", "activity", "channel",
                 "moment", "stay_seq", "stay_cycle", "initiator", "source", "timestamp", "received_at", "properties")


SLICE_ROWS = 50_000


class BulkDeclined(Exception):
    """The bulk path does not apply; the general path must import the log."""


def iso_text(column: pl.Expr) -> pl.Expr:
    """Naive UTC datetimes as Python's ``datetime.isoformat()`` of the aware value: microseconds only if any."""
    whole = column.dt.strftime("%Y-%m-%dT%H:%M:%S") + pl.lit("+00:00")
    fraction = column.dt.strftime("%Y-%m-%dT%H:%M:%S%.6f") + pl.lit("+00:00")
    return pl.when(column.dt.microsecond() == 0).then(whole).otherwise(fraction)


@dataclass
class LogEvents:
    """The events of a log (:func:`events_of`): what routing and the writes of customers and processes need, at once;
    their message ids and properties computed meanwhile on a thread of their own (hashing the ids holds the GIL, but
    those writes mostly wait for the database), started once the reactions let the bulk road go on."""

    frame: pl.DataFrame
    """Columns case, activity, lifecycle, ts (naive UTC), channel, moment, row (the event's number in the log)."""
    skipped: int
    """Events the lifecycle option left out."""
    property_names: frozenset[str]
    """The attributes the events' properties are made of (each event carries those it has a value for)."""
    _build_payload: Callable[[], pl.DataFrame]
    _payload: Future[pl.DataFrame] | None = field(default=None, init=False)

    def start_payload(self) -> None:
        """Start computing the message ids and properties on a thread."""
        if self._payload is None:
            self._payload = in_background(self._build_payload, "bulk-payload")

    def payload(self) -> pl.DataFrame:
        """Columns message_id and properties (JSON text), one row per ``row``, in order."""
        self.start_payload()
        assert self._payload is not None
        return self._payload.result()


def events_of(frame: pl.DataFrame, options: ImportOptions) -> LogEvents:
    """The events a pm4py-shaped frame holds, as the general path would build them. Raises BulkDeclined for anything
    the general path would refuse or treat differently."""
    kept = frame
    if options.lifecycle == "complete" and LIFECYCLE in frame.columns:
        kept = frame.filter(pl.col(LIFECYCLE).is_null()
                            | (pl.col(LIFECYCLE).str.strip_chars().str.to_lowercase() == "complete"))
    skipped = frame.height - kept.height
    if kept.height == 0:
        raise BulkDeclined("no events")
    names = _property_names(kept)
    properties = _properties(kept, names)
    events = kept.select(
        pl.col(CASE).str.strip_chars().alias("case"), pl.col(ACTIVITY).str.strip_chars().alias("activity"),
        (pl.col(LIFECYCLE) if LIFECYCLE in kept.columns else pl.lit(None, pl.String)).alias("lifecycle"),
        pl.col(TIME).alias("ts"), _text_attribute(kept, "channel").alias("channel_text"),
        _text_attribute(kept, "moment").alias("moment"))
    _check(events)
    channels = {text: normalize_channel(text) for text in events["channel_text"].drop_nulls().unique()}
    events = events.with_columns(
        pl.col("channel_text").replace_strict(channels, default=None, return_dtype=pl.String).alias("channel"),
    ).drop("channel_text").with_row_index("row")

    def payload() -> pl.DataFrame:
        return pl.DataFrame([_message_ids(events), kept.select(properties.alias("properties")).to_series()])

    return LogEvents(events, skipped, frozenset(names), payload)


def _message_ids(events: pl.DataFrame) -> pl.Series:
    """The streaming reader's message ids: a hash of case, activity, lifecycle, time and the occurrence of that
    combination."""
    iso = iso_text(pl.col("ts"))
    occurrence = pl.int_range(pl.len()).over(["case", "activity", "lifecycle", iso])
    keys = events.select(pl.concat_str([pl.col("case"), pl.col("activity"), pl.col("lifecycle").fill_null(""),
                                        iso, occurrence.cast(pl.String)], separator="\x1f")).to_series()
    blake2b = hashlib.blake2b
    return pl.Series("message_id", ["log:" + blake2b(key.encode(), digest_size=16).hexdigest() for key in keys],
                     pl.String)


def _text_attribute(frame: pl.DataFrame, name: str) -> pl.Expr:
    """An event attribute, else the trace's (``case:<name>``), stripped; blank is none (the streaming reader's
    ``_pick``)."""
    parts = [pl.col(c).cast(pl.String) for c in (name, f"case:{name}") if c in frame.columns]
    if not parts:
        return pl.lit(None, pl.String)
    text = pl.coalesce(parts).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _property_names(frame: pl.DataFrame) -> list[str]:
    """Every attribute but the activity and the time."""
    return [c for c in frame.columns if c not in (ACTIVITY, TIME)]


def _properties(frame: pl.DataFrame, names: list[str]) -> pl.Expr:
    """The attributes ``names``, as a JSON object without the absent (null) ones."""
    fields = [iso_text(pl.col(c)).alias(c) if isinstance(frame.schema[c], pl.Datetime) else pl.col(c)
              for c in names]
    # one JSON encoder per pattern of present attributes (a log has a handful), so nulls are left out
    present = pl.concat_str([pl.col(c).is_not_null().cast(pl.UInt8).cast(pl.String) for c in names])
    patterns = frame.select(present.alias("p")).to_series()
    out = pl.lit(None, pl.String)
    for pattern in patterns.unique().to_list():
        chosen = [f for f, flag in zip(fields, pattern, strict=True) if flag == "1"]
        encoded = pl.struct(chosen).struct.json_encode() if chosen else pl.lit("{}")
        out = pl.when(present == pattern).then(encoded).otherwise(out)
    return out


def _check(events: pl.DataFrame) -> None:
    """What EventIn, the streaming reader and ingestion (``events.plausibility``: times inside the default window,
    no NUL) check, column-wise; and cases in one run each (trace order). The streaming road reports the line."""
    window = TimeWindow.around(utcnow())
    earliest, latest = (t.astimezone(UTC).replace(tzinfo=None) for t in (window.earliest, window.latest))
    bad = events.select(
        (pl.col("case").is_null() | (pl.col("case").str.len_chars() == 0)
         | (pl.col("case").str.len_chars() > 255)).any().alias("case"),
        (pl.col("activity").is_null() | (pl.col("activity").str.len_chars() == 0)
         | (pl.col("activity").str.len_chars() > 200)).any().alias("activity"),
        pl.col("ts").is_null().any().alias("ts"),
        ((pl.col("ts") < earliest) | (pl.col("ts") > latest)).any().alias("implausible ts"),
        (pl.col("case").str.contains("\x00", literal=True)
         | pl.col("activity").str.contains("\x00", literal=True)).any().alias("nul"),
        (pl.col("moment").str.len_chars() > 64).any().alias("moment"),
        (pl.col("case").ne_missing(pl.col("case").shift()).sum() != pl.col("case").n_unique()).alias("runs"),
    ).row(0, named=True)
    failed = [name for name, flag in bad.items() if flag]
    if failed:
        raise BulkDeclined(f"column checks failed: {', '.join(failed)}")


def ingest_new_cases(session: Session, org_id: int, log: LogEvents, *, source: str, service: str | None,
                     reactions: Sequence[Reaction]) -> IngestResult:
    """Store the events of ``log`` (from :func:`events_of`) whose cases are all new; raises BulkDeclined otherwise,
    also when one of ``reactions`` reacts to them."""
    for reaction in reactions:
        reaction.before_store(session, org_id)
    received_at = utcnow()
    snapshot = catalog_snapshot.load(session, org_id)
    events = _routed(snapshot, log.frame, service)
    _check_quiet(session, snapshot, reactions, events, log.property_names)
    log.start_payload()
    try:
        return _write(session, org_id, snapshot, log, events, source, received_at)
    except (sqlite3.IntegrityError, pg_errors.UniqueViolation) as exc:  # a row written meanwhile, or already
        raise BulkDeclined("some customers, processes or events are already stored") from exc


def _write(session: Session, org_id: int, snapshot: CatalogSnapshot, log: LogEvents, events: pl.DataFrame,
           source: str, received_at: datetime) -> IngestResult:
    """Customers, processes (on PostgreSQL with COPY and ids drawn beforehand), then the events."""
    first = events.group_by("case").agg(pl.col("ts").min())
    cids = customers.resolve(session, org_id, {case: ts.replace(tzinfo=UTC) for case, ts in first.iter_rows()},
                             copy=True)
    kept = events.filter(pl.col("case").is_in(list(cids)))
    result = IngestResult(dropped_erased=events.height - kept.height)
    if kept.height == 0:
        return result
    kept = kept.with_columns(pl.col("case").replace_strict(cids, return_dtype=pl.Int64).alias("customer_id"))
    kept = kept.sort("ts", maintain_order=True).with_row_index("position")
    kept = _with_processes(session, org_id, snapshot, kept)
    payload = log.payload()
    kept = kept.with_columns(payload["message_id"].gather(kept["row"]), payload["properties"].gather(kept["row"]))
    _store(BulkWriter(session), org_id, kept, source, received_at)
    result.accepted = kept.height
    return result


def _routed(snapshot: CatalogSnapshot, events: pl.DataFrame, service: str | None) -> pl.DataFrame:
    """Service, moment, channel and initiator of each event, routed once per distinct (activity, moment,
    channel)."""
    combos = events.select("activity", "moment", "channel").unique()
    routed: dict[str, list[object]] = {"service_id": [], "routed_moment": [], "routed_channel": [], "initiator": []}
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    for activity, moment, channel in combos.iter_rows():
        probe = EventIn(message_id="probe", customer="probe", timestamp=epoch, activity=activity, channel=channel,
                        service=service, moment=moment)
        try:
            r = routing_mod.route(snapshot, probe)
        except routing_mod.RoutingError as exc:
            raise BulkDeclined(exc.message) from exc
        if not CHANNEL_RE.match(r.channel):
            raise BulkDeclined(f"channel {r.channel!r}")
        for key, value in zip(routed, (r.service_id, r.moment, r.channel, r.initiator), strict=True):
            routed[key].append(value)
    table = combos.with_columns(pl.Series("service_id", routed["service_id"], pl.Int64),
                                pl.Series("routed_moment", routed["routed_moment"], pl.String),
                                pl.Series("routed_channel", routed["routed_channel"], pl.String),
                                pl.Series("initiator", routed["initiator"], pl.String))
    joined = events.join(table, on=["activity", "moment", "channel"], how="left", nulls_equal=True,
                         maintain_order="left")
    return joined.drop("moment", "channel").rename({"routed_moment": "moment", "routed_channel": "channel"})


def _check_quiet(session: Session, snapshot: CatalogSnapshot, reactions: Sequence[Reaction], events: pl.DataFrame,
                 property_names: frozenset[str]) -> None:
    """No reaction may react to these events (the bulk road hands no stored batch to them)."""
    incoming = Incoming(frozenset(sid for sid in events["service_id"].unique().to_list() if sid is not None),
                        property_names)
    for reaction in reactions:
        if reaction.reacts_to(session, snapshot, incoming):
            raise BulkDeclined(f"{reaction.name} reacts to these events")


def _with_processes(session: Session, org_id: int, snapshot: CatalogSnapshot, kept: pl.DataFrame) -> pl.DataFrame:
    """Open one new process per (service, customer, case) and mark the events that enter a moment."""
    routed = kept.filter(pl.col("service_id").is_not_null())
    if routed.height == 0:
        return kept.with_columns(pl.lit(None, pl.Int64).alias("process_id"), pl.lit(None, pl.Int64).alias("stay_seq"),
                                 pl.lit(None, pl.Int64).alias("stay_cycle"))
    first = routed.group_by("service_id", "customer_id", "case").agg(pl.col("ts").min())
    wanted = {(sid, cid, case): ts.replace(tzinfo=UTC) for sid, cid, case, ts in first.iter_rows()}
    opened = processes.open_deferred(session, org_id, wanted)
    if opened is None:
        raise BulkDeclined("some cases already have a process")
    keys = pl.DataFrame({"service_id": [k[0] for k in opened], "customer_id": [k[1] for k in opened],
                         "case": [k[2] for k in opened], "process_id": [row.id for row in opened.values()]},
                        schema={"service_id": pl.Int64, "customer_id": pl.Int64, "case": pl.String,
                                "process_id": pl.Int64})
    kept = kept.join(keys, on=["service_id", "customer_id", "case"], how="left", maintain_order="left")
    by_id = {row.id: row for row in opened.values()}
    moves: dict[int, list[Move]] = {}
    for position, pid, ts, moment in kept.filter(pl.col("process_id").is_not_null() & pl.col("moment").is_not_null()
                                                 ).select("position", "process_id", "ts", "moment").iter_rows():
        moves.setdefault(pid, []).append(Move(ts.replace(tzinfo=UTC), position, moment))
    plan = processes.plan_moves(by_id, moves, {pid: snapshot.models[row.service_id] for pid, row in by_id.items()})
    if plan.rebuild:
        raise BulkDeclined("out-of-order moves")  # cannot happen for new processes; kept as a guard
    processes.write_opened(session, org_id, by_id.values())
    stays = pl.DataFrame({"position": list(plan.stays), "stay_seq": [s.seq for s in plan.stays.values()],
                          "stay_cycle": [s.cycle for s in plan.stays.values()]},
                         schema={"position": pl.UInt32, "stay_seq": pl.Int64, "stay_cycle": pl.Int64})
    return kept.join(stays, on="position", how="left", maintain_order="left")


def _store(writer: BulkWriter, org_id: int, kept: pl.DataFrame, source: str, received_at: datetime) -> None:
    """One statement for all events (in slices); a message id already stored fails it."""
    text_format = PG_TIMESTAMP if writer.postgres else "%Y-%m-%d %H:%M:%S%.6f"
    received = received_at.astimezone(UTC).replace(tzinfo=None)
    rows = kept.select(
        pl.lit(org_id, pl.Int64).alias("org_id"), "message_id", "customer_id", "service_id", "process_id",
        pl.lit("track").alias("type"), "activity", "channel", "moment", "stay_seq", "stay_cycle", "initiator",
        pl.lit(source).alias("source"), pl.col("ts").dt.strftime(text_format).alias("timestamp"),
        pl.lit(received).dt.strftime(text_format).alias("received_at"), "properties")
    insert = f"INSERT INTO events ({','.join(EVENT_COLUMNS)}) VALUES ({','.join('?' * len(EVENT_COLUMNS))})"  # noqa: S608
    with writer.large_cache():
        _insert_slices(writer, rows, insert)


def _insert_slices(writer: BulkWriter, rows: pl.DataFrame, insert: str) -> None:
    """In slices, so that one slice's Python rows or CSV at a time are in memory. On PostgreSQL the next slice's CSV
    is written on a thread while the server takes in the current one."""
    if not writer.postgres:
        for part in rows.iter_slices(SLICE_ROWS):
            writer.executemany(insert, part.rows())
        return
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-csv") as pool:
        upcoming: Future[bytes] | None = None
        for part in rows.iter_slices(SLICE_ROWS):
            current, upcoming = upcoming, pool.submit(frame_csv, part)
            if current is not None:
                writer.copy_csv("events", EVENT_COLUMNS, current.result())
        if upcoming is not None:
            writer.copy_csv("events", EVENT_COLUMNS, upcoming.result())
