"""The operations page in headless Chromium against a real server: worker health with its warning, uploading event
logs (good and bad) into the import history, what an analyst may not do, other organizations' imports, axe-core."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from momentos.config import IngestSettings, Settings
from momentos.customers.service import get_customer
from momentos.db import unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Event, ImportRecord, WorkerHeartbeat
from momentos.notify import outbox
from momentos.ops import health
from tests import conftest
from tests.conftest import LiveServer, OrgHandle
from tests.web.dashboard_helpers import add_user, axe_source, serious_violations, sign_in_user
from tests.web.seed import csrf_of, seed_journeys, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.live]
GOOD = "case,activity,timestamp\n" + "\n".join(
    f"c{i % 3},step {i % 4},2024-05-01 10:{i:02d}:00" for i in range(12)) + "\n"
BAD = GOOD.replace("c1,step 1,2024-05-01 10:01:00", "c1,step 1,yesterday")


@pytest.fixture
def shop(live_server: LiveServer) -> OrgHandle:
    org = live_server.new_org(timezone="Europe/Madrid")
    with unit_of_work(live_server.factory) as session:
        seed_journeys(session, org.id)
    return org


@pytest.fixture
def engine_name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["engine"])


def _events(live_server: LiveServer, org_id: int) -> int:
    return int(live_server.read(lambda s: s.scalar(select(func.count()).select_from(Event)
                                                   .where(Event.org_id == org_id))))


def _import_row(session: Session, org_id: int, name: str, status: str = "ok") -> int:
    now = utcnow()
    row = ImportRecord(org_id=org_id, file_name=name, format="csv", actor_kind="cli", actor="ops", started_at=now,
                       finished_at=now, status=status, events_read=3, accepted=3, duplicates=0, skipped=0,
                       dropped_erased=0, cases=1, seconds=0.4, error=None if status == "ok" else f"{name}:2: bad")
    session.add(row)
    session.flush()
    return row.id


def test_an_owner_uploads_a_good_and_a_bad_log_and_both_are_in_the_history(
        page: Page, live_server: LiveServer, shop: OrgHandle, tmp_path: Path) -> None:
    sign_in_user(page, live_server, add_user(live_server, shop.id, "owner"))
    before = _events(live_server, shop.id)
    good, bad = tmp_path / "mayo.csv", tmp_path / "junio.csv"
    good.write_text(GOOD)
    bad.write_text(BAD)
    page.goto(f"{live_server.url}/ops")
    expect(page.locator('[data-empty="imports"]')).to_be_visible()
    page.get_by_label("Registro de eventos (CSV o XES)").set_input_files(str(good))
    page.get_by_label("Servicio").select_option("shop")
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("[data-imported]")).to_contain_text("mayo.csv: 12 de 12 eventos importados")
    row = page.locator("table.imports tbody tr").first
    expect(row).to_have_attribute("data-status", "ok")
    expect(row.locator('[data-count="events_read"]')).to_have_text("12")
    expect(row.locator('[data-count="accepted"]')).to_have_text("12")
    expect(row.locator('[data-count="duplicates"]')).to_have_text("0")
    expect(row.locator('[data-count="cases"]')).to_have_text("3")
    expect(row).to_contain_text("Importado")
    expect(row).to_contain_text("shop")
    assert _events(live_server, shop.id) == before + 12
    # a bad row: nothing stored, the failure is in the history with file and line
    page.get_by_label("Registro de eventos (CSV o XES)").set_input_files(str(bad))
    page.get_by_role("button", name="Importar").click()
    expect(page.locator("[data-imported]")).to_contain_text("junio.csv no se importó")
    failed = page.locator("table.imports tbody tr").first
    expect(failed).to_have_attribute("data-status", "failed")
    expect(failed).to_contain_text("junio.csv:3: unparseable timestamp 'yesterday'")
    expect(failed.locator('[data-count="accepted"]')).to_have_text("0")
    expect(page.locator("table.imports tbody tr")).to_have_count(2)
    assert _events(live_server, shop.id) == before + 12
    rows = live_server.read(lambda s: [(r.file_name, r.status, r.actor_kind, r.accepted) for r in s.scalars(
        select(ImportRecord).where(ImportRecord.org_id == shop.id).order_by(ImportRecord.id))])
    assert rows == [("mayo.csv", "ok", "user", 12), ("junio.csv", "failed", "user", 0)]


def test_an_analyst_reads_the_history_but_has_no_upload_and_gets_403(
        page: Page, live_server: LiveServer, shop: OrgHandle) -> None:
    theirs = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        mine = _import_row(session, shop.id, "nuestro.csv", "failed")
        _import_row(session, theirs.id, "ajeno.csv")
    sign_in_user(page, live_server, add_user(live_server, shop.id, "analyst"))
    page.goto(f"{live_server.url}/ops")
    expect(page.locator(f'tr[data-import="{mine}"]')).to_contain_text("nuestro.csv:2: bad")
    expect(page.locator("table.imports")).not_to_contain_text("ajeno.csv")
    expect(page.get_by_role("button", name="Importar")).to_have_count(0)
    expect(page.locator('input[type="file"]')).to_have_count(0)
    r = page.context.request.post(f"{live_server.url}/ops/imports", max_redirects=0, multipart={
        "csrf": csrf_of(page.content()), "file": {"name": "x.csv", "mimeType": "text/csv", "buffer": GOOD.encode()}})
    assert r.status == 403
    assert live_server.read(lambda s: s.scalar(select(func.count()).select_from(ImportRecord).where(
        ImportRecord.org_id == shop.id))) == 1


def test_an_owner_cannot_see_another_organizations_import(page: Page, live_server: LiveServer,
                                                          shop: OrgHandle) -> None:
    theirs = live_server.new_org()
    with unit_of_work(live_server.factory) as session:
        _import_row(session, theirs.id, "ajeno.csv")
    sign_in_user(page, live_server, add_user(live_server, shop.id, "owner"))
    page.goto(f"{live_server.url}/ops?imported=1&imports_page=9")
    expect(page.locator('[data-empty="imports"]')).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("ajeno.csv")


@pytest.fixture
def stale_worker(live_server: LiveServer) -> Iterator[str]:
    """A worker that stopped beating an hour ago without shutting down (workers are global: removed after)."""
    worker_id = str(uuid4())
    now = utcnow()
    with unit_of_work(live_server.factory) as session:
        session.execute(delete(WorkerHeartbeat))
        session.add(WorkerHeartbeat(worker_id=worker_id, name="old-box:41", hostname="old-box", pid=41,
                                    version="0.1.0", interval_seconds=5.0, started_at=now - timedelta(days=1),
                                    last_beat_at=now - timedelta(hours=1), rounds=120, delivered=7, failed=2,
                                    jobs={"promises.clock": {"at": now.isoformat(), "seconds": 0.25, "done": 3,
                                                             "error": None}},
                                    last_error="OperationalError: database is locked",
                                    last_error_at=now - timedelta(hours=1)))
    yield worker_id
    with unit_of_work(live_server.factory) as session:
        session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))


def test_the_page_warns_when_notifications_wait_and_no_worker_is_alive(
        page: Page, chromium: Browser, live_server: LiveServer, shop: OrgHandle, stale_worker: str,
        engine_name: str) -> None:
    with unit_of_work(live_server.factory) as session:
        ana = get_customer(session, shop.id, "ana")
        outbox.enqueue(session, shop.id, outbox.NotificationIn(ana.id, "transactional", "message", "wait-1",
                                                               {"subject": "s", "text": "t"},
                                                               priority="transactional", proactive=False), utcnow())
        _import_row(session, shop.id, "abril.csv")
    sign_in_user(page, live_server, add_user(live_server, shop.id, "manager"))
    page.goto(f"{live_server.url}/ops")
    warning = page.locator('[data-warning="notifications_waiting"]')
    expect(warning).to_have_attribute("role", "alert")
    expect(warning).to_contain_text("Hay notificaciones en cola pero ningún worker está en marcha")
    expect(warning).to_contain_text("momentos worker")
    row = page.locator(f'tr[data-worker="{stale_worker}"]')
    expect(row).to_have_attribute("data-status", "dead")
    expect(row).to_contain_text("No responde")
    # workers serve every organization: their errors are not shown to one (``momentos ops workers`` shows them)
    expect(page.locator("main")).not_to_contain_text("database is locked")
    expect(row.locator('[data-job="promises.clock"]')).to_contain_text("Reloj de promesas")
    due = live_server.read(lambda s: health.check(s, shop.id, utcnow()).outbox.due.count)
    assert due >= 1
    expect(page.locator('[data-figure="outbox_due"] dd')).to_contain_text(re.compile(rf"^{due} \(el más antiguo: "))
    page.goto(f"{live_server.url}/ops?lang=en")
    expect(page.locator('[data-warning="notifications_waiting"]')).to_contain_text(
        "Notifications are queued but no worker is running: run `momentos worker`.")
    expect(page.locator(f'tr[data-worker="{stale_worker}"]')).to_contain_text("Not responding")
    if engine_name != "sqlite":
        return  # the accessibility audit does not depend on the database
    context = chromium.new_context(locale="es-ES", viewport={"width": 390, "height": 844}, bypass_csp=True)
    try:
        tab = context.new_page()
        sign_in_user(tab, live_server, add_user(live_server, shop.id, "owner"))
        tab.goto(f"{live_server.url}/ops")
        assert serious_violations(tab, axe_source()) == [], "/ops"
    finally:
        context.close()


@pytest.fixture
def app_settings() -> Settings:
    return conftest.test_settings(ingest=IngestSettings(max_upload_bytes=200))


def test_a_file_over_the_limit_is_refused_with_413_and_a_clear_message(client: TestClient, db: Session,
                                                                         org: OrgHandle) -> None:
    sign_in(client, org.keys.admin_key)
    token = csrf_of(client.get("/ops").text)
    big = ("case,activity,timestamp\n" + "c1,a,2024-05-01T10:00:00Z\n" * 40).encode()
    for body in (big * 100, big):  # refused from its declared length, and while copying (within the margin)
        r = client.post("/ops/imports", data={"csrf": token}, files={"file": ("big.csv", body, "text/csv")},
                        follow_redirects=False)
        assert r.status_code == 413, r.text
        assert "El archivo es demasiado grande" in r.text or "too large" in r.text
    r = client.post("/ops/imports", data={"csrf": token}, files={"file": ("notes.txt", b"x", "text/plain")},
                    follow_redirects=False)
    assert r.status_code == 400 and 'aria-invalid="true"' in r.text
    r = client.post("/ops/imports", data={"csrf": "forged"}, files={"file": ("a.csv", b"x", "text/csv")},
                    follow_redirects=False)
    assert r.status_code == 400
    assert db.scalar(select(func.count()).select_from(ImportRecord).where(ImportRecord.org_id == org.id)) == 0


def test_the_history_pages_newest_first_and_keeps_the_outbox_tab(client: TestClient, db: Session,
                                                                  org: OrgHandle) -> None:
    ids = [_import_row(db, org.id, f"f{i:02d}.csv", "failed" if i % 5 == 0 else "ok") for i in range(25)]
    sign_in(client, org.keys.admin_key)
    first = client.get("/ops", params={"status": "sent"}).text
    shown = re.findall(r'data-import="(\d+)"', first)
    assert [int(i) for i in shown] == ids[::-1][:20]
    assert "Página 1 de 2" in first and 'href="/ops?status=sent&amp;imports_page=2#imports"' in first
    second = client.get("/ops", params={"status": "sent", "imports_page": "2"}).text
    assert [int(i) for i in re.findall(r'data-import="(\d+)"', second)] == ids[::-1][20:]
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert client.get("/ops", params={"imports_page": "junk"}).status_code == 200
