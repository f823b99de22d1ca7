"""The outbox end to end on real receivers: a moment entered queues one notice (none on replay), workers
deliver by SMTP and signed webhooks with stable ids, consent is re-checked at send time, failures retry and
end dead (listed, replayable)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from momentos.models import Consent
from momentos.notify.settings import NotifySettings
from momentos.notify.smtp import message_id
from momentos.notify.tasks import run
from tests.conftest import OrgHandle
from tests.notify.helpers import NOON, customer, notifications, ship, shop, webhook_endpoint
from tests.notify.receivers import Inbox, webhook_receiver


def test_entering_a_moment_queues_one_notice_and_replaying_the_event_queues_none(db: Session,
                                                                                  org: OrgHandle) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com")
    assert ship(db, org.id, "ana", message_id="ship-1") == 1
    assert ship(db, org.id, "ana", message_id="ship-1") == 0  # the same event again: deduplicated
    rows = notifications(db, org.id)
    assert [(n.purpose, n.moment, n.status) for n in rows] == [("status", "delivery", "pending")]


def test_worker_sends_email_with_a_stable_message_id(db: Session, org: OrgHandle, inbox: Inbox,
                                                     notify_settings: NotifySettings,
                                                     worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com", language="en")
    ship(db, org.id, "ana")
    assert run(worker_factory, notify_settings, "w1", once=True) == 1
    [n] = notifications(db, org.id)
    assert (n.status, n.channel, n.attempts) == ("sent", "email", 1)
    [mail] = inbox.messages
    assert mail["Message-ID"] == message_id(n.delivery_id, notify_settings.message_id_domain)
    assert mail["To"] == "ana@example.com" and "Delivery" in str(mail["Subject"])
    assert "https://momentos.example/s/" in mail.get_payload()  # the status-page link, made at send time
    assert n.params["status_url"].startswith("/s/")  # kept on the row, so a replay sends the same link


def test_webhook_is_signed_and_its_id_is_the_delivery_id(db: Session, org: OrgHandle,
                                                         notify_settings: NotifySettings,
                                                         worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    with webhook_receiver() as hooks:
        hooks.secret = webhook_endpoint(db, org.id, hooks.url)
        customer(db, org.id, "bo")  # no e-mail or phone: the organization's webhook
        ship(db, org.id, "bo")
        run(worker_factory, notify_settings, "w1", once=True)
        [n] = notifications(db, org.id)
        assert (n.status, n.channel) == ("sent", "webhook")
        assert list(hooks.ids) == [n.delivery_id] and hooks.bad_signatures == 0


def test_consent_revoked_after_queueing_is_honoured_at_send_time(db: Session, org: OrgHandle, inbox: Inbox,
                                                                 notify_settings: NotifySettings,
                                                                 worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    ana = customer(db, org.id, "ana", email="ana@example.com")
    ship(db, org.id, "ana")
    db.add(Consent(org_id=org.id, customer_id=ana.id, channel="*", purpose="status", granted=False,
                   updated_at=NOON))
    db.flush()
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert n.status == "suppressed" and inbox.messages == []


def test_failures_retry_with_backoff_then_end_dead_and_can_be_replayed(
        db: Session, org: OrgHandle, client: TestClient, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    with webhook_receiver(fail_first=3) as hooks:
        hooks.secret = webhook_endpoint(db, org.id, hooks.url)
        customer(db, org.id, "bo")
        ship(db, org.id, "bo")
        run(worker_factory, notify_settings, "w1", once=True)
        [n] = notifications(db, org.id)
        assert (n.status, n.attempts) == ("dead", 3) and "503" in (n.last_error or "")
        dead = client.get("/api/v1/notifications?status=dead", headers=org.admin).json()
        assert [d["id"] for d in dead] == [n.id]
        assert client.post(f"/api/v1/notifications/{n.id}/replay", headers=org.admin).json()["status"] == "pending"
        run(worker_factory, notify_settings, "w1", once=True)
        [n] = notifications(db, org.id)
        assert n.status == "sent" and list(hooks.ids) == [n.delivery_id]


def test_contact_request_api_and_why_was_this_customer_contacted(db: Session, org: OrgHandle,
                                                                 client: TestClient) -> None:
    shop(db, org.id)
    customer(db, org.id, "ana", email="ana@example.com", language="es")
    body = {"customer": "ana", "purpose": "marketing", "subject": "Oferta", "text": "Hola", "dedup_key": "k1"}
    first = client.post("/api/v1/contacts", json=body, headers=org.admin)
    assert first.status_code == 202 and first.json()["status"] == "suppressed"
    again = client.post("/api/v1/contacts", json=body, headers=org.admin).json()
    assert again["id"] == first.json()["id"]
    decisions = client.get("/api/v1/customers/ana/contact-decisions?lang=es", headers=org.admin).json()
    assert [d["outcome"] for d in decisions] == ["suppress"]
    reasons = {r["code"]: r["message"] for r in decisions[0]["reasons"]}
    assert "no_consent" in reasons and "no_channel" in reasons
    assert client.get("/api/v1/customers/ana/contact-decisions", headers=org.writer).status_code == 403
