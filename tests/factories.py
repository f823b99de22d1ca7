"""Factories for test data (preferred over fixture files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.bootstrap import reactions
from momentos.catalog.contact_levels import Assessment
from momentos.catalog.schemas import ServiceCreate, TouchpointCreate
from momentos.catalog.service import create_service, create_touchpoint
from momentos.events.schemas import Batch, EventIn
from momentos.events.service import ingest
from momentos.models import Service

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
REACTIONS = reactions()
"""The reactions to stored events as ``momentos.bootstrap`` wires them, built once for the run like the app's (their
caches per catalog version live as long)."""
_ids = count(1)

LOW = Assessment(presence="none", participation="none", duration="short", people="none")
HIGH = Assessment(presence="full", participation="active", duration="long", people="face_to_face", facility=True)
MEDIUM = Assessment(presence="full", participation="limited", duration="long", people="face_to_face",
                    facility=True)

# activity → moment for the test online shop
SHOP_TOUCHPOINTS = {
    "ad_clicked": "awareness", "signed_up": "first_contact", "product_viewed": "consideration",
    "order_placed": "purchase", "order_shipped": "delivery", "order_delivered": "delivery",
    "product_used": "use", "ticket_opened": "support", "subscription_renewed": "loyalty",
}


TESTS = Actor.cli("tests")
"""Who configures what the factories make, in the audit log."""


def make_service(session: Session, org_id: int, key: str = "shop", assessment: Assessment = LOW,
                 touchpoints: dict[str, str] | None = None, journey_model: str = "contact-moments-8") -> Service:
    data = ServiceCreate(key=key, name_es=key.title(), name_en=key.title(), assessment=assessment,
                         journey_model=journey_model)
    service = create_service(session, org_id, data, actor=TESTS)
    by_moment: dict[str, list[str]] = {}
    for activity, moment in (SHOP_TOUCHPOINTS if touchpoints is None else touchpoints).items():
        by_moment.setdefault(moment, []).append(activity)
    for moment, activities in by_moment.items():
        initiator = "company" if moment == "delivery" else "customer"
        create_touchpoint(session, org_id, key, TouchpointCreate(moment=moment, channel="web",
                                                                 activities=activities, initiator=initiator),
                          actor=TESTS)
    return service


def event(customer: str, activity: str, minutes: float = 0, **kwargs: Any) -> EventIn:
    kwargs.setdefault("message_id", f"m-{next(_ids)}")
    return EventIn(customer=customer, activity=activity, timestamp=T0 + timedelta(minutes=minutes), **kwargs)


def send(session: Session, org_id: int, *events: EventIn, source: str = "api") -> Any:
    return ingest(session, org_id, Batch(events=list(events)), source=source, reactions=REACTIONS)
