"""Operations: the outbox by status, one notification of the organization, the replay of a dead one, and a page
of the import history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from momentos.audit.service import Actor
from momentos.errors import NotFound
from momentos.imports import history as import_history
from momentos.models import ImportRecord, Notification
from momentos.notify import outbox

STATUSES = outbox.STATUSES
REPLAYABLE = outbox.REPLAYABLE
IMPORTS_PER_PAGE = 20
NOTIFICATIONS_PER_PAGE = 100


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


def replay(session: Session, org_id: int, notification_id: int, now: datetime, *, actor: Actor) -> Notification:
    n = notification(session, org_id, notification_id)
    if n.status in REPLAYABLE:
        outbox.replay(session, n, now, actor=actor)
    return n


@dataclass(frozen=True)
class NotificationsPage:
    rows: list[Notification]
    page: int
    pages: int
    total: int


def notifications_page(session: Session, org_id: int, status: str, page: int,
                       per_page: int = NOTIFICATIONS_PER_PAGE) -> NotificationsPage:
    """One page (1-based, clamped) of the organization's notifications in ``status``, oldest first."""
    total = counts(session, org_id).get(status, 0)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = outbox.list_notifications(session, org_id, status, per_page, offset=(page - 1) * per_page)
    return NotificationsPage(rows, page, pages, total)


def replay_all(session: Session, org_id: int, status: str, now: datetime, *, actor: Actor) -> int:
    """Replay every notification in ``status`` (dead or suppressed; anything else replays nothing)."""
    return outbox.replay_all(session, org_id, status, now, actor=actor)


@dataclass(frozen=True)
class ImportsPage:
    rows: list[ImportRecord]
    page: int
    pages: int
    total: int


def imports_page(session: Session, org_id: int, page: int, per_page: int = IMPORTS_PER_PAGE) -> ImportsPage:
    """One page (1-based, clamped) of the organization's import history, newest first."""
    total = import_history.count_imports(session, org_id)
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = import_history.list_imports(session, org_id, limit=per_page, offset=(page - 1) * per_page)
    return ImportsPage(rows, page, pages, total)
