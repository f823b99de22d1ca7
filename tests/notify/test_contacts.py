"""Requesting a contact for a customer or about a process (purpose, priority, moment), and dead notifications
listed and replayed from the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from momentos.cli import app
from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.migrate import upgrade
from momentos.models import Process
from momentos.notify.cli import register
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from tests.conftest import OrgHandle, make_org
from tests.notify.helpers import customer, notifications, ship, shop, webhook_endpoint
from tests.notify.receivers import Inbox, webhook_receiver

register(app)


def test_contact_about_a_process_uses_its_customer_moment_and_purpose_template(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com", language="en")
    ship(db, org.id, "ana")
    pid = db.scalar(select(Process.id).where(Process.org_id == org.id))
    body = {"process_id": pid, "purpose": "promise", "priority": "transactional", "dedup_key": "p1",
            "params": {"promise_name": "Delivery within 48 hours", "due_date": "6 March"}}
    r = client.post("/api/v1/contacts", json=body, headers=org.admin)
    assert r.status_code == 202, r.text
    created = r.json()
    assert (created["template"], created["moment"], created["priority"]) == ("promise", "delivery", "transactional")
    assert client.post("/api/v1/contacts", json=body, headers=org.admin).json()["id"] == created["id"]
    run(worker_factory, notify_settings, "w1", once=True)
    promise = next(m for m in inbox.messages if "promise" in str(m["Subject"]))
    assert str(promise["Subject"]).endswith(": our promise about Delivery within 48 hours")
    text = promise.get_payload()
    assert "Promised for: 6 March." in text and "https://momentos.example/s/" in text


def test_contact_request_validation(db: Session, org: OrgHandle, client: TestClient) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    customer(db, org.id, "bo", email="bo@example.com")
    ship(db, org.id, "ana")
    pid = db.scalar(select(Process.id).where(Process.org_id == org.id, Process.customer_id == ana.id))
    for body in ({"purpose": "status"}, {"customer": "ana", "purpose": "marketing", "subject": "only subject"}):
        assert client.post("/api/v1/contacts", json=body, headers=org.admin).status_code == 422, body
    mismatch = client.post("/api/v1/contacts", headers=org.admin,
                           json={"customer": "bo", "process_id": pid, "purpose": "status"})
    assert (mismatch.status_code, mismatch.json()["code"]) == (422, "process_customer_mismatch")
    chosen = client.post("/api/v1/contacts", headers=org.admin,
                         json={"customer": "ana", "purpose": "survey", "moment": "use", "proactive": False})
    assert chosen.status_code == 202 and chosen.json()["moment"] == "use"


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("MOMENTOS_DATABASE_URL", url)
    return url


def test_outbox_dead_and_replay_commands(cli_db: str) -> None:
    engine = make_engine(cli_db)
    upgrade(engine)
    factory = make_session_factory(engine)
    settings = NotifySettings(webhook_allow=["127.0.0.1/32"], backoff_base_seconds=0.0, max_attempts=1)
    try:
        with webhook_receiver(fail_first=1) as hooks:
            with unit_of_work(factory) as session:
                org = make_org(session)
                shop(session, org.id)
                hooks.secret = webhook_endpoint(session, org.id, hooks.url)
                for name in ("bo", "cy"):
                    customer(session, org.id, name)
                    ship(session, org.id, name)
            settings.batch_size = 1
            run(factory, settings, "w1", once=True)  # the first delivery fails: dead at once; the other is sent
            runner = CliRunner()
            listed = runner.invoke(app, ["outbox", "dead", "--org", org.slug, "--json"])
            assert listed.exit_code == 0, listed.output
            [dead] = [line for line in listed.stdout.splitlines() if line.startswith("{")]
            assert '"attempts": 1' in dead and "503" in dead
            assert runner.invoke(app, ["outbox", "replay", "--org", org.slug]).exit_code == 2
            replayed = runner.invoke(app, ["outbox", "replay", "--org", org.slug, "--all-dead"])
            assert replayed.exit_code == 0 and "1 replayed" in replayed.stdout
            run(factory, settings, "w1", once=True)
            with unit_of_work(factory) as session:
                rows = notifications(session, org.id)
                assert [n.status for n in rows] == ["sent", "sent"]
                assert sorted(hooks.ids.values()) == [1, 1]  # each delivery id once
                assert {n.delivery_id for n in rows} == set(hooks.ids)
            assert "0 dead" in runner.invoke(app, ["outbox", "dead", "--org", org.slug]).stdout
    finally:
        engine.dispose()


def test_unknown_organization_is_a_clear_cli_error(cli_db: str) -> None:
    engine = make_engine(cli_db)
    upgrade(engine)
    engine.dispose()
    result = CliRunner().invoke(app, ["outbox", "dead", "--org", "nobody"])
    assert result.exit_code == 2 and "error" in result.output
