"""A small hand-made journey whose indicators are worked out by hand in the tests.

Shop service (low contact, 8 contact moments). Minutes after T0:

- alice: ad_clicked 0 · signed_up 10 · product_viewed 30 · order_placed 60 · order_shipped 120 (email) ·
  order_delivered 180 (sms) — stays: awareness, first_contact, consideration, purchase, delivery (open)
- bob: ad_clicked 0 · signed_up 20 · product_viewed 50 — consideration open
- carol: ad_clicked 0 · product_viewed 40 — skips first contact; consideration open
- dave: signed_up 0 — first contact open

Delivery touchpoints are company-started (outbound); the others customer-started (inbound).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from tests.factories import event, make_service, send

JOURNEYS: dict[str, list[tuple[str, float, str]]] = {
    "alice": [("ad_clicked", 0, "web"), ("signed_up", 10, "web"), ("product_viewed", 30, "web"),
              ("order_placed", 60, "web"), ("order_shipped", 120, "email"), ("order_delivered", 180, "sms")],
    "bob": [("ad_clicked", 0, "web"), ("signed_up", 20, "web"), ("product_viewed", 50, "web")],
    "carol": [("ad_clicked", 0, "web"), ("product_viewed", 40, "web")],
    "dave": [("signed_up", 0, "app")],
}


def load_shop(db: Session, org_id: int) -> None:
    make_service(db, org_id, key="shop")
    events = [event(customer, activity, minutes, channel=channel, service="shop")
              for customer, steps in JOURNEYS.items() for activity, minutes, channel in steps]
    send(db, org_id, *events)
