"""Alembic environment: one tree, batch mode, works on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection

import momentos.models  # noqa: F401  (registers every table)
from momentos.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _include(connection: Connection) -> Any:
    """What autogenerate compares: on PostgreSQL, not the foreign keys of ``events``, which migration 0011 turned
    into statement-level triggers there (the model keeps declaring them for SQLite)."""
    postgres = connection.dialect.name == "postgresql"

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (postgres and type_ == "foreign_key_constraint" and obj.table.name == "events")

    return include


def _run(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                      compare_type=True, include_object=_include(connection))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      render_as_batch=True, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
