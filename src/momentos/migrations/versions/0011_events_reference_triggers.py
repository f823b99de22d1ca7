"""events: on PostgreSQL, references checked once per statement instead of once per row

The four foreign keys of ``events`` (organization, customer, service, process) cost PostgreSQL one lookup and one
row lock per event and per key: two thirds of a ``COPY`` of a large log went there. On PostgreSQL they become
statement-level triggers over transition tables, with the same guarantees under READ COMMITTED (the isolation level
Momentos runs at):

- inserting or updating events whose organization, customer, service or process does not exist fails with the
  foreign-key error (SQLSTATE 23503, the constraint's old name), and nothing of the statement is written;
- the referenced rows are locked ``FOR KEY SHARE``, as a foreign key does, so a concurrent delete of a customer waits
  for the inserting transaction and then removes its events too;
- deleting an organization, a customer or a process deletes its events; deleting a service clears their
  ``service_id``.

SQLite keeps its foreign keys (a row check there is cheap). The model still declares the keys (they describe the
data and SQLite's schema); ``migrations/env.py`` keeps autogenerate from re-adding them on PostgreSQL.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 20:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFERENCES = (
    # (column, table, constraint, on delete)
    ("org_id", "organizations", "fk_events_org_id_organizations", "CASCADE"),
    ("customer_id", "customers", "fk_events_customer_id_customers", "CASCADE"),
    ("service_id", "services", "fk_events_service_id_services", "SET NULL"),
    ("process_id", "processes", "fk_events_process_id_processes", "CASCADE"),
)


def _check_block(column: str, table: str, constraint: str, updated: bool) -> str:
    """Lock the referenced rows the statement's events name, and fail like a foreign key if one is missing. After an
    update, only references that changed are checked (as a foreign key does: clearing the service of events whose
    process is being deleted by the same cascade must not fail on that process)."""
    changed = (f" JOIN old_rows o ON o.id = n.id WHERE n.{column} IS DISTINCT FROM o.{column} AND" if updated
               else " WHERE")
    return f"""
    SELECT array_agg(DISTINCT n.{column}) INTO ids FROM new_rows n{changed} n.{column} IS NOT NULL;
    IF ids IS NOT NULL THEN
        PERFORM 1 FROM {table} p WHERE p.id = ANY (ids) FOR KEY SHARE OF p;
        GET DIAGNOSTICS locked = ROW_COUNT;
        IF locked < cardinality(ids) THEN
            SELECT x INTO missing FROM unnest(ids) AS x WHERE NOT EXISTS (SELECT 1 FROM {table} p WHERE p.id = x)
            LIMIT 1;
            RAISE foreign_key_violation USING
                MESSAGE = 'insert or update on table "events" violates foreign key constraint "{constraint}"',
                DETAIL = format('Key ({column})=(%s) is not present in table "{table}".', missing),
                CONSTRAINT = '{constraint}', TABLE = 'events', COLUMN = '{column}';
        END IF;
    END IF;"""  # noqa: S608 - names are the constants above


def _cascade_function(column: str, table: str, on_delete: str) -> str:
    action = (f"UPDATE events SET {column} = NULL WHERE {column} = ANY (ids)"  # noqa: S608 - constants
              if on_delete == "SET NULL" else f"DELETE FROM events WHERE {column} = ANY (ids)")  # noqa: S608
    return f"""
CREATE FUNCTION momentos_events_on_{table}_delete() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    ids bigint[];
BEGIN
    SELECT array_agg(o.id) INTO ids FROM old_rows o;
    IF ids IS NOT NULL THEN
        {action};
    END IF;
    RETURN NULL;
END $$"""  # noqa: S608 - names are the constants above


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for _column, _table, constraint, _action in REFERENCES:
        op.execute(f'ALTER TABLE events DROP CONSTRAINT "{constraint}"')
    for event in ("insert", "update"):
        checks = "".join(_check_block(column, table, constraint, event == "update")
                         for column, table, constraint, _ in REFERENCES)
        op.execute(f"""
CREATE FUNCTION momentos_events_check_{event}() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    ids bigint[];
    locked bigint;
    missing bigint;
BEGIN{checks}
    RETURN NULL;
END $$""")
        tables = "OLD TABLE AS old_rows NEW TABLE AS new_rows" if event == "update" else "NEW TABLE AS new_rows"
        op.execute(f"CREATE TRIGGER events_check_references_{event} AFTER {event.upper()} ON events "
                   f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION momentos_events_check_{event}()")
    for column, table, _constraint, on_delete in REFERENCES:
        op.execute(_cascade_function(column, table, on_delete))
        op.execute(f"CREATE TRIGGER events_on_{table}_delete AFTER DELETE ON {table} "
                   "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT "
                   f"EXECUTE FUNCTION momentos_events_on_{table}_delete()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for column, table, constraint, on_delete in REFERENCES:
        op.execute(f"DROP TRIGGER events_on_{table}_delete ON {table}")
        op.execute(f"DROP FUNCTION momentos_events_on_{table}_delete()")
        op.execute(f'ALTER TABLE events ADD CONSTRAINT "{constraint}" FOREIGN KEY ({column}) '
                   f"REFERENCES {table} (id) ON DELETE {on_delete}")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER events_check_references_{event} ON events")
        op.execute(f"DROP FUNCTION momentos_events_check_{event}()")
