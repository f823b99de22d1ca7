"""Fresh, migrated databases for the benchmarks: a SQLite file, or a PostgreSQL schema of its own (dropped after)."""

from __future__ import annotations

import os
from pathlib import Path

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
