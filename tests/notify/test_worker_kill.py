"""``momentos worker`` processes killed with SIGKILL while they send, against a real SMTP server (aiosmtpd) and a
real webhook receiver. Each message's outcome is committed right after it is sent, so a kill leaves at most the
message in flight to be sent again, under the same id (the e-mail Message-ID, the webhook-id); nothing is lost.

- one delivery worker killed ten times while 150 e-mails go out (restarted after each kill): every e-mail arrives,
  and at most one repeat per kill, counted by Message-ID at the SMTP server. The process runs the worker's loop
  with its delivery job alone (``notify.tasks.run``, what ``momentos worker`` runs besides its other jobs), which
  starts in half the time of the whole command: eleven starts stay affordable;
- three ``momentos worker`` processes sharing e-mails and webhooks, one of them killed: every effect arrives.

Waiting is bounded by progress, not by the clock: a test fails when nothing new arrives for ``STALL`` seconds (a
loaded machine is slow, not stuck), or at once when a worker that should run has exited.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, select

from momentos.db import make_session_factory, unit_of_work
from momentos.models import Notification, NotificationAttempt
from momentos.notify.smtp import message_id
from tests.notify.helpers import seed_notifications
from tests.notify.receivers import Inbox, smtp_server, webhook_receiver

DOMAIN = "kill.test"
STALL = 120.0
"""Seconds without any progress after which a test gives up (a worker starting on a loaded machine is slow)."""


DELIVERY_WORKER = """
import os, sys
from momentos.config import NotifySettings
from momentos.db import make_engine, make_session_factory
from momentos.notify.tasks import run
from momentos.worker.loop import stopped_by_signals

engine = make_engine(os.environ["MOMENTOS_DATABASE_URL"])
with stopped_by_signals() as stop:
    run(make_session_factory(engine), NotifySettings(), sys.argv[1], stop=stop)
"""
"""A delivery-only worker: the worker's loop with ``notify.deliver`` alone, stopped cleanly by SIGTERM."""


def _worker(engine: Engine, name: str, inbox: Inbox, log: Path, *, batch: int, lease: float,
            idle_exit: float | None = None, delivery_only: bool = False) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MOMENTOS_DATABASE_URL": engine.url.render_as_string(hide_password=False),
           "MOMENTOS_NOTIFY_SMTP_PORT": str(inbox.port), "MOMENTOS_NOTIFY_WEBHOOK_ALLOW": '["127.0.0.1/32"]',
           "MOMENTOS_NOTIFY_LEASE_SECONDS": str(lease), "MOMENTOS_NOTIFY_TIMEOUT_SECONDS": "0.5",
           "MOMENTOS_NOTIFY_POLL_SECONDS": "0.05", "MOMENTOS_NOTIFY_HEARTBEAT_SECONDS": "1",
           "MOMENTOS_NOTIFY_BATCH_SIZE": str(batch), "MOMENTOS_NOTIFY_MESSAGE_ID_DOMAIN": DOMAIN,
           "MOMENTOS_NOTIFY_BACKOFF_BASE_SECONDS": "0.1"}
    args = [str(Path(sys.executable).parent / "momentos"), "worker", "--name", name]
    if delivery_only:
        args = [sys.executable, "-c", DELIVERY_WORKER, name]
    elif idle_exit is not None:
        args += ["--idle-exit", str(idle_exit)]
    with log.open("ab") as err:
        return subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=err)


