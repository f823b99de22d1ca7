"""``momentos segments …`` against a real, committed database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import Engine
from typer.testing import CliRunner

from momentos.cli import app
from momentos.customers.schemas import IdentifyIn
from momentos.customers.service import identify
from momentos.db import make_session_factory, unit_of_work
from momentos.segments.cli import register
from tests.conftest import make_org
from tests.factories import T0

register(app)


def test_define_list_members_delete_and_clear_errors(engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        for who, plan in (("ana", "premium"), ("bea", "basic"), ("eva", "premium")):
            identify(session, org.id, IdentifyIn(customer=who, timestamp=T0, traits={"plan": plan}))
    env = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    runner = CliRunner()
    body = tmp_path / "premium.json"
    body.write_text(json.dumps({"key": "premium", "name_es": "Premium", "name_en": "Premium",
                                "rule": [{"field": "traits.plan", "op": "eq", "value": "premium"}]}))
    result = runner.invoke(app, ["segments", "define", "--org", org.slug, str(body)], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == "premium"
    result = runner.invoke(app, ["segments", "list", "--org", org.slug], env=env)
    assert result.stdout.split() == ["premium", "2", "Premium"]
    result = runner.invoke(app, ["segments", "members", "--org", org.slug, "premium", "--limit", "1"], env=env)
    assert json.loads(result.stdout) == {"key": "premium", "count": 2,
                                         "members": [{"external_id": "ana", "name": None}]}
    again = runner.invoke(app, ["segments", "define", "--org", org.slug, str(body)], env=env)
    assert again.exit_code == 2 and "A segment with this key exists" in again.output
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"key": "x", "name_es": "x", "name_en": "x",
                               "rule": [{"field": "traits.age", "op": "gt", "value": "old"}]}))
    result = runner.invoke(app, ["segments", "define", "--org", org.slug, str(bad)], env=env)
    assert result.exit_code == 2 and f"{bad}: rule.0" in result.output and "gt takes a number" in result.output
    assert runner.invoke(app, ["segments", "delete", "--org", org.slug, "premium"], env=env).exit_code == 0
    gone = runner.invoke(app, ["segments", "members", "--org", org.slug, "premium"], env=env)
    assert gone.exit_code == 2 and "Segment not found" in gone.output
