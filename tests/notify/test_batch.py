"""The worker decides a claimed batch with the facts read once: the number of statements does not grow with the
batch, and sends allowed earlier in a batch count against the caps of the rows decided after them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow
from momentos.models import Notification
from momentos.notify.outbox import NotificationIn, enqueue_many
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import claim_jobs, run
from tests.conftest import OrgHandle
from tests.notify.helpers import customer, notifications, ship, shop
from tests.notify.receivers import Inbox


@pytest.fixture(autouse=True)
def only_this_test_is_due(db: Session, org: OrgHandle) -> None:
    """Rows other tests committed to the run's database must not join the batches measured here (rolled back)."""
    db.execute(update(Notification).where(Notification.org_id != org.id, Notification.status.in_(
        ("pending", "claimed"))).values(status="suppressed"))


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _statements_for_a_batch(db: Session, engine: Engine, org: OrgHandle, n: int,
                            worker_factory: sessionmaker[Session], settings: NotifySettings) -> int:
    for i in range(n):
        customer(db, org.id, f"c{n}-{i}", email=f"c{i}@example.com", language="en" if i % 2 else "es")
        ship(db, org.id, f"c{n}-{i}")
    with counting(engine) as statements:
        claimed, jobs = claim_jobs(worker_factory, "w1", settings)
    assert claimed == len(jobs) == n
    for job in jobs:
        assert job.message.subject and "/s/" in job.message.text  # status link made once per process
    return len(statements)


def test_statements_per_batch_do_not_grow_with_the_batch(db: Session, engine: Engine, org: OrgHandle,
                                                         notify_settings: NotifySettings,
                                                         worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    settings = notify_settings.model_copy(update={"batch_size": 100})
    small = _statements_for_a_batch(db, engine, org, 4, worker_factory, settings)
    large = _statements_for_a_batch(db, engine, org, 40, worker_factory, settings)
    assert large <= small + 1 and large <= 25, (small, large)  # was ~8 statements per notification


def test_sends_earlier_in_a_batch_count_against_the_caps_of_later_rows(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com", language="en")
    assert client.put("/api/v1/contact-rules/organization", headers=org.admin,
                      json={"caps": {"*": {"day": 2}}}).status_code == 200
    now = utcnow()
    items = [NotificationIn(customer_id=ana.id, purpose="status", template="message", dedup_key=f"k{i}",
                            params={"subject": f"s{i}", "text": "t"}) for i in range(4)]
    items.append(NotificationIn(customer_id=ana.id, purpose="transactional", template="message",
                                dedup_key="receipt", priority="transactional",
                                params={"subject": "receipt", "text": "t"}))
    assert enqueue_many(db, org.id, items, now) == 5
    run(worker_factory, notify_settings, "w1", once=True)  # one batch holds all five
    rows = notifications(db, org.id)
    assert [n.status for n in rows] == ["sent", "sent", "pending", "pending", "sent"]
    assert all(n.next_attempt_at > now for n in rows if n.status == "pending")  # deferred to the next day
    assert sorted(str(m["Subject"]) for m in inbox.messages) == ["receipt", "s0", "s1"]


def test_a_row_that_cannot_be_rendered_ends_dead_without_stopping_the_batch(
        db: Session, org: OrgHandle, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    items = [NotificationIn(customer_id=ana.id, purpose="transactional", template=name, dedup_key=name,
                            priority="transactional", params={"subject": name, "text": "t"})
             for name in ("message", "no-such-template", "transactional")]
    enqueue_many(db, org.id, items, utcnow())
    run(worker_factory, notify_settings, "w1", once=True)
    rows = notifications(db, org.id)
    assert [n.status for n in rows] == ["sent", "dead", "sent"]
    assert "no-such-template" in (rows[1].last_error or "") and len(inbox.messages) == 2
