"""Load an organization's event log into a Polars DataFrame in pm4py's column convention.

Columns: ``case:concept:name`` (the process reference, which is the case id of an imported log), ``concept:name``
(the activity), ``time:timestamp`` (UTC, microseconds), ``channel``, ``moment``, ``service`` and ``customer``, plus
the internal columns the views need: ``event_id``, ``case_key`` (a unique integer per case: the process id, or minus
the customer id for events without a process), ``customer_id``, ``service_id``, ``stay_seq`` and ``initiator``.

Rows are streamed straight from the session's DBAPI connection (same transaction, no ORM objects): PostgreSQL sends
the rows as CSV through ``COPY … TO STDOUT`` with timestamps as epoch microseconds; SQLite's cursor returns the stored
timestamp text, which Polars parses in one vectorised pass.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.catalog import service as catalog
from momentos.dialect import BulkWriter, positional_sql
from momentos.kit.clock import ensure_utc
from momentos.models import Service

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
CASE_KEY = "case_key"
EVENT_ID = "event_id"
PM4PY_COLUMNS = (CASE, ACTIVITY, TIMESTAMP, "channel", "moment", "service", "customer")

_RAW_SCHEMA: dict[str, Any] = {
    "event_id": pl.Int64, "process_id": pl.Int64, "customer_id": pl.Int64, ACTIVITY: pl.String, "ts": pl.String,
    "channel": pl.String, "moment": pl.String, "stay_seq": pl.Int64, "initiator": pl.String, "service_id": pl.Int64}
# Only the events table is read row by row; processes and customers come as two small lookups joined in Polars
# (an SQL join costs two index probes per event). SQLite: without a period, a plain table scan reads the rows in
# storage order, several times faster than walking the (org, timestamp) index into random table pages.
# A lean load (the activity views) reads only the first five columns: each column read costs per row.
_SQL_COLUMNS = ("e.id", "e.process_id", "e.customer_id", "e.activity", "{ts}", "e.channel", "e.moment", "e.stay_seq",
                "e.initiator", "e.service_id")
_LEAN = 5
_SQL = "SELECT {columns} FROM events e{hint} WHERE e.org_id = {org}"
_FETCH_ROWS = 50_000


@dataclass(frozen=True)
class LogFilter:
    """Which events to load: one service (by key), one channel, a period [start, end), the customers of one
    segment (by key; membership is a subquery the database evaluates); only stays if asked."""

    service: str | None = None
    channel: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    segment: str | None = None
    stays_only: bool = False
    """Only the events that entered a moment (what the funnel and time in moment need)."""
    lean: bool = False
    """Only case, activity and time (what the activity views need); the other columns are left null."""
    properties: bool = False
    """Also each event's properties, as JSON text (column ``properties``; what the export needs)."""

    def schema(self) -> dict[str, Any]:
        schema = dict(list(_RAW_SCHEMA.items())[:_LEAN]) if self.lean else dict(_RAW_SCHEMA)
        return {**schema, "properties": pl.String} if self.properties else schema

    def sql(self, ts: str, hint: str, org: str) -> str:
        names = _SQL_COLUMNS[:_LEAN] if self.lean else _SQL_COLUMNS
        columns = ", ".join((*names, "e.properties") if self.properties else names).format(ts=ts)
        return _SQL.format(columns=columns, hint=hint, org=org)


def load_log(session: Session, org_id: int, flt: LogFilter | None = None) -> pl.DataFrame:
    """The organization's events (filtered), one row per event, in no particular order."""
    flt = flt or LogFilter()
    rows = session.execute(select(Service.id, Service.key).where(Service.org_id == org_id))
    services = {sid: key for sid, key in rows}
    service_id = catalog.get_service(session, org_id, flt.service).id if flt.service is not None else None
    members = _members(session, org_id, flt.segment)
    bulk = BulkWriter(session)
    dbapi = session.connection().connection.driver_connection
    if bulk.postgres:
        raw = _copy_postgres(dbapi, org_id, service_id, flt, members)
    else:
        raw = _fetch_sqlite(dbapi, bulk, org_id, service_id, flt, members)
    return _shape(raw, services, _lookups(dbapi, bulk.postgres, org_id))


def _lookups(dbapi: Any, postgres: bool, org_id: int) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Process references and customer external ids of the organization."""
    mark = "%s" if postgres else "?"
    cursor = dbapi.cursor()
    try:
        cursor.execute(f"SELECT id, reference FROM processes WHERE org_id = {mark}", [org_id])  # noqa: S608 - constant
        references = cursor.fetchall()
        cursor.execute(f"SELECT id, external_id FROM customers WHERE org_id = {mark}", [org_id])  # noqa: S608
        customers = cursor.fetchall()
    finally:
        cursor.close()
    return (pl.DataFrame(references, schema={"process_id": pl.Int64, "reference": pl.String}, orient="row"),
            pl.DataFrame(customers, schema={"customer_id": pl.Int64, "customer": pl.String}, orient="row"))


Members = tuple[str, list[Any]] | None
"""A segment's members as a subquery: SQL text with ``?`` placeholders and its parameters."""


