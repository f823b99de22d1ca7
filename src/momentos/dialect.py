"""The few dialect-specific SQL pieces (upserts, bulk writes, row locking, JSON members), kept in one module.

The ingestion hot path writes thousands of rows per second; for those statements this module talks to the
DBAPI connection of the session's own transaction (sqlite3 or psycopg) with values adapted once, which costs a
fraction of SQLAlchemy's per-row parameter processing. Everything else uses SQLAlchemy as usual.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Literal, cast

import polars as pl
from psycopg.types.json import Jsonb
from sqlalchemy import Boolean, Float, Select, String, Table, bindparam, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode  # one encoder, built once
SQLITE_MAX_VARIABLES = 32766
STAGE_ROWS = 200
"""From this many rows, PostgreSQL inserts go through COPY into a staging table."""
PG_MAX_PARAMETERS = 65535


def insert_ignore(session: Session, table: Table, rows: Sequence[dict[str, Any]],
                  conflict_columns: Sequence[str], returning: Sequence[str] = ()) -> list[Any]:
    """INSERT … ON CONFLICT (cols) DO NOTHING, optionally RETURNING the inserted rows (not the skipped ones)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).on_conflict_do_nothing(index_elements=list(conflict_columns))
    if returning:
        stmt = stmt.returning(*(table.c[name] for name in returning))
        return list(session.execute(stmt, list(rows)).all())
    session.execute(stmt, list(rows))
    return []


