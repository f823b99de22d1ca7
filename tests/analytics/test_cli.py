"""``momentos analytics …`` and ``momentos export`` against a real, committed database (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner, Result

from momentos.analytics import service as analytics
from momentos.analytics.cli import register
from momentos.analytics.schemas import AnalyticsQuery
from momentos.cli import app
from momentos.db import make_session_factory, unit_of_work
from tests.analytics.pm4py_reference import read_xes
from tests.analytics.scenario import load_shop
from tests.conftest import make_org

register(app)


@dataclass
class Target:
    engine: Engine
    slug: str
    org_id: int

    def run(self, *args: str) -> Result:
        url = self.engine.url.render_as_string(hide_password=False)
        return CliRunner().invoke(app, list(args), env={"MOMENTOS_DATABASE_URL": url})


@pytest.fixture
def target(engine: Engine) -> Target:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        load_shop(session, org.id)
    return Target(engine, org.slug, org.id)


def expected(target: Target, name: str, q: AnalyticsQuery) -> object:
    with unit_of_work(make_session_factory(target.engine)) as session:
        result = getattr(analytics, name)(session, target.org_id, q)
    return json.loads(json.dumps([r.model_dump(mode="json") for r in result]))


@pytest.mark.parametrize(("command", "name", "by"), [
    ("dfg", "dfg", "activity"), ("performance-dfg", "performance_dfg", "moment"), ("variants", "variants", "moment"),
    ("funnel", "funnel", "activity"), ("time-in-moment", "time_in_moment", "activity")])
def test_analytics_commands_print_the_api_json(target: Target, command: str, name: str, by: str) -> None:
    result = target.run("analytics", command, "--org", target.slug, "--by", by, "--service", "shop", "--json")
    assert result.exit_code == 0, result.output
    q = AnalyticsQuery(service="shop", by="moment" if by == "moment" else "activity")
    assert json.loads(result.stdout) == expected(target, name, q)


def test_dfg_json_shape_is_source_target_frequency(target: Target) -> None:
    result = target.run("analytics", "performance-dfg", "--org", target.slug, "--json")
    edges = json.loads(result.stdout)
    assert edges and all(set(e) == {"source", "target", "frequency", "mean_s", "median_s"} for e in edges)
    plain = target.run("analytics", "variants", "--org", target.slug, "--by", "moment")
    assert "awareness → first_contact" in plain.stdout


def test_unknown_organization_or_service_is_a_clear_error(target: Target) -> None:
    result = target.run("analytics", "dfg", "--org", "nope", "--json")
    assert result.exit_code == 2 and "not found" in result.stderr
    result = target.run("analytics", "funnel", "--org", target.slug, "--service", "nope")
    assert result.exit_code == 2 and "nope" in result.stderr


def test_export_writes_xes_csv_and_parquet(target: Target, tmp_path: Path) -> None:
    for name in ("log.xes.gz", "log.csv", "log.parquet"):
        result = target.run("export", "--org", target.slug, "--out", str(tmp_path / name))
        assert result.exit_code == 0, result.output
        assert "wrote 12 events" in result.stderr
    assert len(read_xes(tmp_path / "log.xes.gz")) == 12
    assert pd.read_csv(tmp_path / "log.csv")["customer"].nunique() == 4
    assert len(pd.read_parquet(tmp_path / "log.parquet")) == 12
    bad = target.run("export", "--org", target.slug, "--out", str(tmp_path / "log.json"))
    assert bad.exit_code == 2 and "--format" in bad.stderr


def test_conformance_command_prints_the_api_json(target: Target) -> None:
    result = target.run("analytics", "conformance", "--org", target.slug, "--service", "shop", "--json")
    assert result.exit_code == 0, result.output
    with unit_of_work(make_session_factory(target.engine)) as session:
        want = analytics.conformance(session, target.org_id, "shop").model_dump(mode="json")
    assert json.loads(result.stdout) == want
    assert want["processes"] > 0 and len(want["moments"]) == 8
    plain = target.run("analytics", "conformance", "--org", target.slug, "--service", "shop")
    assert plain.exit_code == 0 and "service=shop" in plain.stdout
