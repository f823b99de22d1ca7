"""Test data for notifications: a shop whose ``delivery`` moment has a company-started touchpoint."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import uuid4

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from momentos.db import make_session_factory, unit_of_work
from momentos.kit.clock import utcnow
from momentos.models import Customer, Notification, WebhookEndpoint
from momentos.notify.webhook import new_secret
from tests.conftest import make_org
from tests.factories import event, make_service, send

if TYPE_CHECKING:
    from tests.notify.receivers import Hooks

NOON = datetime(2026, 3, 4, 18, 0, tzinfo=UTC)


def customer(session: Session, org_id: int, external_id: str, *, email: str | None = None,
             phone: str | None = None, language: str = "es", tz: str = "UTC") -> Customer:
    send(session, org_id, event(external_id, "signed_up", service="shop"))
    c = session.execute(select(Customer).where(Customer.org_id == org_id,
                                               Customer.external_id == external_id)).scalar_one()
    c.email, c.phone, c.language, c.timezone = email, phone, language, tz
    session.flush()
    return c


def ship(session: Session, org_id: int, external_id: str, *, message_id: str | None = None) -> int:
    """Ingest an ``order_shipped`` event (enters ``delivery``); returns the notices ingestion queued with it."""
    before = _notice_count(session, org_id)
    kwargs = {"message_id": message_id} if message_id else {}
    send(session, org_id, event(external_id, "order_shipped", minutes=5, service="shop", **kwargs))
    return _notice_count(session, org_id) - before


def _notice_count(session: Session, org_id: int) -> int:
    from sqlalchemy import func

    from momentos.models import Notification

    return int(session.scalar(select(func.count()).select_from(Notification)
                              .where(Notification.org_id == org_id)) or 0)


def shop(session: Session, org_id: int) -> None:
    make_service(session, org_id)


def webhook_endpoint(session: Session, org_id: int, url: str) -> str:
    secret = new_secret()
    session.add(WebhookEndpoint(org_id=org_id, url=url, secrets=[secret], active=True, created_at=NOON))
    session.flush()
    return secret


def notifications(session: Session, org_id: int) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.org_id == org_id)
                                .order_by(Notification.id)))


def seed_notifications(engine: Engine, count: int, hooks: Hooks | None = None) -> int:
    """``count`` transactional notifications, one per customer; with ``hooks``, odd customers have no e-mail
    address and get the webhook."""
    with unit_of_work(make_session_factory(engine)) as session:
        org = make_org(session)
        if hooks is not None:
            hooks.secret = webhook_endpoint(session, org.id, hooks.url)
        now = utcnow()
        people = [Customer(org_id=org.id, external_id=f"c{i}",
                           email=f"c{i}@example.com" if hooks is None or i % 2 == 0 else None,
                           language="en", preferred_channels=[], traits={}, account_traits={}, first_seen_at=now,
                           created_at=now, updated_at=now) for i in range(count)]
        session.add_all(people)
        session.flush()
        session.add_all([Notification(org_id=org.id, customer_id=c.id, purpose="transactional",
                                      priority="transactional", proactive=False, template="message", dedup_key=f"k{i}",
                                      delivery_id=uuid4().hex, status="pending", attempts=0, next_attempt_at=now,
                                      created_at=now, params={"subject": "Hi", "text": f"n{i}", "customer_name": "",
                                                              "status_url": ""})
                         for i, c in enumerate(people)])
        return org.id