class BulkWriter:
    """Raw multi-row statements on the session's connection (same transaction), for the ingestion hot path.

    Statements use ``?`` placeholders (translated for psycopg). Values are passed as they are, except at the
    positions named as ``datetimes`` (aware datetimes; stored as UTC text on SQLite) and ``jsons``.
    """

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._dbapi: Any = session.connection().connection.driver_connection

    def _sql(self, sql: str) -> str:
        return sql.replace("?", "%s") if self.postgres else sql

    def datetime_param(self, value: datetime | None) -> Any:
        if value is None or self.postgres:
            return value
        return self._format_datetime(value)

    @staticmethod
    def _format_datetime(value: datetime) -> str:
        if value.tzinfo is not UTC:
            value = value.astimezone(UTC)
        # SQLAlchemy's SQLite DATETIME storage format, always with microseconds (so it compares as text):
        # "YYYY-MM-DD HH:MM:SS.ffffff" is the first 26 characters of the aware ISO form.
        return value.isoformat(" ", "microseconds")[:26]

    def json_param(self, value: Any) -> Any:
        if self.postgres:
            return Jsonb(value)
        return _JSON(value) if value else ("{}" if isinstance(value, dict) else "[]")

    def prepare(self, rows: Sequence[Sequence[Any]], datetimes: Sequence[int] = (),
                jsons: Sequence[int] = ()) -> list[list[Any]]:
        out = []
        last: dict[int, tuple[Any, Any]] = {}  # per column: a value repeated on every row (received_at) is done once
        for row in rows:
            values = list(row)
            for i in datetimes:
                value = values[i]
                seen = last.get(i)
                if seen is not None and seen[0] is value:
                    values[i] = seen[1]
                else:
                    values[i] = self.datetime_param(value)
                    last[i] = (value, values[i])
            for i in jsons:
                values[i] = self.json_param(values[i])
            out.append(values)
        return out

    def insert_returning(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                         conflict: Sequence[str], returning: Sequence[str], *, datetimes: Sequence[int] = (),
                         jsons: Sequence[int] = ()) -> list[tuple[Any, ...]]:
        """Multi-row INSERT … ON CONFLICT DO NOTHING RETURNING, in as few statements as the driver allows."""
        if not rows:
            return []
        if self.postgres:
            if len(rows) >= STAGE_ROWS:
                return self._insert_staged(table, columns, rows, conflict, returning, jsons)
            return self._insert_unnest(table, columns, rows, conflict, returning, jsons)
        limit = SQLITE_MAX_VARIABLES // len(columns)
        one = "(" + ",".join("?" * len(columns)) + ")"
        head = f"INSERT INTO {table} ({','.join(columns)}) VALUES "  # noqa: S608 - names are code constants
        tail = f" ON CONFLICT ({','.join(conflict)}) DO NOTHING RETURNING {','.join(returning)}"
        prepared = self.prepare(rows, datetimes, jsons)
        out: list[tuple[Any, ...]] = []
        cursor = self._dbapi.cursor()
        try:
            for start in range(0, len(prepared), limit):
                part = prepared[start:start + limit]
                cursor.execute(self._sql(head + ",".join([one] * len(part)) + tail), [v for r in part for v in r])
                out.extend(tuple(r) for r in cursor.fetchall())
        finally:
            cursor.close()
        return out

    def _insert_staged(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                       conflict: Sequence[str], returning: Sequence[str],
                       jsons: Sequence[int]) -> list[tuple[Any, ...]]:
        """PostgreSQL, large batches: COPY into a temporary staging table (C-speed encoding), then one
        INSERT … SELECT … ORDER BY the batch order (so ids follow it) ON CONFLICT DO NOTHING RETURNING."""
        stage = f"_stage_{table}"
        cursor = self._dbapi.cursor()
        try:
            # every time: a rolled-back transaction takes a temporary table created in it away
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
                           f"SELECT {','.join(columns)}, 0::integer AS ord FROM {table} WITH NO DATA")
            cursor.execute(f"DELETE FROM {stage}")  # noqa: S608 - code constants
            json_at = set(jsons)
            with cursor.copy(f"COPY {stage} ({','.join(columns)}, ord) FROM STDIN") as copy:
                for n, row in enumerate(rows):
                    copy.write_row([_JSON(v) if i in json_at else v for i, v in enumerate(row)] + [n])
            cursor.execute(f"INSERT INTO {table} ({','.join(columns)}) SELECT {','.join(columns)} "  # noqa: S608
                           f"FROM {stage} ORDER BY ord ON CONFLICT ({','.join(conflict)}) DO NOTHING "
                           f"RETURNING {','.join(returning)}")
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def _insert_unnest(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                       conflict: Sequence[str], returning: Sequence[str],
                       jsons: Sequence[int]) -> list[tuple[Any, ...]]:
        """PostgreSQL: one INSERT … SELECT FROM unnest(array per column): a handful of parameters, one round trip."""
        types = _pg_array_types(table, columns)
        arrays: list[list[Any]] = [[row[i] for row in rows] for i in range(len(columns))]
        for i in jsons:
            arrays[i] = [Jsonb(v) for v in arrays[i]]
        sql = (f"INSERT INTO {table} ({','.join(columns)}) "  # noqa: S608 - names are code constants
               f"SELECT * FROM unnest({','.join(f'%b::{t}[]' for t in types)}) "
               f"ON CONFLICT ({','.join(conflict)}) DO NOTHING RETURNING {','.join(returning)}")
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, arrays)
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    @contextmanager
    def large_cache(self, kib: int = 256 * 1024) -> Iterator[None]:
        """SQLite: a page cache of ``kib`` for the statements inside (bulk inserts into several indexes), then the
        connection's own size again. PostgreSQL: nothing."""
        if self.postgres:
            yield
            return
        cursor = self._dbapi.cursor()
        try:
            (before,) = cursor.execute("PRAGMA cache_size").fetchone()
            cursor.execute(f"PRAGMA cache_size = {-int(kib)}")
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")
            cursor.close()

    def copy_csv(self, table: str, columns: Sequence[str], data: bytes) -> None:
        """PostgreSQL: ``COPY table (columns) FROM STDIN`` of CSV ``data`` (nulls as unquoted empty fields)."""
        cursor = self._dbapi.cursor()
        try:
            with cursor.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN WITH (FORMAT csv)") as copy:
                for start in range(0, len(data), 1 << 20):
                    copy.write(data[start:start + (1 << 20)])
        finally:
            cursor.close()

    def copy_frame(self, table: str, frame: pl.DataFrame) -> None:
        """PostgreSQL: COPY the rows of ``frame`` into the columns of ``table`` it names (see :func:`frame_csv`)."""
        self.copy_csv(table, frame.columns, frame_csv(frame))

    def next_ids(self, table: str, count: int) -> list[int]:
        """PostgreSQL: ``count`` new ids from the sequence of ``table``'s id, in increasing order, for rows written
        with COPY (which returns nothing)."""
        rows = self.query("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                          [table, count], prepare=False)
        return sorted(int(r[0]) for r in rows)

    def update_many(self, table: str, key: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
                    datetimes: Sequence[int] = ()) -> None:
        """UPDATE ``table`` SET columns WHERE key = …, for rows of (*values, key)."""
        if not rows:
            return
        if not self.postgres:
            sets = ", ".join(f"{c} = ?" for c in columns)
            self.executemany(f"UPDATE {table} SET {sets} WHERE {key} = ?", rows,  # noqa: S608 - code constants
                             datetimes=datetimes)
            return
        names = [*columns, key]
        types = _pg_array_types(table, names)
        arrays = [[row[i] for row in rows] for i in range(len(names))]
        sets = ", ".join(f"{c} = u.{c}" for c in columns)
        sql = (f"UPDATE {table} AS t SET {sets} FROM unnest({','.join(f'%b::{t}[]' for t in types)}) "  # noqa: S608
               f"AS u({','.join(names)}) WHERE t.{key} = u.{key}")
        cursor = self._dbapi.cursor()
        try:
            cursor.execute(sql, arrays)
        finally:
            cursor.close()

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], *, datetimes: Sequence[int] = (),
                    jsons: Sequence[int] = ()) -> None:
        if not rows:
            return
        cursor = self._dbapi.cursor()
        try:
            cursor.executemany(self._sql(sql), self.prepare(rows, datetimes, jsons))
        finally:
            cursor.close()

    def query(self, sql: str, params: Sequence[Any], prepare: bool | None = None) -> list[tuple[Any, ...]]:
        cursor = self._dbapi.cursor()
        try:
            if self.postgres:
                cursor.execute(sql, list(params), prepare=prepare)
            else:
                cursor.execute(sql, list(params))
            return [tuple(r) for r in cursor.fetchall()]
        finally:
            cursor.close()

    def lookup(self, table: str, columns: Sequence[str], org_id: int, key: str,
               values: Sequence[Any], org_in_key: bool = True) -> list[tuple[Any, ...]]:
        """Rows of ``table`` in one organization whose ``key`` is one of ``values``.

        PostgreSQL probes the index once per value (a LATERAL subquery behind ``OFFSET 0`` cannot be flattened into
        a hash join over the whole organization, whatever the planner's statistics say; not prepared, so a generic
        plan is never cached). SQLite uses ``IN`` lists of at most 900 values. ``org_in_key=False``: ``key`` has its
        own index (processes.customer_id), so the organization is checked on the rows found instead of steering the
        planner to an index with an org_id prefix.
        """
        if not values:
            return []
        cols = ", ".join(f"t.{c}" for c in columns)
        if self.postgres:
            (array_type,) = _pg_array_types(table, [key])
            inner_org = "t.org_id = %s AND " if org_in_key else ""
            outer_org = "" if org_in_key else " WHERE t.org_id = %s"
            sql = (f"SELECT {cols} FROM unnest(%s::{array_type}[]) AS k(v) CROSS JOIN LATERAL "  # noqa: S608
                   f"(SELECT * FROM {table} AS t WHERE {inner_org}t.{key} = k.v OFFSET 0) AS t{outer_org}")
            return self.query(sql, [list(values), org_id], prepare=False)  # array first, then the organization
        org_term = "t.org_id = ?" if org_in_key else "+t.org_id = ?"  # unary +: SQLite then uses the key's index
        out: list[tuple[Any, ...]] = []
        for start in range(0, len(values), 900):
            part = list(values[start:start + 900])
            sql = (f"SELECT {cols} FROM {table} AS t WHERE {org_term} "  # noqa: S608 - code constants
                   f"AND t.{key} IN ({','.join('?' * len(part))})")
            out.extend(self.query(sql, [org_id, *part]))
        return out

    @staticmethod
    def to_datetime(value: Any) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, datetime):
            return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)


