"""The local mailbox channel: with ``local_mailbox`` on, every channel delivers into ``mailbox_messages`` (nothing
reaches a real provider) and the notification ends delivered with its attempt; off by default, the real channel
is used and the mailbox stays empty."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.models import MailboxMessage, NotificationAttempt
from momentos.notify import mailbox
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from tests.conftest import OrgHandle
from tests.notify.helpers import NOON, customer, notifications, ship, shop
from tests.notify.receivers import Inbox


def _local(settings: NotifySettings) -> NotifySettings:
    return settings.model_copy(update={"local_mailbox": True})


def _messages(db: Session, org_id: int) -> list[MailboxMessage]:
    return list(db.scalars(select(MailboxMessage).where(MailboxMessage.org_id == org_id)
                           .order_by(MailboxMessage.id)))


def test_the_local_mailbox_is_off_unless_chosen() -> None:
    assert NotifySettings().local_mailbox is False
    assert NotifySettings(sms_url=None).channels == frozenset({"email"})
    assert NotifySettings(local_mailbox=True).channels == frozenset({"email", "sms", "whatsapp"})


def test_an_email_lands_in_the_mailbox_not_at_the_smtp_server_and_counts_as_delivered(
        db: Session, org: OrgHandle, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com", language="en")
    ship(db, org.id, "ana")
    assert run(worker_factory, _local(notify_settings), "w1", once=True) == 1
    [n] = notifications(db, org.id)
    assert (n.status, n.channel) == ("sent", "email")
    assert inbox.messages == []  # nothing left the machine
    [m] = _messages(db, org.id)
    assert (m.notification_id, m.customer_id, m.channel, m.address, m.purpose, m.language) == (
        n.id, ana.id, "email", "ana@example.com", "status", "en")
    assert "Delivery" in m.subject and "https://momentos.example/s/" in m.text
    [attempt] = db.scalars(select(NotificationAttempt).where(NotificationAttempt.notification_id == n.id))
    assert (attempt.outcome, attempt.channel) == ("sent", "email")


def test_sms_and_whatsapp_land_as_text_without_any_provider(db: Session, org: OrgHandle,
                                                             notify_settings: NotifySettings,
                                                             worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "bo", phone="+34 600 000 001")  # no e-mail: a phone channel
    ship(db, org.id, "bo")
    run(worker_factory, _local(notify_settings.model_copy(update={"smtp_host": ""})), "w1", once=True)
    [n] = notifications(db, org.id)
    assert n.status == "sent" and n.channel in ("sms", "whatsapp")
    [m] = _messages(db, org.id)
    assert (m.channel, m.address, m.html) == (n.channel, "+34 600 000 001", None)
    assert m.text


def test_off_by_default_the_real_channel_delivers_and_the_mailbox_stays_empty(
        db: Session, org: OrgHandle, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    ship(db, org.id, "ana")
    run(worker_factory, notify_settings, "w1", once=True)
    assert len(inbox.messages) == 1
    assert _messages(db, org.id) == []


def test_the_mailbox_pages_newest_first_and_filters_by_channel(db: Session, org: OrgHandle) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    ship(db, org.id, "ana")
    [n] = notifications(db, org.id)
    for i in range(mailbox.PAGE_SIZE + 3):
        db.add(MailboxMessage(org_id=org.id, notification_id=n.id, customer_id=n.customer_id,
                              channel="sms" if i % 2 else "email", address="x", purpose="status", language="es",
                              subject=f"s{i}", text=f"t{i}", delivered_at=NOON + timedelta(minutes=i)))
    db.flush()
    first = mailbox.page_of(db, org.id)
    assert (first.total, first.pages, first.page) == (mailbox.PAGE_SIZE + 3, 2, 1)
    assert first.items[0].message.subject == f"s{mailbox.PAGE_SIZE + 2}"
    assert first.items[0].customer_external_id == "ana"
    last = mailbox.page_of(db, org.id, page=99)
    assert last.page == 2 and [i.message.subject for i in last.items] == ["s2", "s1", "s0"]
    sms = mailbox.page_of(db, org.id, channel="sms")
    assert {i.message.channel for i in sms.items} == {"sms"} and sms.total == (mailbox.PAGE_SIZE + 3) // 2
