"""The few dialect-specific SQL pieces (upserts, bulk writes, row locking), kept in one module.

The ingestion hot path writes thousands of rows per second; for those statements this module talks to the
DBAPI connection of the session's own transaction (sqlite3 or psycopg) with values adapted once, which costs a
fraction of SQLAlchemy's per-row parameter processing. Everything else uses SQLAlchemy as usual.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

SQLITE_MAX_VARIABLES = 32766
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
    """Raw multi-row statements on the session's connection (same transaction), for the ingestion hot path."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._dbapi: Any = session.connection().connection.driver_connection

    def adapt(self, value: Any) -> Any:
        if isinstance(value, datetime):
            if self.postgres:
                return value
            # SQLAlchemy's SQLite DATETIME storage format, always with microseconds (compares as text)
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        if isinstance(value, dict | list):
            return Jsonb(value) if self.postgres else json.dumps(value, separators=(",", ":"))
        return value

    @property
    def mark(self) -> str:
        return "%s" if self.postgres else "?"

    def insert_returning(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
                         conflict: Sequence[str], returning: Sequence[str]) -> list[tuple[Any, ...]]:
        """Multi-row INSERT … ON CONFLICT DO NOTHING RETURNING, in as few statements as the driver allows."""
        if not rows:
            return []
        limit = (PG_MAX_PARAMETERS if self.postgres else SQLITE_MAX_VARIABLES) // len(columns)
        one = "(" + ",".join([self.mark] * len(columns)) + ")"
        head = f"INSERT INTO {table} ({','.join(columns)}) VALUES "  # noqa: S608 - names are code constants
        tail = f" ON CONFLICT ({','.join(conflict)}) DO NOTHING RETURNING {','.join(returning)}"
        out: list[tuple[Any, ...]] = []
        cursor = self._dbapi.cursor()
        try:
            for start in range(0, len(rows), limit):
                part = rows[start:start + limit]
                params = [self.adapt(v) for row in part for v in row]
                cursor.execute(head + ",".join([one] * len(part)) + tail, params)
                out.extend(tuple(r) for r in cursor.fetchall())
        finally:
            cursor.close()
        return out

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """``sql`` uses ``?`` placeholders; they are translated for psycopg."""
        if not rows:
            return
        if self.postgres:
            sql = sql.replace("?", "%s")
        cursor = self._dbapi.cursor()
        try:
            cursor.executemany(sql, [[self.adapt(v) for v in row] for row in rows])
        finally:
            cursor.close()

    def parse_datetime(self, value: Any) -> datetime:
        if isinstance(value, datetime):
            return value if value.tzinfo else value.replace(tzinfo=UTC)
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
