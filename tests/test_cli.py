"""The command line against a real database file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from momentos.cli import app
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.orgs.service import authenticate

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MOMENTOS_DATABASE_URL", url)
    return url


def test_db_upgrade_then_org_create_prints_working_keys_once(db_url: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["org", "create", "acme", "--name", "Acme", "--language", "en"])
    assert result.exit_code == 0, result.output
    keys = json.loads(result.stdout)
    assert keys["organization"] == "acme"
    engine = make_engine(db_url)
    with unit_of_work(make_session_factory(engine)) as session:
        admin = authenticate(session, keys["admin_key"])
        writer = authenticate(session, keys["write_key"])
        assert admin is not None and admin.is_admin and admin.org_slug == "acme"
        assert writer is not None and writer.kind == "write"
        from sqlalchemy import select

        from momentos.models import ApiKey
        stored = session.scalars(select(ApiKey.digest)).all()
    engine.dispose()
    assert keys["admin_key"] not in stored and len(stored) == 2  # only digests are kept


def test_org_create_twice_is_a_clear_error(db_url: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    assert runner.invoke(app, ["org", "create", "acme"]).exit_code == 0
    result = runner.invoke(app, ["org", "create", "acme"])
    assert result.exit_code == 1
    assert "exists" in result.stderr


def test_org_create_refuses_a_bad_slug_and_time_zone(db_url: str) -> None:
    runner.invoke(app, ["db", "upgrade"])
    assert runner.invoke(app, ["org", "create", "Not A Slug"]).exit_code == 1
    result = runner.invoke(app, ["org", "create", "ok", "--timezone", "Mars/Olympus"])
    assert result.exit_code == 1 and "time zone" in result.stderr.lower()