PG_TIMESTAMP = "%Y-%m-%d %H:%M:%S%.6f+00"
"""Polars ``strftime`` format of a UTC time (naive, or aware in UTC) as COPY text for ``timestamptz``."""


def pg_time_text(value: datetime) -> str:
    """An aware datetime as COPY text for ``timestamptz`` (:data:`PG_TIMESTAMP`'s form)."""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f+00")


def frame_csv(frame: pl.DataFrame) -> bytes:
    """CSV for COPY: nulls as unquoted empty fields, every text quoted (so an empty text is not a null)."""
    buffer = io.BytesIO()
    frame.write_csv(buffer, include_header=False, null_value="", quote_style="non_numeric")
    return buffer.getvalue()


_PG_TYPES: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def _pg_array_types(table: str, columns: Sequence[str]) -> list[str]:
    key = (table, tuple(columns))
    if key not in _PG_TYPES:
        from momentos.db import Base

        dialect = postgresql.dialect()  # type: ignore[no-untyped-call]
        t = Base.metadata.tables[table]
        _PG_TYPES[key] = [t.c[c].type.compile(dialect=dialect).split("(")[0] for c in columns]
    return _PG_TYPES[key]



JsonKind = Literal["string", "number", "boolean", "present"]
_JSON_KIND_TYPES: dict[str, Any] = {"string": String(), "number": Float(), "boolean": Boolean(),
                                    "present": Boolean()}


