"""Promise notices delivered by the real worker: the customer's consent decides the customer messages, never the
staff alert (it is not a customer contact: e-mail to the definition's address, in the organization's language,
not counted against the customer's caps); messages carry the texts, due dates and the recovery offer."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from momentos.models import Consent
from momentos.notify.settings import NotifySettings
from momentos.notify.tasks import run
from momentos.promises import clock
from tests.conftest import OrgHandle
from tests.factories import T0, event, make_service
from tests.notify.helpers import NOON
from tests.notify.receivers import Inbox
from tests.promises.helpers import define, notices, send_at

NOW = T0 + timedelta(minutes=1)


def _customer(db: Session, org_id: int, external_id: str, **fields: object) -> int:
    from sqlalchemy import select

    from momentos.models import Customer

    send_at(db, org_id, NOW, event(external_id, "signed_up"))
    c = db.scalars(select(Customer).where(Customer.org_id == org_id, Customer.external_id == external_id)).one()
    for key, value in fields.items():
        setattr(c, key, value)
    db.flush()
    return c.id


def test_customer_messages_follow_consent_and_the_staff_alert_goes_regardless(
        db: Session, org: OrgHandle, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    make_service(db, org.id)
    define(db, org.id, staff={"email": "ops@example.com"})
    ana = _customer(db, org.id, "ana", email="ana@example.com", language="en")
    db.add(Consent(org_id=org.id, customer_id=ana, channel="*", purpose="promise", granted=False, updated_at=NOON))
    send_at(db, org.id, NOW, event("ana", "order_placed"))
    assert clock.tick(db, T0 + timedelta(hours=49)) == 1
    run(worker_factory, notify_settings, "w1", once=True)
    rows = {n.template: n for n in notices(db, org.id)}
    assert {t: n.status for t, n in rows.items()} == {"promise_announce": "suppressed",
                                                      "promise_broken": "suppressed", "staff_alert": "sent"}
    assert rows["staff_alert"].counted_at is None and rows["staff_alert"].channel == "email"
    [mail] = inbox.messages
    assert mail["To"] == "ops@example.com" and "Promesa incumplida" in str(mail["Subject"])
    body = mail.get_payload(decode=True).decode()
    assert "Tu pedido llega en 2 días" in body and "Perdón: te devolvemos el envío." in body


def test_the_customer_hears_the_promise_the_risk_with_an_estimate_and_the_apology(
        db: Session, org: OrgHandle, inbox: Inbox, notify_settings: NotifySettings,
        worker_factory: sessionmaker[Session]) -> None:
    make_service(db, org.id)
    define(db, org.id)
    _customer(db, org.id, "bea", email="bea@example.com", language="en", name="Bea")
    send_at(db, org.id, NOW, event("bea", "order_placed"))
    clock.tick(db, T0 + timedelta(hours=37))
    clock.tick(db, T0 + timedelta(hours=49))
    run(worker_factory, notify_settings, "w1", once=True)
    assert {n.template: n.status for n in notices(db, org.id)} == {
        "promise_announce": "sent", "promise_at_risk": "sent", "promise_broken": "sent"}
    subjects = [str(m["Subject"]) for m in inbox.messages]
    assert sorted(subjects) == sorted(["Test org: what we promise you", "Test org: we may be late",
                                       "Test org: we did not keep our promise"])
    bodies = {str(m["Subject"]): m.get_payload(decode=True).decode() for m in inbox.messages}
    assert "Your order arrives within 2 days (by Mar 4, 2026, 9:00" in bodies["Test org: what we promise you"]
    assert "Our new estimate is Mar 4, 2026, 9:00" in bodies["Test org: we may be late"]
    assert "Sorry: we refund the shipping." in bodies["Test org: we did not keep our promise"]
    assert "Hello Bea" in bodies["Test org: we may be late"]
    assert all("https://momentos.example/s/" in b for b in bodies.values())  # the status page, linked at send time


def test_the_new_estimate_follows_how_long_it_has_been_taking(db: Session, org: OrgHandle) -> None:
    make_service(db, org.id)
    define(db, org.id)
    late = T0 + timedelta(hours=60)
    send_at(db, org.id, late, event("ana", "order_placed"), event("ana", "order_delivered", 60 * 60))
    send_at(db, org.id, late, event("bea", "order_placed", 60 * 59))  # at risk from 36 h later
    clock.tick(db, late + timedelta(hours=37))
    [at_risk] = [n for n in notices(db, org.id) if n.template == "promise_at_risk"]
    assert at_risk.params["due"]["en"] == "Mar 6, 2026, 8:00\u202fPM"  # promised: 48 h after 20:00 on the 4th
    assert at_risk.params["estimate"]["en"] == "Mar 7, 2026, 8:00\u202fAM"  # typical: 60 h


def test_every_promise_template_previews_in_both_languages(client: TestClient, org: OrgHandle) -> None:
    for name in ("promise_announce", "promise_at_risk", "promise_broken", "promise_kept", "staff_alert"):
        for lang in ("es", "en"):
            r = client.get(f"/api/v1/notification-templates/{name}/preview", params={"lang": lang},
                           headers=org.admin)
            assert r.status_code == 200 and r.json()["subject"], (name, lang, r.text)
