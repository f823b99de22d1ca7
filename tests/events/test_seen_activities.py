"""The activities seen in a service's events (what the touchpoint form offers): distinct, sorted, one service's
and one organization's only."""

from __future__ import annotations

from sqlalchemy.orm import Session

from momentos.events.service import seen_activities
from tests.conftest import OrgHandle
from tests.factories import event, make_service, send


def test_seen_activities_are_the_services_distinct_activities_in_order(db: Session, org: OrgHandle,
                                                                      other_org: OrgHandle) -> None:
    shop = make_service(db, org.id, key="shop")
    bistro = make_service(db, org.id, key="bistro", touchpoints={"table_booked": "purchase"})
    make_service(db, other_org.id, key="shop")
    send(db, org.id, event("ana", "order_shipped", 0), event("ana", "order_placed", 1),
         event("bea", "order_placed", 2), event("fer", "table_booked", 3))
    send(db, other_org.id, event("zoe", "ad_clicked", 0))
    assert seen_activities(db, org.id, shop.id) == ["order_placed", "order_shipped"]
    assert seen_activities(db, org.id, bistro.id) == ["table_booked"]
    assert seen_activities(db, org.id, shop.id, limit=1) == ["order_placed"]
    assert seen_activities(db, other_org.id, bistro.id) == []
