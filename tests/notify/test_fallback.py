"""Channel fallback on real receivers: the policy only chooses channels the organization can deliver on (a customer
preferring WhatsApp, with no WhatsApp provider, gets the status notice by e-mail); a permanent failure (an SMTP
hard bounce) re-decides the next channel and the same notification goes on by SMS, with its attempts and the
reason of each switch; a temporary failure (421, a refused connection) retries the same channel after a backoff."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from momentos.kit.clock import utcnow
from momentos.models import Consent, ContactDecision, Customer
from momentos.notify.settings import NotifySettings
from momentos.notify.smtp import message_id
from momentos.notify.tasks import run
from tests.conftest import OrgHandle, free_port
from tests.notify.helpers import NOON, customer, notifications, ship, shop
from tests.notify.receivers import Inbox, sms_provider, smtp_server

PHONE = "+34600000001"


def _whatsapp_fan(db: Session, org_id: int, external_id: str = "ana") -> Customer:
    """A customer who prefers WhatsApp, with an e-mail address and a phone, and consent for status notices."""
    ana = customer(db, org_id, external_id, email=f"{external_id}@example.com", phone=PHONE, language="es")
    ana.preferred_channels = ["whatsapp"]
    db.add(Consent(org_id=org_id, customer_id=ana.id, channel="*", purpose="status", granted=True, updated_at=NOON))
    db.flush()
    return ana


def _read(client: TestClient, org: OrgHandle, notification_id: int, lang: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/notifications/{notification_id}?lang={lang}", headers=org.admin)
    assert r.status_code == 200, r.text
    listed = client.get(f"/api/v1/notifications?lang={lang}", headers=org.admin).json()
    assert [n for n in listed if n["id"] == notification_id] == [r.json()]  # the list shows the same
    body: dict[str, Any] = r.json()
    return body


def _decisions(db: Session, notification_id: int) -> list[ContactDecision]:
    db.expire_all()
    return list(db.scalars(select(ContactDecision).where(ContactDecision.notification_id == notification_id)
                           .order_by(ContactDecision.id)))


def test_a_whatsapp_fan_without_a_whatsapp_provider_gets_the_status_notice_by_email(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    assert "whatsapp" not in notify_settings.channels  # an SMTP server, no SMS / WhatsApp provider
    shop(db, org.id)
    _whatsapp_fan(db, org.id)
    assert ship(db, org.id, "ana") == 1  # the status notice, queued by ingestion
    run(worker_factory, notify_settings, "w1", once=True)
    [n] = notifications(db, org.id)
    assert (n.status, n.channel) == ("sent", "email")
    [mail] = inbox.messages
    assert mail["To"] == "ana@example.com" and mail["Message-ID"] == message_id(n.delivery_id, "momentos.invalid")
    [decision] = _decisions(db, n.id)
    assert [(r["code"], r["params"].get("channel")) for r in decision.reasons] == [
        ("channel_unavailable", "whatsapp"), ("allowed", "email")]

    es = _read(client, org, n.id, "es")
    assert [(s["from_channel"], s["to_channel"], s["reason"]["code"]) for s in es["switches"]] == [
        ("whatsapp", "email", "channel_unavailable")]
    assert es["switches"][0]["reason"]["message"] == (
        "La organización no puede enviar por WhatsApp: no tiene servidor, proveedor ni endpoint configurado para "
        "ese canal.")
    assert [(a["number"], a["channel"], a["outcome"]) for a in es["delivery_attempts"]] == [(1, "email", "sent")]
    en = _read(client, org, n.id, "en")
    assert en["switches"][0]["reason"]["message"].startswith("The organization cannot send by WhatsApp")


def test_a_contact_request_only_chooses_channels_the_settings_can_deliver_on(db: Session, org: OrgHandle,
                                                                             client: TestClient) -> None:
    shop(db, org.id)
    _whatsapp_fan(db, org.id)
    r = client.post("/api/v1/contacts", headers=org.admin,
                    json={"customer": "ana", "purpose": "status", "subject": "Pedido", "text": "En camino"})
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "pending"
    [decision] = _decisions(db, r.json()["id"])
    assert (decision.stage, decision.channel) == ("request", "email")
    assert [s["from_channel"] for s in r.json()["switches"]] == ["whatsapp"]
    why = client.get("/api/v1/customers/ana/contact-decisions?lang=es", headers=org.admin).json()
    assert "La organización no puede enviar por WhatsApp" in why[0]["reasons"][0]["message"]


@pytest.mark.parametrize("refusal", [{"rcpt_reply": "550 5.1.1 No such user"},
                                     {"data_reply": "550 5.7.1 Message refused"}], ids=["rcpt", "data"])
def test_a_hard_bounce_moves_the_message_to_sms(db: Session, org: OrgHandle, client: TestClient,
                                               notify_settings: NotifySettings,
                                               worker_factory: sessionmaker[Session],
                                               refusal: dict[str, str]) -> None:
    shop(db, org.id)
    customer(db, org.id, "bo", email="bo@example.com", phone=PHONE, language="en")  # order: e-mail, then SMS
    ship(db, org.id, "bo")
    with smtp_server(**refusal) as bouncing, sms_provider() as texts:
        settings = notify_settings.model_copy(update={"smtp_port": bouncing.port, "sms_url": texts.url,
                                                      "sms_channels": ["sms"]})
        run(worker_factory, settings, "w1", once=True)
    assert bouncing.refused == 1 and bouncing.messages == []
    [n] = notifications(db, org.id)  # one notification, not a new one
    assert (n.status, n.channel, n.failed_channels) == ("sent", "sms", {"email": "hard_bounce"})
    assert [(key, body["channel"], body["to"]) for key, body in texts.received] == [(n.delivery_id, "sms", PHONE)]
    body = _read(client, org, n.id, "es")
    assert [(a["number"], a["channel"], a["outcome"], a["next_channel"]) for a in body["delivery_attempts"]] == [
        (1, "email", "switched", "sms"), (2, "sms", "sent", None)]
    first = body["delivery_attempts"][0]
    assert "550" in first["error"] and first["reason"]["params"]["failure"] == "hard_bounce"
    assert first["reason"]["message"] == ("El envío por correo electrónico falló definitivamente: el servidor de "
                                          "correo rechazó la dirección (rebote definitivo).")
    assert [(s["from_channel"], s["to_channel"], s["reason"]["code"]) for s in body["switches"]] == [
        ("email", "sms", "channel_failed")]
    stages = [(d.stage, d.outcome, d.channel) for d in _decisions(db, n.id)]
    assert stages == [("send", "send", "email"), ("fallback", "send", "sms"), ("send", "send", "sms")]
    fallback = _decisions(db, n.id)[1]
    assert [r["code"] for r in fallback.reasons] == ["channel_failed", "allowed"]


def test_a_hard_bounce_with_no_channel_left_ends_dead_with_the_reasons(
        db: Session, org: OrgHandle, client: TestClient, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    customer(db, org.id, "cy", email="cy@example.com")  # no phone, no webhook
    ship(db, org.id, "cy")
    with smtp_server(rcpt_reply="550 5.1.1 No such user") as bouncing:
        run(worker_factory, notify_settings.model_copy(update={"smtp_port": bouncing.port}), "w1", once=True)
    [n] = notifications(db, org.id)
    assert (n.status, n.attempts) == ("dead", 1) and "550" in (n.last_error or "")
    body = _read(client, org, n.id, "en")
    assert [(a["outcome"], a["next_channel"]) for a in body["delivery_attempts"]] == [("permanent_failure", None)]
    assert [(s["from_channel"], s["to_channel"]) for s in body["switches"]] == [("email", None)]
    fallback = _decisions(db, n.id)[-1]
    assert (fallback.stage, fallback.outcome) == ("fallback", "suppress")
    assert [r["code"] for r in fallback.reasons] == ["channel_failed", "no_address", "no_address", "no_address",
                                                     "no_channel"]


@pytest.mark.parametrize("failure", ["421", "refused"])
def test_a_temporary_failure_retries_the_same_channel_after_a_backoff(
        db: Session, org: OrgHandle, client: TestClient, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session], failure: str) -> None:
    shop(db, org.id)
    customer(db, org.id, "di", email="di@example.com", phone=PHONE)  # SMS would be next: it is not used
    ship(db, org.id, "di")
    with smtp_server(rcpt_reply="421 4.3.2 Try again later", refuse_times=1 if failure == "421" else 0) as flaky, \
            sms_provider() as texts:
        port = flaky.port if failure == "421" else free_port()  # nothing listens there: connection refused
        settings = notify_settings.model_copy(update={"smtp_port": port, "sms_url": texts.url,
                                                      "backoff_base_seconds": 60.0})
        before = utcnow()
        run(worker_factory, settings, "w1", once=True)
        [n] = notifications(db, org.id)
        assert (n.status, n.channel, n.failed_channels, n.attempts) == ("pending", "email", {}, 1)
        assert n.next_attempt_at >= before + timedelta(seconds=30)  # backoff: 60 s nominal, jitter 0.5×–1.5×
        n.next_attempt_at = utcnow() - timedelta(seconds=1)  # the backoff is over
        db.flush()
        run(worker_factory, settings.model_copy(update={"smtp_port": flaky.port}), "w1", once=True)
        assert texts.received == []
    [n] = notifications(db, org.id)
    assert (n.status, n.channel, n.attempts) == ("sent", "email", 2)
    [mail] = flaky.messages
    assert mail["Message-ID"] == message_id(n.delivery_id, "momentos.invalid")  # stable across the retry
    body = _read(client, org, n.id, "en")
    assert [(a["channel"], a["outcome"]) for a in body["delivery_attempts"]] == [
        ("email", "temporary_failure"), ("email", "sent")]
    assert body["switches"] == [] and body["delivery_attempts"][0]["reason"] is None


def test_an_invalid_number_refused_by_the_sms_provider_falls_back_to_email(
        db: Session, org: OrgHandle, client: TestClient, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    shop(db, org.id)
    eva = customer(db, org.id, "eva", email="eva@example.com", phone="+0")
    eva.preferred_channels = ["sms"]
    db.flush()
    ship(db, org.id, "eva")
    with sms_provider(status=400) as texts:  # the provider refuses the number
        run(worker_factory, notify_settings.model_copy(update={"sms_url": texts.url}), "w1", once=True)
    [n] = notifications(db, org.id)
    assert (n.status, n.channel, n.failed_channels) == ("sent", "email", {"sms": "provider_rejected"})
    assert [m["Message-ID"] for m in inbox.messages] == [message_id(n.delivery_id, "momentos.invalid")]
    body = _read(client, org, n.id, "en")
    assert [(a["channel"], a["outcome"]) for a in body["delivery_attempts"]] == [("sms", "switched"),
                                                                                 ("email", "sent")]
    assert body["switches"][0]["reason"]["message"] == (
        "Sending by SMS failed for good: the provider refused the message or the number.")