@contextmanager
def _reaped(workers: list[subprocess.Popen[bytes]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    """Whatever happens, no worker outlives the test."""
    try:
        yield workers
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()


def _wait_for(done: Callable[[], bool], progress: Callable[[], int], alive: list[subprocess.Popen[bytes]],
              log: Path, what: str) -> None:
    """Wait until ``done()``: fail if ``progress()`` stays the same for ``STALL`` seconds, or a worker of
    ``alive`` has exited."""
    seen, since = progress(), time.monotonic()
    while not done():
        for w in alive:
            assert w.poll() is None, f"a worker exited ({w.returncode}) waiting for {what}: {log.read_text()[-3000:]}"
        now_seen = progress()
        if now_seen != seen:
            seen, since = now_seen, time.monotonic()
        assert time.monotonic() - since < STALL, f"no progress for {STALL:.0f} s waiting for {what}"
        time.sleep(0.005)


def _reached(count: Callable[[], int], target: int) -> Callable[[], bool]:
    return lambda: count() >= target


def _rows(engine: Engine, org_id: int) -> list[Notification]:
    with unit_of_work(make_session_factory(engine)) as session:
        return list(session.scalars(select(Notification).where(Notification.org_id == org_id)))


def _all_sent(engine: Engine, org_id: int, count: int) -> Callable[[], bool]:
    last = [0.0]

    def check() -> bool:
        if time.monotonic() - last[0] < 0.2:  # the database, a few times a second
            return False
        last[0] = time.monotonic()
        rows = _rows(engine, org_id)
        return len(rows) == count and all(n.status == "sent" for n in rows)

    return check


EMAILS = 150
KILLS = 10
STEP = 10
"""E-mails a worker sends (at least) before it is killed."""


def test_ten_sigkills_while_150_emails_go_out_lose_none_and_repeat_at_most_one_each(engine: Engine,
                                                                                   tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    with smtp_server() as inbox, _reaped([]) as workers:
        inbox.delay = 0.01  # each message takes a while: kills land in the middle of a batch
        org_id = seed_notifications(engine, EMAILS)

        def received() -> int:
            return len(inbox.messages)

        for k in range(KILLS):
            worker = _worker(engine, f"k{k}", inbox, log, batch=10, lease=3, delivery_only=True)
            workers.append(worker)
            _wait_for(_reached(received, min(received() + STEP, EMAILS - 1)), received, [worker], log,
                      f"e-mails before kill {k + 1}")
            worker.send_signal(signal.SIGKILL)  # while it sends: the receiver has just taken one of its messages
            worker.wait()
            assert worker.returncode == -signal.SIGKILL
        last = _worker(engine, "last", inbox, log, batch=10, lease=3, delivery_only=True)
        workers.append(last)
        # the killed workers' claimed rows go again once their leases end
        _wait_for(_all_sent(engine, org_id, EMAILS), received, [last], log, "every notification sent")
        last.send_signal(signal.SIGTERM)
        assert last.wait(timeout=STALL) == 0, log.read_text()[-3000:]
        counts = inbox.ids
    rows = _rows(engine, org_id)
    expected = {message_id(n.delivery_id, DOMAIN) for n in rows}
    assert len(expected) == EMAILS and {n.channel for n in rows} == {"email"}
    assert set(counts) == expected  # every e-mail arrived, each under its notification's stable Message-ID
    repeats = sum(c - 1 for c in counts.values())
    assert repeats <= KILLS, f"{repeats} repeats for {KILLS} kills: {sorted(c for c in counts.values() if c > 1)}"
    with unit_of_work(make_session_factory(engine)) as session:
        sent_attempts = session.scalars(select(NotificationAttempt.notification_id).where(
            NotificationAttempt.org_id == org_id, NotificationAttempt.outcome == "sent")).all()
    assert sorted(sent_attempts) == sorted(n.id for n in rows)  # one recorded delivery each
    print(json.dumps({"emails": EMAILS, "kills": KILLS, "repeats_by_message_id": repeats}))


MIXED = 200
BATCH = 5


def test_sigkill_of_one_of_three_workers_loses_nothing_and_repeats_at_most_the_message_in_flight(
        engine: Engine, tmp_path: Path) -> None:
    log = tmp_path / "workers.log"
    with smtp_server() as inbox, webhook_receiver() as hooks, _reaped([]) as workers:
        inbox.delay = hooks.delay = 0.002
        org_id = seed_notifications(engine, MIXED, hooks)

        def received() -> int:
            return len(inbox.messages) + len(hooks.received)

        # a lease long enough that a surviving worker's batch hardly ever outlives it on a busy machine (SQLite:
        # three writers share one lock); the survivors wait longer than a lease when idle, so they take the killed
        # worker's claimed rows over once its lease ends
        workers += [_worker(engine, f"w{i}", inbox, log, batch=BATCH, lease=6, idle_exit=7) for i in range(3)]
        _wait_for(_reached(received, MIXED // 4), received, workers, log, "a quarter of the deliveries")
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        _wait_for(lambda: all(w.poll() is not None for w in workers[1:]), received, [], log, "the survivors")
        assert [w.returncode for w in workers] == [-signal.SIGKILL, 0, 0], log.read_text()[-3000:]
        mails, webhooks = inbox.ids, hooks.ids
    rows = _rows(engine, org_id)
    assert len(rows) == MIXED and {n.status for n in rows} == {"sent"}
    mail_ids = {message_id(n.delivery_id, DOMAIN) for n in rows if n.channel == "email"}
    hook_ids = {n.delivery_id for n in rows if n.channel == "webhook"}
    assert len(mail_ids) == len(hook_ids) == MIXED // 2
    assert set(mails) == mail_ids and set(webhooks) == hook_ids and hooks.bad_signatures == 0
    repeats = sum(c - 1 for c in mails.values()) + sum(c - 1 for c in webhooks.values())
    # the killed worker leaves at most the message it was sending; a survivor's batch that outlived its lease on a
    # badly overloaded machine could repeat what it was sending too: never more than a batch in all
    assert repeats <= BATCH, repeats
    print(json.dumps({"notifications": MIXED, "repeats_by_id": repeats}))
