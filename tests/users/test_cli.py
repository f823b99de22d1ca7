"""``momentos user create`` and the demo login, against a real database file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from momentos.cli import app
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.orgs.service import get_organization
from momentos.users import service as users
from momentos.users.cli import register

runner = CliRunner()
register(app)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MOMENTOS_DATABASE_URL", url)
    monkeypatch.setenv("MOMENTOS_DATA_DIR", str(tmp_path))
    # `momentos demo` turns the local mailbox on for the app it serves and its worker: undo it after the test, or the
    # rest of this process's tests would deliver into the mailbox
    monkeypatch.setenv("MOMENTOS_NOTIFY__LOCAL_MAILBOX", "")
    monkeypatch.delenv("MOMENTOS_NOTIFY__LOCAL_MAILBOX")
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(app, ["org", "create", "acme"]).exit_code == 0
    return url


def _role(url: str, email: str, password: str) -> str | None:
    engine = make_engine(url)
    with unit_of_work(make_session_factory(engine)) as session:
        user = users.check_password(session, email, password)
        role = users.role_in(session, user.id, get_organization(session, "acme").id) if user else None
    engine.dispose()
    return role


def test_user_create_reads_the_password_from_stdin_and_gives_the_role(db_url: str) -> None:
    result = runner.invoke(app, ["user", "create", "Owner@Acme.test", "--org", "acme", "--role", "owner",
                                 "--password-stdin"], input="a very long password\n")
    assert result.exit_code == 0, result.output
    assert "created owner@acme.test: owner of acme" in result.output
    assert _role(db_url, "owner@acme.test", "a very long password") == "owner"
    # again: the existing account gets the new role, its password unchanged
    result = runner.invoke(app, ["user", "create", "owner@acme.test", "--org", "acme", "--role", "agent",
                                 "--password-stdin"], input="ignored\n")
    assert result.exit_code == 0 and "updated" in result.output
    assert _role(db_url, "owner@acme.test", "a very long password") == "agent"


def test_user_create_asks_twice_at_the_prompt_and_refuses_bad_input(db_url: str) -> None:
    result = runner.invoke(app, ["user", "create", "ana@acme.test", "--org", "acme", "--role", "analyst"],
                           input="prompted password\nprompted password\n")
    assert result.exit_code == 0, result.output
    assert _role(db_url, "ana@acme.test", "prompted password") == "analyst"
    assert runner.invoke(app, ["user", "create", "x@acme.test", "--org", "acme", "--role", "king"]).exit_code == 2
    short = runner.invoke(app, ["user", "create", "y@acme.test", "--org", "acme", "--password-stdin"], input="short\n")
    assert short.exit_code == 1 and "password" in short.output
    missing = runner.invoke(app, ["user", "create", "z@acme.test", "--org", "nope", "--password-stdin"],
                            input="a very long password\n")
    assert missing.exit_code == 1


def test_demo_prints_a_working_login_beside_the_keys(db_url: str) -> None:
    result = runner.invoke(app, ["demo", "--no-serve", "--customers", "20"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.output[result.output.index("{"):])
    assert info["admin_key"].startswith("ma_")
    engine = make_engine(db_url)
    with unit_of_work(make_session_factory(engine)) as session:
        user = users.check_password(session, info["login"]["email"], info["login"]["password"])
        assert user is not None
        assert users.role_in(session, user.id, get_organization(session, "demo").id) == "owner"
    engine.dispose()


def _demo(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, ["demo", "--no-serve", "--customers", "20", *args])
    assert result.exit_code == 0, result.output
    info: dict[str, Any] = json.loads(result.output[result.output.index("{"):result.output.rindex("}") + 1])
    return info


def test_demo_run_again_prints_the_same_keys_and_password(db_url: str, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MOMENTOS_PORT", "MOMENTOS_PUBLIC_URL"):  # `--port` sets them for the served app: undo afterwards
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    first = _demo()
    saved = tmp_path / "demo-credentials.json"
    assert saved.stat().st_mode & 0o777 == 0o600
    second = _demo("--port", "8765")
    assert second["credentials"] == "kept"
    assert (second["admin_key"], second["write_key"], second["login"]) == (
        first["admin_key"], first["write_key"], first["login"])
    assert second["url"].startswith("http://127.0.0.1:8765/")
    # Without the remembered credentials, new ones are issued and the output says so.
    saved.unlink()
    third = _demo()
    assert third["credentials"] == "new"
    assert third["admin_key"] != first["admin_key"] and third["login"]["password"] != first["login"]["password"]
    engine = make_engine(db_url)
    with unit_of_work(make_session_factory(engine)) as session:
        assert users.check_password(session, third["login"]["email"], third["login"]["password"]) is not None
        assert users.check_password(session, first["login"]["email"], first["login"]["password"]) is None
    engine.dispose()
