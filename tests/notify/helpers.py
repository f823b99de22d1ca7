"""Test data for notifications: a shop whose ``delivery`` moment has a company-started touchpoint."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from momentos.models import Customer, Notification, WebhookEndpoint
from momentos.notify.webhook import new_secret
from tests.factories import event, make_service, send

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
