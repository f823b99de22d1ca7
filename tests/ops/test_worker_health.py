"""Worker health: a real ``momentos worker`` process writes its heartbeat (and ``stopped_at`` on SIGTERM); stale
heartbeats read late or dead; an organization's queue figures and warnings; the API and ``momentos ops health``."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from uuid import uuid4

from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from momentos.audit.service import Actor
from momentos.cli import app
from momentos.customers.service import get_customer
from momentos.db import make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.kit.clock import utcnow
from momentos.models import Feedback, Notification, PromiseInstance, WorkerHeartbeat
from momentos.notify import outbox
from momentos.ops import cli as ops_cli
from momentos.ops import health
from momentos.promises import definitions
from momentos.promises.schemas import PromiseCreate
from momentos.worker import heartbeats
from tests.conftest import OrgHandle, make_org
from tests.factories import REACTIONS, event, make_service, send
from tests.notify.receivers import smtp_server

ops_cli.register(app)
PROMISE = {"key": "fast", "service": "shop", "moment": "purchase", "kind": "time",
           "text": {"es": "En 2 días", "en": "Within 2 days"},
           "rule": {"start_activity": "order_placed", "stop_activity": "order_delivered", "target_hours": 48}}


def _beat(session: Session, *, silent: timedelta, stopped: bool = False, interval: float = 5.0) -> WorkerHeartbeat:
    now = utcnow()
    row = WorkerHeartbeat(worker_id=str(uuid4()), name=f"w-{uuid4().hex[:6]}", hostname="h", pid=1, version="0",
                          interval_seconds=interval, started_at=now - silent - timedelta(hours=1),
                          last_beat_at=now - silent, stopped_at=now - silent if stopped else None, rounds=3,
                          delivered=2, failed=1, jobs={})
    session.add(row)
    session.flush()
    return row


def _worker_process(engine: Engine, smtp_port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "MOMENTOS_NOTIFY_SMTP_PORT": str(smtp_port), "MOMENTOS_NOTIFY_POLL_SECONDS": "0.05",
           "MOMENTOS_NOTIFY_HEARTBEAT_SECONDS": "0.2"}
    script = Path(sys.executable).parent / "momentos"
    return subprocess.Popen([str(script), "worker", "--name", f"hb-{uuid4().hex[:8]}"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _row(engine: Engine, pid: int) -> WorkerHeartbeat | None:
    with unit_of_work(make_session_factory(engine)) as session:
        return session.scalar(select(WorkerHeartbeat).where(WorkerHeartbeat.pid == pid)
                              .order_by(WorkerHeartbeat.id.desc()).limit(1))


def _wait_for(engine: Engine, pid: int, check: object, proc: subprocess.Popen[bytes]) -> WorkerHeartbeat:
    deadline = time.monotonic() + 30
    while True:
        row = _row(engine, pid)
        if row is not None and callable(check) and check(row):
            return row
        assert proc.poll() is None, proc.communicate()[1].decode()
        assert time.monotonic() < deadline, f"no heartbeat as expected: {row and row.__dict__}"
        time.sleep(0.05)


def _seed_mail(engine: Engine) -> int:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        send(session, org.id, event("ana", "signed_up"))
        customer = get_customer(session, org.id, "ana")
        customer.email = "ana@example.com"
        n = outbox.enqueue(session, org.id, outbox.NotificationIn(
            customer.id, "transactional", "message", f"hb-{uuid4().hex}", {"subject": "Hola", "text": "Hola",
                                                                           "customer_name": "", "status_url": ""},
            priority="transactional", proactive=False), utcnow())
        assert n is not None
        return n.id


def test_a_worker_process_beats_counts_its_deliveries_and_job_runs_and_stops_cleanly_on_sigterm(
        engine: Engine) -> None:
    with smtp_server() as inbox:
        notification_id = _seed_mail(engine)
        proc = _worker_process(engine, inbox.port)
        try:
            first = _wait_for(engine, proc.pid, lambda r: r.delivered >= 1 and len(r.jobs) == 5, proc)
            later = _wait_for(engine, proc.pid, lambda r: r.last_beat_at > first.last_beat_at, proc)
            assert heartbeats.status_of(later, utcnow()) == "alive"
            assert later.rounds > first.rounds >= 1 and later.stopped_at is None
            assert set(later.jobs) == {"notify.deliver", "promises.clock", "listening.analyse", "listening.watch",
                                       "analytics.refresh"}
            assert all(run["seconds"] >= 0 and run["error"] is None for run in later.jobs.values())
            proc.send_signal(signal.SIGTERM)
            _, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        assert proc.returncode == 0, err.decode()
    with unit_of_work(make_session_factory(engine)) as session:
        assert session.get(Notification, notification_id).status == "sent"  # type: ignore[union-attr]
    stopped = _row(engine, proc.pid)
    assert stopped is not None and stopped.stopped_at is not None
    assert stopped.delivered >= 1 and stopped.failed == 0 and stopped.rounds >= later.rounds
    assert (stopped.hostname, stopped.version) != ("", "") and len(stopped.worker_id) == 36
    assert heartbeats.status_of(stopped, utcnow()) == "stopped"


def test_stale_heartbeats_read_late_or_dead_and_old_ones_are_pruned(db: Session) -> None:
    now = utcnow()
    alive = _beat(db, silent=timedelta(seconds=4))
    late = _beat(db, silent=timedelta(seconds=30))
    dead = _beat(db, silent=timedelta(hours=1))
    stopped = _beat(db, silent=timedelta(hours=1), stopped=True)
    assert [heartbeats.status_of(r, now) for r in (alive, late, dead, stopped)] == ["alive", "late", "dead",
                                                                                  "stopped"]
    old_stop = _beat(db, silent=timedelta(days=8), stopped=True)
    old_silent = _beat(db, silent=timedelta(days=8))
    assert heartbeats.prune(db, now) >= 2
    left = set(db.scalars(select(WorkerHeartbeat.worker_id)))
    assert {old_stop.worker_id, old_silent.worker_id}.isdisjoint(left)
    assert {alive.worker_id, late.worker_id, dead.worker_id, stopped.worker_id} <= left


def _seed_work(db: Session, org: OrgHandle) -> None:
    """Two due notifications (one claimed with an expired lease), one deferred, one dead; events never folded
    into the aggregates; a promise instance whose check time has passed; a text not analysed yet."""
    make_service(db, org.id, key="shop")
    definitions.create(db, org.id, PromiseCreate.model_validate(PROMISE), actor=Actor.cli("tests"))
    now = utcnow()
    started = now - timedelta(days=3)  # the 48-hour promise's instances were due for a check long ago
    ingest(db, org.id, Batch(events=[
        EventIn(message_id=f"p-{who}", customer=who, activity="order_placed", timestamp=started + timedelta(minutes=i))
        for i, who in enumerate(("ana", "bea"))]), source="api", received_at=started, reactions=REACTIONS)
    ana = get_customer(db, org.id, "ana")
    rows = []
    for i in range(4):
        n = outbox.enqueue(db, org.id, outbox.NotificationIn(ana.id, "transactional", "message", f"k{i}",
                                                             {"subject": "s", "text": "t"}), now)
        assert n is not None
        rows.append(n)
    db.execute(delete(Notification).where(Notification.org_id == org.id, Notification.id.not_in(
        [n.id for n in rows])))
    rows[0].status, rows[0].next_attempt_at = "pending", now - timedelta(minutes=10)
    rows[1].status, rows[1].lease_until, rows[1].next_attempt_at = "claimed", now - timedelta(seconds=5), now
    rows[2].status, rows[2].next_attempt_at = "pending", now + timedelta(hours=3)  # deferred: pending, not due
    rows[3].status = "dead"
    db.add(Feedback(org_id=org.id, kind="review", source="web", text="lento", perception={},
                    occurred_at=now, created_at=now - timedelta(minutes=30)))
    db.flush()


def test_health_counts_the_organizations_queues_and_warns_when_no_worker_is_alive(
        db: Session, org: OrgHandle, other_org: OrgHandle) -> None:
    db.execute(delete(WorkerHeartbeat))  # workers are global: only this test's (rolled back afterwards)
    _seed_work(db, org)
    overdue = db.scalar(select(PromiseInstance.next_check_at).where(PromiseInstance.org_id == org.id))
    assert overdue is not None
    now = utcnow()
    report = health.check(db, org.id, now)
    assert (report.outbox.pending, report.outbox.due.count, report.outbox.dead) == (3, 2, 1)
    assert report.outbox.due.age_seconds is not None and 590 < report.outbox.due.age_seconds < 700
    assert report.analytics.behind.count == 2 and report.analytics.watermark == 0
    assert report.promise_checks_overdue.count == 2
    assert report.promise_checks_overdue.oldest_at is not None and report.promise_checks_overdue.oldest_at <= now
    assert report.feedback_unanalyzed.count == 1
    assert 1790 < (report.feedback_unanalyzed.age_seconds or 0) < 1900
    assert report.workers_alive == 0 and report.workers == []
    assert report.warnings == ["notifications_waiting", "work_waiting"]
    # another organization: nothing of this one's queues, no warning
    theirs = health.check(db, other_org.id, now)
    assert (theirs.outbox.pending, theirs.outbox.due.count, theirs.promise_checks_overdue.count,
            theirs.feedback_unanalyzed.count, theirs.analytics.behind.count) == (0, 0, 0, 0, 0)
    assert theirs.warnings == []
    # a late worker does not count as alive; an alive one silences the warnings
    _beat(db, silent=timedelta(seconds=60))
    assert health.check(db, org.id, utcnow()).warnings == ["notifications_waiting", "work_waiting"]
    _beat(db, silent=timedelta(seconds=1))
    report = health.check(db, org.id, utcnow())
    assert report.workers_alive == 1 and report.warnings == []
    assert [w.status for w in report.workers] == ["alive", "late"]


def test_api_health_gives_the_same_figures(db: Session, client: TestClient, org: OrgHandle) -> None:
    db.execute(delete(WorkerHeartbeat))
    _seed_work(db, org)
    _beat(db, silent=timedelta(hours=2))
    r = client.get("/api/v1/ops/health", headers=org.admin)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["outbox"]["pending"], body["outbox"]["due"]["count"], body["outbox"]["dead"]) == (3, 2, 1)
    assert body["promise_checks_overdue"]["count"] == 2 and body["feedback_unanalyzed"]["count"] == 1
    assert body["analytics"]["behind"]["count"] == 2
    assert [w["status"] for w in body["workers"]] == ["dead"] and body["workers_alive"] == 0
    assert body["warnings"] == ["notifications_waiting", "work_waiting"]
    assert client.get("/api/v1/ops/health").status_code == 401
    assert client.get("/api/v1/ops/health", headers=org.writer).status_code == 403


def test_cli_health_prints_figures_and_warnings(engine: Engine) -> None:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        _seed_work(session, org)
    url = {"MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    result = CliRunner().invoke(app, ["ops", "health", "--org", org.slug, "--json"], env=url)
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert (body["outbox"]["due"]["count"], body["promise_checks_overdue"]["count"]) == (2, 2)
    text = CliRunner().invoke(app, ["ops", "health", "--org", org.slug], env=url)
    assert text.exit_code == 0, text.output
    assert "outbox: 3 pending, 2 due (oldest 10m" in text.stdout
    assert "promise checks overdue: 2" in text.stdout and "feedback awaiting analysis: 1" in text.stdout
    if body["workers_alive"] == 0:  # workers are global: another test's may be running on this database
        assert "warning: notifications are queued but no worker is running: run `momentos worker`" in text.stdout
    missing = CliRunner().invoke(app, ["ops", "health", "--org", "no-such-org"], env=url)
    assert missing.exit_code == 2 and "not found" in missing.stderr
