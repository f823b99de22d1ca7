"""Two ``momentos worker`` processes run the promise clock and deliver its notices to a real SMTP server
(customers) and a real webhook receiver (staff alerts); one is killed with SIGKILL while they work. Every at-risk
and broken transition is recorded once and produces exactly one customer message and, when broken, one staff alert
(repeats can only be the same message under the same id, from rows the killed worker held)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import Engine, delete, select

from momentos.db import make_session_factory, unit_of_work
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.kit.clock import utcnow
from momentos.models import Customer, Notification, Organization, PromiseTransition
from momentos.notify.smtp import message_id
from tests.conftest import make_org
from tests.factories import REACTIONS, make_service
from tests.notify.helpers import webhook_endpoint
from tests.notify.receivers import Hooks, Inbox, smtp_server, webhook_receiver
from tests.promises.helpers import define

COUNT = 60
BATCH = 4
DOMAIN = "promises.test"
TARGET_SECONDS = 4.0


def _seed(engine: Engine, hooks: Hooks) -> int:
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        hooks.secret = webhook_endpoint(session, org.id, hooks.url)
        make_service(session, org.id)
        define(session, org.id, moment="delivery", staff={"webhook": True},
               rule={"type": "time", "start_activity": "order_placed", "stop_activity": "order_delivered",
                     "target_hours": TARGET_SECONDS / 3600, "at_risk_fraction": 0.5})
        now = utcnow()
        session.add_all([Customer(org_id=org.id, external_id=f"c{i}", email=f"c{i}@example.com", language="en",
                                  preferred_channels=[], traits={}, account_traits={}, first_seen_at=now,
                                  created_at=now, updated_at=now) for i in range(COUNT)])
        session.flush()
        ingest(session, org.id, Batch(events=[EventIn(message_id=f"p{i}", customer=f"c{i}", activity="order_placed",
                                                      timestamp=now) for i in range(COUNT)]),
               source="api", received_at=now, reactions=REACTIONS)
        return org.id


def _worker(engine: Engine, name: str, inbox: Inbox) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "MOMENTOS_NOTIFY_SMTP_PORT": str(inbox.port), "MOMENTOS_NOTIFY_WEBHOOK_ALLOW": '["127.0.0.1/32"]',
           "MOMENTOS_NOTIFY_LEASE_SECONDS": "1.5", "MOMENTOS_NOTIFY_TIMEOUT_SECONDS": "0.5",
           "MOMENTOS_NOTIFY_POLL_SECONDS": "0.05", "MOMENTOS_NOTIFY_BATCH_SIZE": str(BATCH),
           "MOMENTOS_NOTIFY_MESSAGE_ID_DOMAIN": DOMAIN, "MOMENTOS_NOTIFY_BACKOFF_BASE_SECONDS": "0.1",
           "MOMENTOS_PROMISES_BATCH_SIZE": str(BATCH)}
    script = Path(sys.executable).parent / "momentos"
    return subprocess.Popen([str(script), "worker", "--idle-exit", str(TARGET_SECONDS + 2), "--name", name],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_two_clock_workers_one_killed_give_one_message_and_one_alert_per_transition(engine: Engine) -> None:
    with smtp_server() as inbox, webhook_receiver() as hooks:
        inbox.delay = hooks.delay = 0.005
        org_id = _seed(engine, hooks)
        workers = [_worker(engine, f"clock{i}", inbox) for i in range(2)]
        try:
            deadline = time.monotonic() + 60
            while sum(hooks.ids.values()) < COUNT // 4:  # staff alerts flowing: the clock is breaking promises
                assert time.monotonic() < deadline and workers[1].poll() is None, workers[1].stderr
                time.sleep(0.01)
            workers[0].send_signal(signal.SIGKILL)
            _, err = workers[1].communicate(timeout=90)
            assert workers[1].returncode == 0, err.decode()
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
        assert workers[0].returncode == -signal.SIGKILL
        try:
            _check(engine, org_id, inbox, hooks)
        finally:
            with unit_of_work(make_session_factory(engine)) as session:
                session.execute(delete(Organization).where(Organization.id == org_id))


def _check(engine: Engine, org_id: int, inbox: Inbox, hooks: Hooks) -> None:
    with unit_of_work(make_session_factory(engine)) as session:
        steps = list(session.execute(select(PromiseTransition.instance_id, PromiseTransition.to_state)
                                     .where(PromiseTransition.org_id == org_id)))
        rows = list(session.scalars(select(Notification).where(Notification.org_id == org_id)))
    per_state = Counter(state for _, state in steps)
    assert per_state["pending"] == per_state["broken"] == COUNT
    assert len(set(steps)) == len(steps)  # one transition per instance and state
    told = Counter((n.dedup_key.split(":")[1], n.template) for n in rows)
    assert set(told.values()) == {1}
    assert {key for key, _ in told} == {str(i) for i, _ in steps}
    assert sum(1 for _, t in told if t == "promise_broken") == COUNT
    assert sum(1 for _, t in told if t == "staff_alert") == COUNT
    assert sum(1 for _, t in told if t == "promise_at_risk") == per_state["at_risk"]
    assert {n.status for n in rows} == {"sent"}
    mails = {message_id(n.delivery_id, DOMAIN) for n in rows if n.purpose == "promise"}
    alerts = {n.delivery_id for n in rows if n.purpose == "staff_alert"}
    assert {n.channel for n in rows if n.purpose == "staff_alert"} == {"webhook"}
    assert set(inbox.ids) == mails and set(hooks.ids) == alerts and hooks.bad_signatures == 0
    repeats = sum(c - 1 for c in inbox.ids.values()) + sum(c - 1 for c in hooks.ids.values())
    assert repeats <= 2 * BATCH  # only rows the killed worker had claimed can arrive twice, under the same id
