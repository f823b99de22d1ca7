"""Operations: the outbox by status, one notification of the organization, and the replay of a dead one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.errors import NotFound
from momentos.models import Notification
from momentos.notify import outbox

STATUSES = ("pending", "claimed", "sent", "dead", "suppressed")
REPLAYABLE = ("dead", "suppressed")


def counts(session: Session, org_id: int) -> dict[str, int]:
    stmt = (select(Notification.status, func.count()).where(Notification.org_id == org_id)
            .group_by(Notification.status))
    found = {status: int(n) for status, n in session.execute(stmt)}
    return {s: found.get(s, 0) for s in STATUSES}


def notification(session: Session, org_id: int, notification_id: int) -> Notification:
    n = session.get(Notification, notification_id)
    if n is None or n.org_id != org_id:
        raise NotFound("Notification not found.", code="notification_not_found")
    return n


def replay(session: Session, org_id: int, notification_id: int, now: datetime) -> Notification:
    n = notification(session, org_id, notification_id)
    if n.status in REPLAYABLE:
        outbox.replay(session, n, now)
    return n


def listing(session: Session, org_id: int, status: str | None, limit: int = 100) -> list[Notification]:
    return outbox.list_notifications(session, org_id, status if status in STATUSES else None, limit)
