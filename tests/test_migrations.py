"""The migrations build exactly the tables the models declare, on both databases (so a model change without its
migration, or a migration that forgets a column or an index, fails here)."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

import momentos.models  # noqa: F401 - registers every table
from momentos.db import Base


def _compared(postgres: bool) -> Any:
    # As migrations/env.py: on PostgreSQL the foreign keys of ``events`` are statement-level triggers (0011).
    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return not (postgres and type_ == "foreign_key_constraint" and obj.table.name == "events")

    return include


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": _compared(postgres)})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