def _members(session: Session, org_id: int, segment: str | None) -> Members:
    if segment is None:
        return None
    from momentos.segments import service as segments

    return positional_sql(session, segments.members_query(org_id, segments.get_segment(session, org_id, segment)))


def _conditions(service_id: int | None, flt: LogFilter, members: Members) -> tuple[list[str], list[Any]]:
    sql: list[str] = ["e.stay_seq IS NOT NULL"] if flt.stays_only else []
    params: list[Any] = []
    for clause, value in (("e.service_id = ?", service_id), ("e.channel = ?", flt.channel),
                          ("e.timestamp >= ?", flt.start), ("e.timestamp < ?", flt.end)):
        if value is not None:
            sql.append(clause)
            params.append(ensure_utc(value) if isinstance(value, datetime) else value)
    if members is not None:
        sql.append(f"e.customer_id IN ({members[0]})")
        params.extend(members[1])
    return sql, params


def _fetch_sqlite(dbapi: Any, bulk: BulkWriter, org_id: int, service_id: int | None, flt: LogFilter,
                  members: Members) -> pl.DataFrame:
    conditions, params = _conditions(service_id, flt, members)
    hint = "" if flt.start or flt.end else " NOT INDEXED"
    sql = flt.sql(ts="e.timestamp", hint=hint, org="?") + "".join(f" AND {c}" for c in conditions)
    params = [org_id, *(bulk.datetime_param(p) if isinstance(p, datetime) else p for p in params)]
    cursor = dbapi.cursor()
    parts: list[pl.DataFrame] = []
    try:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(_FETCH_ROWS):
            parts.append(pl.DataFrame(rows, schema=flt.schema(), orient="row"))
    finally:
        cursor.close()
    raw = pl.concat(parts) if parts else pl.DataFrame(schema=flt.schema())
    return raw.with_columns(pl.col("ts").str.to_datetime("%Y-%m-%d %H:%M:%S%.f", time_unit="us", time_zone="UTC"))


def _copy_postgres(dbapi: Any, org_id: int, service_id: int | None, flt: LogFilter,
                   members: Members) -> pl.DataFrame:
    from psycopg import sql as pgsql

    conditions, params = _conditions(service_id, flt, members)
    text = flt.sql(ts="(EXTRACT(EPOCH FROM e.timestamp) * 1000000)::bigint", hint="", org="{}")
    text += "".join(f" AND {c.replace('?', '{}')}" for c in conditions)
    query = pgsql.SQL("COPY (" + text + ") TO STDOUT (FORMAT CSV)").format(
        *(pgsql.Literal(v) for v in (org_id, *params)))
    buffer = io.BytesIO()
    cursor = dbapi.cursor()
    try:
        with cursor.copy(query) as copy:
            for block in copy:
                buffer.write(block)
    finally:
        cursor.close()
    schema = {**flt.schema(), "ts": pl.Int64}
    if buffer.tell() == 0:
        raw = pl.DataFrame(schema=schema)
    else:
        buffer.seek(0)
        raw = pl.read_csv(buffer, has_header=False, new_columns=list(schema), schema=schema)
    return raw.with_columns(pl.from_epoch("ts", time_unit="us").dt.replace_time_zone("UTC"))


def _shape(raw: pl.DataFrame, services: dict[int, str], lookups: tuple[pl.DataFrame, pl.DataFrame]) -> pl.DataFrame:
    """Name the columns the pm4py way and derive the case id and key."""
    references, customers = lookups
    raw = raw.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in _RAW_SCHEMA.items()
                           if name not in raw.columns)
    raw = (raw.join(references, on="process_id", how="left", maintain_order="left")
           .join(customers, on="customer_id", how="left", maintain_order="left"))
    case_label = (pl.when(pl.col("reference").is_not_null() & (pl.col("reference") != ""))
                  .then(pl.col("reference"))
                  .when(pl.col("process_id").is_not_null())
                  .then(pl.format("process-{}", pl.col("process_id")))
                  .otherwise(pl.col("customer")))
    return raw.select(
        case_label.alias(CASE),
        pl.col(ACTIVITY),
        pl.col("ts").alias(TIMESTAMP),
        pl.col("channel"),
        pl.col("moment"),
        pl.col("service_id").replace_strict(services, default=None, return_dtype=pl.String).alias("service"),
        pl.col("customer"),
        pl.col("event_id").alias(EVENT_ID),
        pl.coalesce(pl.col("process_id"), -pl.col("customer_id")).alias(CASE_KEY),
        pl.col("customer_id"),
        pl.col("service_id"),
        pl.col("stay_seq"),
        pl.col("initiator"),
        *([pl.col("properties")] if "properties" in raw.columns else []),
    )
