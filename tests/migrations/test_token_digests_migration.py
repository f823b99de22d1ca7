"""The token-digests migration: status and survey tokens stored before it become digests; their links still work."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from momentos.db import make_engine
from momentos.listening.surveys import service as surveys
from momentos.migrate import alembic_config, upgrade
from momentos.notify import status_tokens
from tests.conftest import BACKENDS, PG_URL

REVISION = "0016"
NOW = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of its own (a SQLite file, a PostgreSQL schema)."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    schema = f"momentos_migration_{os.getpid()}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    engine = make_engine(f"{PG_URL}{sep}options=-csearch_path%3D{schema}")
    yield engine
    engine.dispose()
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


def _value(column: sa.Column[Any], n: int) -> Any:
    kind = column.type
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.DateTime):
        return NOW
    if isinstance(kind, sa.JSON):
        return {}
    if isinstance(kind, sa.Integer | sa.Numeric | sa.Float):
        return 1
    return f"v{n}"[: getattr(kind, "length", None) or 32]


def _insert(conn: sa.Connection, name: str, **given: Any) -> int:
    """A row of ``name`` as the schema stands then: the given values it has columns for, a plain value in every other
    required column."""
    table = sa.Table(name, sa.MetaData(), autoload_with=conn)
    row = {key: value for key, value in given.items() if key in table.columns}
    for column in table.columns:
        if column.name in row or column.nullable or column.server_default is not None or column.name == "id":
            continue
        row[column.name] = _value(column, len(row))
    return int(conn.execute(table.insert().values(**row).returning(table.c.id)).scalar_one())


def _before(engine: Engine) -> str:
    """The revision the migration follows (whatever it is re-chained onto)."""
    script = ScriptDirectory.from_config(alembic_config(engine.url.render_as_string(hide_password=False)))
    revision = script.get_revision(REVISION)
    assert revision is not None and isinstance(revision.down_revision, str)
    return revision.down_revision


def test_tokens_stored_before_the_migration_become_digests_and_still_open_their_links(fresh: Engine) -> None:
    upgrade(fresh, _before(fresh))
    status_token, survey_token = "old-status-token-" + "s" * 20, "old-survey-token-" + "f" * 20
    with fresh.begin() as conn:
        org = _insert(conn, "organizations", slug="old-org")
        customer = _insert(conn, "customers", org_id=org, external_id="ana")
        service = _insert(conn, "services", org_id=org, key="shop")
        process = _insert(conn, "processes", org_id=org, customer_id=customer, service_id=service)
        touchpoint = _insert(conn, "touchpoints", org_id=org, service_id=service, key="tp")
        survey = _insert(conn, "surveys", org_id=org, touchpoint_id=touchpoint)
        _insert(conn, "status_tokens", org_id=org, process_id=process, token=status_token, created_at=NOW)
        _insert(conn, "survey_invitations", org_id=org, survey_id=survey, customer_id=customer, process_id=process,
                dedup_key="old", token=survey_token, created_at=NOW, expires_at=datetime(2099, 1, 1, tzinfo=UTC))
    upgrade(fresh, REVISION)
    with fresh.connect() as conn:
        for table, token in (("status_tokens", status_token), ("survey_invitations", survey_token)):
            columns = {c["name"] for c in sa.inspect(conn).get_columns(table)}
            assert "token" not in columns and {"digest", "nonce"} <= columns
            row = conn.execute(text(f"SELECT * FROM {table}")).mappings().one()
            assert token not in " ".join(str(v) for v in row.values())
            assert row["digest"] == hashlib.sha256(token.encode()).hexdigest() and row["nonce"] is None
    with Session(fresh) as session:
        found = status_tokens.find(session, status_token)
        assert found is not None and found.process_id == process
        invitation = surveys.invitation_by_token(session, survey_token)
        assert invitation is not None and invitation.process_id == process
        assert surveys.link_token_of(session, invitation) is None  # not derivable: never shown again
        assert status_tokens.active_token(session, process) is None
        fresh_token = status_tokens.ensure_token(session, org, process, NOW)  # the next link is derivable
        assert fresh_token != status_token and status_tokens.active_token(session, process) == fresh_token
        assert status_tokens.find(session, status_token) is not None  # and the old one still works
        status_tokens.revoke(session, process, NOW)
        assert status_tokens.find(session, status_token) is None and status_tokens.find(session, fresh_token) is None