class JsonMember(ColumnElement[Any]):
    """A member of a JSON object column read as one kind of SQL value: a ``string`` (text), a ``number`` (float)
    or a ``boolean``; NULL when the member is missing or of another JSON type (so a comparison never errors on a
    stray value, e.g. ``"age": "unknown"``). ``present``: true when the member exists and is not JSON null.

    The same answers on SQLite (``json_type`` / ``json_extract``) and PostgreSQL (``jsonb_typeof`` / ``->>``);
    the member name is always a bound parameter.
    """

    inherit_cache = False

    def __init__(self, column: Any, member: str, kind: JsonKind) -> None:
        self.column = column
        self.member = member
        self.kind = kind
        self.type = _JSON_KIND_TYPES[kind]


_SQLITE_KINDS = {"string": "'text'", "number": "'integer', 'real'"}


@compiles(JsonMember, "sqlite")
def _json_member_sqlite(element: JsonMember, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)
    escaped = element.member.replace('"', '\\"')

    def path() -> str:
        return str(compiler.process(bindparam(None, f'$."{escaped}"', type_=String()), **kw))

    kind = f"json_type({column}, {path()})"
    if element.kind == "present":
        return f"(coalesce({kind}, 'null') <> 'null')"
    if element.kind == "boolean":
        return f"(CASE {kind} WHEN 'true' THEN 1 WHEN 'false' THEN 0 END)"
    return f"(CASE WHEN {kind} IN ({_SQLITE_KINDS[element.kind]}) THEN json_extract({column}, {path()}) END)"


@compiles(JsonMember, "postgresql")
def _json_member_postgresql(element: JsonMember, compiler: Any, **kw: Any) -> str:
    column = compiler.process(element.column, **kw)

    def key() -> str:
        return str(compiler.process(bindparam(None, element.member, type_=String()), **kw))

    kind = f"jsonb_typeof({column} -> {key()})"
    if element.kind == "present":
        return f"(coalesce({kind}, 'null') <> 'null')"
    cast = {"string": "TEXT", "number": "DOUBLE PRECISION", "boolean": "BOOLEAN"}[element.kind]
    json_type = {"string": "string", "number": "number", "boolean": "boolean"}[element.kind]
    return f"(CASE WHEN {kind} = '{json_type}' THEN CAST({column} ->> {key()} AS {cast}) END)"


def positional_sql(session: Session, stmt: Select[Any]) -> tuple[str, list[Any]]:
    """``stmt`` as SQL text with ``?`` placeholders for the session's database, and its parameter values in order
    (bind processing applied), to embed in a raw DBAPI statement such as the event log's load."""
    dialect = session.get_bind().dialect
    qmark = dialect if dialect.paramstyle == "qmark" else cast(Any, type(dialect))(paramstyle="qmark")
    compiled = stmt.compile(dialect=qmark, compile_kwargs={"render_postcompile": True})
    params = compiled.construct_params()
    values = []
    for name in compiled.positiontup or ():
        value = params[name]
        bind = compiled.binds.get(name)
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect) if bind is not None else None
        values.append(processor(value) if processor is not None else value)
    return str(compiled), values


def hold_advisory_locks(session: Session, space: str, names: Sequence[str]) -> None:
    """PostgreSQL: hold a transaction-scoped advisory lock per name of ``space`` (in the current schema) until the
    session's transaction ends; others asking for one of them wait. Names are locked in sorted order, so two
    transactions asking for overlapping names cannot deadlock. SQLite has no such locks (nothing is done): its
    writers are serialised by the database's single write lock, which a transaction holds from its first write."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in sorted(set(names)):
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:space || current_schema()), hashtext(:name))"),
                        {"space": space, "name": name})
