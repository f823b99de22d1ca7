"""Feedback from other sources: API and CSV import tie items to what is known, skip (source, external id) seen
before, and reject bad input (empty, huge, binary texts, malformed rows) with file, line and reason — storing
nothing of a rejected batch or file. Mixed-language texts are accepted (the analysis decides their language)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.cli import app, register_commands
from momentos.db import make_session_factory, unit_of_work
from momentos.errors import ImportFailed
from momentos.listening.feedback.csv_import import import_csv
from momentos.models import Feedback, Organization
from tests.conftest import OrgHandle, make_org
from tests.factories import event, make_service, send

HEADER = "external_id,time,text,author,rating,url,customer,kind,service,moment\n"
GOOD = (HEADER
        + "r1,2026-03-02T10:00:00Z,El pedido llegó tarde y nadie avisó,@ana,2,https://x.example/1,ana,complaint,shop,"
          "delivery\n"
        + 'r2,2026-03-02T11:00:00+01:00,"Great service, fast delivery",@bob,5,,,review,,\n'
        + "r3,2026-03-02 12:00,Me encantó el producto but the box was damaged,,,,ghost,social,,\n")


def _count(db: Session, org_id: int) -> int:
    return int(db.scalar(select(func.count()).select_from(Feedback).where(Feedback.org_id == org_id)) or 0)


def _file(tmp_path: Path, content: str | bytes, name: str = "items.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def test_csv_import_ties_items_and_a_second_import_adds_nothing(db: Session, org: OrgHandle,
                                                                tmp_path: Path) -> None:
    make_service(db, org.id, key="shop")
    send(db, org.id, event("ana", "signed_up", service="shop"))
    report = import_csv(db, org.id, _file(tmp_path, GOOD), "reviews-site")
    assert (report.rows, report.accepted, report.duplicates) == (3, 3, 0)
    again = import_csv(db, org.id, _file(tmp_path, GOOD), "reviews-site")
    assert (again.accepted, again.duplicates) == (0, 3)
    assert import_csv(db, org.id, _file(tmp_path, GOOD), "other-site").accepted == 3  # same ids, other source
    rows = {r.external_id: r for r in db.scalars(select(Feedback).where(Feedback.org_id == org.id,
                                                                          Feedback.source == "reviews-site"))}
    r1, r2, r3 = rows["r1"], rows["r2"], rows["r3"]
    assert (r1.kind, r1.author, r1.rating, r1.moment, r1.url) == ("complaint", "@ana", 2.0, "delivery",
                                                                  "https://x.example/1")
    assert r1.customer_id is not None and r1.service_id is not None
    assert r2.occurred_at.isoformat() == "2026-03-02T10:00:00+00:00"  # offsets honoured, stored in UTC
    assert r3.customer_id is None  # an unknown customer id: the item stays anonymous
    assert r3.text == "Me encantó el producto but the box was damaged"  # mixed languages are fine


@pytest.mark.parametrize(("content", "line", "reason"), [
    (HEADER + "a,2026-03-02T10:00:00Z,   ,,,,,,,\n", 2, "empty text"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok,,,,,,,\nb,2026-03-02T10:00:00Z," + "x" * 20_001 + ",,,,,,,\n", 3,
     "text too long"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok,,,,,,,\nb,yesterday,ok,,,,,,,\n", 3, "ISO 8601"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok,,,,,,,\nb,2026-03-02T10:00:00Z,ok\n", 3, "3 fields where the header has 10"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok,,11,,,,,\n", 2, "rating"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok,,,,,,nowhere,\n", 2, "unknown service 'nowhere'"),
    (HEADER + 'a,2026-03-02T10:00:00Z,"unterminated\n', 2, "malformed CSV"),
    (HEADER + "a,2026-03-02T10:00:00Z,ok \x01\x02\x03\x04\x05,,,,,,,\n", 2, "binary content"),
    ("time,comment_text\n2026-03-02T10:00:00Z,hola\n", 1, "no 'text' column"),
])
def test_a_bad_row_rejects_the_whole_file_with_its_line(db: Session, org: OrgHandle, tmp_path: Path,
                                                        content: str, line: int, reason: str) -> None:
    make_service(db, org.id, key="shop")
    with pytest.raises(ImportFailed) as failure:
        import_csv(db, org.id, _file(tmp_path, content), "site")
    assert failure.value.line == line and reason in failure.value.reason, failure.value.message
    assert failure.value.message.startswith(f"items.csv:{line}: ")
    assert _count(db, org.id) == 0


@pytest.mark.parametrize(("content", "reason"), [
    (b"external_id,time,text\nr1,2026-03-02T10:00:00Z,\x00\x01\x02PNG", "binary content"),
    ("external_id,time,text\nr1,2026-03-02T10:00:00Z,café\n".encode("latin-1"), "not UTF-8"),
    (b"", "empty file"),
])
def test_files_that_are_not_csv_text_are_refused(db: Session, org: OrgHandle, tmp_path: Path, content: bytes,
                                                 reason: str) -> None:
    with pytest.raises(ImportFailed, match=reason):
        import_csv(db, org.id, _file(tmp_path, content), "site")
    assert _count(db, org.id) == 0


def test_every_bad_row_is_listed(db: Session, org: OrgHandle, tmp_path: Path) -> None:
    content = HEADER + "".join(f"r{i},2026-03-02T10:00:00Z,{'' if i % 2 else 'fine'},,,,,,,\n" for i in range(6))
    with pytest.raises(ImportFailed) as failure:
        import_csv(db, org.id, _file(tmp_path, content), "site")
    assert [e["line"] for e in failure.value.detail["errors"]] == [3, 5, 7]


def test_api_feedback_is_all_or_nothing_and_skips_duplicates(db: Session, client: TestClient,
                                                             org: OrgHandle) -> None:
    items = [{"source": "x", "external_id": f"t{i}", "kind": "social", "text": f"Mensaje {i}",
              "occurred_at": "2026-03-02T10:00:00Z", "author": "@someone"} for i in range(3)]
    r = client.post("/api/v1/feedback", json={"items": items}, headers=org.writer)
    assert r.status_code == 200 and r.json() == {"accepted": 3, "duplicates": 0}, r.text
    r = client.post("/api/v1/feedback", json={"items": items}, headers=org.writer)
    assert r.json() == {"accepted": 0, "duplicates": 3}
    bad = [*items, {"source": "x", "external_id": "t9", "text": "\x00\x00binary", "occurred_at":
                    "2026-03-02T10:00:00Z"}]
    bad[0] = {**bad[0], "external_id": "new-one"}
    r = client.post("/api/v1/feedback", json={"items": bad}, headers=org.writer)
    assert r.status_code == 422 and r.json()["detail"]["index"] == 3, r.text
    assert _count(db, org.id) == 3  # "new-one" was not stored either
    r = client.post("/api/v1/feedback", json={"items": [{**items[0], "text": "y" * 20_001}]}, headers=org.writer)
    assert r.status_code == 422
    listed = client.get("/api/v1/feedback", headers=org.admin).json()
    assert [f["external_id"] for f in listed] == ["t0", "t1", "t2"]


@pytest.fixture
def cli_org(engine: Engine) -> Iterator[tuple[str, int, str]]:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
    yield org.slug, org.id, engine.url.render_as_string(hide_password=False)
    with unit_of_work(factory) as session:
        session.execute(delete(Organization).where(Organization.id == org.id))


def test_cli_import_reports_and_fails_with_file_and_line(cli_org: tuple[str, int, str], engine: Engine,
                                                         tmp_path: Path) -> None:
    slug, org_id, url = cli_org
    register_commands()
    runner = CliRunner()
    good = _file(tmp_path, GOOD.replace(",shop,delivery", ",,"), "good.csv")
    result = runner.invoke(app, ["feedback", "import", str(good), "--org", slug, "--source", "site"],
                           env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 3
    bad = _file(tmp_path, HEADER + "a,2026-03-02T10:00:00Z,ok,,,,,,,\nb,nope,ok,,,,,,,\nc,,,,,,,,,\n", "bad.csv")
    result = runner.invoke(app, ["feedback", "import", str(bad), "--org", slug, "--source", "other"],
                           env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 2
    assert "error: bad.csv:3: the time is not an ISO 8601 date and time" in result.stderr
    assert "bad.csv:4:" in result.stderr
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Feedback).where(Feedback.org_id == org_id)) == 3
    result = runner.invoke(app, ["feedback", "reanalyze", "--org", slug], env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 0 and json.loads(result.stdout) == {"queued": 3}, result.output


def test_progress_bars_go_to_stderr_and_leave_json_on_stdout(cli_org: tuple[str, int, str], engine: Engine,
                                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from momentos.listening.analysis import progress

    slug, org_id, url = cli_org
    register_commands()
    monkeypatch.setattr(progress, "console", lambda: Console(stderr=True, force_terminal=True, width=100))
    runner = CliRunner()
    long_review = "The breakfast was cold and the room smelled of smoke, we asked twice for a change. " * 90
    content = (HEADER + "a,2026-03-02T10:00:00Z,Todo perfecto,,,,,,,\n"
               + f'b,2026-03-02T10:00:00Z,"{long_review}",,,,,,,\n')
    result = runner.invoke(app, ["feedback", "import", str(_file(tmp_path, content)), "--org", slug, "--source",
                                 "site"], env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 2  # the long review is imported whole
    assert "importing" in result.stderr and "2/2" in result.stderr
    with engine.connect() as conn:
        assert len(conn.scalar(select(Feedback.text).where(Feedback.external_id == "b")) or "") > 7000
    result = runner.invoke(app, ["feedback", "reanalyze", "--org", slug, "--now"], env={"MOMENTOS_DATABASE_URL": url})
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"queued": 2, "analysed": 2}
    assert "analysing" in result.stderr
    with engine.connect() as conn:
        rows = conn.execute(select(Feedback.external_id, Feedback.sentiment).where(Feedback.org_id == org_id)
                            .order_by(Feedback.external_id)).all()
    assert rows[0] == ("a", "pos") and rows[1][0] == "b" and rows[1][1] in ("neg", "neu")  # long: analysed too
