"""``momentos promises define|list|test|indicators`` against a real, committed database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete
from typer.testing import CliRunner, Result

from momentos.cli import app, register_commands
from momentos.db import make_session_factory, unit_of_work
from momentos.models import Organization
from tests.conftest import make_org
from tests.factories import T0, event, make_service
from tests.promises.helpers import SHIP_RULE, send_at

register_commands()
PROMISE = {"key": "two-days", "service": "shop", "moment": "purchase", "kind": "time",
           "text": {"es": "Tu pedido llega en 2 días", "en": "Your order arrives within 2 days"}, "rule": SHIP_RULE}


@dataclass
class Target:
    engine: Engine
    slug: str

    def run(self, *args: str) -> Result:
        url = self.engine.url.render_as_string(hide_password=False)
        return CliRunner().invoke(app, list(args), env={"MOMENTOS_DATABASE_URL": url})


@pytest.fixture
def target(engine: Engine) -> object:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        make_service(session, org.id)
        send_at(session, org.id, T0, event("ana", "order_placed"), event("ana", "order_delivered", 60 * 20),
                event("bea", "order_placed"), event("bea", "order_delivered", 60 * 50))
    yield Target(engine, org.slug)
    with unit_of_work(make_session_factory(engine)) as session:
        session.execute(delete(Organization).where(Organization.id == org.id))


def test_define_list_and_test_a_promise(target: Target, tmp_path: Path) -> None:
    file = tmp_path / "promise.json"
    file.write_text(json.dumps(PROMISE), encoding="utf-8")
    result = target.run("promises", "define", "--org", target.slug, str(file))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key"] == "two-days"
    listed = target.run("promises", "list", "--org", target.slug)
    assert "two-days" in listed.stdout and "Your order arrives within 2 days" in listed.stdout
    end = (T0 + timedelta(days=1)).isoformat()
    scored = target.run("promises", "test", "two-days", "--org", target.slug, "--from", T0.isoformat(), "--to", end,
                        "--now", (T0 + timedelta(days=4)).isoformat())
    assert scored.exit_code == 0, scored.output
    assert json.loads(scored.stdout)["states"] == {"pending": 0, "at_risk": 0, "kept": 1, "broken": 1}
    file.write_text(json.dumps({**PROMISE, "rule": {**SHIP_RULE, "target_hours": 72}}), encoding="utf-8")
    draft = target.run("promises", "test", "--file", str(file), "--org", target.slug, "--to", end,
                       "--now", (T0 + timedelta(days=4)).isoformat())
    assert json.loads(draft.stdout)["compliance"] == 1.0
    shown = target.run("promises", "indicators", "--org", target.slug, "--period", "all")
    assert shown.exit_code == 0 and json.loads(shown.stdout) == []  # defined after the events: nothing stored


def test_bad_files_are_clear_errors(target: Target, tmp_path: Path) -> None:
    file = tmp_path / "bad.json"
    file.write_text(json.dumps({**PROMISE, "rule": {"start_activity": "x"}}), encoding="utf-8")
    result = target.run("promises", "define", "--org", target.slug, str(file))
    assert result.exit_code == 2 and "bad.json: rule" in result.output
    file.write_text("{not json", encoding="utf-8")
    assert "bad.json" in target.run("promises", "define", "--org", target.slug, str(file)).output
    assert target.run("promises", "test", "--org", target.slug).exit_code == 2
