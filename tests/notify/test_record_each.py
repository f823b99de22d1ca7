"""The worker commits each message's outcome right after sending it, before the next message goes (so a killed
worker leaves at most the message in flight unrecorded), and never claims again the rows it is delivering."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from momentos.db import make_engine, make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Notification
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import claim_jobs, run
from tests.conftest import OrgHandle, free_port
from tests.notify.helpers import customer, seed_notifications, ship, shop
from tests.notify.receivers import Inbox


@dataclass
class Watching(Inbox):
    """An SMTP server that, as each message arrives, reads how many of the organization's rows are recorded
    ``sent`` (committed: read from a connection of its own)."""

    reader: sessionmaker[Session] | None = None
    org_id: int = 0
    sent_before: list[int] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        assert self.reader is not None
        with unit_of_work(self.reader) as s:
            self.sent_before.append(int(s.scalar(select(func.count()).select_from(Notification).where(
                Notification.org_id == self.org_id, Notification.status == "sent")) or 0))
        return await super().handle_DATA(server, session, envelope)


def test_each_message_is_recorded_sent_before_the_next_one_goes(engine: Engine) -> None:
    count = 12
    org_id = seed_notifications(engine, count)
    reads = make_engine(engine.url.render_as_string(hide_password=False), deferred=True)
    inbox = Watching(port=free_port(), reader=make_session_factory(reads), org_id=org_id)
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        factory = make_session_factory(engine)
        with unit_of_work(factory) as session:  # other tests' leftovers stay out of this worker's batches
            session.execute(update(Notification).where(Notification.org_id != org_id, Notification.status.in_(
                ("pending", "claimed"))).values(status="suppressed"))
        settings = NotifySettings(smtp_host="127.0.0.1", smtp_port=inbox.port, batch_size=5, lease_seconds=30,
                                  poll_seconds=0.05)
        assert run(factory, settings, "w1", once=True) == count
    finally:
        controller.stop()
        reads.dispose()
    assert inbox.sent_before == list(range(count))  # across batches (5, 5, 2): one by one, never after the batch


def test_a_claim_leaves_alone_the_rows_in_flight_even_once_their_lease_has_run_out(
        db: Session, org: OrgHandle, notify_settings: NotifySettings, worker_factory: sessionmaker[Session]) -> None:
    db.execute(update(Notification).where(Notification.org_id != org.id, Notification.status.in_(
        ("pending", "claimed"))).values(status="suppressed"))
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    ship(db, org.id, "ana")
    claimed, [job] = claim_jobs(worker_factory, "w1", notify_settings)
    db.execute(update(Notification).where(Notification.id == job.notification_id)
               .values(lease_until=utcnow() - timedelta(seconds=1)))  # the batch outlasted its lease
    assert claim_jobs(worker_factory, "w1", notify_settings, in_flight={job.notification_id}) == (0, [])
    again, [same] = claim_jobs(worker_factory, "w2", notify_settings)  # another worker may take it over
    assert (claimed, again, same.notification_id) == (1, 1, job.notification_id)
