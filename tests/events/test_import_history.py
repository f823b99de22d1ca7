"""The import history: every import through ``momentos import`` (and the page, see tests/web/test_ops_page.py) leaves
one row — ok with its counts, or failed with ``FILE:LINE: reason`` although the import itself was undone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.cli import app
from momentos.db import make_session_factory, unit_of_work
from momentos.imports import history as import_history
from momentos.imports.cli import register
from momentos.imports.readers import ImportOptions
from momentos.kit.clock import utcnow
from momentos.models import Event, ImportRecord
from tests.conftest import OrgHandle, make_org
from tests.factories import REACTIONS, make_service

register(app, lambda _settings: REACTIONS)
GOOD = "case,activity,timestamp\n" + "\n".join(
    f"c{i % 3},step {i % 4},2024-05-01 10:{i:02d}:00" for i in range(12)) + "\n"


def _bad() -> str:
    rows = [f"c{i % 4},step {i},2024-05-01 10:{i:02d}:00" for i in range(30)]
    rows[20] = "c1,step 20,not a time"
    return "case,activity,timestamp\n" + "\n".join(rows) + "\n"


def _rows(engine: Engine, org_id: int) -> list[ImportRecord]:
    with unit_of_work(make_session_factory(engine)) as session:
        return list(session.scalars(select(ImportRecord).where(ImportRecord.org_id == org_id)
                                    .order_by(ImportRecord.id)))


def _events(engine: Engine, org_id: int) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Event).where(Event.org_id == org_id)) or 0)


def test_cli_imports_good_and_bad_are_both_in_the_history_and_the_bad_one_wrote_no_event(
        engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
    url = engine.url.render_as_string(hide_password=False)
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD)
    bad.write_text(_bad())
    ok = CliRunner().invoke(app, ["import", str(good), "--org", org.slug], env={"MOMENTOS_DATABASE_URL": url})
    assert ok.exit_code == 0, ok.output
    assert _events(engine, org.id) == 12
    failed = CliRunner().invoke(app, ["import", str(bad), "--org", org.slug, "--chunk-size", "5"],
                                env={"MOMENTOS_DATABASE_URL": url})
    assert failed.exit_code == 2
    assert f"error: {bad}:22: unparseable timestamp 'not a time'" in failed.stderr
    assert _events(engine, org.id) == 12  # the bad file added nothing, although chunks before line 22 were fine
    first, second = _rows(engine, org.id)
    assert (first.file_name, first.format, first.status, first.actor_kind) == ("good.csv", "csv", "ok", "cli")
    assert (first.events_read, first.accepted, first.duplicates, first.cases) == (12, 12, 0, 3)
    assert first.error is None and first.finished_at >= first.started_at and first.seconds >= 0
    assert (second.file_name, second.status, second.accepted, second.events_read) == ("bad.csv", "failed", 0, 0)
    assert second.error is not None  # the base name, not the full path
    assert second.error.startswith("bad.csv:22: unparseable timestamp 'not a time'")


def test_a_second_run_is_recorded_with_its_duplicates(engine: Engine, tmp_path: Path) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
    path = tmp_path / "log.csv"
    path.write_text(GOOD)
    factory = make_session_factory(engine)
    actor = import_history.Actor("user", "ana@example.com")
    first = import_history.run_import(factory, org.id, path, ImportOptions(), actor, file_name="mayo.csv",
                                      reactions=REACTIONS)
    again = import_history.run_import(factory, org.id, path, ImportOptions(), actor, file_name="mayo.csv",
                                      reactions=REACTIONS)
    assert first.error is None and again.error is None and again.report is not None
    assert (again.record.accepted, again.record.duplicates) == (0, 12)
    with unit_of_work(factory) as session:
        listed = import_history.list_imports(session, org.id)
    assert [r.id for r in listed] == [again.record.id, first.record.id]  # newest first
    assert {(r.actor_kind, r.actor, r.file_name) for r in listed} == {("user", "ana@example.com", "mayo.csv")}


def test_an_unknown_service_is_a_recorded_failure(engine: Engine, tmp_path: Path) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        make_service(session, org.id, key="shop")
    path = tmp_path / "log.csv"
    path.write_text(GOOD)
    outcome = import_history.run_import(factory, org.id, path, ImportOptions(service="nope"),
                                        import_history.Actor("admin_key"), reactions=REACTIONS)
    assert outcome.error is not None and outcome.error.code == "unknown_service"
    [row] = _rows(engine, org.id)
    assert (row.status, row.service, row.error) == ("failed", "nope", "Unknown service 'nope'.")
    assert _events(engine, org.id) == 0


def _record(db: Session, org_id: int, name: str, minutes: int, status: str = "ok") -> ImportRecord:
    at = utcnow() - timedelta(minutes=minutes)
    row = ImportRecord(org_id=org_id, file_name=name, format="csv", actor_kind="cli", actor="ops",
                       started_at=at, finished_at=at + timedelta(seconds=2), status=status, events_read=5,
                       accepted=4, duplicates=1, skipped=0, dropped_erased=0, cases=2, seconds=2.0,
                       error=None if status == "ok" else f"{name}:3: bad")
    db.add(row)
    db.flush()
    return row


def test_api_lists_the_callers_imports_newest_first_with_paging(db: Session, client: TestClient, org: OrgHandle,
                                                                 other_org: OrgHandle) -> None:
    rows = [_record(db, org.id, f"f{i}.csv", 10 - i, "failed" if i == 1 else "ok") for i in range(3)]
    _record(db, other_org.id, "theirs.csv", 1)
    r = client.get("/api/v1/imports", headers=org.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [b["file_name"] for b in body] == ["f2.csv", "f1.csv", "f0.csv"]
    assert body[1]["status"] == "failed" and body[1]["error"] == "f1.csv:3: bad"
    assert (body[0]["accepted"], body[0]["duplicates"], body[0]["cases"]) == (4, 1, 2)
    page = client.get("/api/v1/imports", params={"limit": 1, "before": rows[2].id}, headers=org.admin).json()
    assert [b["file_name"] for b in page] == ["f1.csv"]
    theirs = client.get("/api/v1/imports", headers=other_org.admin).json()
    assert [b["file_name"] for b in theirs] == ["theirs.csv"]
    assert client.get("/api/v1/imports", headers=org.writer).status_code == 403
