"""Three ``momentos worker`` processes deliver hundreds of notifications to a real SMTP server and a real webhook
receiver; one is killed with SIGKILL in the middle of sending. Every notification still ends ``sent``, and every
effect reaches its receiver under its stable id (a repeat can only be a row the killed worker was holding)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from uuid import uuid4

from sqlalchemy import Engine, select

from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Customer, Notification
from momentos.notify.smtp import message_id
from tests.conftest import make_org
from tests.notify.helpers import webhook_endpoint
from tests.notify.receivers import Hooks, Inbox, smtp_server, webhook_receiver

COUNT = 200
BATCH = 5
DOMAIN = "kill.test"


def _seed(engine: Engine, hooks: Hooks) -> int:
    factory = make_session_factory(engine)
    with unit_of_work(factory) as session:
        org = make_org(session)
        hooks.secret = webhook_endpoint(session, org.id, hooks.url)
        now = utcnow()
        people = [Customer(org_id=org.id, external_id=f"c{i}", email=f"c{i}@example.com" if i % 2 == 0 else None,
                           language="en", preferred_channels=[], traits={}, account_traits={}, first_seen_at=now,
                           created_at=now, updated_at=now) for i in range(COUNT)]  # odd ones: only the webhook
        session.add_all(people)
        session.flush()
        session.add_all([Notification(org_id=org.id, customer_id=c.id, purpose="transactional",
                                      priority="transactional", proactive=False, template="message", dedup_key=f"k{i}",
                                      delivery_id=uuid4().hex, status="pending", attempts=0, next_attempt_at=now,
                                      created_at=now, params={"subject": "Hi", "text": f"n{i}", "customer_name": "",
                                                              "status_url": ""})
                         for i, c in enumerate(people)])
        return org.id


def _worker(engine: Engine, name: str, inbox: Inbox) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "MOMENTOS_NOTIFY_SMTP_PORT": str(inbox.port), "MOMENTOS_NOTIFY_WEBHOOK_ALLOW": '["127.0.0.1/32"]',
           # a lease long enough that a surviving worker's batch never outlives it on a busy machine (SQLite: three
           # writers share one lock): then only the killed worker's claimed batch can be delivered twice; the
           # survivors wait longer than a lease when idle, so they take that batch over once its lease ends
           "MOMENTOS_NOTIFY_LEASE_SECONDS": "4", "MOMENTOS_NOTIFY_TIMEOUT_SECONDS": "0.5",
           "MOMENTOS_NOTIFY_POLL_SECONDS": "0.05",
           "MOMENTOS_NOTIFY_BATCH_SIZE": str(BATCH), "MOMENTOS_NOTIFY_MESSAGE_ID_DOMAIN": DOMAIN,
           "MOMENTOS_NOTIFY_BACKOFF_BASE_SECONDS": "0.1"}
    script = Path(sys.executable).parent / "momentos"
    return subprocess.Popen([str(script), "worker", "--idle-exit", "5", "--name", name], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_sigkill_in_the_middle_of_sending_loses_nothing_and_repeats_no_effect(engine: Engine) -> None:
    with smtp_server() as inbox, webhook_receiver() as hooks:
        inbox.delay = hooks.delay = 0.002
        org_id = _seed(engine, hooks)
        workers = [_worker(engine, f"w{i}", inbox) for i in range(3)]
        try:
            deadline = time.monotonic() + 30
            while sum(inbox.ids.values()) + sum(hooks.ids.values()) < COUNT // 4:
                assert time.monotonic() < deadline, workers[0].stderr
                time.sleep(0.01)
            workers[0].send_signal(signal.SIGKILL)
            for w in workers[1:]:
                _, err = w.communicate(timeout=60)
                assert w.returncode == 0, err.decode()
        finally:
            for w in workers:
                if w.poll() is None:
                    w.kill()
                    w.wait()
        assert workers[0].returncode == -signal.SIGKILL
        with unit_of_work(make_session_factory(engine)) as session:
            rows = list(session.scalars(select(Notification).where(Notification.org_id == org_id)))
        assert len(rows) == COUNT and {n.status for n in rows} == {"sent"}
        mail_ids = {message_id(n.delivery_id, DOMAIN) for n in rows if n.channel == "email"}
        hook_ids = {n.delivery_id for n in rows if n.channel == "webhook"}
        assert len(mail_ids) == len(hook_ids) == COUNT // 2
        assert set(inbox.ids) == mail_ids and set(hooks.ids) == hook_ids and hooks.bad_signatures == 0
        repeats = sum(c - 1 for c in inbox.ids.values()) + sum(c - 1 for c in hooks.ids.values())
        assert repeats <= BATCH  # only what the killed worker had claimed can be delivered twice (same id)
        print(json.dumps({"notifications": COUNT, "repeats_by_id": repeats}))
