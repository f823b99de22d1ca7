"""``momentos keys list|create|revoke|rotate --org SLUG`` against a real, committed database (SQLite and
PostgreSQL): secrets printed once, never listed; revocation refused at the next authentication; audited."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine
from typer.testing import CliRunner

from momentos.audit.service import entries
from momentos.cli import app
from momentos.db import make_session_factory, unit_of_work
from momentos.orgs.cli import register
from momentos.orgs.service import authenticate
from tests.conftest import make_org

register(app)
runner = CliRunner()


def test_keys_commands_create_list_rotate_and_revoke(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}

    def run(*args: str) -> Any:
        result = runner.invoke(app, ["keys", *args, "--org", org.slug], env=env)
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    made = run("create", "--kind", "admin", "--name", "backup")
    assert made["key"].startswith("ma_") and made["name"] == "backup"
    listed = run("list")
    assert [k["kind"] for k in listed] == ["write", "admin", "admin"]
    text = json.dumps(listed)
    assert made["key"] not in text and org.keys.admin_key not in text and "digest" not in text
    rotated = run("rotate", str(made["id"]), "--grace-hours", "2")
    assert rotated["replaces"]["state"] == "expiring" and rotated["key"] != made["key"]
    revoked = run("revoke", str(made["id"]))
    assert revoked["state"] == "revoked"
    with unit_of_work(factory) as session:
        assert authenticate(session, made["key"]) is None
        assert authenticate(session, rotated["key"]) is not None
        log = entries(session, org.id, action="key")
        assert [(e.action, e.actor_kind, e.actor_label) for e in log][:2] == [
            ("key.revoke", "cli", "command line"), ("key.rotate", "cli", "command line")]
        assert made["key"] not in json.dumps([e.after for e in log])


def test_keys_commands_refuse_clearly(engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        org, other = make_org(session), make_org(session)
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    listed = json.loads(runner.invoke(app, ["keys", "list", "--org", org.slug], env=env).stdout)
    admin_id = next(k["id"] for k in listed if k["kind"] == "admin")
    last = runner.invoke(app, ["keys", "revoke", str(admin_id), "--org", org.slug], env=env)
    assert last.exit_code == 2 and "last admin key" in last.output
    elsewhere = runner.invoke(app, ["keys", "revoke", str(admin_id), "--org", other.slug], env=env)
    assert elsewhere.exit_code == 2 and "not found" in elsewhere.output
    bad = runner.invoke(app, ["keys", "create", "--kind", "root", "--org", org.slug], env=env)
    assert bad.exit_code == 2 and "kind" in bad.output
    long_grace = runner.invoke(app, ["keys", "rotate", str(admin_id), "--grace-hours", str(24 * 31),
                                     "--org", org.slug], env=env)
    assert long_grace.exit_code == 2
    assert runner.invoke(app, ["keys", "list", "--org", "no-such-org"], env=env).exit_code == 2


def test_grace_hours_become_the_old_keys_expiry(engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    listed = json.loads(runner.invoke(app, ["keys", "list", "--org", org.slug], env=env).stdout)
    writer = next(k for k in listed if k["kind"] == "write")
    out = json.loads(runner.invoke(app, ["keys", "rotate", str(writer["id"]), "--grace-hours", "1.5",
                                         "--org", org.slug], env=env).stdout)
    created = datetime.fromisoformat(out["created_at"])
    expires = datetime.fromisoformat(out["replaces"]["expires_at"])
    assert abs((expires - created) - timedelta(hours=1.5)) < timedelta(seconds=5)
