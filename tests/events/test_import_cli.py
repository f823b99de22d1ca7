"""``momentos import`` end to end: a real database from MOMENTOS_DATABASE_URL, one transaction, clear errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner, Result

from momentos.cli import app
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.imports.cli import register
from momentos.migrate import upgrade
from momentos.models import Customer, Event, Process
from tests.conftest import DATA, make_org
from tests.factories import REACTIONS, make_service

register(app, lambda _settings: REACTIONS)


@dataclass
class Target:
    """A migrated database the CLI is pointed at, with one organization in it."""

    engine: Engine
    slug: str
    org_id: int

    @property
    def url(self) -> str:
        return self.engine.url.render_as_string(hide_password=False)

    def run(self, *args: str) -> Result:
        return CliRunner().invoke(app, ["import", *args], env={"MOMENTOS_DATABASE_URL": self.url})

    def count(self, model: type[Event] | type[Process] | type[Customer]) -> int:
        with self.engine.connect() as conn:
            return int(conn.scalar(select(func.count()).select_from(model).where(model.org_id == self.org_id)) or 0)


def new_target(engine: Engine, service: str | None = None) -> Target:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        if service:
            make_service(session, org.id, key=service, touchpoints={})
    return Target(engine, org.slug, org.id)


@pytest.fixture
def sqlite_target(tmp_path: Path) -> Iterator[Target]:
    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    upgrade(engine)
    yield new_target(engine)
    engine.dispose()


def test_import_loads_a_log_prints_a_summary_and_a_second_run_adds_nothing(sqlite_target: Target) -> None:
    first = sqlite_target.run(str(DATA / "running-example.xes"), "--org", sqlite_target.slug)
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert (summary["accepted"], summary["cases"], summary["format"]) == (42, 6, "xes")
    assert "imported 42 of 42 events" in first.stderr
    assert "note: the organization has no services" in first.stderr
    again = sqlite_target.run(str(DATA / "running-example.xes"), "--org", sqlite_target.slug)
    assert json.loads(again.stdout)["duplicates"] == 42
    assert sqlite_target.count(Event) == 42


def test_a_broken_csv_row_exits_2_names_file_and_line_and_writes_nothing(sqlite_target: Target,
                                                                         tmp_path: Path) -> None:
    rows = [f"c{i % 4},step {i},2024-05-01 10:{i:02d}:00" for i in range(40)]
    rows[25] = "c1,step 25,not a time"
    path = tmp_path / "broken.csv"
    path.write_text("case,activity,timestamp\n" + "\n".join(rows) + "\n")
    result = sqlite_target.run(str(path), "--org", sqlite_target.slug, "--chunk-size", "10")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {path}:27: unparseable timestamp 'not a time'")
    assert sqlite_target.count(Event) == 0
    assert sqlite_target.count(Customer) == 0


@pytest.mark.parametrize(("args", "message"), [
    (["running-example.xes", "--org", "no-such-org"], "error: Organization 'no-such-org' not found."),
    (["running-example.xes", "--service", "nope"], "error: Unknown service 'nope'."),
    (["bpic2016_complaints.csv", "--format", "xes"], "bpic2016_complaints.csv:1: invalid XML"),
    (["running-example.xes", "--timezone", "Mars/Olympus"], "error: Unknown time zone 'Mars/Olympus'."),
    (["bpic2016_complaints.csv", "--encoding", "klingon"], "error: Unknown encoding 'klingon'."),
    (["bpic2016_complaints.csv", "--encoding", "latin-1", "--delimiter", ";;"],
     "error: The delimiter must be one character."),
    (["bpic2016_complaints.csv", "--encoding", "latin-1"],
     "bpic2016_complaints.csv:1: no activity column found; pass --activity-column"),
])
def test_bad_arguments_exit_2_with_a_clear_error(sqlite_target: Target, args: list[str], message: str) -> None:
    if "--org" not in args:
        args = [*args, "--org", sqlite_target.slug]
    result = sqlite_target.run(str(DATA / args[0]), *args[1:])
    assert result.exit_code == 2
    assert message in result.stderr
    assert sqlite_target.count(Event) == 0


def test_an_entity_declaration_exits_2_and_writes_nothing(sqlite_target: Target, tmp_path: Path) -> None:
    path = tmp_path / "evil.xes"
    path.write_text('<?xml version="1.0"?>\n<!DOCTYPE log [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                    '<log><trace><string key="concept:name" value="&x;"/></trace></log>\n')
    result = sqlite_target.run(str(path), "--org", sqlite_target.slug)
    assert result.exit_code == 2
    assert f"error: {path}:2: DTD and entity declarations" in result.stderr
    assert sqlite_target.count(Customer) == 0


def test_import_into_postgresql_with_csv_options(engines: dict[str, Engine]) -> None:
    target = new_target(engines["postgresql"], service="complaints")
    result = target.run(str(DATA / "bpic2016_complaints.csv"), "--org", target.slug, "--service", "complaints",
                        "--case-column", "CustomerID", "--activity-column", "ComplaintTopic_EN",
                        "--timestamp-column", "ContactDate", "--timestamp-format", "%Y-%m-%d",
                        "--channel-column", "ContactChannelID", "--delimiter", ";", "--encoding", "latin-1",
                        "--timezone", "Europe/Amsterdam")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["note"] is None
    assert (target.count(Event), target.count(Process), target.count(Customer)) == (289, 226, 226)


def test_registering_twice_adds_one_command() -> None:
    register(app, lambda _settings: REACTIONS)
    assert [c.name for c in app.registered_commands].count("import") == 1


def test_a_database_that_is_not_migrated_is_a_clear_error(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = CliRunner().invoke(app, ["import", str(DATA / "running-example.xes"), "--org", "acme"],
                                env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 1
    assert "error: database error: no such table: organizations" in result.stderr
    assert "momentos db upgrade" in result.stderr
