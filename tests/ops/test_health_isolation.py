"""The health check shows an organization its own figures only: its outbox, its deliveries and its delivery
errors. Workers serve every organization, so an organization sees their liveness but never their delivery counts
or error texts (another organization's data can be in them); operators read those with ``momentos ops workers``.
Checked for the API, the ``/ops`` page and the command line, with two organizations."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.cli import app
from momentos.customers.service import get_customer
from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import NotificationAttempt, WorkerHeartbeat
from momentos.notify import outbox
from momentos.ops import cli as ops_cli
from momentos.ops import health
from tests.conftest import OrgHandle, make_org
from tests.factories import event, send
from tests.web.seed import sign_in

ops_cli.register(app)
WORKER_ERROR = "IntegrityError: duplicate key (email)=(bob@theirs.example) WORKER-SECRET"
JOB_ERROR = "TemplateError: theirs JOB-SECRET"


def _worker_heard_of_everyone(session: Session) -> str:
    """A worker row whose figures and errors come from every organization (the other one's included)."""
    now = utcnow()
    worker_id = str(uuid4())
    session.add(WorkerHeartbeat(worker_id=worker_id, name="box:7", hostname="box", pid=7, version="1.0",
                                interval_seconds=5.0, started_at=now - timedelta(hours=1), last_beat_at=now,
                                rounds=40, delivered=7771, failed=5552,
                                jobs={"notify.deliver": {"at": now.isoformat(), "seconds": 0.5, "done": 9993,
                                                         "error": JOB_ERROR}},
                                last_error=WORKER_ERROR, last_error_at=now))
    session.flush()
    return worker_id


def _attempts(session: Session, org_id: int, who: str, sent: int, errors: list[str]) -> int:
    """A notification of the organization with ``sent`` delivered attempts and failed ones with these errors."""
    send(session, org_id, event(who, "signed_up"))
    customer = get_customer(session, org_id, who)
    n = outbox.enqueue(session, org_id, outbox.NotificationIn(customer.id, "transactional", "message",
                                                              f"iso-{uuid4().hex}", {"subject": "s", "text": "t"}),
                       utcnow())
    assert n is not None
    now = utcnow()
    outcomes = [("temporary_failure", e) for e in errors] + [("sent", None)] * sent
    session.add_all([NotificationAttempt(org_id=org_id, notification_id=n.id, number=i + 1, channel="email",
                                         started_at=now - timedelta(minutes=30 - i),
                                         ended_at=now - timedelta(minutes=30 - i), outcome=outcome, error=error)
                     for i, (outcome, error) in enumerate(outcomes)])
    session.flush()
    return n.id


def _seed(session: Session, mine: OrgHandle, theirs: OrgHandle) -> None:
    session.execute(delete(WorkerHeartbeat))  # workers are global: only this test's (rolled back afterwards)
    _worker_heard_of_everyone(session)
    _attempts(session, mine.id, "ana", 2, ["smtp: 421 try later MINE-ERROR"])
    _attempts(session, theirs.id, "bob", 3, ["smtp: recipient refused bob@theirs.example THEIR-ERROR",
                                             "smtp: 421 THEIR-SECOND-ERROR"])


SECRETS = ("WORKER-SECRET", "JOB-SECRET", "THEIR-ERROR", "THEIR-SECOND-ERROR", "bob@theirs.example", "7771", "5552",
           "9993")


def _leaked(text: str) -> list[str]:
    """The other tenant's strings found in ``text``; its counts only as whole numbers (a timestamp's microseconds
    or a UUID may contain the same digits)."""
    return [s for s in SECRETS
            if (re.search(rf"(?<![\w.]){s}(?!\w)", text) if s.isdigit() else s in text)]


def test_the_service_gives_each_organization_its_own_deliveries_and_errors_and_workers_without_figures(
        db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    _seed(db, org, other_org)
    mine = health.check(db, org.id, utcnow())
    assert (mine.deliveries.sent, mine.deliveries.failed, mine.deliveries.window_hours) == (2, 1, 24)
    assert [e.error for e in mine.deliveries.last_errors] == ["smtp: 421 try later MINE-ERROR"]
    theirs = health.check(db, other_org.id, utcnow())
    assert (theirs.deliveries.sent, theirs.deliveries.failed) == (3, 2)
    assert [e.error for e in theirs.deliveries.last_errors] == [
        "smtp: 421 THEIR-SECOND-ERROR", "smtp: recipient refused bob@theirs.example THEIR-ERROR"]  # newest first
    [worker] = mine.workers
    assert worker.status == "alive" and worker.rounds == 40 and mine.workers_alive == 1
    assert worker.jobs["notify.deliver"].seconds == 0.5
    dumped = mine.model_dump_json()
    assert not _leaked(dumped), dumped
    assert "MINE-ERROR" in dumped


def test_the_api_shows_an_admin_key_its_own_figures_only(db: Session, client: TestClient, org: OrgHandle,
                                                          other_org: OrgHandle) -> None:
    _seed(db, org, other_org)
    r = client.get("/api/v1/ops/health", headers=org.admin)
    assert r.status_code == 200, r.text
    assert not _leaked(r.text), r.text
    body = r.json()
    assert (body["deliveries"]["sent"], body["deliveries"]["failed"]) == (2, 1)
    assert [e["error"] for e in body["deliveries"]["last_errors"]] == ["smtp: 421 try later MINE-ERROR"]
    [worker] = body["workers"]
    assert not {"delivered", "failed", "last_error", "last_error_at"} & set(worker)
    assert worker["jobs"] == {"notify.deliver": {"at": worker["jobs"]["notify.deliver"]["at"], "seconds": 0.5}}
    theirs = client.get("/api/v1/ops/health", headers=other_org.admin)
    assert "THEIR-ERROR" in theirs.text and "MINE-ERROR" not in theirs.text and "WORKER-SECRET" not in theirs.text


def test_the_ops_page_shows_an_owner_its_own_figures_only(db: Session, client: TestClient, org: OrgHandle,
                                                          other_org: OrgHandle) -> None:
    _seed(db, org, other_org)
    sign_in(client, org.keys.admin_key)
    page = client.get("/ops?lang=en")
    assert page.status_code == 200, page.text
    assert not _leaked(page.text)
    assert "smtp: 421 try later MINE-ERROR" in page.text and 'data-worker="' in page.text
    assert 'data-figure="deliveries_failed"' in page.text


def test_operators_read_every_workers_figures_and_errors_on_the_command_line(engine: Engine) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        worker_id = _worker_heard_of_everyone(session)
        slug = make_org(session).slug
    url = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    try:
        result = CliRunner().invoke(app, ["ops", "workers", "--json"], env=url)
        assert result.exit_code == 0, result.output
        [row] = [w for w in json.loads(result.stdout) if w["worker_id"] == worker_id]
        assert (row["delivered"], row["failed"], row["last_error"]) == (7771, 5552, WORKER_ERROR)
        assert row["job_runs"]["notify.deliver"]["error"] == JOB_ERROR
        text = CliRunner().invoke(app, ["ops", "workers"], env=url)
        assert "delivered 7771  failed 5552" in text.stdout and WORKER_ERROR in text.stdout
        org_view = CliRunner().invoke(app, ["ops", "health", "--org", slug], env=url)
        assert org_view.exit_code == 0 and "WORKER-SECRET" not in org_view.stdout and "7771" not in org_view.stdout
    finally:
        with unit_of_work(make_session_factory(engine)) as session:
            session.execute(delete(WorkerHeartbeat).where(WorkerHeartbeat.worker_id == worker_id))
