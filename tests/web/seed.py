"""Test data for the pages: a low-contact shop with processes in known moments, and a high-contact bistro."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from momentos.customers.schemas import ConsentIn, CustomerUpdate, IdentifyIn
from momentos.customers.service import identify, update_customer
from tests.factories import HIGH, T0, event, make_service, send

SHOP_COUNTS = {"awareness": 1, "first_contact": 0, "consideration": 0, "purchase": 2, "delivery": 1, "use": 0,
               "support": 1, "loyalty": 0}
EIGHT_MOMENTS = list(SHOP_COUNTS)
ANA_HISTORY_ES = ["Estímulo previo", "Primer contacto", "Decisión y compra", "Entrega y prestación"]
ANA_ACTIVITIES = ["ad_clicked", "signed_up", "order_placed", "order_shipped"]


def seed_journeys(session: Session, org_id: int) -> None:
    make_service(session, org_id, key="shop")
    make_service(session, org_id, key="bistro", assessment=HIGH,
                 touchpoints={"table_booked": "purchase", "meal_served": "delivery"})
    send(session, org_id,
         *(event("ana", activity, minutes) for activity, minutes in zip(ANA_ACTIVITIES, (0, 5, 10, 60), strict=True)),
         event("bea", "order_placed", 1), event("eva", "order_placed", 2), event("carla", "ad_clicked", 3),
         event("dani", "ticket_opened", 4), event("fer", "table_booked", 5), event("gus", "meal_served", 6))
    identify(session, org_id, IdentifyIn(customer="ana", timestamp=T0,
                                         traits={"name": "Ana Pérez", "email": "ana@example.com"}))
    update_customer(session, org_id, "ana", CustomerUpdate(
        language="es", timezone="America/Mexico_City", preferred_channels=["whatsapp", "email"],
        consents=[ConsentIn(channel="email", purpose="marketing", granted=True),
                  ConsentIn(channel="sms", purpose="*", granted=False)]))


def seed_private(session: Session, org_id: int) -> None:
    """Another organization's service and customer (must never show to others)."""
    make_service(session, org_id, key="secret-shop")
    send(session, org_id, event("victim", "order_placed", 0))


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no form token"
    return found.group(1)


def sign_in(client: TestClient, key: str) -> None:
    token = csrf_of(client.get("/login").text)
    r = client.post("/login", data={"key": key, "csrf": token}, follow_redirects=False)
    assert r.status_code == 303, r.text
