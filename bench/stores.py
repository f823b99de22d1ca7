"""Fresh, migrated databases for the benchmarks: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from momentos.db import make_engine
from momentos.migrate import upgrade

PG_URL = os.environ.get("MOMENTOS_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def fresh_store(backend: str, sqlite_file: Path, pg_schema: str) -> tuple[Engine, str]:
    """A migrated, empty store and its URL: ``sqlite_file`` (replaced) or ``pg_schema`` (recreated)."""
    if backend == "sqlite":
        sqlite_file.unlink(missing_ok=True)
        url = f"sqlite:///{sqlite_file}"
    else:
        _admin(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE', f'CREATE SCHEMA "{pg_schema}"')
        url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{pg_schema}"
    engine = make_engine(url)
    upgrade(engine)
    return engine, url


def drop_store(backend: str, pg_schema: str) -> None:
    if backend == "postgresql":
        _admin(f'DROP SCHEMA IF EXISTS "{pg_schema}" CASCADE')


def _admin(*statements: str) -> None:
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        admin.dispose()


def copy_events_table(conn: Any, postgres: bool, name: str) -> None:
    """Create ``name``, an empty copy of ``events`` with its constraints, indexes and reference checks (foreign keys
    on SQLite; on PostgreSQL the statement-level triggers of migration 0011, and any foreign key), on a driver
    connection (sqlite3 / psycopg)."""
    if not postgres:
        for kind, obj, sql in conn.execute("SELECT type, name, sql FROM sqlite_master "
                                           "WHERE tbl_name = 'events' AND sql IS NOT NULL ORDER BY type DESC"
                                           ).fetchall():
            ddl = re.sub(r"\bevents\b", name, sql)
            conn.execute(ddl.replace(obj, f"{obj}_{name}", 1) if kind == "index" else ddl)
        return
    conn.execute(f"CREATE TABLE {name} (LIKE events INCLUDING ALL)")
    for (definition,) in conn.execute("SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                      "WHERE conrelid = 'events'::regclass AND contype = 'f'").fetchall():
        conn.execute(f"ALTER TABLE {name} ADD {definition}")
    for (definition,) in conn.execute("SELECT pg_get_triggerdef(oid) FROM pg_trigger "
                                      "WHERE tgrelid = 'events'::regclass AND NOT tgisinternal").fetchall():
        ddl = re.sub(r"^CREATE TRIGGER (\w+)", rf"CREATE TRIGGER \1_{name}", definition)
        conn.execute(re.sub(r" ON (\w+\.)?events ", f" ON {name} ", ddl))
